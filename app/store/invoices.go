package store

import (
	"fmt"

	"vendo/app"
)

// PutInvoice records a paid subscription invoice by its Stripe id; a
// snapshot older than the stored one is ignored (DESIGN.md §5.3).
func (t *Tx) PutInvoice(in *app.Invoice) error {
	if in.ID == "" {
		return fmt.Errorf("invoice needs its Stripe id")
	}
	b := t.tx.Bucket(bInvoices)
	var old app.Invoice
	found, err := getRecord(b, in.ID, &old)
	if err != nil {
		return err
	}
	if found && old.SnapshotAt.After(in.SnapshotAt) {
		return nil
	}
	return putRecord(b, in.ID, in)
}

// ForEachInvoice calls fn for every recorded invoice (dashboards).
func (t *Tx) ForEachInvoice(fn func(*app.Invoice) error) error {
	return t.tx.Bucket(bInvoices).ForEach(func(k, v []byte) error {
		var in app.Invoice
		if err := decode(v, &in); err != nil {
			return fmt.Errorf("invoice %s: %w", k, err)
		}
		return fn(&in)
	})
}
