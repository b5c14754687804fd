package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"vendo/app"
)

// sessionKey is the SHA-256 of a session id: the database never holds an
// id a reader could put in a cookie.
func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// Session returns the live session with id. A missing or expired session
// is ENOTFOUND: an expired one is refused even before the sweeper removes it.
func (t *Tx) Session(id string) (app.Session, error) {
	var s app.Session
	if id == "" {
		return s, notFound("session")
	}
	key := sessionKey(id)
	data := t.tx.Bucket(bSessions).Get([]byte(key))
	if data == nil {
		return app.Session{}, notFound("session")
	}
	if err := t.memos.sessions.get(key, data, &s); err != nil {
		return app.Session{}, err
	}
	if !t.now.Before(s.ExpiresAt) {
		return app.Session{}, notFound("session")
	}
	s.ID = id
	return s, nil
}

// PutSession stores a session under its id (which must be set).
func (t *Tx) PutSession(s *app.Session) error {
	if s.ID == "" {
		return fmt.Errorf("put session: no id")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = t.now
	}
	return putRecord(t.tx.Bucket(bSessions), sessionKey(s.ID), s)
}

// DeleteSession removes a session; a missing one is not an error.
func (t *Tx) DeleteSession(id string) error {
	return t.tx.Bucket(bSessions).Delete([]byte(sessionKey(id)))
}

// DeleteCustomerSessions signs a customer out everywhere and returns how
// many sessions ended.
func (t *Tx) DeleteCustomerSessions(customerID string) (int, error) {
	return deleteWhere(t.tx.Bucket(bSessions), func(s *app.Session) bool { return s.CustomerID == customerID })
}

// SweepSessions removes the expired sessions and returns how many.
func (t *Tx) SweepSessions() (int, error) {
	return deleteWhere(t.tx.Bucket(bSessions), func(s *app.Session) bool { return !t.now.Before(s.ExpiresAt) })
}

// CountSessions counts stored sessions (live or not yet swept).
func (t *Tx) CountSessions() int { return t.tx.Bucket(bSessions).Stats().KeyN }
