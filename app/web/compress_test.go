package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"vendo/app/vendotest"
)

// decode undoes a Content-Encoding with readers independent of the ones
// the shop writes with.
func decode(t *testing.T, encoding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch encoding {
	case "":
		return body
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	default:
		t.Fatalf("unexpected Content-Encoding %q", encoding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", encoding, err)
	}
	return out
}

// fetch gets path with an Accept-Encoding, as raw bytes (Go's client
// decodes only what it asked for itself).
func fetch(t *testing.T, c *vendotest.Client, path, accept string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", c.URL(path), nil)
	req.Header.Set("Accept-Encoding", accept)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestResponsesAreCompressed: each kind of text response (an embedded
// asset, a cached page, a cached page with the visitor's token, a page
// rendered per request, XML, an error page) goes out in the encoding the
// browser prefers among those it accepts, decodes to exactly the bytes
// sent unencoded, and says in Vary that it depends on Accept-Encoding.
func TestResponsesAreCompressed(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	c := s.NewClient()
	_, home := c.Get("/")
	css := regexp.MustCompile(`href="(/static/css/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home)
	if css == nil {
		t.Fatal("the home page links no versioned stylesheet")
	}
	c.Get("/products/sunrise-wallpapers") // the visitor's token cookie, so every answer carries the same token
	const chromium = "gzip, deflate, br, zstd"
	tests := []struct {
		name, path string
		header     []string
		status     int
		// the encoding for "gzip", "br" and Chromium's header
		gzip, br, chromium string
	}{
		{"stylesheet", css[1], nil, 200, "gzip", "br", "br"},
		{"htmx", "/static/js/htmx-2.0.11.min.js", nil, 200, "gzip", "br", "br"},
		{"web manifest", "/static/manifest.webmanifest", nil, 200, "gzip", "br", "br"},
		{"cached page", "/", nil, 200, "gzip", "br", "br"},
		{"cached page with a token", "/products/sunrise-wallpapers", nil, 200, "gzip", "", "gzip"},
		{"cached htmx partial", "/products?sort=price", []string{"HX-Request", "true"}, 200, "gzip", "br", "br"},
		{"page rendered per request", "/login", nil, 200, "gzip", "", "gzip"},
		{"sitemap", "/sitemap.xml", nil, 200, "gzip", "", "gzip"},
		{"error page", "/products/no-such-product", nil, 404, "gzip", "", "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, plain := fetch(t, c, tt.path, "identity", tt.header...)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Encoding") != "" {
				t.Fatalf("identity: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
			}
			if len(plain) < 1000 {
				t.Fatalf("the page is only %d bytes: nothing to compress", len(plain))
			}
			for _, e := range []struct{ accept, want string }{{"gzip", tt.gzip}, {"br", tt.br}, {chromium, tt.chromium}} {
				// Twice: a cached page is brotli-encoded from its second
				// request on.
				fetch(t, c, tt.path, e.accept, tt.header...)
				resp, body := fetch(t, c, tt.path, e.accept, tt.header...)
				got := resp.Header.Get("Content-Encoding")
				if resp.StatusCode != tt.status || got != e.want {
					t.Errorf("Accept-Encoding %q: %d with Content-Encoding %q, want %d with %q", e.accept, resp.StatusCode, got, tt.status, e.want)
					continue
				}
				if vary := strings.Join(resp.Header.Values("Vary"), ", "); strings.Count(vary, "Accept-Encoding") != 1 {
					t.Errorf("Accept-Encoding %q: Vary is %q, want Accept-Encoding in it once", e.accept, vary)
				}
				if n := resp.Header.Get("Content-Length"); n != "" && n != strconv.Itoa(len(body)) {
					t.Errorf("Accept-Encoding %q: Content-Length %s for %d bytes", e.accept, n, len(body))
				}
				if decoded := decode(t, got, body); !bytes.Equal(decoded, plain) {
					t.Errorf("Accept-Encoding %q: decodes to %d bytes that differ from the %d sent unencoded", e.accept, len(decoded), len(plain))
				}
				if got != "" && len(body) > len(plain)/2 {
					t.Errorf("Accept-Encoding %q: %d bytes encoded to %d", e.accept, len(plain), len(body))
				}
			}
		})
	}
}

// TestEncodedAssetsRevalidate: each encoding of an asset has its own
// ETag, and revalidating with it answers 304 Not Modified.
func TestEncodedAssetsRevalidate(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	c := s.NewClient()
	const path = "/static/js/htmx-2.0.11.min.js"
	etags := map[string]bool{}
	for _, accept := range []string{"identity", "gzip", "br"} {
		resp, _ := fetch(t, c, path, accept)
		etag := resp.Header.Get("ETag")
		if etag == "" || etags[etag] {
			t.Fatalf("%s: ETag %q, want one of its own", accept, etag)
		}
		etags[etag] = true
		resp, body := fetch(t, c, path, accept, "If-None-Match", etag)
		if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("%s revalidated: %d with %d bytes, want 304", accept, resp.StatusCode, len(body))
		}
	}
}

// TestDownloadsAreNotReencoded: a product file goes out as its own bytes,
// whatever the browser accepts (ranges and the download count rely on it).
func TestDownloadsAreNotReencoded(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	c := s.NewClient()
	resp, _ := fetch(t, c, "/static/img/favicon.svg", "gzip")
	if resp.StatusCode != 200 {
		t.Fatalf("favicon: %d", resp.StatusCode)
	}
	// A cover image (SVG in the demo) is a file sent from disk: never
	// encoded on the way.
	_, home := c.Get("/products/sunrise-wallpapers")
	cover := regexp.MustCompile(`src="(/media/[0-9a-f]{64})"`).FindStringSubmatch(home)
	if cover == nil {
		t.Skip("the demo product has no cover")
	}
	resp, body := fetch(t, c, cover[1], "gzip, br")
	if resp.Header.Get("Content-Encoding") != "" || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		t.Errorf("cover: Content-Encoding %q, body starts %q", resp.Header.Get("Content-Encoding"), body[:min(20, len(body))])
	}
}
