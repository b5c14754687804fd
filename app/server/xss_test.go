package server_test

import (
	"context"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

const (
	evilTitle = `<script>alert(1)</script> Kit`
	evilDesc  = `Nice. "><img src=x onerror=alert(2)>` + "\n\n" + `<b>bold?</b>`
)

// assertNoMarkup fails when the attacker's markup reached a page or email
// as markup rather than as text.
func assertNoMarkup(t *testing.T, where, body string) {
	t.Helper()
	for _, bad := range []string{"<script>alert(1)", "<img src=x onerror", "<b>bold?</b>"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s renders %q as markup", where, bad)
		}
	}
}

// TestTitlesAndDescriptionsRenderAsText puts script and attribute-breaking
// markup in a product's title and description and checks every page and
// the receipt email show it as text.
func TestTitlesAndDescriptionsRenderAsText(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	p := app.Product{Slug: "evil-kit", Title: evilTitle, Summary: `"><svg onload=alert(3)>`, Description: evilDesc,
		Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
	if err := srv.Store.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	b := srv.NewClient()
	for _, path := range []string{"/", "/products", "/products/evil-kit", "/products?q=kit"} {
		_, page := b.Get(path)
		if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(page, "&lt;script&gt;alert(1)") {
			t.Errorf("%s does not show the title as text", path)
		}
		assertNoMarkup(t, path, page)
		if strings.Contains(page, "<svg onload") {
			t.Errorf("%s renders the summary as markup", path)
		}
	}
	b.AddToCart("evil-kit")
	_, cart := b.Get("/cart")
	assertNoMarkup(t, "the cart", cart)

	_, page := b.Checkout()
	assertNoMarkup(t, "the sandbox checkout", page)
	_, page = b.Pay("xss@example.com", "4242424242424242")
	assertNoMarkup(t, "the success page", page)
	vendotest.WaitFor(t, "the receipt", func() bool {
		found := false
		srv.Store.View(ctx, func(tx *store.Tx) error {
			ms, _, _ := tx.Outbox(store.MailFilter{})
			for _, m := range ms {
				if m.To == "xss@example.com" && m.Template == "receipt" {
					found = true
					assertNoMarkup(t, "the receipt (html)", m.HTML)
					if !strings.Contains(m.Text, evilTitle) {
						t.Errorf("the text receipt lost the title: %q", m.Text)
					}
				}
			}
			return nil
		})
		return found
	})
}
