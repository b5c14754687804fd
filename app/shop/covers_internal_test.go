package shop

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gen2brain/webp"
)

// TestCoverRenditions re-encodes covers of several sizes and checks each
// rendition decodes as WebP at the width it claims, keeps the aspect ratio
// and is smaller than the PNG it came from.
func TestCoverRenditions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A photo-like picture: gradients with grain, which PNG compresses
	// badly and WebP well; smooth leaves the grain out, which PNG stores
	// in fewer bytes than lossy WebP.
	rng := rand.New(rand.NewPCG(1, 2))
	picture := func(w, h int, smooth bool) image.Image {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < len(img.Pix); i += 4 {
			x, y := (i/4)%w, (i/4)/w
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x*255/w), uint8(y*255/h), uint8(100+rng.IntN(60)), 255
			if smooth {
				img.Pix[i+2] = 140
			}
		}
		return img
	}
	// A grainy picture's PNG is stored uncompressed: deflate gains little
	// on grain and was most of this test's CPU under -race. The smooth
	// one keeps the default compression, so its PNG is as small as PNG
	// makes it and still beats its WebP.
	encode := func(img image.Image, as string) []byte {
		var b bytes.Buffer
		var err error
		if as == "png" {
			err = (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&b, img)
		} else if as == "smooth png" {
			err = png.Encode(&b, img)
		} else {
			err = jpeg.Encode(&b, img, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	// A GIF of a paletted picture: the encoder then has no colours to
	// quantize and dither (a second of CPU under -race for a photo).
	gifOf := func(w, h int) []byte {
		img := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for i := range img.Pix {
			img.Pix[i] = uint8(i%w*7 + i/w*3 + rng.IntN(8))
		}
		var b bytes.Buffer
		if err := gif.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	// A PNG header that claims 10,000 × 10,000 pixels: DecodeConfig reads
	// only the header, so the bomb is refused before anything is decoded.
	bomb := zeroPNG(t, 10000, 10000)

	tests := []struct {
		name, file, contentType string
		body                    []byte
		small                   int64
		widths                  []int
	}{
		{"a wide PNG gets both widths", "wide.png", "image/png", encode(picture(1200, 750, false), "png"), 0, []int{480, 960}},
		{"a 960 px PNG, as the auditor uploaded", "960.png", "image/png", encode(picture(960, 600, false), "png"), 0, []int{480, 960}},
		{"a medium JPEG keeps its own width as the largest", "mid.jpg", "image/jpeg", encode(picture(700, 400, false), "jpeg"), 0, []int{480, 700}},
		{"a light file is served as is", "light.png", "image/png", encode(picture(300, 200, false), "png"), smallCover * 100, nil},
		{"a small PNG is not enlarged", "small.png", "image/png", encode(picture(300, 200, false), "png"), 0, []int{300}},
		{"a smooth PNG smaller than its WebP keeps only its original", "smooth.png", "image/png", encode(picture(300, 200, true), "smooth png"), 0, nil},
		{"a GIF, which may be animated, is left alone", "a.gif", "image/gif", gifOf(640, 400), 0, nil},
		{"an animated WebP is left alone", "anim.webp", "image/webp", append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02"), bytes.Repeat([]byte{0}, 9000)...), 0, nil},
		{"an SVG is left alone", "c.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0, nil},
		{"a file that does not decode is left alone", "broken.png", "image/png", []byte("\x89PNG\r\n\x1a\nnot really"), 0, nil},
		{"a decompression bomb is not decoded", "bomb.png", "image/png", bomb, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderCover(write(tt.file, tt.body), tt.contentType, tt.small)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.widths) {
				t.Fatalf("%d renditions, want widths %v", len(got), tt.widths)
			}
			for i, r := range got {
				cfg, err := webp.DecodeConfig(bytes.NewReader(r.body))
				if err != nil {
					t.Fatalf("rendition %d is not WebP: %v", i, err)
				}
				if r.Width != tt.widths[i] || cfg.Width != r.Width || cfg.Height != r.Height {
					t.Errorf("rendition %d: claims %d×%d, is %d×%d, want width %d", i, r.Width, r.Height, cfg.Width, cfg.Height, tt.widths[i])
				}
				src, _, _ := image.DecodeConfig(bytes.NewReader(tt.body))
				if want := src.Height * r.Width / src.Width; r.Height < want-1 || r.Height > want+1 {
					t.Errorf("rendition %d is %d px high, want about %d (the aspect ratio)", i, r.Height, want)
				}
				if len(r.body) >= len(tt.body) {
					t.Errorf("rendition %d is %d bytes, the original %d", i, len(r.body), len(tt.body))
				}
			}
		})
	}
}

// zeroPNG is a valid w × h 8-bit grey PNG, all black, made without
// compressing its w×h bytes: its rows are all zeros, so one flate chunk of
// rows, flushed to a byte boundary, repeats until every row is there (a
// deflate stream is a sequence of blocks; each chunk's blocks refer only
// to zeros). png.Encode deflated the 100 MB of a 10,000 × 10,000 bomb,
// ten CPU-seconds under -race. The decoder reads it whole, so a cover
// path that skipped the pixel bound would decode and render it.
func zeroPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	const rowsPerChunk = 100
	if h%rowsPerChunk != 0 {
		t.Fatalf("zeroPNG: %d rows are not a multiple of %d", h, rowsPerChunk)
	}
	var chunk bytes.Buffer
	fw, _ := flate.NewWriter(&chunk, flate.BestCompression)
	fw.Write(make([]byte, (1+w)*rowsPerChunk)) // each row: filter byte 0, then w zero pixels
	fw.Flush()
	var idat bytes.Buffer
	idat.Write([]byte{0x78, 0xda}) // zlib: deflate, 32 KB window, best compression
	for range h / rowsPerChunk {
		idat.Write(chunk.Bytes())
	}
	idat.Write([]byte{0x03, 0x00}) // the final block: fixed Huffman, empty
	// Adler-32 of n zero bytes: the byte sum stays 1, the sum of sums is n.
	n := uint32((1 + w) * h % 65521)
	idat.Write(binary.BigEndian.AppendUint32(nil, n<<16|1))
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	pngChunk := func(typ string, data []byte) {
		out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(data))))
		body := append([]byte(typ), data...)
		out.Write(body)
		out.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	pngChunk("IHDR", append(ihdr, 8, 0, 0, 0, 0)) // 8 bits, grey, deflate, no interlace
	pngChunk("IDAT", idat.Bytes())
	pngChunk("IEND", nil)
	return out.Bytes()
}

// TestZeroPNG: the hand-made PNG decodes to the size it claims, all black.
func TestZeroPNG(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(zeroPNG(t, 250, 300)))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Bounds() != image.Rect(0, 0, 250, 300) || bytes.Count(g.Pix, []byte{0}) != 250*300 {
		t.Fatalf("decoded %T %v", img, img.Bounds())
	}
}

// TestIsAnimatedWebP reads the animation bit of a WebP's extended header,
// and nothing else: a still extended WebP and a simple lossy one are not
// animated.
func TestIsAnimatedWebP(t *testing.T) {
	ext := func(flags byte) []byte {
		return append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00"), flags, 0, 0, 0)
	}
	for _, tc := range []struct {
		name string
		head []byte
		want bool
	}{
		{"animated", ext(0x02), true},
		{"animated with alpha", ext(0x12), true},
		{"extended, still, with alpha", ext(0x10), false},
		{"simple lossy", []byte("RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00\x02"), false},
		{"too short to tell", ext(0x02)[:20], false},
	} {
		if got := isAnimatedWebP(tc.head); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
