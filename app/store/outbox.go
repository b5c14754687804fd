package store

import (
	"context"
	"fmt"

	"vendo/app"
)

// The outbox keeps every message by id; the ids of messages still waiting
// for an attempt are also in a nested bucket, so the worker looks at a
// handful of records rather than the whole history.
var bOutboxPending = []byte("~pending")

// QueueMail puts a message in the outbox inside the caller's transaction:
// if the transaction rolls back nothing is sent, and once it commits the
// message is on disk until the worker delivers it.
func (t *Tx) QueueMail(m *app.Mail) error {
	if m.To == "" || m.Subject == "" {
		return fmt.Errorf("queue mail: recipient and subject are required")
	}
	m.ID = t.NewID("mail_")
	m.Status = app.MailPending
	m.Attempts = 0
	m.CreatedAt = t.now
	m.NextAttemptAt = t.now
	return t.PutMail(m)
}

// PutMail stores a message and keeps the pending set in step with its status.
func (t *Tx) PutMail(m *app.Mail) error {
	if m.ID == "" {
		return fmt.Errorf("put mail: no id")
	}
	b := t.tx.Bucket(bOutbox)
	if err := putRecord(b, m.ID, m); err != nil {
		return err
	}
	pending, err := b.CreateBucketIfNotExists(bOutboxPending)
	if err != nil {
		return err
	}
	if m.Status == app.MailPending {
		return pending.Put([]byte(m.ID), nil)
	}
	return pending.Delete([]byte(m.ID))
}

// Mail returns the message with id.
func (t *Tx) Mail(id string) (app.Mail, error) {
	var m app.Mail
	found, err := getRecord(t.tx.Bucket(bOutbox), id, &m)
	if err == nil && !found {
		err = notFound("message")
	}
	return m, err
}

// DueMail returns up to limit pending messages whose next attempt is due,
// oldest first.
func (t *Tx) DueMail(limit int) ([]app.Mail, error) {
	b := t.tx.Bucket(bOutbox)
	pending := b.Bucket(bOutboxPending)
	if pending == nil {
		return nil, nil
	}
	var out []app.Mail
	err := pending.ForEach(func(k, _ []byte) error {
		if limit > 0 && len(out) >= limit {
			return nil
		}
		var m app.Mail
		found, err := getRecord(b, string(k), &m)
		if err != nil || !found {
			return err
		}
		if m.Status == app.MailPending && !m.NextAttemptAt.After(t.now) {
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// CountPendingMail counts messages still waiting to be sent.
func (t *Tx) CountPendingMail() int {
	if p := t.tx.Bucket(bOutbox).Bucket(bOutboxPending); p != nil {
		return p.Stats().KeyN
	}
	return 0
}

// MailFilter narrows Outbox.
type MailFilter struct {
	Status app.MailStatus // empty means all
	Before string         // cursor: the last id of the previous page
	Limit  int            // 0 means all
}

// Outbox lists messages newest first, a page at a time.
func (t *Tx) Outbox(f MailFilter) ([]app.Mail, string, error) {
	return newestFirst(t.tx.Bucket(bOutbox), f.Before, f.Limit, func(m *app.Mail) bool {
		return f.Status == "" || m.Status == f.Status
	}, nil, func(m *app.Mail) string { return m.ID })
}

// DueMail reads the due messages in their own transaction.
func (s *Store) DueMail(ctx context.Context, limit int) (out []app.Mail, err error) {
	err = s.View(ctx, func(tx *Tx) error { out, err = tx.DueMail(limit); return err })
	return out, err
}

// UpdateMail applies fn to a stored message and saves it.
func (s *Store) UpdateMail(ctx context.Context, id string, fn func(*app.Mail)) error {
	return s.UpdateMails(ctx, []string{id}, fn)
}

// UpdateMails applies fn to each of the stored messages with ids and saves
// them, all in one transaction (or none, when one is missing). It is a
// Batch: the outbox worker's bookkeeping shares the commit, and its fsync,
// with the webhooks' writes instead of adding one per message (fn may
// run more than once, each time on the message as stored).
func (s *Store) UpdateMails(ctx context.Context, ids []string, fn func(*app.Mail)) error {
	return s.Batch(ctx, func(tx *Tx) error {
		for _, id := range ids {
			m, err := tx.Mail(id)
			if err != nil {
				return err
			}
			fn(&m)
			if err := tx.PutMail(&m); err != nil {
				return err
			}
		}
		return nil
	})
}
