package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestCachedPagesHoldAgainstAnOutsider: what an anonymous visitor can send
// to the page cache (its key is the request's address and HX-Request)
// never hands them another visitor's token or a page meant for another
// request, never shows the cache's placeholder, and a 304 is only for the
// visitor whose page it is. /media serves covers only.
func TestCachedPagesHoldAgainstAnOutsider(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	const page = "/products/the-calm-inbox"
	victim, outsider := srv.NewClient(), srv.NewClient()
	vresp, vpage := victim.Get(page)
	vtoken := csrfRE.FindStringSubmatch(vpage)
	if vtoken == nil {
		t.Fatal("no token on the product page")
	}
	get := func(path string, header ...string) (*http.Response, string) {
		t.Helper()
		resp, body := outsider.Get(path, header...)
		if strings.Contains(body, vtoken[1]) || strings.Contains(body, "vendoCSRF") {
			t.Fatalf("GET %s %v: the victim's token or the placeholder\n%.600s", path, header, body)
		}
		if sc := resp.Header.Values("Set-Cookie"); strings.Contains(strings.Join(sc, ";"), vtoken[1]) {
			t.Fatalf("GET %s: Set-Cookie %q", path, sc)
		}
		return resp, body
	}
	for _, path := range []string{page, page + "?a=1&b=2", page + "?b=2&a=1", page + "?code=&code=NOPE", page + "?%63ode=NOPE",
		page + "/", "/PRODUCTS/the-calm-inbox", "/plans", "/plans?interval=year&interval=month", "/products?q=calm&q=owl", "/"} {
		for _, h := range [][]string{nil, {"HX-Request", "true"}, {"Accept-Encoding", "gzip"}, {"Accept-Encoding", "br"},
			{"Cookie", ""}, {"Cookie", "vendo_session=stale; vendo_cart="}, {"If-None-Match", vresp.Header.Get("ETag")}} {
			resp, _ := get(path, h...)
			if resp.StatusCode == 304 {
				t.Fatalf("GET %s %v: 304 for another visitor's ETag", path, h)
			}
		}
	}
	// HEAD is answered without the cache and without a body.
	req, _ := http.NewRequest("HEAD", outsider.URL(page), nil)
	if resp, body := outsider.Do(req); resp.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, body)
	}

	// /media: a product's file is not a cover; no other name reaches a file.
	ctx := context.Background()
	ps, _, err := srv.Store.Products(ctx, store.ProductFilter{Status: store.ProductActive, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var fileSHA, coverSHA string
	for _, p := range ps {
		if len(p.Files) > 0 && fileSHA == "" {
			fileSHA = p.Files[0].SHA256
		}
		if p.Cover != "" && coverSHA == "" {
			coverSHA = p.Cover
		}
	}
	if fileSHA == "" || coverSHA == "" {
		t.Fatal("the demo has no product file or no cover")
	}
	for _, path := range []string{"/media/" + fileSHA, "/media/" + strings.ToUpper(coverSHA), "/media/..%2F..%2Fdata.db",
		"/media/" + coverSHA + "%00", "/media/" + coverSHA + "/..", "/media/%2e%2e%2f" + fileSHA} {
		if resp, _ := get(path); resp.StatusCode == 200 {
			t.Fatalf("GET %s: 200, want no file", path)
		}
	}
	if resp, _ := get("/media/" + coverSHA); resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		t.Fatalf("a cover: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
