package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"
)

// receiver is the test's webhook endpoint: it verifies every delivery
// with stripe-go's webhook.ConstructEvent, as the shop does, and records
// what it accepted.
type receiver struct {
	mu        sync.Mutex
	secret    string
	failFirst int // answer 500 to this many deliveries first
	calls     int
	events    []stripe.Event
	raw       [][]byte // the bodies of the accepted deliveries, as sent
	bad       []string // deliveries whose signature did not verify
	notify    chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if rc.calls <= rc.failFirst {
		http.Error(w, "not yet", http.StatusInternalServerError)
		return
	}
	ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), rc.secret)
	if err != nil {
		rc.bad = append(rc.bad, err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.events = append(rc.events, ev)
	rc.raw = append(rc.raw, body)
	select {
	case rc.notify <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) snapshot() []stripe.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]stripe.Event(nil), rc.events...)
}

func (rc *receiver) types() []string {
	var out []string
	for _, ev := range rc.snapshot() {
		out = append(out, string(ev.Type))
	}
	return out
}

// waitFor waits until the receiver holds at least n events.
func (rc *receiver) waitFor(t *testing.T, n int) []stripe.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		evs := rc.snapshot()
		if len(evs) >= n {
			return evs
		}
		select {
		case <-rc.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waited for %d events, got %d: %v (bad signatures: %v)", n, len(evs), rc.types(), rc.bad)
		}
	}
}

// env is a sandbox served over real HTTP with a webhook receiver and a
// stripe-go client pointed at it.
type env struct {
	t      *testing.T
	sb     *Sandbox
	base   string // shop base URL
	dbPath string
	rc     *receiver
	api    *client.API
	http   *http.Client // does not follow redirects
	app    *fiber.App
	inner  atomic.Pointer[fiber.App]
	cfg    Config
	seen   int // events already checked by expect
	tape   *tape
}

// tape keeps every answer the sandbox's API gave, for the schema test.
type tape struct {
	mu      sync.Mutex
	answers []apiAnswer
}

type apiAnswer struct {
	method, path string
	status       int
	body         []byte
}

func (tp *tape) record(a apiAnswer) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.answers = append(tp.answers, a)
}

func (tp *tape) all() []apiAnswer {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]apiAnswer(nil), tp.answers...)
}

type envOption func(*Config, *receiver)

func withConfig(f func(*Config)) envOption { return func(c *Config, _ *receiver) { f(c) } }

func failFirst(n int) envOption { return func(_ *Config, rc *receiver) { rc.failFirst = n } }

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, rc: &receiver{notify: make(chan struct{}, 1)}, dbPath: filepath.Join(t.TempDir(), "stripe-sandbox.db"), tape: &tape{}}
	hook := &http.Server{Handler: e.rc}
	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hook.Serve(hookLn)
	t.Cleanup(func() { hook.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.base = "http://" + ln.Addr().String()
	e.cfg = Config{
		Path: e.dbPath, BaseURL: e.base, WebhookURL: "http://" + hookLn.Addr().String() + "/webhooks/stripe",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryBase: 20 * time.Millisecond, HTTPClient: &http.Client{Timeout: 5 * time.Second},
	}
	for _, o := range opts {
		o(&e.cfg, e.rc)
	}
	e.open(true)
	// The listener's app hands each request to the app of the sandbox
	// open now, so a test can Close and re-Open it at the same address.
	e.app = fiber.New(fiber.Config{DisableStartupMessage: true})
	e.app.Use(func(c *fiber.Ctx) error {
		e.inner.Load().Handler()(c.Context())
		if strings.HasPrefix(c.Path(), mountPath+"/v1/") {
			e.tape.record(apiAnswer{method: strings.Clone(c.Method()), path: strings.Clone(c.Path()), status: c.Response().StatusCode(), body: bytes.Clone(c.Response().Body())})
		}
		return nil
	})
	go e.app.Listener(ln)
	t.Cleanup(func() { _ = e.app.Shutdown() })
	t.Cleanup(func() {
		if e.sb != nil {
			_ = e.sb.Close()
		}
	})
	e.http = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	e.api = newClient(e.base+mountPath, e.sb.SecretKey()) // the listener, whatever the public base URL
	return e
}

// open opens the sandbox at e.cfg and routes the listener to it; start
// runs its workers (without, events stay queued).
func (e *env) open(start bool) {
	e.t.Helper()
	sb, err := Open(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.sb = sb
	inner := fiber.New(fiber.Config{DisableStartupMessage: true})
	sb.Mount(inner.Group(mountPath))
	e.inner.Store(inner)
	e.rc.mu.Lock()
	e.rc.secret = sb.WebhookSecret()
	e.rc.mu.Unlock()
	if start {
		e.start()
	}
}

func (e *env) start() {
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	e.sb.Start(ctx)
}

// key is the secret key the test's clients use.
func (e *env) key() string { return e.sb.SecretKey() }

func newClient(base, key string) *client.API {
	cfg := &stripe.BackendConfig{URL: stripe.String(base), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		MaxNetworkRetries: stripe.Int64(0), EnableTelemetry: stripe.Bool(false)}
	return client.New(key, &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, cfg)})
}

// reach turns a path or a URL at the sandbox's public base into one at
// its listener.
func (e *env) reach(path string) string {
	if rest, ok := strings.CutPrefix(path, e.cfg.BaseURL); ok && e.cfg.BaseURL != e.base {
		path = rest
	}
	if !strings.HasPrefix(path, "http") {
		path = e.base + path
	}
	return path
}

// postForm posts a hosted page form without following the redirect.
func (e *env) postForm(path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	path = e.reach(path)
	resp, err := e.http.PostForm(path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (e *env) get(path string) (*http.Response, string) {
	e.t.Helper()
	path = e.reach(path)
	resp, err := e.http.Get(path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func cardValues(number string) url.Values {
	return url.Values{"email": {"ada@example.com"}, "name": {"Ada Lovelace"}, "card_number": {number}, "exp": {"12/34"}, "cvc": {"123"}}
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

// expect waits for the next events and checks their types, in order,
// then checks no other event follows right away.
func (e *env) expect(types ...string) []stripe.Event {
	e.t.Helper()
	all := e.rc.waitFor(e.t, e.seen+len(types))
	time.Sleep(60 * time.Millisecond)
	all = e.rc.snapshot()
	got := all[e.seen:]
	var gotTypes []string
	for _, ev := range got {
		gotTypes = append(gotTypes, string(ev.Type))
	}
	if strings.Join(gotTypes, " ") != strings.Join(types, " ") {
		e.t.Fatalf("events:\n got  %v\n want %v", gotTypes, types)
	}
	e.seen = len(all)
	return got
}

// catalog creates a one-time product with two prices and a plan with
// monthly and yearly prices.
type catalog struct {
	product, plan, plan2          *stripe.Product
	poster, font, monthly, yearly *stripe.Price
	basicMonthly                  *stripe.Price
}

func (e *env) catalog() catalog {
	e.t.Helper()
	var c catalog
	var err error
	mk := func(name string) *stripe.Product {
		p, err := e.api.Products.New(&stripe.ProductParams{Name: stripe.String(name)})
		if err != nil {
			e.t.Fatal(err)
		}
		return p
	}
	price := func(prod string, amount int64, interval string) *stripe.Price {
		p := &stripe.PriceParams{Product: stripe.String(prod), UnitAmount: stripe.Int64(amount), Currency: stripe.String("usd")}
		if interval != "" {
			p.Recurring = &stripe.PriceRecurringParams{Interval: stripe.String(interval)}
		}
		pr, err := e.api.Prices.New(p)
		if err != nil {
			e.t.Fatal(err)
		}
		return pr
	}
	c.product, c.plan, c.plan2 = mk("Type Specimen Poster"), mk("Pro"), mk("Basic")
	c.poster, c.font = price(c.product.ID, 1500, ""), price(c.product.ID, 2500, "")
	c.monthly, c.yearly = price(c.plan.ID, 1200, "month"), price(c.plan.ID, 12000, "year")
	c.basicMonthly = price(c.plan2.ID, 500, "month")
	_ = err
	e.expect("product.created", "product.created", "product.created", "price.created", "price.created", "price.created", "price.created", "price.created")
	return c
}

// paymentSession starts a one-time Checkout the way the shop does.
func (e *env) paymentSession(c catalog) *stripe.CheckoutSession {
	e.t.Helper()
	p := &stripe.CheckoutSessionParams{
		Mode: stripe.String("payment"), SuccessURL: stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CancelURL: stripe.String("http://shop.test/cart"), ClientReferenceID: stripe.String("cart_9"), CustomerEmail: stripe.String("ada@example.com"),
		CustomerCreation: stripe.String("always"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{
			{Price: stripe.String(c.poster.ID), Quantity: stripe.Int64(2)}, {Price: stripe.String(c.font.ID), Quantity: stripe.Int64(1)}},
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: map[string]string{"vendo_cart": "cart_9"}},
	}
	p.AddMetadata("vendo_cart", "cart_9")
	s, err := e.api.CheckoutSessions.New(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// subscribe runs a subscription Checkout paid with number and returns
// the subscription.
func (e *env) subscribe(price *stripe.Price, number string) *stripe.Subscription {
	e.t.Helper()
	p := &stripe.CheckoutSessionParams{
		Mode: stripe.String("subscription"), SuccessURL: stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CancelURL: stripe.String("http://shop.test/plans"), CustomerEmail: stripe.String("ada@example.com"),
		LineItems:        []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}},
		SubscriptionData: &stripe.CheckoutSessionSubscriptionDataParams{Metadata: map[string]string{"vendo_plan": "pro"}},
	}
	s, err := e.api.CheckoutSessions.New(p)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, body := e.postForm(s.URL, cardValues(number))
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	gp := &stripe.CheckoutSessionParams{}
	gp.AddExpand("subscription")
	s, err = e.api.CheckoutSessions.Get(s.ID, gp)
	if err != nil {
		e.t.Fatal(err)
	}
	e.expect("customer.created", "payment_method.attached", "invoice.created", "invoice.finalized", "customer.subscription.created",
		"payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded", "checkout.session.completed")
	return s.Subscription
}

// advance moves the test clock through the HTTP control and returns the
// new sandbox time.
func (e *env) advance(d string) time.Time {
	e.t.Helper()
	resp, body := e.postForm(mountPath+"/clock", url.Values{"advance": {d}})
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("advance %s: %d %s", d, resp.StatusCode, body)
	}
	var out struct {
		Now  int64  `json:"now"`
		Time string `json:"time"`
	}
	decodeJSON(e.t, body, &out)
	return time.Unix(out.Now, 0)
}

func (e *env) sub(id string) *stripe.Subscription {
	e.t.Helper()
	p := &stripe.SubscriptionParams{}
	p.AddExpand("latest_invoice")
	s, err := e.api.Subscriptions.Get(id, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}
