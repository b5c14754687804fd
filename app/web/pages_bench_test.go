package web_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/valyala/fasthttp"

	"vendo/app/store"
)

// Page benchmarks drive the Fiber app's handler directly (no network), so
// they measure Vendo's work per request: middleware, the page cache, and
// template rendering with the layout. `make bench` measures the same
// pages over loopback against a bare Fiber handler.

// benchRequest runs one GET through the app and fails on a non-200.
func benchRequest(b *testing.B, h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx, uri string, header map[string]string) {
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	ctx.Request.SetRequestURI(uri)
	for k, v := range header {
		ctx.Request.Header.Set(k, v)
	}
	h(ctx)
	if code := ctx.Response.StatusCode(); code != fasthttp.StatusOK {
		b.Fatalf("GET %s: %d %s", uri, code, ctx.Response.Body())
	}
}

// benchPages benchmarks uri for an anonymous visitor (served from the page
// cache after the first request) and rendered in full each time (a
// history-restore request bypasses the cache and renders page and layout).
func benchPages(b *testing.B, uri string) {
	shop := newTestShop(b)
	h := shop.srv.App().Handler()
	cases := []struct {
		name   string
		header map[string]string
	}{
		{"cached", nil},
		{"rendered", map[string]string{"HX-History-Restore-Request": "true"}},
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
					benchRequest(b, h, &ctx, uri, tc.header)
				}
			})
		})
	}
}

func BenchmarkProductPage(b *testing.B) {
	shop := newTestShop(b)
	ps, _, err := shop.store.Products(context.Background(), store.ProductFilter{ActiveOnly: true, Limit: 1})
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
