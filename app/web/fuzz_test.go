package web_test

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vendo/app/vendotest"
)

// FuzzFormPosts sends arbitrary form fields to the routes people type
// into: the app must answer with a client error or success, never panic
// or fail with a 5xx, whatever the input.
func FuzzFormPosts(f *testing.F) {
	for _, seed := range [][3]string{
		{"/cart/items", "product", "1"}, {"/cart/items", "prod_x", "-5"}, {"/cart/items/prod_x", "", "99999999999999999999"},
		{"/login/email", "a@b.co", ""}, {"/subscribe", "pro", "year"}, {"/checkout", "", ""}, {"/products", "q", "<script>"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	shop := vendotest.Start(f, vendotest.Options{})
	// A visitor's cookie and token, so inputs get past the CSRF check to
	// the parsers behind it.
	resp, page := inProcess(f, shop, httptest.NewRequest("GET", "/products/the-calm-inbox", nil))
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "vendo_anon" {
			cookie = c.Name + "=" + c.Value
		}
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if cookie == "" || m == nil {
		f.Fatal("no anonymous token on a product page")
	}
	token := m[1]
	f.Fuzz(func(t *testing.T, path, a, b string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " #?%") || len(path) > 100 {
			return
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return // not something a client can send
		}
		form := url.Values{"product": {a}, "quantity": {b}, "email": {a}, "plan": {a}, "interval": {b}, "q": {a}, "_csrf": {token}}
		req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		resp, _ := inProcess(t, shop, req)
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s %v: %d", path, form, resp.StatusCode)
		}
		q := httptest.NewRequest("GET", "/products?q="+url.QueryEscape(a), nil)
		if resp, _ := inProcess(t, shop, q); resp.StatusCode != 200 {
			t.Fatalf("search %q: %d", a, resp.StatusCode)
		}
	})
}
