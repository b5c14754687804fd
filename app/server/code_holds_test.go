package server_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestALimitedCodeIsNeverInTwoPayableCheckouts: a code with one use left
// goes to one open Checkout at a time. A second buyer hears so on the
// cart and is not sent to Checkout (before, both Checkouts opened with
// the code and both paid with it: two uses of a one-use code); the first
// buyer's double click gets the same session, a changed cart a new one
// with the first closed at Stripe; an abandoned Checkout gives the use
// back when it expires, an hour on; a paid one uses it up.
func TestALimitedCodeIsNeverInTwoPayableCheckouts(t *testing.T) {
	t.Parallel()
	clock := vendotest.NewClock(time.Now())
	srv := vendotest.Start(t, vendotest.Options{Now: clock.Now})
	srv.Admin.SignInAdmin()
	createCode(t, srv, url.Values{"code": {"LASTONE"}, "name": {"Last one"}, "amount_off": {"2"}, "currency": {"usd"}, "max_redemptions": {"1"}})
	ctx := context.Background()
	sessionOf := func(u *url.URL) string {
		t.Helper()
		const at = "/sandbox/stripe/checkout/"
		if !strings.HasPrefix(u.Path, at) {
			t.Fatalf("not on the sandbox's Checkout: %s", u)
		}
		return strings.Trim(strings.TrimPrefix(u.Path, at), "/")
	}

	a := srv.NewClient()
	a.AddToCart("sunrise-wallpapers")
	a.Get("/cart?code=LASTONE")
	resp, page := a.Checkout()
	first := sessionOf(resp.Request.URL)
	mustContain(t, page, "Discount")

	// B, while A's Checkout is open: told on the cart, refused at
	// Checkout, nothing opened.
	b := srv.NewClient()
	b.AddToCart("sunrise-wallpapers")
	_, cart := b.Get("/cart?code=LASTONE")
	held := "Every use left of the code LASTONE is in another buyer"
	mustContain(t, cart, held)
	resp, body := b.Submit("/checkout", url.Values{})
	if resp.StatusCode != 422 || !strings.Contains(body, held) || strings.Contains(resp.Request.URL.Path, "/sandbox/") {
		t.Fatalf("B's checkout while A holds the code: %d at %s", resp.StatusCode, resp.Request.URL)
	}

	// A again, the same cart: the same session.
	if resp, _ := a.Checkout(); sessionOf(resp.Request.URL) != first {
		t.Fatalf("the same cart again opened %s, not %s", resp.Request.URL, first)
	}
	// A changes the cart: a new session, and the first can no longer be
	// paid.
	a.AddToCart("the-calm-inbox")
	resp, _ = a.Checkout()
	second := sessionOf(resp.Request.URL)
	if second == first {
		t.Fatal("a changed cart reopened the first session")
	}
	if s, err := srv.Shop.Stripe.GetCheckoutSession(ctx, first); err != nil || s.Status != "expired" {
		t.Fatalf("the replaced session: %q, %v; want expired", s.Status, err)
	}
	if _, cart := b.Get("/cart"); !strings.Contains(cart, held) {
		t.Fatal("B may use the code while A's new Checkout is open")
	}

	// A walks away. An hour on, A's Checkout has expired and the use is
	// B's: B pays with it.
	clock.Advance(61 * time.Minute)
	srv.AdvanceClock("61m")
	if s, err := srv.Shop.Stripe.GetCheckoutSession(ctx, second); err != nil || s.Status != "expired" {
		t.Fatalf("A's abandoned session after an hour: %q, %v; want expired", s.Status, err)
	}
	resp, page = b.Checkout()
	sessionOf(resp.Request.URL)
	mustContain(t, page, "Discount")
	if resp, _ := b.Pay("b@example.com", "4242 4242 4242 4242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("B pays: %s", resp.Request.URL)
	}
	vendotest.WaitFor(t, "B's order with the code", func() bool {
		for _, o := range ordersOf(t, srv.Store) {
			if o.DiscountCode == "LASTONE" && o.PaymentState() == app.PaymentPaid {
				return true
			}
		}
		return false
	})
	var holds int
	srv.Store.View(ctx, func(tx *store.Tx) (err error) { holds, err = tx.LiveCodeHolds("LASTONE", ""); return err })
	if holds != 0 {
		t.Fatalf("%d holds on LASTONE after B's payment; the order counts the use", holds)
	}
	c := srv.NewClient()
	c.AddToCart("sunrise-wallpapers")
	_, cart = c.Get("/cart?code=LASTONE")
	mustContain(t, cart, "The code LASTONE has been used as many times as it allows.")
}

// TestALimitedCodeCountsPlans: a subscription started with a limited
// code is one of its uses (before, only orders were counted, so a
// one-use code on a plan could be used by every customer until Stripe
// refused the Checkout), and its open Checkout holds the use meanwhile.
func TestALimitedCodeCountsPlans(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	createCode(t, srv, url.Values{"code": {"PLANONCE"}, "name": {"Plan once"}, "percent_off": {"10"}, "currency": {"usd"}, "max_redemptions": {"1"}})

	x := subscriber(srv, "x@example.com")
	x.Get("/plans?code=PLANONCE")
	resp, page := x.Submit("/subscribe", url.Values{"plan": {"pro"}, "interval": {"month"}})
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/") {
		t.Fatalf("X subscribes with PLANONCE: %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
	}
	y := subscriber(srv, "y@example.com")
	_, plans := y.Get("/plans?code=PLANONCE")
	mustContain(t, plans, html.EscapeString("Every use left of the code PLANONCE is in another buyer"))
	if resp, _ := x.Pay("x@example.com", "4242424242424242"); resp.Request.URL.Path != "/account" {
		t.Fatalf("X pays: %s", resp.Request.URL)
	}
	currentSub(t, srv, "x@example.com", "X's subscription", func(s app.Subscription) bool { return s.Fulfilled })
	used := html.EscapeString("The code PLANONCE has been used as many times as it allows.")
	_, plans = y.Get("/plans?code=PLANONCE")
	mustContain(t, plans, used)
	resp, body := y.Submit("/subscribe", url.Values{"plan": {"pro"}, "interval": {"month"}})
	if strings.Contains(resp.Request.URL.Path, "/sandbox/") || !strings.Contains(body, used) {
		t.Fatalf("Y subscribes with a used-up PLANONCE: %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	_, list := srv.Admin.Get("/admin/discounts")
	mustContain(t, list, "1 on plans")
}

// TestALimitedCodeIsHeldInStripeMode: the held Checkout's expires_at
// goes to Stripe (shop A's sandbox here, which checks Stripe's window of
// 30 minutes to 24 hours) and the session expires then; a second buyer
// is turned away while it is open.
func TestALimitedCodeIsHeldInStripeMode(t *testing.T) {
	t.Parallel()
	p := newPair(t, true, nil)
	b := p.b
	b.Admin.SignInAdmin()
	createCode(t, b, url.Values{"code": {"ONLYONE"}, "name": {"Only one"}, "percent_off": {"10"}, "currency": {"usd"}, "max_redemptions": {"1"}})

	first := p.browser()
	first.Get("/cart?code=ONLYONE")
	first.AddToCart("sunrise-wallpapers")
	resp, page := first.Checkout()
	const at = "/sandbox/stripe/checkout/"
	if !strings.HasPrefix(resp.Request.URL.String(), p.a.URL+at) {
		t.Fatalf("checkout landed on %s\n%.1000s", resp.Request.URL, page)
	}
	id := strings.Trim(strings.TrimPrefix(resp.Request.URL.Path, at), "/")
	s, err := p.api.CheckoutSessions.Get(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(time.Unix(s.ExpiresAt, 0)); left < 55*time.Minute || left > 61*time.Minute {
		t.Fatalf("the held session expires in %s; want the hold's hour", left)
	}
	second := p.browser()
	second.Get("/cart?code=ONLYONE")
	second.AddToCart("sunrise-wallpapers")
	resp, body := second.Checkout()
	if resp.StatusCode != 422 || !strings.Contains(body, "Every use left of the code ONLYONE") {
		t.Fatalf("the second buyer's checkout: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}
