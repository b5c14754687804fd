package shop_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gen2brain/webp"

	"vendo/app/blobs"
	"vendo/app/store"
)

// TestCoverUploadMakesWebPRenditions sets a photo-like 600 px PNG as a
// product's cover: the product then names a 480 px and a 600 px WebP,
// each a public file on disk that decodes at that width; an SVG cover
// that replaces it leaves no renditions behind in the product.
func TestCoverUploadMakesWebPRenditions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	img := image.NewNRGBA(image.Rect(0, 0, 600, 375))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(40)) + uint8(i%2400/10)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	sha, size, err := f.shop.Files.PutBytes(ctx, b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.shop.SetProductCover(ctx, f.product.ID, store.FileMeta{SHA256: sha, Size: size, ContentType: "image/png", Name: "cover.png"}, "boss@shop.test"); err != nil {
		t.Fatal(err)
	}
	p, err := f.store.Product(ctx, f.product.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cover != sha || len(p.CoverSet) != 2 || p.CoverSet[0].Width != 480 || p.CoverSet[1].Width != 600 {
		t.Fatalf("cover %s, renditions %+v; want the PNG with 480 and 600 px WebPs", p.Cover, p.CoverSet)
	}
	for _, r := range p.CoverSet {
		meta, err := f.store.File(ctx, r.SHA256)
		if err != nil || !meta.Public || meta.ContentType != "image/webp" {
			t.Errorf("rendition %d px: file record %+v, %v; want a public image/webp", r.Width, meta, err)
		}
		path, err := f.shop.Files.(*blobs.Dir).Path(r.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := webp.DecodeConfig(bytes.NewReader(body))
		if err != nil || cfg.Width != r.Width || cfg.Height != r.Height || int64(len(body)) >= size {
			t.Errorf("rendition %d px on disk: %d×%d, %d bytes (PNG %d), %v", r.Width, cfg.Width, cfg.Height, len(body), size, err)
		}
	}
	if got := p.CoverSrcset(); got != "/media/"+p.CoverSet[0].SHA256+" 480w, /media/"+p.CoverSet[1].SHA256+" 600w" {
		t.Errorf("srcset %q", got)
	}

	svg, n, err := f.shop.Files.PutBytes(ctx, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.shop.SetProductCover(ctx, f.product.ID, store.FileMeta{SHA256: svg, Size: n, ContentType: "image/svg+xml", Name: "c.svg"}, "boss@shop.test"); err != nil {
		t.Fatal(err)
	}
	if p, _ = f.store.Product(ctx, f.product.ID); p.Cover != svg || len(p.CoverSet) != 0 {
		t.Errorf("after an SVG cover: %s with renditions %+v", p.Cover, p.CoverSet)
	}
}
