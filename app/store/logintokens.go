package store

import (
	"time"

	"vendo/app"
)

// tokenGrace is how long a used or expired token stays before the sweep:
// long enough to tell "already used" from "unknown" for a while.
const tokenGrace = 24 * time.Hour

// PutLoginToken stores a one-time sign-in token under key (the SHA-256 of
// an email link's secret, or an admin link's nonce).
func (t *Tx) PutLoginToken(key string, tok app.LoginToken) error {
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = t.now
	}
	return putRecord(t.tx.Bucket(bLoginTokens), key, tok)
}

// LoginToken returns the token stored under key.
func (t *Tx) LoginToken(key string) (app.LoginToken, error) {
	var tok app.LoginToken
	found, err := getRecord(t.tx.Bucket(bLoginTokens), key, &tok)
	if err == nil && !found {
		err = notFound("sign-in link")
	}
	return tok, err
}

// ErrLinkGone is what every unusable sign-in link gets: unknown, used and
// expired look the same to the visitor.
var ErrLinkGone = app.Errorf(app.EGONE, "This sign-in link has expired or was already used.")

// UseLoginToken spends the token under key once: it must exist, have the
// purpose, be unused and unexpired. It is then marked used in the same
// transaction, so a second use (even a concurrent one) is refused.
func (t *Tx) UseLoginToken(key, purpose string) (app.LoginToken, error) {
	tok, err := t.LoginToken(key)
	if app.IsNotFound(err) {
		return tok, ErrLinkGone
	}
	if err != nil {
		return tok, err
	}
	if tok.Purpose != purpose || !tok.UsedAt.IsZero() || !t.now.Before(tok.ExpiresAt) {
		return tok, ErrLinkGone
	}
	tok.UsedAt = t.now
	return tok, t.PutLoginToken(key, tok)
}

// pendingKey indexes an address's newest email link, in the same bucket.
func pendingKey(email string) string { return "pending:" + email }

// PutPendingLoginToken stores a new email link's token under key and
// makes it the address's pending link.
func (t *Tx) PutPendingLoginToken(key string, tok app.LoginToken) error {
	if err := t.PutLoginToken(key, tok); err != nil {
		return err
	}
	return t.PutLoginToken(pendingKey(tok.Email), app.LoginToken{Purpose: "pending", Email: tok.Email, Ref: key, ExpiresAt: tok.ExpiresAt})
}

// PendingLoginToken returns the address's newest email link and its key
// while it can still be used: unused and unexpired. Otherwise it is not
// found.
func (t *Tx) PendingLoginToken(email string) (string, app.LoginToken, error) {
	idx, err := t.LoginToken(pendingKey(email))
	if err != nil {
		return "", idx, err
	}
	tok, err := t.LoginToken(idx.Ref)
	if err != nil {
		return "", tok, err
	}
	if !tok.UsedAt.IsZero() || !t.now.Before(tok.ExpiresAt) || tok.Email != email {
		return "", tok, notFound("pending sign-in link")
	}
	return idx.Ref, tok, nil
}

// SweepLoginTokens removes tokens that expired more than a day ago.
func (t *Tx) SweepLoginTokens() (int, error) {
	return deleteWhere(t.tx.Bucket(bLoginTokens), func(tok *app.LoginToken) bool { return t.now.After(tok.ExpiresAt.Add(tokenGrace)) })
}
