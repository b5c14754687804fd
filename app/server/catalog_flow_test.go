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

// TestSearchRanksTitleMatchesFirst: a word in one product's title beats
// the same word in another's description, over HTTP.
func TestSearchRanksTitleMatchesFirst(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	usd := app.Money{Amount: 900, Currency: "usd"}
	inDesc := app.Product{Slug: "quiet-notes", Title: "Quiet Notes", Description: "Pairs well with a zebra pattern.", Price: usd, Active: true}
	inTitle := app.Product{Slug: "zebra-patterns", Title: "Zebra Patterns", Description: "Stripes.", Price: usd, Active: true}
	for _, p := range []*app.Product{&inDesc, &inTitle} { // the description match is older: recency cannot explain the order
		if err := srv.Store.PutProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	b := srv.NewClient()
	_, page := b.Get("/products?q=zebra")
	i, j := strings.Index(page, `href="/products/zebra-patterns"`), strings.Index(page, `href="/products/quiet-notes"`)
	if i < 0 || j < 0 || i > j {
		t.Fatalf("title match at %d, description match at %d: the title match must come first", i, j)
	}
	if _, page := b.Get("/products?q=zebr"); !strings.Contains(page, "<mark>Zebr</mark>a Patterns") {
		t.Fatal("prefix search does not highlight the typed part")
	}
}

// TestCartThroughHTMX drives the cart the way the page's htmx does: the
// add button swaps a notice and the header badge (out of band), quantity
// changes swap the cart table, a remove empties it.
func TestCartThroughHTMX(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	b := srv.NewClient()
	_, page := b.Get("/products/sunrise-wallpapers")
	product := productIDRE.FindStringSubmatch(page)[1]
	_, body := b.HTMX("POST", "/cart/items", url.Values{"product": {product}, "quantity": {"1"}})
	if !strings.Contains(body, `id="cart-badge" class="badge" hx-swap-oob="true"`) || !regexp.MustCompile(`>1</span>`).MatchString(body) || strings.Contains(body, "<html") {
		t.Fatalf("add: not the badge partial:\n%s", body)
	}
	// Adding it again keeps one; a quantity other than one is refused with
	// the cart and a sentence next to the line.
	_, body = b.HTMX("POST", "/cart/items", url.Values{"product": {product}})
	if !regexp.MustCompile(`>1</span>`).MatchString(body) {
		t.Fatalf("added twice: the badge does not say 1:\n%s", body)
	}
	for _, q := range []string{"4", "0"} {
		resp, body := b.HTMX("POST", "/cart/items/"+product, url.Values{"quantity": {q}})
		if resp.StatusCode != 422 || !strings.Contains(body, `<div id="cart">`) || !strings.Contains(body, "$5.00") || !strings.Contains(body, "Each product comes once per customer") {
			t.Fatalf("quantity %s: %d\n%.800s", q, resp.StatusCode, body)
		}
	}
	resp, body := b.HTMX("POST", "/cart/items/"+product, url.Values{"quantity": {"1"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "$5.00") {
		t.Fatalf("quantity 1: %d\n%.500s", resp.StatusCode, body)
	}
	_, body = b.HTMX("DELETE", "/cart/items/"+product, url.Values{})
	if !strings.Contains(body, "Your cart is empty") {
		t.Fatalf("remove: %.500s", body)
	}
	// Without a token nothing changes.
	req, _ := http.NewRequest("POST", b.URL("/cart/items"), strings.NewReader(url.Values{"product": {product}, "quantity": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := b.Do(req); resp.StatusCode != 403 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	if _, page := b.Get("/cart"); !strings.Contains(page, "Your cart is empty") {
		t.Fatal("a refused request changed the cart")
	}
}
