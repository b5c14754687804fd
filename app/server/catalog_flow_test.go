package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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

// TestCatalogSortsAndFiltersWithSearch: the catalog's sort and tag
// filter work as plain links (no JavaScript), combine with a search, keep
// each other in the page links, and answer htmx with the results alone.
func TestCatalogSortsAndFiltersWithSearch(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	usd := func(cents int64) app.Money { return app.Money{Amount: cents, Currency: "usd"} }
	for _, p := range []*app.Product{
		{Slug: "quokka-brushes", Title: "Quokka Brushes", Price: usd(2500), Tags: []string{"Quokka"}, Active: true},
		{Slug: "quokka-atlas", Title: "Quokka Atlas", Price: usd(900), Tags: []string{"quokka", "maps"}, Active: true},
		{Slug: "quokka-clips", Title: "Quokka Clips", Price: usd(1500), Tags: []string{"audio"}, Active: true},
		{Slug: "marsupial-maps", Title: "Marsupial Maps", Price: usd(300), Tags: []string{"quokka"}, Active: true},
	} {
		if err := srv.Store.PutProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	order := func(page string, slugs ...string) []string {
		var at []string
		idx := []int{}
		for _, s := range slugs {
			i := strings.Index(page, `href="/products/`+s+`"`)
			if i >= 0 {
				idx = append(idx, i)
				at = append(at, s)
			}
		}
		for k := 1; k < len(idx); k++ { // sort the found slugs by position
			for j := k; j > 0 && idx[j] < idx[j-1]; j-- {
				idx[j], idx[j-1] = idx[j-1], idx[j]
				at[j], at[j-1] = at[j-1], at[j]
			}
		}
		return at
	}
	all := []string{"quokka-brushes", "quokka-atlas", "quokka-clips", "marsupial-maps"}
	b := srv.NewClient()
	tests := []struct {
		name, path string
		want       []string
		says       string
	}{
		{"search by price", "/products?q=quokka&sort=price", []string{"marsupial-maps", "quokka-atlas", "quokka-clips", "quokka-brushes"}, "4 results for “quokka”"},
		{"search by price, dearest first", "/products?q=quokka&sort=price-desc", []string{"quokka-brushes", "quokka-clips", "quokka-atlas", "marsupial-maps"}, ""},
		{"search by name", "/products?q=quokka&sort=name", []string{"marsupial-maps", "quokka-atlas", "quokka-brushes", "quokka-clips"}, ""},
		{"search within a tag", "/products?q=quokka&tag=maps", []string{"quokka-atlas"}, "1 result for “quokka” tagged “maps”"},
		{"a tag whatever its case, by price", "/products?tag=QUOKKA&sort=price", []string{"marsupial-maps", "quokka-atlas", "quokka-brushes"}, "3 results tagged “quokka”"},
		{"a tag with a mistyped search", "/products?q=atlsa&tag=quokka", []string{"quokka-atlas"}, ""},
		{"empty fields from a form without JavaScript", "/products?q=quokka&sort=&tag=audio", []string{"quokka-clips"}, ""},
		{"an unknown order falls back to relevance", "/products?q=quokka+atlas&sort=cheapest", []string{"quokka-atlas"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, page := b.Get(tt.path)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", tt.path, resp.StatusCode)
			}
			if got := order(page, all...); !slices.Equal(got, tt.want) {
				t.Errorf("GET %s shows %v, want %v", tt.path, got, tt.want)
			}
			if tt.says != "" && !strings.Contains(page, tt.says) {
				t.Errorf("GET %s does not say %q", tt.path, tt.says)
			}
		})
	}

	// The page's form offers the orders and the shop's tags, with the
	// current ones chosen.
	_, page := b.Get("/products?q=quokka&sort=price&tag=maps")
	for _, want := range []string{`<option value="price" selected>Price: low to high</option>`, `<option value="maps" selected>maps</option>`, `<option value="quokka">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the catalog form lacks %s", want)
		}
	}

	// htmx gets the results alone.
	_, body := b.HTMX("GET", "/products?tag=quokka&sort=price-desc", nil)
	if strings.Contains(body, "<html") || !strings.Contains(body, `id="product-results"`) {
		t.Fatalf("htmx: not the results partial:\n%.500s", body)
	}
	if got := order(body, all...); !slices.Equal(got, []string{"quokka-brushes", "quokka-atlas", "marsupial-maps"}) {
		t.Errorf("htmx results %v", got)
	}
}

// TestCatalogPagesKeepTheSortAndTag: the next-page link of a sorted,
// filtered list carries the sort and the tag, and the pages together hold
// every product once.
func TestCatalogPagesKeepTheSortAndTag(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 15 {
		p := &app.Product{Slug: fmt.Sprintf("paged-%02d", i), Title: fmt.Sprintf("Paged %02d", i), Price: app.Money{Amount: int64(1000 - i), Currency: "usd"}, Tags: []string{"paged"}, Active: true}
		if err := srv.Store.PutProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		want[p.Slug] = true
	}
	b := srv.NewClient()
	next := regexp.MustCompile(`href="(/products\?[^"]+)">Next page`)
	slug := regexp.MustCompile(`href="/products/(paged-\d\d)"`)
	var seen []string
	path := "/products?sort=price&tag=paged"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("more pages than 15 products need")
		}
		_, page := b.Get(path)
		for _, m := range slug.FindAllStringSubmatch(page, -1) {
			seen = append(seen, m[1])
		}
		path = ""
		if m := next.FindStringSubmatch(page); m != nil {
			path = html.UnescapeString(m[1])
			if !strings.Contains(path, "sort=price") || !strings.Contains(path, "tag=paged") {
				t.Fatalf("the next page %s lost the sort or the tag", path)
			}
		}
	}
	if len(seen) != 15 || seen[0] != "paged-14" || seen[14] != "paged-00" {
		t.Errorf("pages by price hold %v, want the 15 products, cheapest (paged-14) first", seen)
	}
}
