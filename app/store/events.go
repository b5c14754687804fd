package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"vendo/app"
)

// Outcomes of a Stripe event in the ledger.
const (
	EventApplied = "applied" // a handler ran and its effects committed
	EventIgnored = "ignored" // no handler for the type; acknowledged
	EventFailed  = "failed"  // a handler failed; Stripe retries, an admin may replay
)

// Reasons an event was ignored, kept on its record for the admin.
const (
	// ReasonForeign: the object (a session, subscription, invoice) was
	// not made by this shop: another app or shop on the same Stripe
	// account made it (DESIGN.md §5 rule 9).
	ReasonForeign = "not created by this shop"
	// ReasonOrderInvoice: the invoice Stripe issued for a one-time order
	// (invoice_creation); the order follows its Checkout Session.
	ReasonOrderInvoice = "an order's invoice: the order follows its Checkout Session"
	// ReasonUnhandled: Vendo does not act on this event type.
	ReasonUnhandled = "Vendo does not use this event type"
)

// EventRecord is one Stripe event in the webhook ledger (DESIGN.md §5 rule 2).
type EventRecord struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	ObjectID    string    `json:"object_id"`
	Created     time.Time `json:"created"`     // Stripe's created time (1 s resolution)
	ReceivedAt  time.Time `json:"received_at"` // first time Vendo saw it
	ProcessedAt time.Time `json:"processed_at"`
	Outcome     string    `json:"outcome"`
	Reason      string    `json:"reason,omitempty"` // why an ignored event was left alone
	Error       string    `json:"error,omitempty"`
	Attempts    int       `json:"attempts"`
	Source      string    `json:"source"` // webhook, sync or replay
	Payload     []byte    `json:"payload,omitempty"`
}

// Done reports whether the event needs no more processing: a seen event
// is answered 2xx and changes nothing.
func (e *EventRecord) Done() bool { return e.Outcome == EventApplied || e.Outcome == EventIgnored }

// Event returns the ledger record for a Stripe event id, ENOTFOUND for an
// event the ledger has not seen.
func (t *Tx) Event(id string) (EventRecord, error) {
	var e EventRecord
	found, err := getRecord(t.tx.Bucket(bEvents), id, &e)
	if err == nil && !found {
		err = app.Errorf(app.ENOTFOUND, "That event is not in the ledger.")
	}
	return e, err
}

// PutEvent writes a ledger record, indexing it by received time so the
// admin lists newest first without scanning.
func (t *Tx) PutEvent(e *EventRecord) error {
	if e.ID == "" {
		return fmt.Errorf("event without id")
	}
	var old EventRecord
	found, err := getRecord(t.tx.Bucket(bEvents), e.ID, &old)
	if err != nil {
		return err
	}
	var prev *EventRecord // the stored record, for the aggregates
	if found {
		prev = &old
		e.ReceivedAt = old.ReceivedAt
		if e.Payload == nil {
			e.Payload = old.Payload
		}
	} else {
		if e.ReceivedAt.IsZero() {
			e.ReceivedAt = t.now
		}
		if err := t.tx.Bucket(bEventsByTime).Put(timeKey(e.ReceivedAt, e.ID), nil); err != nil {
			return err
		}
	}
	// Only failed events count: the happy path writes no aggregate.
	if (prev != nil && prev.Outcome == EventFailed) || e.Outcome == EventFailed {
		if err := recordChange(t, (*statDelta).event, prev, e); err != nil {
			return err
		}
	}
	return putRecord(t.tx.Bucket(bEvents), e.ID, e)
}

// EventFilter narrows Events.
type EventFilter struct {
	Type    string
	Outcome string
	Reason  string // with Outcome ignored: only events ignored for this reason
	Before  string // cursor: the previous page's next (a received-time key)
	Limit   int    // 0 means all
}

// Events lists ledger records newest first (by the time Vendo received
// them), walking the received-time index.
func (t *Tx) Events(f EventFilter) (out []EventRecord, next string, err error) {
	c := t.tx.Bucket(bEventsByTime).Cursor()
	events := t.tx.Bucket(bEvents)
	for k, _ := reverseFrom(c, f.Before); k != nil; k, _ = c.Prev() {
		id := string(k[8:])
		var e EventRecord
		found, err := getRecord(events, id, &e)
		if err != nil {
			return nil, "", err
		}
		if !found || (f.Type != "" && e.Type != f.Type) || (f.Outcome != "" && e.Outcome != f.Outcome) || (f.Reason != "" && e.Reason != f.Reason) {
			continue
		}
		if f.Limit > 0 && len(out) == f.Limit {
			return out, string(timeKey(out[len(out)-1].ReceivedAt, out[len(out)-1].ID)), nil
		}
		out = append(out, e)
	}
	return out, "", nil
}

// CountEvents counts ledger records by outcome.
func (t *Tx) CountEvents() (map[string]int, error) {
	out := map[string]int{}
	err := t.tx.Bucket(bEvents).ForEach(func(k, v []byte) error {
		var e struct {
			Outcome string `json:"outcome"`
		}
		if err := decode(v, &e); err != nil {
			return err
		}
		out[e.Outcome]++
		return nil
	})
	return out, err
}

// AcceptSnapshot is the second order guard of DESIGN.md §5 rule 3: it
// records that the object's stored state comes from a snapshot taken at
// `at`, and reports false (changing nothing) when a newer snapshot of the
// same object was already stored, so a late delivery never rolls state back.
func (t *Tx) AcceptSnapshot(objectID string, at time.Time) (bool, error) {
	b := t.tx.Bucket(bStripeSnapshots)
	if v := b.Get([]byte(objectID)); len(v) == 8 {
		if prev := int64(binary.BigEndian.Uint64(v)); prev > at.UnixNano() {
			return false, nil
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(at.UnixNano()))
	return true, b.Put([]byte(objectID), v[:])
}

// Event reads a ledger record in its own transaction.
func (s *Store) Event(ctx context.Context, id string) (e EventRecord, err error) {
	err = s.View(ctx, func(tx *Tx) error { e, err = tx.Event(id); return err })
	return
}

// timeKey is a big-endian nanosecond time followed by an id: keys sort by
// time, ties by id.
func timeKey(t time.Time, id string) []byte {
	k := make([]byte, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	copy(k[8:], id)
	return k
}

var keyLastSync = []byte("last_stripe_sync")

// LastSync is when reconciliation with Stripe last completed.
func (s *Store) LastSync(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.View(ctx, func(tx *Tx) error {
		if v := tx.tx.Bucket(bMeta).Get(keyLastSync); len(v) == 8 {
			t = time.Unix(0, int64(binary.BigEndian.Uint64(v)))
		}
		return nil
	})
	return t, err
}

// SetLastSync records a completed reconciliation.
func (s *Store) SetLastSync(ctx context.Context, at time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(at.UnixNano()))
		return tx.tx.Bucket(bMeta).Put(keyLastSync, v[:])
	})
}
