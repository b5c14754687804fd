package stripeapi_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"vendo/app/stripeapi"
)

// stripeStub answers every GET with body and counts the requests and the
// expansions asked for.
func stripeStub(t *testing.T, body string) (*stripeapi.Client, *atomic.Int64, *atomic.Value) {
	t.Helper()
	var n atomic.Int64
	var expand atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		var ex []string
		for k, v := range r.URL.Query() {
			if strings.HasPrefix(k, "expand[") {
				ex = append(ex, v...)
			}
		}
		slices.Sort(ex)
		expand.Store(ex)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return stripeapi.New(stripeapi.Config{SecretKey: "sk_test_x", APIBase: srv.URL, Log: quiet}), &n, &expand
}

// TestSessionComesWithItsPayment: an order's truth — the session and its
// payment with the charge's refunds — is one round trip to Stripe, not
// two in a row (a webhook's re-fetch waits for each: bench scenario 7).
func TestSessionComesWithItsPayment(t *testing.T) {
	c, n, expand := stripeStub(t, `{"id":"cs_1","object":"checkout.session","mode":"payment","status":"complete","payment_status":"paid",
		"amount_total":1200,"currency":"usd","line_items":{"object":"list","data":[],"has_more":false},
		"total_details":{"amount_discount":300,"amount_shipping":0,"amount_tax":0,"breakdown":{"taxes":[],"discounts":[{"amount":300,
			"discount":{"id":"di_1","object":"discount","promotion_code":"promo_1","start":1,
				"coupon":{"id":"co_1","object":"coupon","percent_off":20,"metadata":{"vendo_id":"SPRING20"}}}}]}},
		"payment_intent":{"id":"pi_1","object":"payment_intent","status":"succeeded","amount":1200,"currency":"usd",
			"latest_charge":{"id":"ch_1","object":"charge","amount_refunded":200,"disputed":false,
				"refunds":{"object":"list","has_more":false,"data":[{"id":"re_1","object":"refund","amount":200,"status":"succeeded","currency":"usd"}]}}}}`)
	s, err := c.GetCheckoutSession(context.Background(), "cs_1")
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("%d requests, want 1", got)
	}
	// The breakdown names the coupon of a code typed on Checkout.
	if got := fmt.Sprint(expand.Load()); got != "[line_items payment_intent.latest_charge.refunds total_details.breakdown]" {
		t.Errorf("expanded %s", got)
	}
	if s.AmountDiscount != 300 || s.CouponVendoID != "SPRING20" {
		t.Errorf("discount %d of coupon %q, want 300 of SPRING20's", s.AmountDiscount, s.CouponVendoID)
	}
	p := s.Payment
	if s.PaymentIntentID != "pi_1" || p == nil || p.IntentID != "pi_1" || p.Status != "succeeded" || p.ChargeID != "ch_1" ||
		p.AmountRefunded != 200 || len(p.Refunds) != 1 || p.Refunds[0].Amount != 200 || p.FetchedAt.IsZero() {
		t.Fatalf("session %+v with payment %+v", s, p)
	}
}

// A session whose payment_intent is only an id (a stub, an older answer)
// has no Payment: the shop then reads it on its own.
func TestSessionWithoutExpandedPayment(t *testing.T) {
	c, _, _ := stripeStub(t, `{"id":"cs_1","object":"checkout.session","mode":"payment","status":"complete","payment_intent":"pi_1"}`)
	s, err := c.GetCheckoutSession(context.Background(), "cs_1")
	if err != nil {
		t.Fatal(err)
	}
	if s.PaymentIntentID != "pi_1" || s.Payment != nil {
		t.Fatalf("session %+v", s)
	}
}

// TestSubscriptionComesWithItsLatestInvoice: likewise a subscription's
// truth is one round trip.
func TestSubscriptionComesWithItsLatestInvoice(t *testing.T) {
	c, n, expand := stripeStub(t, `{"id":"sub_1","object":"subscription","status":"active","customer":"cus_1",
		"latest_invoice":{"id":"in_1","object":"invoice","status":"paid","paid":true,"amount_paid":900,"currency":"usd","subscription":"sub_1"}}`)
	s, err := c.GetSubscription(context.Background(), "sub_1")
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("%d requests, want 1", got)
	}
	if got := fmt.Sprint(expand.Load()); got != "[latest_invoice]" {
		t.Errorf("expanded %s", got)
	}
	in := s.LatestInvoice
	if s.LatestInvoiceID != "in_1" || in == nil || in.ID != "in_1" || !in.Paid || in.AmountPaid != 900 || in.SubscriptionID != "sub_1" {
		t.Fatalf("subscription %+v with invoice %+v", s, in)
	}
}

// TestConcurrentCallsReuseTheirConnections: 32 webhooks re-fetching at
// once, twice; the second round finds the first round's connections open
// and dials none (net/http's default kept two per host, so most calls
// dialed Stripe, and shook hands with it, every time).
func TestConcurrentCallsReuseTheirConnections(t *testing.T) {
	var dials atomic.Int64
	var inFlight sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Done()
		inFlight.Wait() // every call of the round holds its connection until all arrived
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"cs_1","object":"checkout.session","mode":"payment","status":"complete"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_x", APIBase: srv.URL, Log: quiet})
	const calls = 32
	for round := range 2 {
		inFlight.Add(calls)
		var wg sync.WaitGroup
		for range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.GetCheckoutSession(context.Background(), "cs_1"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := dials.Load(); got != calls {
			t.Fatalf("after round %d: %d connections dialed, want %d", round+1, got, calls)
		}
	}
}
