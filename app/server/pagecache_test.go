package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
)

var tokenRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func fetch(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// TestAnonymousPagesAreCachedPerVisitorAndFollowTheCatalog: one cached
// product page serves two visitors with their own tokens, answers 304 to a
// matching ETag, and shows a catalog change at once.
func TestAnonymousPagesAreCachedPerVisitorAndFollowTheCatalog(t *testing.T) {
	srv, _, stop := serveForTest(t, t.TempDir(), nil)
	defer stop()
	url := srv.Config.BaseURL + "/products/the-calm-inbox"
	jarA, _ := cookiejar.New(nil)
	jarB, _ := cookiejar.New(nil)
	a, b := &http.Client{Jar: jarA}, &http.Client{Jar: jarB}

	_, pageA := fetch(t, a, url)
	_, pageA2 := fetch(t, a, url)
	respB, pageB := fetch(t, b, url)
	ta, ta2, tb := tokenRE.FindStringSubmatch(pageA), tokenRE.FindStringSubmatch(pageA2), tokenRE.FindStringSubmatch(pageB)
	if ta == nil || tb == nil || ta2 == nil {
		t.Fatal("no token on the product page")
	}
	if ta[1] != ta2[1] || ta[1] == tb[1] || strings.Contains(pageB, "placeholder") {
		t.Fatalf("tokens: A %s, A again %s, B %s", ta[1], ta2[1], tb[1])
	}
	if strings.ReplaceAll(pageA, ta[1], "T") != strings.ReplaceAll(pageB, tb[1], "T") {
		t.Fatal("two anonymous visitors got different pages")
	}
	etag := respB.Header.Get("ETag")
	if resp, body := fetch(t, b, url, "If-None-Match", etag); resp.StatusCode != 304 || body != "" {
		t.Fatalf("conditional request: %d", resp.StatusCode)
	}
	if !strings.Contains(respB.Header.Get("Cache-Control"), "private") {
		t.Fatalf("a page with a token must be private: %q", respB.Header.Get("Cache-Control"))
	}

	// A catalog change shows at once, on the page and in search.
	ctx := context.Background()
	p, _ := srv.Store.ProductBySlug(ctx, "the-calm-inbox")
	p.Title = "The Very Calm Inbox"
	if err := srv.Store.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if _, body := fetch(t, a, url); !strings.Contains(body, "The Very Calm Inbox") {
		t.Fatal("the cached page did not follow the change")
	}
	if _, body := fetch(t, a, srv.Config.BaseURL+"/products?q=very+calm"); !strings.Contains(body, "<mark>Very</mark>") {
		t.Fatal("search did not follow the change")
	}
	if resp, _ := fetch(t, b, url, "If-None-Match", etag); resp.StatusCode != 200 {
		t.Fatalf("an old ETag after a change: %d, want 200", resp.StatusCode)
	}
}
