package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/hooks"
	"vendo/app/server"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// received is one request the test receiver took, signature checked.
type received struct {
	Type     string
	EventID  string
	Sequence int64
	Created  int64
	ObjectID string
	Data     map[string]any
	Answer   int // what the receiver answered (0: it let the request time out)
}

// hookReceiver is the merchant's endpoint in a test: a real HTTP server
// that checks each delivery's Vendo-Signature against the endpoint's
// secret at the test clock's time, and answers as scripted per event type.
type hookReceiver struct {
	*httptest.Server
	t      *testing.T
	clock  *vendotest.Clock
	mu     sync.Mutex
	secret string
	got    []received
	// script is the answers, in turn, to an event type's deliveries: a
	// status, or 0 to hang until the sender gives up; 200 once it runs out.
	script map[string][]int
}

func newHookReceiver(t *testing.T, clock *vendotest.Clock) *hookReceiver {
	r := &hookReceiver{t: t, clock: clock, script: map[string][]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	if err := hooks.Verify(req.Header.Get(hooks.SignatureHeader), secret, body, r.clock.Now(), 5*time.Minute); err != nil {
		r.t.Errorf("receiver: bad signature %q: %v", req.Header.Get(hooks.SignatureHeader), err)
		http.Error(w, "bad signature", 400)
		return
	}
	var p struct {
		ID         string         `json:"id"`
		Type       string         `json:"type"`
		APIVersion string         `json:"api_version"`
		Created    int64          `json:"created"`
		Sequence   int64          `json:"sequence"`
		Data       map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.APIVersion != app.HookAPIVersion || p.ID == "" {
		r.t.Errorf("receiver: payload %s (%v)", body, err)
	}
	if req.Header.Get("Vendo-Event-Id") != p.ID || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("receiver: headers %v for event %s", req.Header, p.ID)
	}
	rec := received{Type: p.Type, EventID: p.ID, Sequence: p.Sequence, Created: p.Created, Data: p.Data, Answer: 200}
	for _, k := range []string{"order", "subscription", "license", "customer"} {
		if o, ok := p.Data[k].(map[string]any); ok {
			rec.ObjectID, _ = o["id"].(string)
			break
		}
	}
	r.mu.Lock()
	if s := r.script[p.Type]; len(s) > 0 {
		rec.Answer, r.script[p.Type] = s[0], s[1:]
	}
	r.got = append(r.got, rec)
	r.mu.Unlock()
	switch rec.Answer {
	case 0:
		select { // hang: the sender's timeout ends the attempt
		case <-req.Context().Done():
		case <-time.After(10 * time.Second):
		}
	case 200:
		io.WriteString(w, `{"ok":true}`)
	default:
		w.WriteHeader(rec.Answer)
		io.WriteString(w, "the receiver is down for maintenance")
	}
}

// of returns what the receiver took of type typ, in arrival order.
func (r *hookReceiver) of(typ string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.Type == typ {
			out = append(out, g)
		}
	}
	return out
}

// deliveriesOf lists the stored deliveries of type typ, oldest first.
func deliveriesOf(t *testing.T, st *store.Store, typ string) []app.HookDelivery {
	t.Helper()
	var out []app.HookDelivery
	st.View(context.Background(), func(tx *store.Tx) error {
		ds, _, err := tx.HookDeliveries(store.HookDeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for i := len(ds) - 1; i >= 0; i-- {
			if ds[i].EventType == typ {
				out = append(out, ds[i])
			}
		}
		return nil
	})
	return out
}

// TestOutgoingWebhooksSignedRetriedOnceAndInOrder buys a licensed product
// while the sandbox delivers each Stripe event twice and shuffled, with
// the merchant's endpoint listening to every event: the receiver checks
// each signature; order.paid is answered 500, then let time out, then
// 200, and is retried on the backoff driven by the test clock (no real
// sleeping); replaying the Stripe event adds no second order.paid; the
// licence's and the order's later events carry increasing per-object
// sequence numbers; a change that rolled back is never received.
func TestOutgoingWebhooksSignedRetriedOnceAndInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := vendotest.NewClock(time.Now().Truncate(time.Second))
	srv := vendotest.Start(t, vendotest.Options{Now: clock.Now,
		Env:   map[string]string{"VENDO_SANDBOX_DELIVER_TWICE": "1", "VENDO_SANDBOX_SHUFFLE": "4"},
		Setup: func(s *server.Server) { s.Hooks = nil }}) // the test drives its own sender
	rec := newHookReceiver(t, clock)
	rec.script[app.HookOrderPaid] = []int{500, 0}
	ep, err := srv.Shop.CreateHookEndpoint(ctx, shop.HookEndpointForm{URL: rec.URL + "/hooks", Events: app.HookEventTypes, Enabled: true}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.Secret, shop.HookSecretPrefix) {
		t.Fatalf("endpoint secret %q", ep.Secret)
	}
	rec.secret = ep.Secret
	sender := hooks.New(hooks.Config{Store: srv.Store, Timeout: 300 * time.Millisecond, Log: slog.New(slog.NewTextHandler(srv.Log, nil))})
	queuedAt := clock.Now()

	buyer := srv.NewClient()
	buyer.AddToCart("field-notes-icon-pack")
	resp, _ := buyer.Checkout()
	sessionID := path.Base(resp.Request.URL.Path)
	if resp, _ := buyer.Pay("hooked@example.com", "4242424242424242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("after paying: %s", resp.Request.URL)
	}
	var order app.Order
	vendotest.WaitFor(t, "both deliveries of checkout.session.completed", func() bool {
		return ledgerCount(srv.Store, "checkout.session.completed") == 1
	})
	srv.Store.View(ctx, func(tx *store.Tx) (err error) { order, err = tx.OrderByCheckoutSession(sessionID); return err })
	if order.Status != app.OrderPaid {
		t.Fatalf("order %+v", order)
	}

	// First attempt: customer.created is taken, order.paid gets a 500.
	if n, err := sender.Flush(ctx); err != nil || n != 1 {
		t.Fatalf("first flush delivered %d (%v), want 1 (customer.created)", n, err)
	}
	paid := deliveriesOf(t, srv.Store, app.HookOrderPaid)
	if len(paid) != 1 || paid[0].Status != app.HookPending || len(paid[0].Attempts) != 1 || paid[0].Attempts[0].Status != 500 ||
		!strings.Contains(paid[0].Attempts[0].Response, "maintenance") || !paid[0].NextAttemptAt.Equal(clock.Now().Add(hooks.Backoff(1))) {
		t.Fatalf("after a 500: %+v", paid)
	}
	// Not due yet: nothing is sent.
	if n, _ := sender.Flush(ctx); n != 0 || len(rec.of(app.HookOrderPaid)) != 1 {
		t.Fatalf("a delivery went out before its backoff: %d, %+v", n, rec.of(app.HookOrderPaid))
	}
	// Due: the receiver hangs, the attempt times out.
	clock.Advance(hooks.Backoff(1))
	if n, _ := sender.Flush(ctx); n != 0 {
		t.Fatal("a timed-out attempt counted as delivered")
	}
	paid = deliveriesOf(t, srv.Store, app.HookOrderPaid)
	if a := paid[0].Attempts; len(a) != 2 || a[1].Status != 0 || !strings.Contains(a[1].Error, "timeout") ||
		!paid[0].NextAttemptAt.Equal(clock.Now().Add(hooks.Backoff(2))) {
		t.Fatalf("after a timeout: %+v", paid[0])
	}
	clock.Advance(hooks.Backoff(2))
	if n, _ := sender.Flush(ctx); n != 1 {
		t.Fatalf("third attempt delivered %d, want 1", n)
	}
	paid = deliveriesOf(t, srv.Store, app.HookOrderPaid)
	if paid[0].Status != app.HookDelivered || len(paid[0].Attempts) != 3 || paid[0].Attempts[2].Status != 200 {
		t.Fatalf("after a 200: %+v", paid[0])
	}
	got := rec.of(app.HookOrderPaid)
	if len(got) != 3 || got[0].EventID != got[2].EventID || got[2].Sequence != 1 || got[2].ObjectID != order.ID || got[2].Created != queuedAt.Unix() {
		t.Fatalf("order.paid as received: %+v (order %s, queued at %d)", got, order.ID, queuedAt.Unix())
	}
	if o := got[2].Data["order"].(map[string]any); o["status"] != "paid" || o["email"] != "hooked@example.com" {
		t.Fatalf("order.paid data %+v", o)
	}
	if c := rec.of(app.HookCustomerCreated); len(c) != 1 || c[0].ObjectID != order.CustomerID || c[0].Sequence != 1 {
		t.Fatalf("customer.created as received: %+v", c)
	}

	// The Stripe event again, replayed and redelivered: no second order.paid.
	var evID string
	srv.Store.View(ctx, func(tx *store.Tx) error {
		es, _, _ := tx.Events(store.EventFilter{Type: "checkout.session.completed"})
		evID = es[0].ID
		return nil
	})
	if _, err := srv.Ledger.Replay(ctx, evID); err != nil {
		t.Fatal(err)
	}
	srv.AdvanceClock("0s") // anything the sandbox still had due goes out
	if n := len(deliveriesOf(t, srv.Store, app.HookOrderPaid)); n != 1 {
		t.Fatalf("%d order.paid deliveries after a replay, want 1", n)
	}

	// The licence: activated then deactivated, sequence 1 then 2.
	var lic app.License
	srv.Store.View(ctx, func(tx *store.Tx) error {
		lics, _ := tx.LicensesOf(order.CustomerID)
		lic = lics[0]
		return nil
	})
	act, err := srv.Shop.ActivateLicense(ctx, lic.Key, "studio-mac", "")
	if err != nil || !act.Activated {
		t.Fatalf("activate: %+v %v", act, err)
	}
	clock.Advance(2 * time.Second)
	if _, err := srv.Shop.DeactivateLicense(ctx, lic.Key, act.Instance.ID, ""); err != nil {
		t.Fatal(err)
	}
	// Refunded at the admin's request: order.refunded is the order's second event.
	if _, err := srv.Shop.Refund(ctx, order.ID, 0, "requested_by_customer", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	vendotest.WaitFor(t, "the refund to reach the order", func() bool {
		o, _ := srv.Store.Order(ctx, order.ID)
		return o.Status == app.OrderRefunded
	})
	// A change that rolls back announces nothing: a customer made in a
	// transaction that then failed.
	rolledBack := errors.New("a later write of the same change failed")
	err = srv.Store.Update(ctx, func(tx *store.Tx) error {
		c := app.Customer{Email: "never@example.com"}
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatalf("the rolled-back change: %v", err)
	}
	if _, err := sender.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.of(app.HookCustomerCreated) {
		if c.ObjectID != order.CustomerID {
			t.Fatalf("the receiver heard of a rolled-back customer: %+v", c)
		}
	}
	on, off := rec.of(app.HookLicenseActivated), rec.of(app.HookLicenseDeactivated)
	if len(on) != 1 || len(off) != 1 || on[0].ObjectID != lic.ID || on[0].Sequence != 1 || off[0].Sequence != 2 || off[0].Created < on[0].Created+2 {
		t.Fatalf("licence events: activated %+v, deactivated %+v", on, off)
	}
	if in := off[0].Data["instance"].(map[string]any); in["id"] != act.Instance.ID || in["name"] != "studio-mac" {
		t.Fatalf("license.deactivated names instance %+v", in)
	}
	refunded := rec.of(app.HookOrderRefunded)
	if len(refunded) != 1 || refunded[0].ObjectID != order.ID || refunded[0].Sequence != 2 {
		t.Fatalf("order.refunded as received: %+v", refunded)
	}
	if n := len(rec.of(app.HookOrderPaid)); n != 3 {
		t.Fatalf("order.paid was received %d times, want 3 (two failed attempts and the delivery)", n)
	}
	if strings.Contains(srv.Log.String(), ep.Secret) {
		t.Fatal("the log holds the endpoint's signing secret")
	}
}
