package shop

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif" // decoders for the cover types an admin may upload
	_ "image/jpeg"
	_ "image/png"
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

// renderCover decodes a PNG, JPEG, GIF (first frame) or WebP cover and
// re-encodes it as WebP at each of coverWidths it is wider than, and at
// its own width when that is not wider than the largest; a rendition no
// smaller than the original file is dropped. An SVG, an undecodable file,
// one under small bytes or one over maxCoverPixels gives no renditions and
// no error: the original is still the cover.
func renderCover(path, contentType string, small int64) ([]coverRendition, error) {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open the cover: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() < small {
		return nil, nil
	}
	cfg, _, err := image.DecodeConfig(f)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxCoverPixels {
		return nil, nil
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("rewind the cover: %w", err)
	}
	src, _, err := image.Decode(f)
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
		if size, err := f.Seek(0, 2); err == nil && int64(b.Len()) >= size {
			continue // a flat-colour PNG can beat WebP: then the original is the better file
		}
		out = append(out, coverRendition{Image: app.Image{Width: w, Height: h}, body: b.Bytes()})
	}
	return out, nil
}

// storeCoverSet stores a cover's renditions as public files and returns
// their records; it runs before the transaction that names them, as an
// upload does (a file no record names is harmless: nothing serves it).
func (s *Shop) storeCoverSet(ctx context.Context, f store.FileMeta) ([]app.Image, []store.FileMeta, error) {
	path, err := s.Files.Path(f.SHA256)
	if err != nil {
		return nil, nil, err
	}
	renditions, err := renderCover(path, f.ContentType, smallCover)
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
