package web_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"vendo/app/store"
	"vendo/app/vendotest"
)

// Page benchmarks drive the Fiber app's handler directly (no network), so
// they measure Vendo's work per request: middleware, the page cache, and
// template rendering with the layout. `make bench` measures the same
// pages over loopback against a bare Fiber handler.

// serve runs one GET through the app's handler.
func serve(h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx, uri string, header map[string]string) int {
	ctx.Request.Reset()
	ctx.Response.Reset()
	// The server clears a connection's user values (Fiber's Locals)
	// between requests; without this a visitor's token would carry over
	// and a first-time visitor's cookie would never be minted.
	ctx.ResetUserValues()
	ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	ctx.Request.SetRequestURI(uri)
	for k, v := range header {
		ctx.Request.Header.Set(k, v)
	}
	h(ctx)
	return ctx.Response.StatusCode()
}

// benchRequest is serve that fails on a non-200.
func benchRequest(b testing.TB, h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx, uri string, header map[string]string) {
	if code := serve(h, ctx, uri, header); code != fasthttp.StatusOK {
		b.Fatalf("GET %s: %d %s", uri, code, ctx.Response.Body())
	}
}

// benchPages benchmarks uri for an anonymous visitor (served from the page
// cache after the first request) and rendered in full each time (a
// history-restore request bypasses the cache and renders page and layout).
func benchPages(b *testing.B, uri string) {
	shop := vendotest.Start(b, vendotest.Options{})
	h := shop.Web.App().Handler()
	cases := []struct {
		name   string
		header map[string]string
	}{
		{"cached", nil},
		// Compressed once when cached (gzip spliced around the visitor's
		// token on pages with forms; compress.go).
		{"cached-gzip", map[string]string{"Accept-Encoding": "gzip"}},
		{"cached-chromium", map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"}},
		{"rendered", map[string]string{"HX-History-Restore-Request": "true"}},
		// Rendered, then gzipped for this response alone.
		{"rendered-gzip", map[string]string{"HX-History-Restore-Request": "true", "Accept-Encoding": "gzip"}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			benchRequest(b, h, &ctx, uri, tc.header)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				benchRequest(b, h, &ctx, uri, tc.header)
			}
			b.ReportMetric(float64(len(ctx.Response.Body())), "body-bytes")
		})
		b.Run(tc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var ctx fasthttp.RequestCtx
				for pb.Next() {
					if code := serve(h, &ctx, uri, tc.header); code != fasthttp.StatusOK {
						b.Errorf("GET %s: %d", uri, code)
						return
					}
				}
			})
		})
	}
}

func BenchmarkProductPage(b *testing.B) {
	shop := vendotest.Start(b, vendotest.Options{})
	ps, _, err := shop.Store.Products(context.Background(), store.ProductFilter{Status: store.ProductActive, Limit: 1})
	if err != nil || len(ps) == 0 {
		b.Fatal("no demo product", err)
	}
	benchPages(b, "/products/"+ps[0].Slug)
}

func BenchmarkCatalogPage(b *testing.B) { benchPages(b, "/products") }

func BenchmarkSearchPage(b *testing.B) {
	benchPages(b, "/products?"+url.Values{"q": {"pack"}}.Encode())
}

func BenchmarkHomePage(b *testing.B) { benchPages(b, "/") }

// TestRenderInParallel renders pages with the layout from many goroutines
// at once (views.go keeps one template clone per rendering): each must
// come out exactly as a rendering alone does. Run with -race.
func TestRenderInParallel(t *testing.T) {
	t.Parallel()
	shop := vendotest.Start(t, vendotest.Options{})
	h := shop.Web.App().Handler()
	restore := map[string]string{"HX-History-Restore-Request": "true"} // bypasses the page cache
	uris := []string{"/products", "/products?" + url.Values{"q": {"pack"}}.Encode(), "/products?" + url.Values{"q": {"icon"}}.Encode()}
	want := map[string]string{}
	for _, u := range uris {
		var ctx fasthttp.RequestCtx
		benchRequest(t, h, &ctx, u, restore)
		want[u] = string(ctx.Response.Body())
	}
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var ctx fasthttp.RequestCtx
			for i := 0; i < 25; i++ {
				u := uris[(g+i)%len(uris)]
				if code := serve(h, &ctx, u, restore); code != fasthttp.StatusOK {
					errs <- fmt.Sprintf("GET %s: %d", u, code)
					return
				}
				if got := string(ctx.Response.Body()); got != want[u] {
					errs <- fmt.Sprintf("GET %s rendered differently in parallel:\n%s", u, got)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
