package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"vendo/app"
)

// HookRetryWindow is how long a delivery is retried before it is marked
// failed: three days from when it was queued (or resent).
const HookRetryWindow = 72 * time.Hour

// HookQueued is signalled (without blocking, at most one waiting signal)
// after a commit that queued a webhook delivery: the sender wakes on it
// rather than waiting for its next poll.
func (s *Store) HookQueued() <-chan struct{} { return s.hookQueued }

// PutHookEndpoint creates (empty ID) or updates an endpoint.
func (t *Tx) PutHookEndpoint(e *app.HookEndpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.ID == "" {
		e.ID = t.NewID("we_")
		e.CreatedAt = t.now
	}
	if e.Secret == "" {
		return fmt.Errorf("put webhook endpoint: no signing secret")
	}
	e.UpdatedAt = t.now
	return putRecord(t.tx.Bucket(bHookEndpoints), e.ID, e)
}

// HookEndpoint returns the endpoint with id.
func (t *Tx) HookEndpoint(id string) (app.HookEndpoint, error) {
	var e app.HookEndpoint
	found, err := getRecord(t.tx.Bucket(bHookEndpoints), id, &e)
	if err == nil && !found {
		err = notFound("webhook endpoint")
	}
	return e, err
}

// HookEndpoints lists every endpoint, oldest first (a shop has a handful).
func (t *Tx) HookEndpoints() ([]app.HookEndpoint, error) {
	var out []app.HookEndpoint
	err := t.tx.Bucket(bHookEndpoints).ForEach(func(k, v []byte) error {
		var e app.HookEndpoint
		if err := decode(v, &e); err != nil {
			return fmt.Errorf("webhook endpoint %s: %w", k, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// DeleteHookEndpoint removes an endpoint. Its pending deliveries stop
// (the sender finds no endpoint and marks them failed); the history stays.
func (t *Tx) DeleteHookEndpoint(id string) error {
	if _, err := t.HookEndpoint(id); err != nil {
		return err
	}
	return t.tx.Bucket(bHookEndpoints).Delete([]byte(id))
}

// QueueHook records that an event of type typ happened to the object
// objectID and queues a delivery of it to every enabled endpoint that
// listens to typ, inside the caller's transaction: a rolled-back change
// sends nothing, a committed one is on disk until it is delivered. data is
// the payload's "data". Without a listening endpoint nothing is written.
func (t *Tx) QueueHook(typ, objectID string, data any) error {
	if !slices.Contains(app.HookEventTypes, typ) {
		return fmt.Errorf("queue webhook: unknown event type %q", typ)
	}
	endpoints, err := t.HookEndpoints()
	if err != nil {
		return err
	}
	endpoints = slices.DeleteFunc(endpoints, func(e app.HookEndpoint) bool { return !e.Listens(typ) })
	if len(endpoints) == 0 {
		return nil
	}
	seq, err := t.nextHookSequence(objectID)
	if err != nil {
		return err
	}
	ev := app.HookEvent{ID: t.NewID("evt_"), Type: typ, ObjectID: objectID, Sequence: seq, Created: t.now}
	ev.Body, err = json.Marshal(app.HookPayload{ID: ev.ID, Type: typ, APIVersion: app.HookAPIVersion, Created: t.now.Unix(),
		Sequence: seq, Data: data})
	if err != nil {
		return fmt.Errorf("queue webhook %s: %w", typ, err)
	}
	if err := putRecord(t.tx.Bucket(bHookEvents), ev.ID, &ev); err != nil {
		return err
	}
	for _, e := range endpoints {
		d := app.HookDelivery{ID: t.NewID("whd_"), EndpointID: e.ID, URL: e.URL, EventID: ev.ID, EventType: typ, ObjectID: objectID,
			Status: app.HookPending, NextAttemptAt: t.now, RetryUntil: t.now.Add(HookRetryWindow), CreatedAt: t.now}
		if err := t.PutHookDelivery(&d); err != nil {
			return err
		}
	}
	t.WakeHooks()
	return nil
}

// WakeHooks signals HookQueued once this transaction commits (once
// however many deliveries it queued).
func (t *Tx) WakeHooks() {
	if t.hookDirty || t.hookWake == nil {
		return
	}
	t.hookDirty = true
	wake := t.hookWake
	t.OnCommit(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
}

// nextHookSequence is the object's next event number: 1, 2, 3, … in the
// order of the transactions that queued them (bbolt has one writer).
func (t *Tx) nextHookSequence(objectID string) (int64, error) {
	b := t.tx.Bucket(bHookSequences)
	var n uint64
	if v := b.Get([]byte(objectID)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	return int64(n), b.Put([]byte(objectID), binary.BigEndian.AppendUint64(nil, n))
}

// HookEvent returns the event with id.
func (t *Tx) HookEvent(id string) (app.HookEvent, error) {
	var e app.HookEvent
	found, err := getRecord(t.tx.Bucket(bHookEvents), id, &e)
	if err == nil && !found {
		err = notFound("webhook event")
	}
	return e, err
}

// PutHookDelivery stores a delivery and keeps the pending set and the
// dashboard's count of failed deliveries in step with its status.
func (t *Tx) PutHookDelivery(d *app.HookDelivery) error {
	if d.ID == "" {
		return fmt.Errorf("put webhook delivery: no id")
	}
	b := t.tx.Bucket(bHookDeliveries)
	var prev *app.HookDelivery
	var old app.HookDelivery
	if found, err := getRecord(b, d.ID, &old); err != nil {
		return err
	} else if found {
		prev = &old
	}
	if err := recordChange(t, (*statDelta).hookDelivery, prev, d); err != nil {
		return err
	}
	if err := putRecord(b, d.ID, d); err != nil {
		return err
	}
	pending, err := b.CreateBucketIfNotExists(bOutboxPending)
	if err != nil {
		return err
	}
	if d.Status == app.HookPending {
		return pending.Put([]byte(d.ID), nil)
	}
	return pending.Delete([]byte(d.ID))
}

// HookDelivery returns the delivery with id.
func (t *Tx) HookDelivery(id string) (app.HookDelivery, error) {
	var d app.HookDelivery
	found, err := getRecord(t.tx.Bucket(bHookDeliveries), id, &d)
	if err == nil && !found {
		err = notFound("webhook delivery")
	}
	return d, err
}

// DueHookDeliveries returns up to limit pending deliveries whose next
// attempt is due, oldest first, so one object's events go out in the
// order they happened, leaving out those to the endpoints skip names.
func (t *Tx) DueHookDeliveries(limit int, skip ...string) ([]app.HookDelivery, error) {
	b := t.tx.Bucket(bHookDeliveries)
	pending := b.Bucket(bOutboxPending)
	if pending == nil {
		return nil, nil
	}
	var out []app.HookDelivery
	c := pending.Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
		var d app.HookDelivery
		found, err := getRecord(b, string(k), &d)
		if err != nil {
			return nil, err
		}
		if found && d.Status == app.HookPending && !d.NextAttemptAt.After(t.now) && !slices.Contains(skip, d.EndpointID) {
			out = append(out, d)
		}
	}
	return out, nil
}

// NextHookAttempt is when the earliest pending delivery is due (zero when
// none is pending), so the sender can sleep until then.
func (t *Tx) NextHookAttempt() (time.Time, error) {
	b := t.tx.Bucket(bHookDeliveries)
	pending := b.Bucket(bOutboxPending)
	var next time.Time
	if pending == nil {
		return next, nil
	}
	err := pending.ForEach(func(k, _ []byte) error {
		var d app.HookDelivery
		found, err := getRecord(b, string(k), &d)
		if err != nil || !found {
			return err
		}
		if next.IsZero() || d.NextAttemptAt.Before(next) {
			next = d.NextAttemptAt
		}
		return nil
	})
	return next, err
}

// HookDeliveryFilter narrows HookDeliveries.
type HookDeliveryFilter struct {
	EndpointID string                 // empty means all
	Status     app.HookDeliveryStatus // empty means all
	Before     string                 // cursor: the last id of the previous page
	Limit      int                    // 0 means all
}

// HookDeliveries lists deliveries newest first, a page at a time.
func (t *Tx) HookDeliveries(f HookDeliveryFilter) ([]app.HookDelivery, string, error) {
	return newestFirst(t.tx.Bucket(bHookDeliveries), f.Before, f.Limit, func(d *app.HookDelivery) bool {
		return (f.EndpointID == "" || d.EndpointID == f.EndpointID) && (f.Status == "" || d.Status == f.Status)
	}, nil, func(d *app.HookDelivery) string { return d.ID })
}

// UpdateHookDelivery applies fn to a stored delivery and saves it.
func (s *Store) UpdateHookDelivery(ctx context.Context, id string, fn func(*app.HookDelivery)) error {
	return s.Update(ctx, func(tx *Tx) error {
		d, err := tx.HookDelivery(id)
		if err != nil {
			return err
		}
		fn(&d)
		return tx.PutHookDelivery(&d)
	})
}
