package web

import (
	"bytes"
	"compress/gzip"
	"hash/crc32"
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
		out := bytes.NewBuffer(g.appendTo([]byte("kept"), token)[len("kept"):])
		zr, err := gzip.NewReader(out)
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

// TestCRC32Combine: the CRC of two pieces combined from their CRCs and the
// second one's length is the CRC of the two read as one, for lengths from
// nothing to several deflate blocks.
func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 7, 8, 43, 255, 256, 1000, 65_535, 70_001} {
		a, b := make([]byte, rng.IntN(5000)), make([]byte, n)
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		want := crc32.ChecksumIEEE(append(append([]byte(nil), a...), b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), crc32Shift(n)); got != want {
			t.Errorf("%d+%d bytes: combined %08x, want %08x", len(a), n, got, want)
		}
	}
}
