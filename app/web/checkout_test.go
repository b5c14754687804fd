package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"vendo/app"
	"vendo/app/server"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/vendotest"
)

// buy signs a browser in as email (unless email is ""), buys slug with
// the good card and returns the success page's URL and body.
func buy(t *testing.T, s *vendotest.Shop, c *vendotest.Client, email, slug string) (string, string) {
	t.Helper()
	if email != "" {
		c.SignIn(email)
	} else {
		email = "anonymous-buyer@example.com"
	}
	c.AddToCart(slug)
	c.Checkout()
	resp, page := c.Pay(email, "4242 4242 4242 4242")
	if resp.Request.URL.Path != "/checkout/success" || !strings.Contains(page, "Thank you") {
		t.Fatalf("after paying: %s (%d)\n%.800s", resp.Request.URL, resp.StatusCode, page)
	}
	return resp.Request.URL.String(), page
}

func setCookie(c *vendotest.Client, base, name, value string) {
	u, _ := url.Parse(base)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// TestSuccessPageTrustsOnlyTheBuyersSignedCart is issue 17, hole 2: a
// signed-in buyer's cart id was cart_c_<customer id>, the customer id
// could be read from any download link, and the success page believed a
// vendo_cart cookie saying so: a stranger with the success URL saw the
// buyer's email and fresh download links. The cookie is now signed, and
// download links carry no customer id.
func TestSuccessPageTrustsOnlyTheBuyersSignedCart(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	buyer := s.NewClient()
	successURL, page := buy(t, s, buyer, "victim@example.com", "the-calm-inbox")
	if !downloadRE.MatchString(page) {
		t.Fatalf("the buyer's success page has no download links:\n%.1200s", page)
	}
	cust, err := s.Store.CustomerByEmail(ctx, "victim@example.com")
	if err != nil {
		t.Fatal(err)
	}

	// No link that leaves the shop names the customer.
	for _, m := range downloadRE.FindAllStringSubmatch(page, -1) {
		token := m[1][strings.LastIndex(m[1], "/")+1:]
		payload, _, _ := strings.Cut(token, ".")
		raw, _ := base64.RawURLEncoding.DecodeString(payload)
		if strings.Contains(token, cust.ID) || strings.Contains(string(raw), cust.ID) {
			t.Errorf("a download token names the customer %s: %q", cust.ID, raw)
		}
	}

	// The attack, and its variations: the forged cookie; the same with a
	// signature taken from a real cookie; an old, unsigned anonymous
	// cookie for the right cart (an anonymous buyer's, below).
	stranger := s.NewClient()
	stranger.AddToCart("sunrise-wallpapers") // a genuine signed cookie of its own
	own := stranger.Cookie("vendo_cart")
	_, sig, _ := strings.Cut(own, ".")
	for _, forged := range []string{app.CustomerCartID(cust.ID), app.CustomerCartID(cust.ID) + "." + sig, own} {
		setCookie(stranger, s.URL, "vendo_cart", forged)
		_, page := stranger.Get(successURL)
		if strings.Contains(page, "victim@example.com") || downloadRE.MatchString(page) || !strings.Contains(page, "is paid") {
			t.Errorf("with vendo_cart=%q a stranger sees:\n%.1200s", forged, page)
		}
	}

	// An anonymous buyer still sees their order (their browser's signed
	// cart became it); the cart id alone, unsigned, shows nothing.
	anon := s.NewClient()
	anonURL, page := buy(t, s, anon, "", "sunrise-wallpapers")
	if !downloadRE.MatchString(page) {
		t.Fatalf("the anonymous buyer's success page has no download links")
	}
	var cartID string
	s.Store.View(ctx, func(tx *store.Tx) error {
		os, _, _ := tx.Orders(store.OrderFilter{})
		for _, o := range os {
			if o.Email == "anonymous-buyer@example.com" {
				cartID = o.CartID
			}
		}
		return nil
	})
	if cartID == "" {
		t.Fatal("the anonymous order has no cart id")
	}
	other := s.NewClient()
	setCookie(other, s.URL, "vendo_cart", cartID)
	if _, page := other.Get(anonURL); strings.Contains(page, "anonymous-buyer@example.com") || downloadRE.MatchString(page) {
		t.Errorf("the bare cart id %q opened the anonymous buyer's order", cartID)
	}
}

// countingStripe counts the asks for checkout sessions Stripe did not
// answer with one (not found, or refused as malformed). Asks for real
// sessions are left out whenever they happen: the
// purchase's webhook deliveries (checkout.session.completed and the
// events after it) re-fetch the real session at any time, also after
// the test took its baseline.
type countingStripe struct {
	shop.Payments
	mu      sync.Mutex
	unknown []string
}

func (c *countingStripe) GetCheckoutSession(ctx context.Context, id string) (stripeapi.Session, error) {
	sess, err := c.Payments.GetCheckoutSession(ctx, id)
	if err != nil {
		// Recorded before the shop's answer goes out, so a page that
		// answered has been counted.
		c.mu.Lock()
		c.unknown = append(c.unknown, id)
		c.mu.Unlock()
	}
	return sess, err
}

// calls counts the asks for unknown sessions so far, and lists them for
// a failure's message.
func (c *countingStripe) calls() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.unknown), append([]string(nil), c.unknown...)
}

// TestUnknownCheckoutSessionsCostOneStripeCall is issue 17, hole 10: each
// unknown session_id on the success page cost a Stripe API call. Stripe's
// "no such session" is remembered for a while, ids that cannot be
// Stripe's cost nothing, and the per-client limit still holds for ids
// that are new each time.
func TestUnknownCheckoutSessionsCostOneStripeCall(t *testing.T) {
	t.Parallel()
	counter := &countingStripe{}
	s := vendotest.Start(t, vendotest.Options{Setup: func(srv *server.Server) {
		counter.Payments = srv.Shop.Stripe
		srv.Shop.Stripe = counter
	}})
	c := s.NewClient()
	// A real purchase shows its order (only ids Stripe said it does not
	// know are remembered).
	if _, page := buy(t, s, s.NewClient(), "", "the-calm-inbox"); !downloadRE.MatchString(page) {
		t.Error("a real purchase's success page has no downloads")
	}
	before, _ := counter.calls()

	for i := 0; i < 5; i++ {
		if resp, _ := c.Get("/checkout/success?session_id=cs_test_nosuchsession"); resp.StatusCode != 404 {
			t.Fatalf("an unknown session: %d, want 404", resp.StatusCode)
		}
	}
	if n, ids := counter.calls(); n-before != 1 {
		t.Errorf("five visits for one unknown session asked Stripe %d times, want once (asked for %q)", n-before, ids)
	}
	// Ids Stripe never makes: no call at all.
	for _, id := range []string{"cs_", "cs_test_a%2Fb", "cs_test_" + strings.Repeat("a", 300), "CS_TEST_UPPER", "cs_test_a.b", "cs_test_a-b"} {
		if resp, _ := c.Get("/checkout/success?session_id=" + id); resp.StatusCode != 404 {
			t.Errorf("session_id=%q: %d, want 404", id, resp.StatusCode)
		}
	}
	if n, ids := counter.calls(); n-before != 1 {
		t.Errorf("malformed ids asked Stripe: %d calls, want still 1 (asked for %q)", n-before, ids)
	}
	// The variation: a new id each time. The per-client limit (60 a
	// minute, the visits above included) bounds the calls.
	limited := 0
	for i := 0; i < 70; i++ {
		if resp, _ := c.Get(fmt.Sprintf("/checkout/success?session_id=cs_test_guess%d", i)); resp.StatusCode == 429 {
			limited++
		}
	}
	if n, _ := counter.calls(); n-before > 60 || limited < 10 {
		t.Errorf("70 new ids: %d Stripe calls, %d limited; want at most 60 calls and at least 10 refusals", n-before, limited)
	}
}
