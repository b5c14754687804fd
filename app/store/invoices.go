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
	if in.CustomerID != "" {
		t.customerChanged(in.CustomerID)
	}
	var prev *app.Invoice // the stored record, for the aggregates
	if found {
		prev = &old
	}
	if err := recordChange(t, (*statDelta).invoice, prev, in); err != nil {
		return err
	}
	return putRecord(b, in.ID, in)
}
