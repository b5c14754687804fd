package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// pwywProduct stores an active pay-what-you-want product.
func pwywProduct(t *testing.T, srv *vendotest.Shop, slug string, min, suggested int64) app.Product {
	t.Helper()
	p := app.Product{Slug: slug, Title: "Named " + slug, Summary: "Pay what you like.", Active: true, PayWhatYouWant: true,
		Price: app.Money{Amount: min, Currency: "usd"}, Suggested: app.Money{Amount: suggested, Currency: "usd"}}
	if err := srv.Store.PutProduct(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// ordersOf returns the shop's orders.
func ordersOf(t *testing.T, st *store.Store) []app.Order {
	t.Helper()
	var os []app.Order
	err := st.View(context.Background(), func(tx *store.Tx) (err error) {
		os, _, err = tx.Orders(store.OrderFilter{Limit: 1000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return os
}

// TestPayWhatYouWant: the product page proposes the suggested price in
// an amount field; an amount under the minimum is refused with a sentence
// and changes nothing; an amount above it goes to Checkout as that price
// beside a fixed-price product, and the order and the library follow.
func TestPayWhatYouWant(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	p := pwywProduct(t, srv, "tip-jar-presets", 500, 1000)
	b := srv.NewClient()
	_, page := b.Get("/products/" + p.Slug)
	mustContain(t, page, `name="amount"`, `value="10.00"`, "at least $5.00", "Add to cart")
	if strings.Contains(page, "Get it free") {
		t.Fatal("a product with a minimum above 0 offers a free copy")
	}

	for _, tc := range []struct{ typed, want string }{
		{"4.99", "Pay at least $5.00"},
		{"a lot", "Enter the amount as a number"},
		{"1,250", "could mean 1250.00 or 1.25"},
	} {
		b.Get("/products/" + p.Slug)
		resp, body := b.Submit("/cart/items", url.Values{"product": {p.ID}, "amount": {tc.typed}})
		if resp.StatusCode != 422 || !strings.Contains(body, tc.want) || !strings.Contains(body, `value="`+tc.typed+`"`) {
			t.Fatalf("amount %q: %d, want 422 with %q and the amount kept\n%.3000s", tc.typed, resp.StatusCode, tc.want, body)
		}
		// The same through htmx: the sentence, nothing else.
		resp, body = b.HTMX("POST", "/cart/items", url.Values{"product": {p.ID}, "amount": {tc.typed}})
		if resp.StatusCode != 422 || !strings.Contains(body, tc.want) {
			t.Fatalf("amount %q through htmx: %d\n%.500s", tc.typed, resp.StatusCode, body)
		}
	}
	if _, cart := b.Get("/cart"); !strings.Contains(cart, "Your cart is empty") {
		t.Fatal("a refused amount changed the cart")
	}

	b.Get("/products/" + p.Slug)
	b.Submit("/cart/items", url.Values{"product": {p.ID}, "amount": {"12,50"}})
	b.AddToCart("sunrise-wallpapers")
	_, cart := b.Get("/cart")
	mustContain(t, cart, p.Title, "$12.50", "$17.50")

	resp, page := b.Checkout()
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/cs_") {
		t.Fatalf("checkout landed on %s (%d)\n%.1000s", resp.Request.URL, resp.StatusCode, page)
	}
	mustContain(t, page, p.Title, "$12.50", "$17.50")
	resp, page = b.Pay("named@example.com", "4242 4242 4242 4242")
	if resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("after paying: %s (%d)\n%.800s", resp.Request.URL, resp.StatusCode, page)
	}
	var order app.Order
	vendotest.WaitFor(t, "the order", func() bool {
		os := ordersOf(t, srv.Store)
		if len(os) == 1 {
			order = os[0]
		}
		return len(os) == 1
	})
	if order.Total.Amount != 1750 {
		t.Fatalf("order total %v, want $17.50", order.Total)
	}
	found := false
	for _, l := range order.Lines {
		if l.ProductID == p.ID {
			found = l.UnitAmount.Amount == 1250
		}
	}
	if !found {
		t.Fatalf("the order's lines %+v have no %s at $12.50", order.Lines, p.Slug)
	}
	if ok, source := owns(t, srv, "named@example.com", p); !ok || source != app.SourceOrder {
		t.Fatalf("the buyer's library has it: %v (%q)", ok, source)
	}
}

// TestPayWhatYouWantFromZero: a minimum of 0 offers both an amount and
// "Get it free"; an amount under Stripe's minimum charge is refused.
func TestPayWhatYouWantFromZero(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	p := pwywProduct(t, srv, "zine", 0, 300)
	b := srv.NewClient()
	_, page := b.Get("/products/" + p.Slug)
	mustContain(t, page, `name="amount"`, "Get it free", "Pay what you want")
	for _, tc := range []struct{ typed, want string }{
		{"0.20", "Card payments start at $0.50"},
		{"0", "use Get it free"},
	} {
		resp, body := b.Submit("/cart/items", url.Values{"product": {p.ID}, "amount": {tc.typed}})
		if resp.StatusCode != 422 || !strings.Contains(body, tc.want) {
			t.Fatalf("amount %q: %d\n%.2000s", tc.typed, resp.StatusCode, body)
		}
	}
	b.SignIn("zine@example.com")
	b.Get("/products/" + p.Slug)
	if resp, _ := b.Submit("/products/"+p.Slug+"/free", nil); resp.StatusCode != 200 {
		t.Fatalf("get it free: %d", resp.StatusCode)
	}
	if ok, source := owns(t, srv, "zine@example.com", p); !ok || source != app.SourceFree {
		t.Fatalf("library: %v (%q)", ok, source)
	}
}

// TestPayWhatYouWantInTheAdmin: the product form takes the switch and
// the suggested price, and refuses a suggestion under the minimum.
func TestPayWhatYouWantInTheAdmin(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	a := srv.Admin
	a.SignInAdmin()
	form := url.Values{"title": {"Named Brushes"}, "slug": {"named-brushes"}, "price": {"5"}, "currency": {"usd"},
		"pay_what_you_want": {"1"}, "suggested": {"4"}}
	a.Get("/admin/products/new")
	resp, body := a.Submit("/admin/products", form)
	if resp.StatusCode != 422 || !strings.Contains(body, "Suggest at least the minimum price.") {
		t.Fatalf("a suggestion under the minimum: %d\n%.2000s", resp.StatusCode, body)
	}
	if _, err := srv.Store.ProductBySlug(context.Background(), "named-brushes"); !app.IsNotFound(err) {
		t.Fatalf("a refused form stored the product: %v", err)
	}
	form.Set("suggested", "9,50")
	a.Get("/admin/products/new")
	if resp, body := a.Submit("/admin/products", form); resp.StatusCode != 200 {
		t.Fatalf("create: %d\n%.1000s", resp.StatusCode, body)
	}
	got := mustProduct(t, srv, "named-brushes")
	if !got.PayWhatYouWant || got.Price.Amount != 500 || got.Suggested.Amount != 950 {
		t.Fatalf("stored %+v", got)
	}
}
