package store

import (
	"context"

	"vendo/app"
)

// Audit appends an entry to the admin audit log.
func (t *Tx) Audit(e app.AuditEntry) error {
	e.ID = t.NewID("aud_")
	if e.At.IsZero() {
		e.At = t.now
	}
	return putRecord(t.tx.Bucket(bAudit), e.ID, e)
}

// AuditFilter narrows AuditLog.
type AuditFilter struct {
	Action string // only entries with this action
	Before string // cursor: the last id of the previous page
	Limit  int    // 0 means all
	// Scan bounds the walk to the newest Scan entries (0: no bound), so a
	// rare action costs a bounded read.
	Scan int
}

// AuditLog lists entries newest first, a page at a time.
func (t *Tx) AuditLog(f AuditFilter) ([]app.AuditEntry, string, error) {
	seen := 0
	var stop func(*app.AuditEntry) bool
	if f.Scan > 0 {
		stop = func(*app.AuditEntry) bool { seen++; return seen > f.Scan }
	}
	return newestFirst(t.tx.Bucket(bAudit), f.Before, f.Limit, func(e *app.AuditEntry) bool {
		return f.Action == "" || e.Action == f.Action
	}, stop, func(e *app.AuditEntry) string { return e.ID })
}

// Audit appends an entry in its own transaction.
func (s *Store) Audit(ctx context.Context, e app.AuditEntry) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Audit(e) })
}
