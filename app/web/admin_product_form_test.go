package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vendo/app/vendotest"
)

// A new product starts out of the catalog (files come first), and a
// missing title is one error, not also one on the address made from it.
func TestNewProductFormDefaultsAndErrors(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
	admin := shop.Admin
	admin.SignInAdmin()

	_, page := admin.Get("/admin/products/new")
	active := regexp.MustCompile(`<input type="checkbox" name="active"[^>]*>`).FindString(page)
	if active == "" || strings.Contains(active, "checked") || !strings.Contains(page, "add its files first") {
		t.Errorf("a new product's \"In the catalog\" box: %q (want unchecked, with the reason)", active)
	}

	resp, page := admin.Submit("/admin/products", url.Values{"title": {""}, "slug": {""}, "price": {"5.00"}, "currency": {"usd"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty title: %d, want 422", resp.StatusCode)
	}
	if !strings.Contains(page, `id="title-error"`) || !strings.Contains(page, "Give the product a title.") {
		t.Error("the empty title is not flagged")
	}
	if strings.Contains(page, `id="slug-error"`) || strings.Contains(page, `id="slug" type="text" name="slug" value="" maxlength="80" placeholder="made from the title when empty" aria-invalid`) {
		t.Error("an empty title also flags the address field")
	}

	_, page = admin.Submit("/admin/products", url.Values{"title": {"!!!"}, "price": {"5.00"}, "currency": {"usd"}})
	if !strings.Contains(page, "The title has no letters or digits to make an address from: type one.") {
		t.Error("a title without letters does not say the address must be typed")
	}
	_, page = admin.Submit("/admin/products", url.Values{"title": {"Fine"}, "slug": {"Not Valid!"}, "price": {"5.00"}, "currency": {"usd"}})
	if !strings.Contains(page, `id="slug-error"`) {
		t.Error("a typed address that is invalid is not flagged")
	}
}

// The product editor sets a licensed product's activation limit: a
// number from 1 to 10,000, or empty for no limit; anything else is an
// error next to the field and changes nothing.
func TestProductEditorSetsTheActivationLimit(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
	admin := shop.Admin
	admin.SignInAdmin()
	ctx := context.Background()
	p, err := shop.Store.ProductBySlug(ctx, "field-notes-icon-pack")
	if err != nil {
		t.Fatal(err)
	}
	form := func(limit string) url.Values {
		return url.Values{"title": {p.Title}, "slug": {p.Slug}, "summary": {p.Summary}, "description": {p.Description},
			"price": {p.Price.Decimal()}, "currency": {p.Price.Currency}, "active": {"1"}, "licensed": {"1"}, "activation_limit": {limit}}
	}
	for _, tc := range []struct {
		typed  string
		status int
		want   int
	}{
		{"3", 200, 3},
		{"0", 422, 3},
		{"ten", 422, 3},
		{"10001", 422, 3},
		{" ", 200, 0},
		{"10000", 200, 10000},
	} {
		admin.Get("/admin/products/" + p.ID)
		resp, page := admin.Submit("/admin/products/"+p.ID, form(tc.typed))
		got, _ := shop.Store.Product(ctx, p.ID)
		if resp.StatusCode != tc.status || got.ActivationLimit != tc.want {
			t.Fatalf("limit %q: %d, stored %d; want %d, %d", tc.typed, resp.StatusCode, got.ActivationLimit, tc.status, tc.want)
		}
		if tc.status == 422 && !strings.Contains(page, `id="activation_limit-error"`) {
			t.Errorf("limit %q: no error next to the field", tc.typed)
		}
	}
}
