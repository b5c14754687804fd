package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vendo/app"
)

// Order returns the order with id.
func (t *Tx) Order(id string) (app.Order, error) {
	var o app.Order
	found, err := getRecord(t.tx.Bucket(bOrders), id, &o)
	if err == nil && !found {
		err = notFound("order")
	}
	return o, err
}

// OrderByCheckoutSession returns the order made from a Checkout Session,
// ENOTFOUND while there is none yet (fulfilment uses this to grant exactly
// once per session).
func (t *Tx) OrderByCheckoutSession(sessionID string) (app.Order, error) {
	id := index{t.tx.Bucket(bOrdersBySession)}.get(sessionID)
	if id == "" {
		return app.Order{}, notFound("order")
	}
	return t.Order(id)
}

// OrderByPaymentIntent returns the order paid by a PaymentIntent (refunds
// arrive as charges that name their PaymentIntent).
func (t *Tx) OrderByPaymentIntent(pi string) (app.Order, error) {
	id := index{t.tx.Bucket(bOrdersByPayment)}.get(pi)
	if id == "" {
		return app.Order{}, notFound("order")
	}
	return t.Order(id)
}

// PutOrder creates or updates an order with its indexes. A Checkout Session
// or PaymentIntent already tied to another order is a conflict: one session
// makes one order.
func (t *Tx) PutOrder(o *app.Order) error {
	if o.CheckoutSessionID == "" {
		return fmt.Errorf("order without checkout session")
	}
	b := t.tx.Bucket(bOrders)
	var prev *app.Order // the stored record, for the aggregates
	if o.ID == "" {
		o.ID = t.NewID("ord_")
		o.CreatedAt = t.now
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		o.Number = 1000 + int64(seq)
	} else {
		var old app.Order
		found, err := getRecord(b, o.ID, &old)
		if err != nil {
			return err
		}
		if found {
			prev = &old
			o.CreatedAt, o.Number = old.CreatedAt, old.Number
			if old.PaymentIntentID != "" && old.PaymentIntentID != o.PaymentIntentID {
				if err := (index{t.tx.Bucket(bOrdersByPayment)}).del(old.PaymentIntentID); err != nil {
					return err
				}
			}
			if old.CustomerID != o.CustomerID && old.CustomerID != "" {
				t.customerChanged(old.CustomerID)
				if err := t.tx.Bucket(bOrdersByCustomer).Delete([]byte(old.CustomerID + "/" + o.ID)); err != nil {
					return err
				}
			}
		}
	}
	if clash, err := (index{t.tx.Bucket(bOrdersBySession)}).set(o.CheckoutSessionID, o.ID); err != nil {
		return err
	} else if clash != "" {
		return app.Errorf(app.ECONFLICT, "The checkout session %s already made order %s.", o.CheckoutSessionID, clash)
	}
	if o.PaymentIntentID != "" {
		if clash, err := (index{t.tx.Bucket(bOrdersByPayment)}).set(o.PaymentIntentID, o.ID); err != nil {
			return err
		} else if clash != "" {
			return app.Errorf(app.ECONFLICT, "The payment %s already belongs to order %s.", o.PaymentIntentID, clash)
		}
	}
	if o.CustomerID != "" {
		t.customerChanged(o.CustomerID)
		if err := t.tx.Bucket(bOrdersByCustomer).Put([]byte(o.CustomerID+"/"+o.ID), nil); err != nil {
			return err
		}
	}
	disputed := t.tx.Bucket(bOrdersDisputed)
	if o.Status == app.OrderDisputed {
		if err := disputed.Put([]byte(o.ID), nil); err != nil {
			return err
		}
	} else if err := disputed.Delete([]byte(o.ID)); err != nil {
		return err
	}
	o.UpdatedAt = t.now
	if err := recordChange(t, (*statDelta).order, prev, o); err != nil {
		return err
	}
	return putRecord(b, o.ID, o)
}

// OrderFilter narrows Orders.
type OrderFilter struct {
	Status     string
	CustomerID string
	From, To   time.Time // created in [From, To)
	Before     string    // cursor: the last id of the previous page
	Limit      int       // 0 means all
}

// Orders lists orders newest first, paging with a cursor. A customer's
// orders come from their index; otherwise a date range is a seek to its
// end and the walk stops at its start, so a narrow range in a long history
// reads only that range.
func (t *Tx) Orders(f OrderFilter) (out []app.Order, next string, err error) {
	keep := func(o *app.Order) bool {
		return (f.Status == "" || o.Status == f.Status) &&
			(f.From.IsZero() || !o.CreatedAt.Before(f.From)) &&
			(f.To.IsZero() || o.CreatedAt.Before(f.To))
	}
	if f.CustomerID != "" {
		// The customer index is sorted by order id, so newest is last.
		c := t.tx.Bucket(bOrdersByCustomer).Cursor()
		prefix := []byte(f.CustomerID + "/")
		var ids []string
		for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		for i := len(ids) - 1; i >= 0; i-- {
			if f.Before != "" && ids[i] >= f.Before {
				continue
			}
			o, err := t.Order(ids[i])
			if err != nil {
				return nil, "", err
			}
			if !keep(&o) {
				continue
			}
			if f.Limit > 0 && len(out) == f.Limit {
				return out, out[len(out)-1].ID, nil
			}
			out = append(out, o)
		}
		return out, "", nil
	}
	before := f.Before
	if !f.To.IsZero() {
		if bound := idAt("ord_", f.To.Add(clockSlack)); before == "" || bound < before {
			before = bound
		}
	}
	var stop func(*app.Order) bool
	if !f.From.IsZero() {
		stop = func(o *app.Order) bool { return o.CreatedAt.Before(f.From.Add(-clockSlack)) }
	}
	return newestFirst(t.tx.Bucket(bOrders), before, f.Limit, keep, stop, func(o *app.Order) string { return o.ID })
}

// DisputedOrders counts the orders whose dispute is open, however old.
func (t *Tx) DisputedOrders() int {
	n := 0
	c := t.tx.Bucket(bOrdersDisputed).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// OldestOrderAt is when the shop's oldest order was made, zero when it
// has none: ids sort by creation time, so it is the first record (within
// clockSlack, which the caller's margin covers).
func (t *Tx) OldestOrderAt() (time.Time, error) {
	c := t.tx.Bucket(bOrders).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			continue // a nested bucket, not a record
		}
		var o app.Order
		if err := decode(v, &o); err != nil {
			return time.Time{}, fmt.Errorf("order %s: %w", k, err)
		}
		return o.CreatedAt, nil
	}
	return time.Time{}, nil
}

// Order reads an order in its own transaction.
func (s *Store) Order(ctx context.Context, id string) (o app.Order, err error) {
	err = s.View(ctx, func(tx *Tx) error { o, err = tx.Order(id); return err })
	return
}
