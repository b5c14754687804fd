package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76"
	stripewebhook "github.com/stripe/stripe-go/v76/webhook"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/webhook"
)

const secret = "whsec_test_secret"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture is a store, a ledger with test handlers and a real HTTP server
// whose only route is the webhook receiver.
type fixture struct {
	store  *store.Store
	ledger *webhook.Ledger
	url    string
	// truth is the fake Stripe API: the current state of each object.
	mu    sync.Mutex
	truth map[string]string
	// fetches counts re-fetches per object.
	fetches atomic.Int64
	// failNext makes the handler fail for an object id (once per entry).
	failNext map[string]int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(t.TempDir()+"/vendo.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: st, ledger: webhook.NewLedger(st, quiet), truth: map[string]string{}, failNext: map[string]int{}}

	// "test.grant": an effect per object that must happen exactly once, no
	// matter how often the event arrives. Effects are products whose slug
	// is unique per application, so a double application would show.
	f.ledger.Handle(func(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
		f.mu.Lock()
		if f.failNext[ev.ObjectID] > 0 {
			f.failNext[ev.ObjectID]--
			f.mu.Unlock()
			return nil, errors.New("stripe is down")
		}
		f.mu.Unlock()
		return func(tx *store.Tx) error {
			p := app.Product{Slug: "g-" + strings.ToLower(strings.ReplaceAll(tx.NewID(""), "_", "")), Title: "grant " + ev.ObjectID,
				Summary: ev.ObjectID, Price: app.Money{Amount: 100, Currency: "usd"}}
			return tx.PutProduct(&p)
		}, nil
	}, "test.grant")

	// "test.state": re-fetch the object's state from the fake API and
	// store it, guarded by the snapshot time (order safety).
	f.ledger.Handle(func(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
		f.fetches.Add(1)
		f.mu.Lock()
		state := f.truth[ev.ObjectID]
		f.mu.Unlock()
		fetched := time.Now()
		return func(tx *store.Tx) error {
			ok, err := tx.AcceptSnapshot(ev.ObjectID, fetched)
			if err != nil || !ok {
				return err
			}
			// The object's mirror: a record per object holding its state.
			p, err := tx.ProductBySlug("state-" + strings.ReplaceAll(ev.ObjectID, "_", "-"))
			if app.IsNotFound(err) {
				p, err = app.Product{Slug: "state-" + strings.ReplaceAll(ev.ObjectID, "_", "-"), Title: "state", Price: app.Money{Amount: 100, Currency: "usd"}}, nil
			}
			if err != nil {
				return err
			}
			p.Summary = state
			return tx.PutProduct(&p)
		}, nil
	}, "test.state")

	a := fiber.New(fiber.Config{DisableStartupMessage: true})
	rcv := &webhook.Receiver{Ledger: f.ledger, Secret: secret, Log: quiet}
	a.Post("/webhooks/stripe", rcv.Handle)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go a.Listener(ln)
	t.Cleanup(func() { a.Shutdown() })
	f.url = "http://" + ln.Addr().String() + "/webhooks/stripe"
	return f
}

func withTagline(tx *store.Tx, s string) app.Settings {
	set, _ := tx.Settings()
	set.Tagline = s
	return set
}

func eventJSON(id, typ, objectID string, created int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "created": created, "api_version": stripe.APIVersion, "livemode": false,
		"data": map[string]any{"object": map[string]any{"id": objectID, "object": "test_object"}},
	})
	return b
}

func sign(payload []byte, secret string, at time.Time) string {
	return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

func (f *fixture) post(t *testing.T, payload []byte, sigHeader string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", f.url, bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	if sigHeader != "" {
		req.Header.Set("Stripe-Signature", sigHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (f *fixture) ledgerSize(t *testing.T) int {
	t.Helper()
	n := 0
	f.store.View(context.Background(), func(tx *store.Tx) error {
		counts, err := tx.CountEvents()
		for _, c := range counts {
			n += c
		}
		return err
	})
	return n
}

func (f *fixture) grants(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	ps, _, err := f.store.Products(context.Background(), store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if strings.HasPrefix(p.Slug, "g-") {
			out[p.Summary]++
		}
	}
	return out
}

func TestBadSignaturesAreRefusedAndStoreNothing(t *testing.T) {
	f := newFixture(t)
	payload := eventJSON("evt_1", "test.grant", "obj_1", time.Now().Unix())
	tests := []struct {
		name    string
		payload []byte
		header  string
		want    int
	}{
		{"no signature", payload, "", 400},
		{"wrong secret", payload, sign(payload, "whsec_other", time.Now()), 400},
		{"stale timestamp", payload, sign(payload, secret, time.Now().Add(-6*time.Minute)), 400},
		{"tampered body", bytes.Replace(payload, []byte("obj_1"), []byte("obj_2"), 1), sign(payload, secret, time.Now()), 400},
		{"garbage header", payload, "t=abc,v1=zzz", 400},
		{"oversized", append(payload, bytes.Repeat([]byte(" "), webhook.MaxBody)...), sign(payload, secret, time.Now()), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.post(t, tt.payload, tt.header); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
	if n := f.ledgerSize(t); n != 0 {
		t.Fatalf("ledger has %d records after refused deliveries", n)
	}
	if g := f.grants(t); len(g) != 0 {
		t.Fatalf("effects after refused deliveries: %v", g)
	}
	// The same payload, correctly signed, is accepted.
	if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 200 {
		t.Fatalf("valid delivery: %d", got)
	}
	if g := f.grants(t); g["obj_1"] != 1 {
		t.Fatalf("grants after valid delivery: %v", g)
	}
}

func TestUnhandledTypesAreRecordedAsIgnored(t *testing.T) {
	f := newFixture(t)
	payload := eventJSON("evt_x", "customer.tax_id.created", "txi_1", time.Now().Unix())
	if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 200 {
		t.Fatalf("status %d", got)
	}
	rec, err := f.store.Event(context.Background(), "evt_x")
	found, err := app.Found(err)
	if err != nil || !found || rec.Outcome != store.EventIgnored || rec.Type != "customer.tax_id.created" || rec.ObjectID != "txi_1" {
		t.Fatalf("ledger record: %+v found=%v err=%v", rec, found, err)
	}
}

func TestHandlerFailureIsRecordedAnsweredWith500AndRetried(t *testing.T) {
	f := newFixture(t)
	f.failNext["obj_f"] = 2
	payload := eventJSON("evt_f", "test.grant", "obj_f", time.Now().Unix())
	for i := 0; i < 2; i++ {
		if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 500 {
			t.Fatalf("attempt %d: status %d, want 500", i+1, got)
		}
	}
	rec, _ := f.store.Event(context.Background(), "evt_f")
	if rec.Outcome != store.EventFailed || rec.Attempts != 2 || !strings.Contains(rec.Error, "stripe is down") {
		t.Fatalf("after failures: %+v", rec)
	}
	if g := f.grants(t); g["obj_f"] != 0 {
		t.Fatalf("failed attempts left effects: %v", g)
	}
	// Stripe retries; now the handler works.
	if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 200 {
		t.Fatalf("retry: %d", got)
	}
	rec, _ = f.store.Event(context.Background(), "evt_f")
	if rec.Outcome != store.EventApplied || rec.Attempts != 3 || rec.Error != "" {
		t.Fatalf("after retry: %+v", rec)
	}
	// A further duplicate changes nothing.
	f.post(t, payload, sign(payload, secret, time.Now()))
	if g := f.grants(t); g["obj_f"] != 1 {
		t.Fatalf("grants: %v", g)
	}
}

func TestApplyErrorRollsBackItsWrites(t *testing.T) {
	f := newFixture(t)
	f.ledger.Handle(func(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
		return func(tx *store.Tx) error {
			p := app.Product{Slug: "half-written", Title: "half", Price: app.Money{Amount: 100, Currency: "usd"}}
			if err := tx.PutProduct(&p); err != nil {
				return err
			}
			return errors.New("second write failed")
		}, nil
	}, "test.half")
	payload := eventJSON("evt_h", "test.half", "obj_h", time.Now().Unix())
	if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 500 {
		t.Fatalf("status %d, want 500", got)
	}
	if _, err := f.store.ProductBySlug(context.Background(), "half-written"); !app.IsNotFound(err) {
		t.Fatalf("the failed handler's first write survived: %v", err)
	}
	rec, _ := f.store.Event(context.Background(), "evt_h")
	if rec.Outcome != store.EventFailed {
		t.Fatalf("outcome %q, want failed", rec.Outcome)
	}
}

// TestShuffledConcurrentRedeliveryEqualsOneInOrderDelivery is the ledger's
// main promise: the same 200-event history delivered three times, shuffled,
// from 16 concurrent senders, ends in the same state as one delivery in
// order, with every effect exactly once.
func TestShuffledConcurrentRedeliveryEqualsOneInOrderDelivery(t *testing.T) {
	history := func() [][]byte {
		var h [][]byte
		now := time.Now().Unix()
		for i := 0; i < 200; i++ {
			if i%2 == 0 {
				h = append(h, eventJSON(fmt.Sprintf("evt_g%03d", i), "test.grant", fmt.Sprintf("obj_%03d", i), now))
			} else {
				h = append(h, eventJSON(fmt.Sprintf("evt_s%03d", i), "test.state", fmt.Sprintf("sub_%d", i%7), now))
			}
		}
		return h
	}()
	// The API's state of each object is what its last event led to; the
	// handlers re-fetch it, so delivery order must not change the outcome.
	truth := map[string]string{}
	for i := 1; i < 200; i += 2 {
		truth[fmt.Sprintf("sub_%d", i%7)] = fmt.Sprintf("state-after-event-%03d", i)
	}

	// Reference: one delivery, in order, one at a time.
	ref := newFixture(t)
	ref.truth = truth
	for _, p := range history {
		if got := ref.post(t, p, sign(p, secret, time.Now())); got != 200 {
			t.Fatalf("reference delivery: %d", got)
		}
	}

	// Storm: three copies, shuffled, 16 senders.
	storm := newFixture(t)
	storm.truth = truth
	var all [][]byte
	for r := 0; r < 3; r++ {
		all = append(all, history...)
	}
	rand.New(rand.NewSource(42)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	work := make(chan []byte)
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				if got := storm.post(t, p, sign(p, secret, time.Now())); got != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	for _, p := range all {
		work <- p
	}
	close(work)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d deliveries were not answered 200", bad.Load())
	}

	if a, b := ref.ledgerSize(t), storm.ledgerSize(t); a != 200 || b != 200 {
		t.Fatalf("ledger sizes: reference %d, storm %d, want 200", a, b)
	}
	refGrants, stormGrants := ref.grants(t), storm.grants(t)
	if len(stormGrants) != 100 {
		t.Fatalf("storm granted %d objects, want 100", len(stormGrants))
	}
	for obj, n := range stormGrants {
		if n != 1 || refGrants[obj] != 1 {
			t.Fatalf("object %s granted %d times (reference %d)", obj, n, refGrants[obj])
		}
	}
	// Every state event re-fetched the truth, so each object's mirror ends
	// on the API's current state in both runs: the same final state.
	for id, want := range truth {
		for name, f := range map[string]*fixture{"reference": ref, "storm": storm} {
			p, err := f.store.ProductBySlug(context.Background(), "state-"+strings.ReplaceAll(id, "_", "-"))
			if err != nil || p.Summary != want {
				t.Fatalf("%s: %s ended as %q (%v), want %q", name, id, p.Summary, err, want)
			}
		}
	}
}

func TestOlderSnapshotNeverOverwritesNewer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0 := time.Now()
	apply := func(at time.Time, state string) {
		f.store.Update(ctx, func(tx *store.Tx) error {
			ok, err := tx.AcceptSnapshot("sub_1", at)
			if err != nil || !ok {
				return err
			}
			return tx.PutSettings(withTagline(tx, state))
		})
	}
	apply(t0.Add(2*time.Second), "newer")
	apply(t0, "older") // arrives late
	s, _ := f.store.Settings(ctx)
	if s.Tagline != "newer" {
		t.Fatalf("state %q: an older snapshot overwrote a newer one", s.Tagline)
	}
	apply(t0.Add(3*time.Second), "newest")
	s, _ = f.store.Settings(ctx)
	if s.Tagline != "newest" {
		t.Fatalf("state %q, want newest", s.Tagline)
	}
}

func TestReplayRerunsARecordedEvent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.failNext["obj_r"] = 1
	payload := eventJSON("evt_r", "test.grant", "obj_r", time.Now().Unix())
	if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 500 {
		t.Fatalf("first delivery: %d", got)
	}
	res, err := f.ledger.Replay(ctx, "evt_r")
	if err != nil || res.Outcome != store.EventApplied {
		t.Fatalf("replay: %+v %v", res, err)
	}
	rec, _ := f.store.Event(ctx, "evt_r")
	if rec.Outcome != store.EventApplied || rec.Source != "replay" {
		t.Fatalf("after replay: %+v", rec)
	}
	if g := f.grants(t); g["obj_r"] != 1 {
		t.Fatalf("grants after replay: %v", g)
	}
	if _, err := f.ledger.Replay(ctx, "evt_nope"); err == nil {
		t.Fatal("replaying an unknown event should fail")
	}
}

// TestHandlersCanIgnoreWithAReason: a handler that finds the object is not
// the shop's (DESIGN.md §5 rule 9) says so, before or inside the ledger's
// transaction. The event is recorded as ignored with the reason, answered
// 200 (Stripe stops retrying), whatever the Apply wrote before deciding is
// rolled back, a redelivery is a duplicate, and reconciliation does not
// count it as a failure.
func TestHandlersCanIgnoreWithAReason(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const why = "not created by this shop"
	f.ledger.Handle(func(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
		return nil, webhook.Ignore(why)
	}, "test.foreign_early")
	f.ledger.Handle(func(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
		return func(tx *store.Tx) error {
			// A write before the decision: it must not survive.
			p := app.Product{Slug: "half-written", Title: "half", Price: app.Money{Amount: 100, Currency: "usd"}}
			if err := tx.PutProduct(&p); err != nil {
				return err
			}
			return fmt.Errorf("look: %w", webhook.Ignore(why))
		}, nil
	}, "test.foreign_late")

	for _, typ := range []string{"test.foreign_early", "test.foreign_late"} {
		t.Run(typ, func(t *testing.T) {
			id := "evt_" + typ
			payload := eventJSON(id, typ, "obj_theirs", time.Now().Unix())
			for i := range 2 {
				if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 200 {
					t.Fatalf("delivery %d: %d, want 200", i+1, got)
				}
			}
			rec, err := f.store.Event(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Outcome != store.EventIgnored || rec.Reason != why || rec.Attempts != 1 || rec.Error != "" {
				t.Fatalf("ledger record: outcome %q reason %q attempts %d error %q; want ignored, %q, 1 attempt", rec.Outcome, rec.Reason, rec.Attempts, rec.Error, why)
			}
			if _, err := f.store.ProductBySlug(ctx, "half-written"); !app.IsNotFound(err) {
				t.Fatalf("the handler's write before it ignored the event was kept (%v)", err)
			}
			res, err := f.ledger.Replay(ctx, id)
			if err != nil || res.Outcome != store.EventIgnored || res.Reason != why {
				t.Fatalf("replay: %+v %v", res, err)
			}
			res, err = f.ledger.Reconcile(ctx, typ, "obj_theirs")
			if err != nil || res.Outcome != store.EventIgnored || res.Reason != why {
				t.Fatalf("reconcile: %+v, %v; want ignored (%s) without an error", res, err, why)
			}
		})
	}

	// Filtering the ledger by the reason finds exactly these two.
	var recs []store.EventRecord
	f.store.View(ctx, func(tx *store.Tx) (err error) {
		recs, _, err = tx.Events(store.EventFilter{Outcome: store.EventIgnored, Reason: why})
		return err
	})
	if len(recs) != 2 {
		t.Fatalf("%d events ignored as %q, want 2", len(recs), why)
	}

	// An event type no handler takes is ignored too, and says why.
	payload := eventJSON("evt_unhandled", "test.nobody", "obj_1", time.Now().Unix())
	if got := f.post(t, payload, sign(payload, secret, time.Now())); got != 200 {
		t.Fatalf("unhandled type: %d", got)
	}
	if rec, _ := f.store.Event(ctx, "evt_unhandled"); rec.Outcome != store.EventIgnored || rec.Reason != store.ReasonUnhandled {
		t.Fatalf("unhandled type recorded as %q (%q)", rec.Outcome, rec.Reason)
	}
}
