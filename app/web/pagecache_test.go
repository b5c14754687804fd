package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestPageHitLaneAnswersAsTheChain: a cached page answered by the page
// cache's hit lane (servePageHit, taken before the middleware chain) is
// what the chain answers for the same request — status, every header
// but Date, and the bytes — for each kind of cached page (home, catalog,
// a search, a product page with forms, plans, offline), in each encoding,
// for htmx, for a visitor bringing their anonymous cookie, and for a
// revalidation. A visitor without a cookie gets a new one either way, and
// the pages differ only by it: its value and expiry, the token and the
// ETag's part for the token. The chain is asked with debug logging on,
// which the lane leaves to it (the chain logs every request).
func TestPageHitLaneAnswersAsTheChain(t *testing.T) {
	t.Parallel()
	level := new(slog.LevelVar)
	shop := vendotest.Start(t, vendotest.Options{Level: level})
	ps, _, err := shop.Store.Products(context.Background(), store.ProductFilter{Status: store.ProductActive, Limit: 1})
	if err != nil || len(ps) == 0 {
		t.Fatal("no demo product", err)
	}
	pages := []string{"/", "/products", "/products?" + url.Values{"q": {"pack"}}.Encode(), "/products/" + ps[0].Slug, "/plans", "/offline"}
	const anon = "vendo_anon=0123456789abcdef0123456789abcdef"
	// A browser without a cookie jar: each request brings exactly the
	// cookie it names.
	browser := shop.NewClient()
	browser.HTTP.Jar = nil
	// What a cookie-less visitor's two answers may differ by.
	cookieValue := regexp.MustCompile(`vendo_anon=[0-9a-f]{32}|expires=[^;]*`)
	tokenField := regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	// maskToken replaces the page's token, wherever it shows.
	maskToken := func(body []byte) []byte {
		if m := tokenField.FindSubmatch(body); m != nil {
			return bytes.ReplaceAll(body, m[1], []byte("…"))
		}
		return body
	}
	etagToken := regexp.MustCompile(`^("[0-9a-f]+)-[0-9a-f]+`)
	mask := func(name, v string, fresh bool) string {
		if !fresh {
			return v
		}
		switch name {
		case "Set-Cookie":
			return cookieValue.ReplaceAllString(v, "…")
		case "Etag":
			return etagToken.ReplaceAllString(v, "$1-…")
		}
		return v
	}

	minted, tokens := 0, 0
	for _, path := range pages {
		for _, accept := range []string{"identity", "gzip", "gzip, deflate, br, zstd"} {
			for _, variant := range []string{"no cookie", "cookie", "cookie, htmx", "cookie, revalidation"} {
				var header []string
				if strings.HasPrefix(variant, "cookie") {
					header = append(header, "Cookie", anon)
				}
				if strings.HasSuffix(variant, "htmx") {
					header = append(header, "HX-Request", "true")
				}
				fresh := variant == "no cookie"
				level.Set(slog.LevelDebug)
				fetch(t, browser, path, accept, header...) // cached, and seen once more for brotli
				first, _ := fetch(t, browser, path, accept, header...)
				if variant == "cookie, revalidation" {
					header = append(header, "If-None-Match", first.Header.Get("ETag"))
				}
				chain, chainBody := fetch(t, browser, path, accept, header...)
				level.Set(slog.LevelInfo)
				lane, laneBody := fetch(t, browser, path, accept, header...)

				what := path + ", " + accept + ", " + variant
				if lane.StatusCode != chain.StatusCode {
					t.Errorf("%s: the lane answers %d, the chain %d", what, lane.StatusCode, chain.StatusCode)
					continue
				}
				for _, name := range slices.Sorted(func(yield func(string) bool) {
					for k := range chain.Header {
						yield(k)
					}
					for k := range lane.Header {
						if _, ok := chain.Header[k]; !ok {
							yield(k)
						}
					}
				}) {
					if name == "Date" {
						continue
					}
					var c, l []string
					for _, v := range chain.Header[name] {
						c = append(c, mask(name, v, fresh))
					}
					for _, v := range lane.Header[name] {
						l = append(l, mask(name, v, fresh))
					}
					if !slices.Equal(c, l) {
						t.Errorf("%s: %s is %q from the lane, %q from the chain", what, name, l, c)
					}
				}
				if fresh && chain.Header.Get("Set-Cookie") != "" {
					minted++
					if lane.Header.Get("Set-Cookie") == chain.Header.Get("Set-Cookie") {
						t.Errorf("%s: two visitors without a cookie were given the same one", what)
					}
				}
				if enc := chain.Header.Get("Content-Encoding"); enc != "" {
					chainBody, laneBody = decode(t, enc, chainBody), decode(t, enc, laneBody)
				}
				if tokenField.Match(chainBody) {
					tokens++
				}
				if fresh {
					chainBody, laneBody = maskToken(chainBody), maskToken(laneBody)
				}
				if string(laneBody) != string(chainBody) {
					t.Errorf("%s: the lane's page differs from the chain's:\n%s\n---\n%s", what, laneBody, chainBody)
				}
			}
		}
	}
	// The comparisons covered a page that mints a cookie and pages with
	// the visitor's token.
	if minted == 0 || tokens == 0 {
		t.Errorf("%d answers minted a cookie and %d carried a token: the pages are not the ones this test is about", minted, tokens)
	}
}
