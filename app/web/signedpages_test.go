package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

var pageTokenRE = regexp.MustCompile(`hx-headers='\{"X-CSRF-Token": "([^"]+)"\}'`)

// pageToken is the CSRF token a page's layout carries, "" for none.
func pageToken(page string) string {
	if m := pageTokenRE.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// downloadLinkRE matches a download link's token, signed anew for every
// page that shows it.
var downloadLinkRE = regexp.MustCompile(`/downloads/[^"]+`)

// signedPage is one visitor's view of a path, fetched twice (the second
// from the signed-in page cache when the first filled it), both answers
// checked to be the same but for the download links' signatures.
func signedPage(t *testing.T, c *vendotest.Client, path string) string {
	t.Helper()
	resp, first := c.Get(path)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%.600s", path, resp.StatusCode, first)
	}
	resp, second := c.Get(path)
	if resp.StatusCode != 200 || downloadLinkRE.ReplaceAllString(second, "") != downloadLinkRE.ReplaceAllString(first, "") {
		t.Fatalf("GET %s twice: %d, the pages differ:\n%s\n----\n%s", path, resp.StatusCode, first, second)
	}
	return second
}

// Signed-in pages come from a cache keyed by what they show of the
// visitor (issue 21): two customers, one owning a product and one not,
// and an anonymous visitor each see only their own header, token, buy
// box and cards, and a purchase, a refund, a cart and a plan show on the
// very next request.
func TestSignedInPagesAreEachVisitorsOwn(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	ps, _, err := shop.Store.Products(ctx, store.ProductFilter{Status: store.ProductActive, Limit: 12})
	if err != nil {
		t.Fatal(err)
	}
	var paid, other app.Product // the newest paid products: on the catalog's first page
	for _, p := range ps {
		if p.Price.Amount > 0 && len(p.Files) > 0 && !p.PayWhatYouWant {
			if paid.ID == "" {
				paid = p
			} else if other.ID == "" {
				other = p
			}
		}
	}
	if other.ID == "" {
		t.Fatal("the demo has fewer than two paid products with files on the catalog's first page")
	}
	productPath := "/products/" + paid.Slug
	a, b, anon := shop.NewClient(), shop.NewClient(), shop.NewClient()
	a.SignIn("owner@example.com")
	b.SignIn("browser@example.com")

	owned := func(page string) bool { return strings.Contains(page, "In your library") }
	cardOwned := regexp.MustCompile(`id="card-action-` + regexp.QuoteMeta(paid.Slug) + `">\s*<a class="owned-link"`)
	check := func(when string) (pa, pb, pn string) {
		t.Helper()
		// b first: its page is the one a leak would hand to a.
		pb, pa, pn = signedPage(t, b, productPath), signedPage(t, a, productPath), signedPage(t, anon, productPath)
		ta, tb := pageToken(pa), pageToken(pb)
		if ta == "" || tb == "" || ta == tb {
			t.Fatalf("%s: tokens a %q, b %q: each signed-in page needs its visitor's own", when, ta, tb)
		}
		for name, page := range map[string]string{"a": pa, "b": pb, "anonymous": pn} {
			if (name != "a" && strings.Contains(page, ta)) || (name != "b" && strings.Contains(page, tb)) {
				t.Errorf("%s: %s's page carries another visitor's token", when, name)
			}
			signedIn := strings.Contains(page, `href="/account"`)
			if signedIn != (name != "anonymous") {
				t.Errorf("%s: %s's page shows the account link: %v", when, name, signedIn)
			}
			if strings.Contains(page, "owner@example.com") || strings.Contains(page, "browser@example.com") {
				t.Errorf("%s: %s's product page shows an email", when, name)
			}
		}
		if strings.Contains(pb, "/downloads/") || strings.Contains(pn, "/downloads/") {
			t.Errorf("%s: a download link on a page of a visitor who does not own the product", when)
		}
		if owned(pb) || owned(pn) {
			t.Errorf("%s: the product shows as owned to a visitor who does not own it", when)
		}
		return pa, pb, pn
	}

	pa, _, _ := check("before the purchase")
	if owned(pa) {
		t.Fatal("before the purchase: a owns the product")
	}
	for _, c := range []*vendotest.Client{b, a} {
		if page := signedPage(t, c, "/products"); cardOwned.MatchString(page) {
			t.Fatal("before the purchase: the catalog marks the product as owned")
		}
	}

	// a buys it: the next page shows it in a's library, with its links;
	// b's and the anonymous visitor's pages do not.
	a.AddToCart(paid.Slug)
	if _, page := a.Get("/products/" + other.Slug); !strings.Contains(page, `aria-label="1 items in cart"`) {
		t.Fatalf("a's header after adding to the cart:\n%.2000s", page)
	}
	if page := signedPage(t, b, "/products/"+other.Slug); !strings.Contains(page, `aria-label="0 items in cart"`) {
		t.Fatalf("b's header shows a's cart:\n%.2000s", page)
	}
	a.Checkout()
	if resp, page := a.Pay("owner@example.com", "4242424242424242"); resp.StatusCode != 200 {
		t.Fatalf("pay: %d\n%.600s", resp.StatusCode, page)
	}
	pa, _, _ = check("after the purchase")
	if !owned(pa) || !strings.Contains(pa, "/downloads/") {
		t.Fatalf("after the purchase: a's product page does not show it in the library:\n%s", pa)
	}
	if page := signedPage(t, b, "/products"); cardOwned.MatchString(page) {
		t.Fatal("after the purchase: b's catalog marks a's product as owned")
	}
	if page := signedPage(t, a, "/products"); !cardOwned.MatchString(page) {
		t.Fatalf("after the purchase: a's catalog does not mark the product as owned:\n%s", page)
	}

	// A refund takes it back: the next page offers it again.
	var order app.Order
	shop.Store.View(ctx, func(tx *store.Tx) error {
		os, _, err := tx.Orders(store.OrderFilter{})
		if len(os) > 0 {
			order = os[0]
		}
		return err
	})
	if order.ID == "" {
		t.Fatal("no order after paying")
	}
	if _, err := shop.Shop.Refund(ctx, order.ID, 0, "requested_by_customer", "test"); err != nil {
		t.Fatal(err)
	}
	vendotest.WaitFor(t, "the refund to revoke the product", func() bool {
		es, _ := shop.Store.EntitlementsOf(ctx, order.CustomerID, true)
		return len(es) == 0
	})
	pa, _, _ = check("after the refund")
	if owned(pa) || strings.Contains(pa, "/downloads/") {
		t.Fatalf("after the refund: a's product page still shows it as owned:\n%s", pa)
	}
	if page := signedPage(t, a, "/products"); cardOwned.MatchString(page) {
		t.Fatal("after the refund: a's catalog still marks the product as owned")
	}

	// b subscribes: b's pages offer credits and name b's plan; a's do not.
	b.Subscribe("pro", "month", "4242424242424242")
	bc, err := shop.Store.CustomerByEmail(ctx, "browser@example.com")
	if err != nil {
		t.Fatal(err)
	}
	vendotest.WaitFor(t, "b's plan to be stored", func() bool {
		cs, err := shop.Shop.Credits(ctx, bc.ID)
		return err == nil && cs != nil
	})
	_, pb, _ := check("after b subscribed")
	if !strings.Contains(pb, "Unlock with a credit") || !strings.Contains(pb, "credits left this month") {
		t.Fatalf("b's product page after subscribing offers no credit:\n%s", pb)
	}
	if pa := signedPage(t, a, productPath); strings.Contains(pa, "Unlock with a credit") {
		t.Fatal("a's product page offers b's credits")
	}
	if page := signedPage(t, b, "/plans"); !strings.Contains(page, "Your plan") {
		t.Fatal("b's plans page does not mark b's plan")
	}
	if page := signedPage(t, a, "/plans"); strings.Contains(page, "Your plan") {
		t.Fatal("a's plans page marks b's plan")
	}
	if page := signedPage(t, anon, "/plans"); strings.Contains(page, "Your plan") || strings.Contains(page, `href="/account"`) {
		t.Fatal("the anonymous plans page shows a signed-in visitor's parts")
	}

	// The account page keeps b's invoices from Stripe between views; the
	// renewal's event drops them, so the first view after it lists the
	// renewal's invoice.
	invoices := func() int {
		_, page := b.Get("/account")
		return strings.Count(page, `<span class="status status-paid">`)
	}
	paidEvents := func() int {
		n := 0
		shop.Store.View(ctx, func(tx *store.Tx) error {
			es, _, _ := tx.Events(store.EventFilter{Type: "invoice.paid", Outcome: store.EventApplied, Limit: 100})
			n = len(es)
			return nil
		})
		return n
	}
	// The subscription's own invoice.paid first: the list before it may
	// show its invoice open.
	vendotest.WaitFor(t, "the subscription's invoice.paid", func() bool { return paidEvents() > 0 })
	before := invoices()
	if before == 0 || invoices() != before {
		t.Fatalf("b's account lists %d paid invoices after subscribing", before)
	}
	paid0 := paidEvents()
	shop.AdvanceClock("31d")
	vendotest.WaitFor(t, "the renewal's invoice.paid", func() bool { return paidEvents() > paid0 })
	if got := invoices(); got != before+1 {
		t.Fatalf("b's account lists %d paid invoices after the renewal's event, want %d", got, before+1)
	}
}
