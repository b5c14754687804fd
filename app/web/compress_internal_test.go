package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept      string
		offerBrotli bool
		want        string
	}{
		{"", true, ""},
		{"identity", true, ""},
		{"gzip", true, "gzip"},
		{"br", true, "br"},
		{"br", false, ""},
		{"gzip, deflate, br, zstd", true, "br"}, // what Chromium sends
		{"gzip, deflate, br", false, "gzip"},
		{"GZIP", true, "gzip"},
		{"br;q=0.5, gzip", true, "gzip"},
		{"br;q=1.0, gzip;q=0.8", true, "br"},
		{"br;q=0, gzip", true, "gzip"},
		{"gzip;q=0", true, ""},
		{"*", true, "br"},
		{"*", false, "gzip"},
		{"*;q=0, gzip", true, "gzip"},
		{"deflate", true, ""},
		{" gzip ; q=0.3 ", true, "gzip"},
	}
	for _, tt := range tests {
		if got := negotiate(tt.accept, tt.offerBrotli); got != tt.want {
			t.Errorf("negotiate(%q, brotli %v) = %q, want %q", tt.accept, tt.offerBrotli, got, tt.want)
		}
	}
}

func TestCompressible(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8": true, "text/css; charset=utf-8": true, "text/javascript; charset=utf-8": true,
		"image/svg+xml": true, "application/json": true, "application/manifest+json": true, "application/xml; charset=utf-8": true,
		"image/png": false, "application/zip": false, "application/pdf": false, "": false, "text/event-stream": false,
	} {
		if got := compressible(ct); got != want {
			t.Errorf("compressible(%q) = %v, want %v", ct, got, want)
		}
	}
}

// TestGzipSpliceDecodesToThePage: a page gzipped once in parts, with a
// visitor's token spliced between them, decodes (with the standard
// library's reader) to exactly the page with the token in place.
func TestGzipSpliceDecodesToThePage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"<form>", `<input name="_csrf" value="`, "placeholder", "\">", "Add to cart", "Ünïcödé ", "\n"}
	for round := range 50 {
		var parts [][]byte
		for range 1 + rng.IntN(5) {
			var b strings.Builder
			for range rng.IntN(3000) {
				b.WriteString(words[rng.IntN(len(words))])
			}
			parts = append(parts, []byte(b.String()))
		}
		token := strings.Repeat("t", rng.IntN(80)) + "placeholder"
		g := newGzipSplice(parts)
		var out bytes.Buffer
		g.writeTo(&out, token)
		zr, err := gzip.NewReader(&out)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("round %d: decode: %v", round, err)
		}
		if want := bytes.Join(parts, []byte(token)); !bytes.Equal(got, want) {
			t.Fatalf("round %d: decoded %d bytes, want the %d-byte page", round, len(got), len(want))
		}
		if total := len(bytes.Join(parts, []byte(token))); total > 20_000 && out.Len() > total/2 {
			t.Errorf("round %d: %d bytes gzipped to %d: not compressed", round, total, out.Len())
		}
	}
}
