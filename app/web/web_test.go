package web_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"vendo/app/vendotest"
)

// visitor is a browser on a new sandbox-mode shop with the demo catalog
// that sees every redirect (it does not follow them).
func visitor(t testing.TB, env map[string]string) (*vendotest.Shop, *vendotest.Client) {
	t.Helper()
	s := vendotest.Start(t, vendotest.Options{Env: env})
	return s, s.NewClient().NoFollow()
}

// inProcess sends req straight to the shop's handler, without the
// network (fuzzing and benchmarks).
func inProcess(t testing.TB, s *vendotest.Shop, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := s.Web.App().Test(req, 10_000)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func TestPublicPages(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, nil)
	tests := []struct {
		name        string
		url         string
		htmx        bool
		wantStatus  int
		wantContain []string
		wantAbsent  []string
	}{
		{name: "home shows demo products and sandbox banner", url: "/", wantStatus: 200,
			wantContain: []string{"Vendo Demo Shop", "Sandbox — no real payments", "Type Specimen Poster", "/static/css/app.css?v="}},
		{name: "catalog lists products", url: "/products", wantStatus: 200,
			wantContain: []string{"<h1>Products</h1>", "Sunrise Wallpapers", "$5.00", "Type Specimen Poster"}},
		{name: "catalog search as htmx gets only the partial", url: "/products?q=wallpaper", htmx: true, wantStatus: 200,
			wantContain: []string{`id="product-results"`, "Sunrise <mark>Wallpaper</mark>s"}, wantAbsent: []string{"<html", "Field Notes Icon Pack"}},
		{name: "accent-insensitive search", url: "/products?q=cafe", wantStatus: 200,
			wantContain: []string{"<mark>Café</mark> Budget Planner"}, wantAbsent: []string{"Sunrise Wallpapers"}},
		{name: "accented query finds plain text", url: "/products?q=caf%C3%A9", wantStatus: 200,
			wantContain: []string{"Budget Planner"}},
		{name: "prefix while typing", url: "/products?q=wallp", htmx: true, wantStatus: 200,
			wantContain: []string{"<mark>Wallp</mark>apers"}},
		{name: "several words must all match", url: "/products?q=icon+pack", wantStatus: 200,
			wantContain: []string{"Field Notes"}, wantAbsent: []string{"Sunrise"}},
		{name: "several words, one missing", url: "/products?q=icon+sunrise", wantStatus: 200,
			wantContain: []string{"Nothing matches"}},
		{name: "search input escapes html", url: "/products?q=%3Cscript%3Ealert(1)%3C/script%3E", wantStatus: 200,
			wantContain: []string{"&lt;script&gt;"}, wantAbsent: []string{"<script>alert(1)"}},
		{name: "no match says so", url: "/products?q=zzzz", wantStatus: 200, wantContain: []string{"Nothing matches"}},
		{name: "product page with files and price", url: "/products/the-calm-inbox", wantStatus: 200,
			wantContain: []string{"The Calm Inbox", "$12.00", "the-calm-inbox.pdf", "Add to cart"}},
		{name: "unknown product is a styled 404", url: "/products/nope", wantStatus: 404,
			wantContain: []string{"That product does not exist.", "Back to the shop"}},
		{name: "plans monthly", url: "/plans", wantStatus: 200,
			wantContain: []string{"Starter", "Pro", "Team", "$9.00", "Unlimited credits"}},
		{name: "plans yearly partial shows saving", url: "/plans?interval=year", htmx: true, wantStatus: 200,
			wantContain: []string{`id="plan-grid"`, "$190.00", "Save 16% compared to monthly"}, wantAbsent: []string{"<html"}},
		{name: "unknown page", url: "/no/such/page", wantStatus: 404, wantContain: []string{"We could not find that page"}},
		{name: "health", url: "/healthz", wantStatus: 200, wantContain: []string{`"status":"ok"`}},
		{name: "manifest", url: "/static/manifest.webmanifest", wantStatus: 200, wantContain: []string{`"start_url": "/"`}},
		{name: "service worker at root", url: "/sw.js", wantStatus: 200, wantContain: []string{"vendo-shell"}},
		{name: "htmx is vendored", url: "/static/js/htmx-2.0.11.min.js", wantStatus: 200, wantContain: []string{"htmx"}},
		{name: "static traversal refused", url: "/static/..%2f..%2fgo.mod", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.htmx {
				header = []string{"HX-Request", "true"}
			}
			resp, body := c.Get(tt.url, header...)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body:\n%.500s", resp.StatusCode, tt.wantStatus, body)
			}
			for _, w := range tt.wantContain {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, w := range tt.wantAbsent {
				if strings.Contains(body, w) {
					t.Errorf("body has %q but should not", w)
				}
			}
		})
	}
}

func TestVersionedAssetsAreCachedForAYear(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, nil)
	_, page := c.Get("/")
	i := strings.Index(page, "/static/css/app.css?v=")
	if i < 0 {
		t.Fatal("page does not link the versioned stylesheet")
	}
	url := page[i : i+strings.IndexByte(page[i:], '"')]
	resp, body := c.Get(url)
	if resp.StatusCode != 200 || !strings.Contains(body, "--brand") {
		t.Fatalf("stylesheet: %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset Cache-Control = %q", cc)
	}
	etag := resp.Header.Get("ETag")
	// An unversioned request revalidates, and a matching ETag gets 304.
	resp, _ = c.Get("/static/css/app.css", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional request: %d, want 304", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("unversioned asset must not be immutable: %q", cc)
	}
}

func TestCoverImagesArePublicButProductFilesAreNot(t *testing.T) {
	t.Parallel()
	shop, c := visitor(t, nil)
	p, err := shop.Store.ProductBySlug(context.Background(), "sunrise-wallpapers")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := c.Get("/media/" + p.Cover)
	if resp.StatusCode != 200 || !strings.Contains(body, "<svg") || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("cover: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = c.Get("/media/" + p.Files[0].SHA256)
	if resp.StatusCode != 404 {
		t.Fatalf("a product file through /media: %d, want 404", resp.StatusCode)
	}
	resp, _ = c.Get("/media/..%2f..%2fvendo.db")
	if resp.StatusCode != 404 {
		t.Fatalf("traversal through /media: %d, want 404", resp.StatusCode)
	}
}
