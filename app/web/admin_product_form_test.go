package web_test

import (
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
