package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"vendo/app"
	"vendo/app/store"
)

func addEndpoint(t *testing.T, st *store.Store, events ...string) app.HookEndpoint {
	t.Helper()
	e := app.HookEndpoint{URL: "https://tools.example.com/hook", Events: events, Enabled: true, Secret: "whsec_test"}
	if err := st.Update(context.Background(), func(tx *store.Tx) error { return tx.PutHookEndpoint(&e) }); err != nil {
		t.Fatal(err)
	}
	return e
}

func hookCounts(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	var n map[string]int
	st.View(context.Background(), func(tx *store.Tx) error { n = tx.CountRecords(); return nil })
	return n
}

// A change whose transaction rolls back queues nothing: no event, no
// delivery, no sequence number used, and the sender is not woken; the
// same change committed queues one delivery per listening endpoint.
func TestQueuedHookRollsBackWithItsChange(t *testing.T) {
	st, _, _ := openAcctStore(t)
	ctx := context.Background()
	addEndpoint(t, st, app.HookCustomerCreated)
	addEndpoint(t, st, app.HookOrderPaid) // not listening to customers
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx *store.Tx) error {
		c := app.Customer{Email: "gone@example.com"}
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		return boom // e.g. a later write of the same change failed
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	n := hookCounts(t, st)
	if n["hook_events"] != 0 || n["hook_deliveries"] != 0 || n["hook_sequences"] != 0 {
		t.Fatalf("a rolled-back change left webhook records: %v", n)
	}
	select {
	case <-st.HookQueued():
		t.Fatal("a rolled-back change woke the sender")
	default:
	}

	var c app.Customer
	if err := st.Update(ctx, func(tx *store.Tx) error { c = app.Customer{Email: "kept@example.com"}; return tx.PutCustomer(&c) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.HookQueued():
	default:
		t.Fatal("a committed change did not wake the sender")
	}
	var due []app.HookDelivery
	st.View(ctx, func(tx *store.Tx) (err error) { due, err = tx.DueHookDeliveries(0); return err })
	if len(due) != 1 || due[0].EventType != app.HookCustomerCreated || due[0].ObjectID != c.ID {
		t.Fatalf("due deliveries %+v", due)
	}
	// Updating the customer is not a creation.
	if err := st.Update(ctx, func(tx *store.Tx) error { c.Name = "Kept"; return tx.PutCustomer(&c) }); err != nil {
		t.Fatal(err)
	}
	st.View(ctx, func(tx *store.Tx) error {
		if all, _, _ := tx.HookDeliveries(store.HookDeliveryFilter{}); len(all) != 1 {
			t.Fatalf("%d deliveries after an update, want 1", len(all))
		}
		return nil
	})
}

// Each object's events are numbered 1, 2, 3 in the order their
// transactions committed, independently of other objects', and the body
// is the versioned payload.
func TestHookSequenceIsPerObject(t *testing.T) {
	st, clock, _ := openAcctStore(t)
	ctx := context.Background()
	addEndpoint(t, st, app.HookEventTypes...)
	for _, obj := range []string{"ord_a", "ord_b", "ord_a", "ord_a"} {
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.QueueHook(app.HookOrderRefunded, obj, map[string]any{"id": obj}) }); err != nil {
			t.Fatal(err)
		}
		clock.Advance(1e9)
	}
	var seqs = map[string][]int64{}
	st.View(ctx, func(tx *store.Tx) error {
		ds, _ := tx.DueHookDeliveries(0)
		for _, d := range ds {
			ev, err := tx.HookEvent(d.EventID)
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				APIVersion string `json:"api_version"`
				Sequence   int64  `json:"sequence"`
				Created    int64  `json:"created"`
			}
			json.Unmarshal(ev.Body, &p)
			if p.APIVersion != app.HookAPIVersion || p.Created != ev.Created.Unix() || p.Sequence != ev.Sequence {
				t.Errorf("payload %s", ev.Body)
			}
			seqs[d.ObjectID] = append(seqs[d.ObjectID], ev.Sequence)
		}
		return nil
	})
	if a, b := seqs["ord_a"], seqs["ord_b"]; len(a) != 3 || a[0] != 1 || a[1] != 2 || a[2] != 3 || len(b) != 1 || b[0] != 1 {
		t.Fatalf("sequences %v", seqs)
	}
}

// A disabled endpoint, or one that does not listen to the type, gets no
// delivery; an endpoint with a bad address or no events is refused.
func TestHookEndpointsChooseTheirEvents(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "v.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	off := addEndpoint(t, st, app.HookOrderPaid)
	off.Enabled = false
	st.Update(ctx, func(tx *store.Tx) error { return tx.PutHookEndpoint(&off) })
	addEndpoint(t, st, app.HookOrderRefunded)
	st.Update(ctx, func(tx *store.Tx) error { return tx.QueueHook(app.HookOrderPaid, "ord_1", nil) })
	if n := hookCounts(t, st); n["hook_deliveries"] != 0 {
		t.Fatalf("%d deliveries to a disabled or deaf endpoint", n["hook_deliveries"])
	}
	for _, bad := range []app.HookEndpoint{
		{URL: "ftp://x.example.com", Events: []string{app.HookOrderPaid}, Secret: "s"},
		{URL: "https://x.example.com", Secret: "s"},
		{URL: "https://x.example.com", Events: []string{"order.eaten"}, Secret: "s"},
		{URL: "https://user:pw@x.example.com", Events: []string{app.HookOrderPaid}, Secret: "s"},
	} {
		err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutHookEndpoint(&bad) })
		if app.ErrorCode(err) != app.EINVALID {
			t.Errorf("endpoint %+v: %v, want a validation error", bad, err)
		}
	}
}
