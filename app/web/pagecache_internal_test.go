package web

import "testing"

// TestProductChangesDropOnlyTheirPages: a product edit drops the pages
// that list products and the product's own pages (old and new slug), and
// keeps the other products' pages and the plans page; a plans or settings
// change drops everything.
func TestProductChangesDropOnlyTheirPages(t *testing.T) {
	p := newPageCache(100)
	pages := []struct {
		key  string
		dep  pageDep
		slug string
	}{
		{"/", depLists, ""},
		{"/products?q=icon", depLists, ""},
		{"/products/a", depProduct, "a"},
		{"/products/a\x00htmx", depProduct, "a"},
		{"/products/b", depProduct, "b"},
		{"/products/renamed", depProduct, "renamed"},
		{"/plans", depNone, ""},
	}
	fill := func() {
		for _, pg := range pages {
			p.put(pg.key, &cachedPage{stamp: p.stamp(pg.dep, pg.slug), dep: pg.dep, slug: pg.slug, body: []byte(pg.key)})
		}
	}
	cachedNow := func() map[string]bool {
		out := map[string]bool{}
		for _, pg := range pages {
			out[pg.key] = p.get([]byte(pg.key)) != nil
		}
		return out
	}
	fill()
	for key, ok := range cachedNow() {
		if !ok {
			t.Fatalf("%s is not cached after being put", key)
		}
	}

	p.ProductsChanged("a", "renamed") // product a moved to the slug "renamed"
	want := map[string]bool{"/": false, "/products?q=icon": false, "/products/a": false, "/products/a\x00htmx": false,
		"/products/b": true, "/products/renamed": false, "/plans": true}
	for key, ok := range cachedNow() {
		if ok != want[key] {
			t.Errorf("after a product edit, %q cached = %v, want %v", key, ok, want[key])
		}
	}

	// A page rendered from before a change is stale when put after it.
	before := p.stamp(depProduct, "b")
	p.ProductsChanged("b")
	p.put("/products/b", &cachedPage{stamp: before, dep: depProduct, slug: "b"})
	if p.get([]byte("/products/b")) != nil {
		t.Error("a page rendered before its product changed is served after the change")
	}

	fill()
	p.Invalidate()
	for key, ok := range cachedNow() {
		if ok {
			t.Errorf("after a settings change, %q is still cached", key)
		}
	}
}
