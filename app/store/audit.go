package store

import (
	"context"
	"fmt"

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

// AuditLog lists entries newest first; before is the cursor of the next page.
func (t *Tx) AuditLog(before string, limit int) (out []app.AuditEntry, next string, err error) {
	cur := t.tx.Bucket(bAudit).Cursor()
	var k, v []byte
	if before != "" {
		k, v = cur.Seek([]byte(before))
		if k == nil {
			k, v = cur.Last()
		}
		for k != nil && string(k) >= before {
			k, v = cur.Prev()
		}
	} else {
		k, v = cur.Last()
	}
	for ; k != nil; k, v = cur.Prev() {
		if limit > 0 && len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		var e app.AuditEntry
		if err := decode(v, &e); err != nil {
			return nil, "", fmt.Errorf("audit %s: %w", k, err)
		}
		out = append(out, e)
	}
	return out, "", nil
}

// Audit appends an entry in its own transaction.
func (s *Store) Audit(ctx context.Context, e app.AuditEntry) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Audit(e) })
}
