package shop_test

import (
	"context"
	"encoding/json"
	"math/rand"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// hookBodies returns the queued webhook payloads of type typ, oldest first.
func hookBodies(t *testing.T, st *store.Store, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	st.View(context.Background(), func(tx *store.Tx) error {
		ds, _, _ := tx.HookDeliveries(store.HookDeliveryFilter{})
		for i := len(ds) - 1; i >= 0; i-- {
			if ds[i].EventType != typ {
				continue
			}
			ev, err := tx.HookEvent(ds[i].EventID)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			json.Unmarshal(ev.Body, &body)
			out = append(out, body)
		}
		return nil
	})
	return out
}

// A subscription's life, each stage's events delivered three times over,
// shuffled and concurrently: the merchant's endpoint gets one started, one
// changed (the cancellation, naming what it was before) and one ended,
// with the subscription's sequence 1, 2, 3.
func TestSubscriptionHooksOncePerCause(t *testing.T) {
	f := newSubFixture(t)
	ctx := context.Background()
	if _, err := f.shop.CreateHookEndpoint(ctx, shop.HookEndpointForm{URL: "https://tools.example.com/in", Events: app.HookEventTypes, Enabled: true}, "test"); err != nil {
		t.Fatal(err)
	}
	storm := func(types ...string) {
		var evs []string
		for range 3 {
			evs = append(evs, types...)
		}
		rand.New(rand.NewSource(3)).Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		var wg sync.WaitGroup
		for _, typ := range evs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, id := f.shop.HandleSubscriptionEvent, "sub_s1"
				if typ == "invoice.paid" {
					h, id = f.shop.HandleInvoiceEvent, "in_1"
				}
				if err := f.deliver(t, h, typ, id); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	start := time.Now().Add(-time.Hour)
	f.setSub("active", "price_pro_y", start, 365, false, "in_1")
	storm("customer.subscription.created", "invoice.paid", "customer.subscription.updated")
	f.setSub("active", "price_pro_y", start, 365, true, "in_1")
	storm("customer.subscription.updated")
	f.setSub("canceled", "price_pro_y", start, 365, false, "in_1")
	storm("customer.subscription.deleted", "customer.subscription.updated")

	started, changed, ended := hookBodies(t, f.store, app.HookSubscriptionStarted), hookBodies(t, f.store, app.HookSubscriptionChanged),
		hookBodies(t, f.store, app.HookSubscriptionEnded)
	if len(started) != 1 || len(changed) != 1 || len(ended) != 1 {
		t.Fatalf("%d started, %d changed, %d ended; want one each", len(started), len(changed), len(ended))
	}
	for i, b := range []map[string]any{started[0], changed[0], ended[0]} {
		if b["sequence"] != float64(i+1) {
			t.Errorf("event %d has sequence %v, want %d", i, b["sequence"], i+1)
		}
	}
	data := changed[0]["data"].(map[string]any)
	sub := data["subscription"].(map[string]any)
	prev, _ := data["previous_attributes"].(map[string]any)
	if sub["cancel_at_period_end"] != true || sub["plan"] != "pro" || sub["interval"] != "year" || prev["cancel_at_period_end"] != false {
		t.Fatalf("subscription.changed data %v", data)
	}
	if s := ended[0]["data"].(map[string]any)["subscription"].(map[string]any); s["status"] != "canceled" {
		t.Fatalf("subscription.ended data %v", s)
	}
}

// A webhook delivery that failed (three days without a 2xx) needs the
// admin's attention on the dashboard until it is resent; one that failed
// before the dashboard's window does not count.
func TestFailedHookDeliveriesNeedAttention(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.shop.CreateHookEndpoint(ctx, shop.HookEndpointForm{URL: "https://tools.example.com/in", Events: app.HookEventTypes, Enabled: true}, "test"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, email := range []string{"recent@example.com", "old@example.com"} {
		err := f.store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutCustomer(&app.Customer{Email: email}); err != nil { // customer.created
				return err
			}
			due, err := tx.DueHookDeliveries(0)
			ids = append(ids, due[len(due)-1].ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	dash := func() shop.Dashboard {
		t.Helper()
		d, err := f.shop.Dashboard(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := dash(); d.FailedHooks != 0 || d.NeedsAttention() != 0 {
		t.Fatalf("pending deliveries need attention: %d (%d)", d.FailedHooks, d.NeedsAttention())
	}
	fail := func(id string, at time.Time) {
		t.Helper()
		err := f.store.UpdateHookDelivery(ctx, id, func(d *app.HookDelivery) {
			d.Attempts = append(d.Attempts, app.HookAttempt{At: at, Status: 503})
			d.Status, d.FailedAt = app.HookFailed, at
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fail(ids[0], f.now.Add(-time.Hour))
	fail(ids[1], f.now.AddDate(0, 0, -shop.DashboardDays-5))
	if d := dash(); d.FailedHooks != 1 || d.NeedsAttention() != 1 {
		t.Fatalf("a failed delivery: %d failed hooks, %d need attention; want 1 and 1", d.FailedHooks, d.NeedsAttention())
	}
	if err := f.shop.ResendHookDelivery(ctx, ids[0], "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if d := dash(); d.FailedHooks != 0 || d.NeedsAttention() != 0 {
		t.Fatalf("after the resend: %d failed hooks, %d need attention; want 0", d.FailedHooks, d.NeedsAttention())
	}
}

// An order's story, each Stripe event delivered twice: the merchant's
// endpoint gets one order.paid, one order.disputed when the dispute
// opens (none as it is answered or won), and one order.refunded each
// time more is refunded, numbered 1 to 4 in that order.
func TestOrderHooksOncePerCause(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.shop.CreateHookEndpoint(ctx, shop.HookEndpointForm{URL: "https://tools.example.com/in", Events: app.HookEventTypes, Enabled: true}, "test"); err != nil {
		t.Fatal(err)
	}
	f.paidSession("cs_h", "hooked@example.com", 1)
	if _, err := f.shop.FulfilCheckout(ctx, "cs_h"); err != nil {
		t.Fatal(err)
	}
	twice := func(h webhook.Handler, typ, object string) {
		t.Helper()
		for range 2 {
			if err := f.deliver(t, h, typ, object); err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
		}
	}
	twice(f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_h")
	for _, st := range []struct{ status, typ string }{{"needs_response", "created"}, {"under_review", "updated"}, {"won", "closed"}} {
		f.setDispute("cs_h", st.status)
		twice(f.shop.HandlePaymentEvent, "charge.dispute."+st.typ, "dp_cs_h")
	}
	f.setCharge("cs_h", stripeapi.RefundInfo{ID: "re_a", Amount: 500, Status: "succeeded"})
	twice(f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_h")
	f.setCharge("cs_h", stripeapi.RefundInfo{ID: "re_a", Amount: 500, Status: "succeeded"}, stripeapi.RefundInfo{ID: "re_b", Amount: 700, Status: "succeeded"})
	twice(f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_h")

	paid, disputed, refunded := hookBodies(t, f.store, app.HookOrderPaid), hookBodies(t, f.store, app.HookOrderDisputed), hookBodies(t, f.store, app.HookOrderRefunded)
	if len(paid) != 1 || len(disputed) != 1 || len(refunded) != 2 {
		t.Fatalf("%d paid, %d disputed, %d refunded; want 1, 1, 2", len(paid), len(disputed), len(refunded))
	}
	order := func(b map[string]any) map[string]any { return b["data"].(map[string]any)["order"].(map[string]any) }
	for i, c := range []struct {
		body     map[string]any
		status   string
		refunded float64
	}{{paid[0], app.OrderPaid, 0}, {disputed[0], app.OrderDisputed, 0}, {refunded[0], app.OrderPartiallyRefunded, 500}, {refunded[1], app.OrderRefunded, 1200}} {
		o := order(c.body)
		if c.body["sequence"] != float64(i+1) || o["status"] != c.status || o["amount_refunded"].(map[string]any)["amount"] != c.refunded {
			t.Errorf("event %d (%s): sequence %v, order %v", i+1, c.body["type"], c.body["sequence"], o)
		}
	}
	if d, _ := order(disputed[0])["dispute"].(map[string]any); d["id"] != "dp_cs_h" || d["status"] != "needs_response" {
		t.Errorf("order.disputed names dispute %v", d)
	}
}
