package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/vendotest"
)

var freeLinkRE = regexp.MustCompile(`https?://[^\s"]+/free/[A-Za-z0-9_.-]+`)

// freeProduct stores an active product priced 0 and returns it.
func freeProduct(t *testing.T, srv *vendotest.Shop, slug string) app.Product {
	t.Helper()
	p := app.Product{Slug: slug, Title: "Free " + slug, Summary: "A gift.", Price: app.Money{Amount: 0, Currency: "usd"}, Active: true}
	if err := srv.Store.PutProduct(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// owns reports whether the customer with email has p in their library,
// and by what means (the entitlement's source).
func owns(t *testing.T, srv *vendotest.Shop, email string, p app.Product) (bool, string) {
	t.Helper()
	ctx := context.Background()
	c, err := srv.Store.CustomerByEmail(ctx, email)
	if app.IsNotFound(err) {
		return false, ""
	}
	if err != nil {
		t.Fatal(err)
	}
	es, err := srv.Store.EntitlementsOf(ctx, c.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.ProductID == p.ID {
			return true, e.Source
		}
	}
	return false, ""
}

// TestFreeProductSignedIn: a product priced 0 shows "Get it free"; a
// signed-in customer's click puts it in their library at once, twice
// changes nothing, and Stripe never hears of it.
func TestFreeProductSignedIn(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	p := freeProduct(t, srv, "free-brushes")
	b := srv.NewClient()
	b.SignIn("ada@example.com")
	_, page := b.Get("/products/" + p.Slug)
	if !strings.Contains(page, "Get it free") || strings.Contains(page, "Add to cart") {
		t.Fatalf("the product page of a free product offers no free copy:\n%.2000s", page)
	}
	for range 2 {
		resp, body := b.Submit("/products/"+p.Slug+"/free", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "Free free-brushes") {
			t.Fatalf("get it free: %d\n%.1500s", resp.StatusCode, body)
		}
	}
	if ok, source := owns(t, srv, "ada@example.com", p); !ok || source != app.SourceFree {
		t.Fatalf("library has it: %v (source %q), want a free entitlement", ok, source)
	}
	es, _ := srv.Store.EntitlementsOf(context.Background(), mustCustomer(t, srv, "ada@example.com").ID, false)
	if n := countProduct(es, p.ID); n != 1 {
		t.Fatalf("%d entitlements after two clicks, want 1", n)
	}
	if got, _ := srv.Store.ProductBySlug(context.Background(), p.Slug); got.StripePriceID != "" || got.StripeProductID != "" {
		t.Fatalf("a free product reached Stripe: %+v", got)
	}
}

// TestFreeProductByEmail: a visitor enters an address and gets a one-time
// link; opening it shows one button (a GET changes nothing), pressing it
// adds the product to that address's library and signs them in; the link
// works once; the requests are limited per address.
func TestFreeProductByEmail(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	p := freeProduct(t, srv, "free-fonts")
	paid := mustProduct(t, srv, "sunrise-wallpapers")
	v := srv.NewClient()
	_, page := v.Get("/products/" + p.Slug)
	if !strings.Contains(page, "Get it free") || !strings.Contains(page, `name="email"`) {
		t.Fatalf("a visitor gets no email field for a free product:\n%.2000s", page)
	}
	// Bad input changes nothing.
	resp, body := v.Submit("/products/"+p.Slug+"/free", url.Values{"email": {"not an address"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "Enter a valid email address") {
		t.Fatalf("bad address: %d\n%.1500s", resp.StatusCode, body)
	}
	v.Get("/products/" + paid.Slug)
	resp, body = v.Submit("/products/"+paid.Slug+"/free", url.Values{"email": {"bob@example.com"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "is not free") {
		t.Fatalf("a paid product by email: %d\n%.1500s", resp.StatusCode, body)
	}
	if n := len(srv.Outbox()); n != 0 {
		t.Fatalf("%d mails after refused requests", n)
	}

	v.Get("/products/" + p.Slug)
	resp, body = v.Submit("/products/"+p.Slug+"/free", url.Values{"email": {"Bob@Example.com"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Check your email") {
		t.Fatalf("request a link: %d\n%.1500s", resp.StatusCode, body)
	}
	var link string
	vendotest.WaitFor(t, "the free product's mail", func() bool {
		for _, m := range srv.Outbox() {
			if m.To == "bob@example.com" {
				link = freeLinkRE.FindString(srv.Mail.Render(m).Text) // the outbox keeps a reference (issue 17, hole 8)
			}
		}
		return link != ""
	})
	if ok, _ := owns(t, srv, "bob@example.com", p); ok {
		t.Fatal("asking for the link already gave the product")
	}
	// Someone else's browser opens it (a mail scanner): nothing happens.
	resp, page = srv.NewClient().Get(link)
	if resp.StatusCode != 200 || !strings.Contains(page, "Add it to my library") {
		t.Fatalf("open the link: %d\n%.1500s", resp.StatusCode, page)
	}
	if ok, _ := owns(t, srv, "bob@example.com", p); ok {
		t.Fatal("a GET of the link gave the product")
	}
	b := srv.NewClient()
	b.Get(link)
	resp, body = b.Submit(strings.TrimPrefix(link, srv.URL), nil)
	if resp.StatusCode != 200 || !strings.Contains(body, p.Title) {
		t.Fatalf("press the button: %d\n%.1500s", resp.StatusCode, body)
	}
	if ok, source := owns(t, srv, "bob@example.com", p); !ok || source != app.SourceFree {
		t.Fatalf("bob's library has it: %v (%q)", ok, source)
	}
	if got := b.SignedInAs(); got != "bob@example.com" {
		t.Fatalf("the link signed in %q", got)
	}
	if c := mustCustomer(t, srv, "bob@example.com"); !c.EmailVerified {
		t.Fatal("the link did not verify the address")
	}
	// Once only.
	c2 := srv.NewClient()
	c2.Get(link)
	if resp, _ := c2.Submit(strings.TrimPrefix(link, srv.URL), nil); resp.StatusCode != http.StatusGone {
		t.Fatalf("a used link: %d, want 410", resp.StatusCode)
	}

	// Per address: past the limit the answer is the same and nothing is sent.
	before := len(srv.Outbox())
	for range 8 {
		w := srv.NewClient()
		w.Get("/products/" + p.Slug)
		if resp, body := w.Submit("/products/"+p.Slug+"/free", url.Values{"email": {"carol@example.com"}}); resp.StatusCode != 200 || !strings.Contains(body, "Check your email") {
			t.Fatalf("request: %d", resp.StatusCode)
		}
	}
	sent := 0
	for _, m := range srv.Outbox()[:len(srv.Outbox())-before] {
		if m.To == "carol@example.com" {
			sent++
		}
	}
	if sent == 0 || sent > 5 {
		t.Fatalf("%d mails to one address from 8 requests, want 1 to 5", sent)
	}
}

func mustCustomer(t *testing.T, srv *vendotest.Shop, email string) app.Customer {
	t.Helper()
	c, err := srv.Store.CustomerByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("customer %s: %v", email, err)
	}
	return c
}

func mustProduct(t *testing.T, srv *vendotest.Shop, slug string) app.Product {
	t.Helper()
	p, err := srv.Store.ProductBySlug(context.Background(), slug)
	if err != nil {
		t.Fatalf("product %s: %v", slug, err)
	}
	return p
}

func countProduct(es []app.Entitlement, productID string) int {
	n := 0
	for _, e := range es {
		if e.ProductID == productID {
			n++
		}
	}
	return n
}
