package store

import (
	"bytes"

	"vendo/app"
)

// Holds of limited discount codes by open Checkouts (app.CodeHold), keyed
// code + "/" + holder so a code's holds are one prefix scan.

func holdKey(code, holder string) string { return app.NormalizeCode(code) + "/" + holder }

// CodeHold returns holder's hold on code, ENOTFOUND without one.
func (t *Tx) CodeHold(code, holder string) (app.CodeHold, error) {
	var h app.CodeHold
	found, err := getRecord(t.tx.Bucket(bCodeHolds), holdKey(code, holder), &h)
	if err == nil && !found {
		err = notFound("hold on that code")
	}
	return h, err
}

// PutCodeHold creates or replaces a holder's hold on a code.
func (t *Tx) PutCodeHold(h *app.CodeHold) error {
	h.Code = app.NormalizeCode(h.Code)
	if h.ID == "" {
		h.ID = t.NewID("hold_")
		h.CreatedAt = t.now
	}
	return putRecord(t.tx.Bucket(bCodeHolds), holdKey(h.Code, h.Holder), h)
}

// DeleteCodeHold lets go of holder's hold on code when its ID is id (""
// for whichever it is): a session's fulfilment lets go of the hold it was
// opened with, never a newer one the same holder took since.
func (t *Tx) DeleteCodeHold(code, holder, id string) error {
	h, err := t.CodeHold(code, holder)
	found, err := app.Found(err)
	if err != nil || !found || (id != "" && h.ID != id) {
		return err
	}
	return t.tx.Bucket(bCodeHolds).Delete([]byte(holdKey(code, holder)))
}

// LiveCodeHolds counts the holds on code that are live at the
// transaction's time, leaving out holder's own ("" for none).
func (t *Tx) LiveCodeHolds(code, holder string) (int, error) {
	prefix := []byte(app.NormalizeCode(code) + "/")
	n := 0
	c := t.tx.Bucket(bCodeHolds).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var h app.CodeHold
		if err := decode(v, &h); err != nil {
			return 0, err
		}
		if h.Holder != holder && h.Live(t.now) {
			n++
		}
	}
	return n, nil
}

// SweepCodeHolds removes holds that have ended.
func (t *Tx) SweepCodeHolds() (int, error) {
	return deleteWhere(t.tx.Bucket(bCodeHolds), func(h *app.CodeHold) bool { return !h.Live(t.now) })
}
