package web_test

import (
	"context"
	"testing"

	"github.com/valyala/fasthttp"

	"vendo/app/store"
	"vendo/app/vendotest"
)

// BenchmarkSignedInPages measures pages for a signed-in customer (the session
// cookie of a real sign-in): header account menu, token and buy box are
// theirs.
func BenchmarkSignedInPages(b *testing.B) {
	shop := vendotest.Start(b, vendotest.Options{})
	ps, _, err := shop.Store.Products(context.Background(), store.ProductFilter{Status: store.ProductActive, Limit: 1})
	if err != nil || len(ps) == 0 {
		b.Fatal("no demo product", err)
	}
	cl := shop.NewClient()
	cl.SignIn("bench@example.com")
	cookie := map[string]string{"Cookie": "vendo_session=" + cl.Cookie("vendo_session")}
	h := shop.Web.App().Handler()
	for _, uri := range []string{"/products/" + ps[0].Slug, "/products", "/plans", "/account"} {
		b.Run(uri, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			benchRequest(b, h, &ctx, uri, cookie)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				benchRequest(b, h, &ctx, uri, cookie)
			}
			b.ReportMetric(float64(len(ctx.Response.Body())), "body-bytes")
		})
	}
}
