package sandbox

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// endpointReceiver starts another webhook receiver, as a second shop
// would run, and returns it with its URL. Its secret is set once the
// endpoint is registered.
func (e *env) endpointReceiver(failFirst int) (*receiver, string) {
	e.t.Helper()
	rc := &receiver{notify: make(chan struct{}, 1), failFirst: failFirst}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	srv := &http.Server{Handler: rc}
	go srv.Serve(ln)
	e.t.Cleanup(func() { srv.Close() })
	return rc, "http://" + ln.Addr().String() + "/webhooks/stripe"
}

func (e *env) register(url string, events ...string) *stripe.WebhookEndpoint {
	e.t.Helper()
	we, err := e.api.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String(url), EnabledEvents: stripe.StringSlice(events)})
	if err != nil {
		e.t.Fatal(err)
	}
	return we
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

func TestWebhookEndpointsAPI(t *testing.T) {
	e := newEnv(t)
	we, err := e.api.WebhookEndpoints.New(&stripe.WebhookEndpointParams{
		URL: stripe.String("https://shop-b.example/webhooks/stripe"), EnabledEvents: stripe.StringSlice([]string{"checkout.session.completed", "invoice.paid"}),
		Description: stripe.String("shop B"), APIVersion: stripe.String(stripe.APIVersion),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(we.ID, "we_") || !strings.HasPrefix(we.Secret, "whsec_") || len(we.Secret) < 30 || we.Status != "enabled" ||
		we.URL != "https://shop-b.example/webhooks/stripe" || we.APIVersion != stripe.APIVersion || we.Description != "shop B" ||
		!slices.Equal(we.EnabledEvents, []string{"checkout.session.completed", "invoice.paid"}) {
		t.Fatalf("created endpoint: %+v", we)
	}
	// The secret is shown once, at creation.
	got, err := e.api.WebhookEndpoints.Get(we.ID, nil)
	if err != nil || got.Secret != "" || got.URL != we.URL {
		t.Fatalf("retrieved endpoint: %+v %v", got, err)
	}
	upd, err := e.api.WebhookEndpoints.Update(we.ID, &stripe.WebhookEndpointParams{EnabledEvents: stripe.StringSlice([]string{"*"}), Disabled: stripe.Bool(true)})
	if err != nil || upd.Status != "disabled" || !slices.Equal(upd.EnabledEvents, []string{"*"}) || upd.Secret != "" {
		t.Fatalf("updated endpoint: %+v %v", upd, err)
	}
	second := e.register("http://127.0.0.1:9/hook", "customer.created")
	var ids []string
	for it := e.api.WebhookEndpoints.List(&stripe.WebhookEndpointListParams{}); it.Next(); {
		ids = append(ids, it.WebhookEndpoint().ID)
		if it.WebhookEndpoint().Secret != "" {
			t.Error("a listed endpoint shows its secret")
		}
	}
	if !slices.Equal(ids, []string{second.ID, we.ID}) {
		t.Errorf("list: %v, want newest first", ids)
	}
	del, err := e.api.WebhookEndpoints.Del(we.ID, nil)
	if err != nil || !del.Deleted || del.ID != we.ID {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, err = e.api.WebhookEndpoints.Get(we.ID, nil)
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 404 || se.Code != "resource_missing" {
		t.Errorf("deleted endpoint: %v", err)
	}

	// Bad input gets Stripe's errors and creates nothing.
	for _, tc := range []struct {
		name  string
		p     *stripe.WebhookEndpointParams
		param string
	}{
		{"no url", &stripe.WebhookEndpointParams{EnabledEvents: stripe.StringSlice([]string{"*"})}, "url"},
		{"no events", &stripe.WebhookEndpointParams{URL: stripe.String("https://b.example/hook")}, "enabled_events"},
		{"relative url", &stripe.WebhookEndpointParams{URL: stripe.String("/hook"), EnabledEvents: stripe.StringSlice([]string{"*"})}, "url"},
		{"ftp url", &stripe.WebhookEndpointParams{URL: stripe.String("ftp://b.example/hook"), EnabledEvents: stripe.StringSlice([]string{"*"})}, "url"},
		{"bad event", &stripe.WebhookEndpointParams{URL: stripe.String("https://b.example/hook"), EnabledEvents: stripe.StringSlice([]string{"invoice paid"})}, "enabled_events[0]"},
		{"other version", &stripe.WebhookEndpointParams{URL: stripe.String("https://b.example/hook"), EnabledEvents: stripe.StringSlice([]string{"*"}), APIVersion: stripe.String("2020-08-27")}, "api_version"},
	} {
		_, err := e.api.WebhookEndpoints.New(tc.p)
		if !errors.As(err, &se) || se.HTTPStatusCode != 400 || se.Param != tc.param {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	n := 0
	for it := e.api.WebhookEndpoints.List(&stripe.WebhookEndpointListParams{}); it.Next(); {
		n++
	}
	if n != 1 {
		t.Errorf("%d endpoints after bad requests, want 1", n)
	}
}

// TestEndpointsGetTheirOwnSignedDeliveries registers two endpoints
// beside the shop's own webhook: one for two event types, one for every
// event that fails its first deliveries. Each gets exactly its events,
// signed with its own secret, and retries only its own failures.
func TestEndpointsGetTheirOwnSignedDeliveries(t *testing.T) {
	e := newEnv(t)
	some, someURL := e.endpointReceiver(0)
	all, allURL := e.endpointReceiver(2)
	weSome := e.register(someURL, "checkout.session.completed", "charge.succeeded")
	weAll := e.register(allURL, "*")
	some.setSecret(weSome.Secret)
	all.setSecret(weAll.Secret)
	off := e.register(someURL, "*")
	if _, err := e.api.WebhookEndpoints.Update(off.ID, &stripe.WebhookEndpointParams{Disabled: stripe.Bool(true)}); err != nil {
		t.Fatal(err)
	}

	c := e.catalog()
	s := e.paymentSession(c)
	if resp, body := e.postForm(s.URL, cardValues("4242424242424242")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", resp.StatusCode, body)
	}
	shop := e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
	gotSome := some.waitFor(t, 2)
	gotAll := all.waitFor(t, 8+len(shop))
	time.Sleep(100 * time.Millisecond)
	if types := some.types(); !slices.Equal(types, []string{"charge.succeeded", "checkout.session.completed"}) {
		t.Errorf("endpoint for two types got %v (the disabled one must add nothing)", types)
	}
	if len(all.snapshot()) != 8+len(shop) || len(all.bad) != 0 || len(some.bad) != 0 {
		t.Errorf("endpoint for every event got %d events, bad signatures %v %v", len(all.snapshot()), all.bad, some.bad)
	}
	if gotSome[1].ID != shop[5].ID || gotAll[len(gotAll)-1].Type != "checkout.session.completed" {
		t.Errorf("endpoints got other events than the shop: %s vs %s", gotSome[1].ID, shop[5].ID)
	}
	// The shop's receiver verifies with the shop's secret only: it would
	// have refused a copy signed for an endpoint.
	if len(e.rc.bad) != 0 {
		t.Errorf("shop receiver refused deliveries: %v", e.rc.bad)
	}

	// pending_webhooks counts each destination until it has the event.
	ev, err := e.api.Events.Get(shop[5].ID, nil)
	if err != nil || ev.PendingWebhooks != 0 {
		t.Errorf("pending_webhooks: %+v %v", ev, err)
	}
	// Each destination has its own log: the failing endpoint's two
	// refusals were retried for it alone.
	byEndpoint := map[string]int{}
	for _, raw := range e.allEvents() {
		var ev struct {
			ID string `json:"id"`
		}
		decodeJSON(t, string(raw), &ev)
		_ = e.sb.view(func(tx *txn) error {
			for _, a := range tx.attempts(ev.ID) {
				byEndpoint[a.Endpoint]++
			}
			return nil
		})
	}
	if byEndpoint[""] != len(gotAll) || byEndpoint[weAll.ID] != len(gotAll)+2 || byEndpoint[weSome.ID] != 2 || len(byEndpoint) != 3 {
		t.Errorf("attempts by endpoint: %v, want the shop %d, the failing endpoint %d, the other 2", byEndpoint, len(gotAll), len(gotAll)+2)
	}
	_, page := e.get(mountPath + "/events")
	for _, want := range []string{weSome.ID, weAll.ID, allURL, "this shop", "disabled"} {
		if !strings.Contains(page, want) {
			t.Errorf("events page lacks %q", want)
		}
	}

	// A deleted endpoint gets nothing more.
	if _, err := e.api.WebhookEndpoints.Del(weAll.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.Customers.New(&stripe.CustomerParams{}); err != nil {
		t.Fatal(err)
	}
	e.expect("customer.created")
	time.Sleep(100 * time.Millisecond)
	if n := len(all.snapshot()); n != 8+len(shop) {
		t.Errorf("deleted endpoint got %d events, want %d", n, 8+len(shop))
	}
}

// TestHostedURLsAreTheSandboxsAndRedirectsTheCallers: a shop in Stripe
// mode elsewhere calls this sandbox. Every hosted page it is given lives
// at the sandbox's public base URL, and every way back is the URL the
// caller passed, never this sandbox's own shop.
func TestHostedURLsAreTheSandboxsAndRedirectsTheCallers(t *testing.T) {
	const public = "https://stripe-a.example"
	e := newEnv(t, withConfig(func(c *Config) { c.BaseURL = public }))
	c := e.catalog()

	s := e.paymentSession(c) // success and cancel URLs on http://shop.test
	if !strings.HasPrefix(s.URL, public+"/sandbox/stripe/checkout/cs_test_") {
		t.Errorf("checkout URL %s", s.URL)
	}
	_, page := e.get(s.URL)
	if !strings.Contains(page, `href="http://shop.test/cart"`) || strings.Contains(page, `href="/"`) {
		t.Error("the checkout page's way back is not the caller's cancel URL")
	}
	resp, _ := e.postForm(s.URL, cardValues("4242424242424242"))
	if got := resp.Header.Get("Location"); got != "http://shop.test/checkout/success?session_id="+s.ID {
		t.Errorf("after paying: %q", got)
	}
	e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")

	sub := e.subscribe(c.monthly, "4242424242424242")
	inv := e.sub(sub.ID).LatestInvoice
	if !strings.HasPrefix(inv.HostedInvoiceURL, public+"/sandbox/stripe/invoices/in_") || !strings.HasPrefix(inv.InvoicePDF, public+"/sandbox/stripe/invoices/in_") {
		t.Errorf("invoice URLs %s %s", inv.HostedInvoiceURL, inv.InvoicePDF)
	}
	portal := e.portal(c, sub.Customer.ID)
	if !strings.HasPrefix(portal, public+"/sandbox/stripe/portal/bps_") {
		t.Errorf("portal URL %s", portal)
	}
	_, page = e.get(portal)
	if !strings.Contains(page, `href="http://shop.test/account"`) {
		t.Error("the portal's way back is not the caller's return URL")
	}
	// The portal's own forms and redirects stay on the sandbox.
	resp, _ = e.postForm(portal+"/cancel", url.Values{"subscription": {sub.ID}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/sandbox/stripe/portal/bps_") {
		t.Errorf("portal cancel: %d to %q", resp.StatusCode, loc)
	}
}
