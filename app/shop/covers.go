package shop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for the cover types that get renditions
	_ "image/png"
	"io"
	"os"

	"github.com/gen2brain/webp" // also registers the WebP decoder
	"golang.org/x/image/draw"

	"vendo/app"
	"vendo/app/store"
)

// coverWidths are the widths a raster cover is re-encoded at: a catalog
// card shows it 480 CSS px wide, the product page up to 960 (and a 2×
// phone screen picks the larger). A cover narrower than a width is not
// enlarged.
var coverWidths = []int{480, 960}

// maxCoverPixels bounds what a cover may decode to (a 20-megapixel photo
// is 80 MB as RGBA): larger ones keep their original and get no
// renditions, rather than letting one upload take the shop's memory.
const maxCoverPixels = 20_000_000

// smallCover is a size under which a cover is already as light as a
// rendition would be (an icon, a flat illustration): it is served as is.
const smallCover = 8 << 10

// coverQuality is WebP's lossy quality: 80 is the usual default, well
// under the PNG's size and without visible artefacts at these widths.
const coverQuality = 80

// coverRendition is one encoded WebP rendition before it is stored.
type coverRendition struct {
	app.Image
	body []byte
}

// renderCover decodes a PNG, JPEG or still WebP cover and
// re-encodes it as WebP at each of coverWidths it is wider than, and at
// its own width when that is not wider than the largest; a rendition no
// smaller than the original file is dropped. An SVG, a GIF, an animated
// WebP, an undecodable file,
// one under small bytes or one over maxCoverPixels gives no renditions and
// no error: the original is still the cover.
func renderCover(path, contentType string, small int64) ([]coverRendition, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open the cover: %w", err)
	}
	return renderCoverFrom(func() (io.ReadCloser, error) { return os.Open(path) }, st.Size(), contentType, small)
}

// renderCoverFrom is renderCover for a cover of size bytes that open
// reads from the start, each time it is called: a file on disk or an
// object in a bucket (read twice, for its size and then its pixels).
func renderCoverFrom(open func() (io.ReadCloser, error), size int64, contentType string, small int64) ([]coverRendition, error) {
	switch contentType {
	case "image/png", "image/jpeg", "image/webp":
	default:
		return nil, nil // an SVG scales itself; a GIF may be animated, which a still WebP would lose
	}
	if size < small {
		return nil, nil
	}
	f, err := open()
	if err != nil {
		return nil, fmt.Errorf("open the cover: %w", err)
	}
	br := bufio.NewReader(f)
	if head, _ := br.Peek(21); isAnimatedWebP(head) {
		f.Close()
		return nil, nil
	}
	cfg, _, err := image.DecodeConfig(br)
	f.Close()
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxCoverPixels {
		return nil, nil
	}
	if f, err = open(); err != nil {
		return nil, fmt.Errorf("open the cover again: %w", err)
	}
	src, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		return nil, nil
	}
	var widths []int
	for _, w := range coverWidths {
		if w < cfg.Width {
			widths = append(widths, w)
		}
	}
	if cfg.Width <= coverWidths[len(coverWidths)-1] {
		widths = append(widths, cfg.Width) // its own width is the largest rendition
	}
	var out []coverRendition
	for _, w := range widths {
		h := max(1, (cfg.Height*w+cfg.Width/2)/cfg.Width)
		img := src
		if w != cfg.Width {
			dst := image.NewNRGBA(image.Rect(0, 0, w, h))
			draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
			img = dst
		}
		var b bytes.Buffer
		if err := webp.Encode(&b, img, webp.Options{Quality: coverQuality}); err != nil {
			return nil, fmt.Errorf("encode the cover as WebP at %d px: %w", w, err)
		}
		if int64(b.Len()) >= size {
			continue // a flat-colour PNG can beat WebP: then the original is the better file
		}
		out = append(out, coverRendition{Image: app.Image{Width: w, Height: h}, body: b.Bytes()})
	}
	return out, nil
}

// isAnimatedWebP reads a WebP's extended header (RIFF, size, "WEBP",
// "VP8X", chunk size, flags): the flags' animation bit.
func isAnimatedWebP(head []byte) bool {
	return len(head) >= 21 && string(head[0:4]) == "RIFF" && string(head[8:16]) == "WEBPVP8X" && head[20]&0x02 != 0
}

// storeCoverSet stores a cover's renditions as public files and returns
// their records; it runs before the transaction that names them, as an
// upload does (a file no record names is harmless: nothing serves it).
func (s *Shop) storeCoverSet(ctx context.Context, f store.FileMeta) ([]app.Image, []store.FileMeta, error) {
	size, err := s.Files.Stat(ctx, f.SHA256)
	if err != nil {
		return nil, nil, err
	}
	open := func() (io.ReadCloser, error) { return s.Files.Open(ctx, f.SHA256, 0, size) }
	renditions, err := renderCoverFrom(open, size, f.ContentType, smallCover)
	if err != nil {
		return nil, nil, err
	}
	var set []app.Image
	var metas []store.FileMeta
	for _, r := range renditions {
		sha, size, err := s.Files.PutBytes(ctx, r.body)
		if err != nil {
			return nil, nil, fmt.Errorf("store the %d px cover: %w", r.Width, err)
		}
		r.SHA256 = sha
		set = append(set, r.Image)
		metas = append(metas, store.FileMeta{SHA256: sha, Size: size, ContentType: "image/webp",
			Name: fmt.Sprintf("%s-%dw.webp", f.SHA256[:12], r.Width), Public: true})
	}
	return set, metas, nil
}
