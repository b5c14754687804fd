package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app/store"
	"vendo/app/vendotest"
)

// records counts what the shop's database holds, bucket by bucket.
func records(t *testing.T, s *vendotest.Shop) (map[string]int, int) {
	t.Helper()
	var per map[string]int
	if err := s.Store.View(context.Background(), func(tx *store.Tx) error { per = tx.CountRecords(); return nil }); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range per {
		total += n
	}
	return per, total
}

// TestAnonymousVisitorsLeaveNoRecords is issue 17, hole 5: every GET of
// /login, /login/email/<junk> or /auth/<anything> stored a seven-day
// session (500 GETs, 511 sessions), so anyone could grow the database
// without bound. No GET from a visitor who has not signed in writes; an
// unknown provider is a 404; a provider sign-in under way travels in a
// signed cookie.
func TestAnonymousVisitorsLeaveNoRecords(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{Env: map[string]string{"GITHUB_KEY": "gh-key", "GITHUB_SECRET": "gh-secret"}})
	invented := "/login/email/" + strings.Repeat("A", 22) + "." + strings.Repeat("B", 43)
	gets := []struct {
		path string
		want int
	}{
		{"/", 200}, {"/products", 200}, {"/products?q=calm", 200}, {"/products/the-calm-inbox", 200}, {"/plans", 200},
		{"/cart", 200}, {"/login", 200}, {"/login?next=/plans", 200}, {"/login/email/junk", http.StatusGone},
		{invented, http.StatusGone}, {"/auth/github?next=/plans", http.StatusSeeOther}, {"/auth/nope", http.StatusNotFound},
		{"/auth/nope/callback?state=x&code=y", http.StatusNotFound}, {"/auth/github/callback?state=x&code=y", http.StatusForbidden},
		{"/checkout/cancel", 200}, {"/account", http.StatusSeeOther}, {"/admin", http.StatusSeeOther},
	}
	// Warm up (the first page view may settle one-off records, like
	// settings), then count.
	shop.browser().Get("/")
	before, total := records(t, shop.Shop)

	sessionSet := regexp.MustCompile(`(?i)vendo_session=[^;]`)
	// Every path ten times over (17 and 10 share no factor, so each path
	// meets each i%10 once: eight GETs and the two posts): the hole wrote
	// a session per GET, dozens here against the handful allowed. A
	// thousand requests proved no more and cost six CPU-seconds.
	visits := 10 * len(gets)
	for i := 0; i < visits; i++ {
		c := shop.browser() // a new visitor each time, as a bot is
		var resp *http.Response
		switch g := gets[i%len(gets)]; {
		case i%10 == 9: // a forged form post: refused, nothing written
			resp, _ = c.Post("/cart/items", url.Values{"product": {"the-calm-inbox"}, "quantity": {"1"}})
		case i%10 == 8:
			resp, _ = c.Post("/login/email", url.Values{"email": {"bot@example.com"}})
		default:
			resp, _ = c.Get(g.path)
			// /auth/ is rate-limited per client address: after the first
			// few, a 429 (nothing written either).
			if i < 2*len(gets) && resp.StatusCode != g.want && !(strings.HasPrefix(g.path, "/auth/") && resp.StatusCode == http.StatusTooManyRequests) {
				t.Errorf("GET %s: %d, want %d", g.path, resp.StatusCode, g.want)
			}
		}
		for _, h := range resp.Header.Values("Set-Cookie") {
			if sessionSet.MatchString(h) {
				t.Fatalf("request %d (%s %s) set a session cookie: %s", i, resp.Request.Method, resp.Request.URL.Path, h)
			}
		}
	}
	after, total2 := records(t, shop.Shop)
	if total2-total > 3 {
		for name, n := range after {
			if n != before[name] {
				t.Errorf("%s: %d records → %d", name, before[name], n)
			}
		}
		t.Fatalf("%d anonymous requests left %d records, want at most a handful", visits, total2-total)
	}
}

// TestAbandonedCartsAreSwept: a visitor's cart is made at the first add,
// and once nobody has changed it for the cart lifetime (30 days unless
// VENDO_CART_LIFETIME says otherwise) the sweeper removes it.
func TestAbandonedCartsAreSwept(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{})
	ctx := context.Background()
	carts := func() int { per, _ := records(t, shop.Shop); return per["carts"] }

	b := shop.browser()
	_, body := b.Get("/products/the-calm-inbox")
	if carts() != 0 {
		t.Fatal("looking at a product made a cart")
	}
	product := regexp.MustCompile(`name="product" value="([^"]+)"`).FindStringSubmatch(body)[1]
	if resp, _ := b.Post("/cart/items", url.Values{"product": {product}, "quantity": {"1"}, "_csrf": {b.CSRF()}}); resp.StatusCode >= 400 {
		t.Fatalf("add to cart: %d", resp.StatusCode)
	}
	if carts() != 1 {
		t.Fatalf("%d carts after the first add, want 1", carts())
	}
	shop.clock.Advance(29 * 24 * time.Hour)
	if err := shop.Auth.Sweep(ctx); err != nil || carts() != 1 {
		t.Fatalf("after 29 days: %d carts (%v), want the cart kept", carts(), err)
	}
	shop.clock.Advance(2 * 24 * time.Hour)
	if err := shop.Auth.Sweep(ctx); err != nil || carts() != 0 {
		t.Fatalf("after 31 days: %d carts (%v), want none", carts(), err)
	}
	if _, page := b.Get("/cart"); !strings.Contains(strings.ToLower(page), "empty") {
		t.Error("the swept cart still shows items")
	}
}
