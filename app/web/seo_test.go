package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// What crawlers and link previews read.
func TestRobotsSitemapAndPreviews(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
	c := shop.NewClient()

	resp, robots := c.Get("/robots.txt")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(robots, "Sitemap: "+shop.URL+"/sitemap.xml") || !strings.Contains(robots, "Disallow: /admin") {
		t.Fatalf("robots.txt: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), robots)
	}

	resp, body := c.Get("/sitemap.xml")
	var sm struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(body), &sm); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sitemap.xml: %d %v\n%s", resp.StatusCode, err, body)
	}
	locs := map[string]string{}
	for _, u := range sm.URLs {
		locs[u.Loc] = u.LastMod
	}
	for _, want := range []string{"/", "/products", "/plans", "/products/cafe-budget-planner"} {
		lastmod, ok := locs[shop.URL+want]
		if !ok {
			t.Errorf("the sitemap lacks %s", want)
		} else if !regexp.MustCompile(`^\d{4}-\d\d-\d\d$`).MatchString(lastmod) {
			t.Errorf("%s has lastmod %q", want, lastmod)
		}
	}
	for loc := range locs {
		if strings.Contains(loc, "/account") || strings.Contains(loc, "/admin") || strings.Contains(loc, "/checkout") {
			t.Errorf("the sitemap lists a private page: %s", loc)
		}
	}

	_, page := c.Get("/products/cafe-budget-planner")
	canonical := shop.URL + "/products/cafe-budget-planner"
	for _, want := range []string{
		`<link rel="canonical" href="` + canonical + `">`,
		`<meta property="og:type" content="product">`,
		`<meta property="og:title" content="Café Budget Planner">`,
		`<meta property="og:url" content="` + canonical + `">`,
		`<meta property="og:image" content="` + shop.URL + `/media/`,
		`<meta name="twitter:card" content="summary_large_image">`,
		`href="/plans"`, // a plan's credits unlock it
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the product page lacks %s", want)
		}
	}
	m := regexp.MustCompile(`<script type="application/ld\+json">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the product page has no JSON-LD")
	}
	var ld struct {
		Type   string `json:"@type"`
		Name   string `json:"name"`
		Offers struct {
			Type     string `json:"@type"`
			Price    string `json:"price"`
			Currency string `json:"priceCurrency"`
		} `json:"offers"`
	}
	if err := json.Unmarshal([]byte(m[1]), &ld); err != nil {
		t.Fatalf("JSON-LD does not parse: %v\n%s", err, m[1])
	}
	if ld.Type != "Product" || ld.Name != "Café Budget Planner" || ld.Offers.Type != "Offer" || ld.Offers.Price != "7.00" || ld.Offers.Currency != "USD" {
		t.Errorf("JSON-LD: %+v", ld)
	}
	for _, p := range []string{"/", "/plans"} {
		_, page := c.Get(p)
		if !strings.Contains(page, `<link rel="canonical" href="`+shop.URL+p+`">`) || !strings.Contains(page, `<meta property="og:title"`) ||
			!strings.Contains(page, `<meta name="twitter:card" content="summary">`) {
			t.Errorf("%s lacks its canonical link or preview tags", p)
		}
	}
	if _, page := c.Get("/cart"); strings.Contains(page, `rel="canonical"`) {
		t.Error("the cart (a personal page) has a canonical link")
	}
}

// The PWA's offline page, manifest and service worker.
func TestOfflinePageAndManifest(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
	c := shop.NewClient()
	resp, page := c.Get("/offline")
	if resp.StatusCode != 200 || !strings.Contains(page, "You are offline") || strings.Contains(page, "X-CSRF-Token") || c.Cookie("vendo_anon") != "" {
		t.Fatalf("/offline: %d, token or cookie in a page every visitor's device keeps\n%.800s", resp.StatusCode, page)
	}
	_, sw := c.Get("/sw.js")
	if !strings.Contains(sw, `"/offline"`) || !strings.Contains(sw, `req.mode === "navigate"`) {
		t.Error("the service worker does not serve the offline page for pages")
	}
	_, body := c.Get("/static/manifest.webmanifest")
	var mf struct {
		ID    string `json:"id"`
		Icons []struct {
			Src, Purpose string
		} `json:"icons"`
		Screenshots []struct {
			Src        string `json:"src"`
			FormFactor string `json:"form_factor"`
		} `json:"screenshots"`
	}
	if err := json.Unmarshal([]byte(body), &mf); err != nil {
		t.Fatal(err)
	}
	if mf.ID == "" {
		t.Error("the manifest has no id")
	}
	maskable, narrow := "", ""
	for _, i := range mf.Icons {
		if i.Purpose == "maskable" {
			maskable = i.Src
		}
	}
	for _, s := range mf.Screenshots {
		if s.FormFactor == "narrow" {
			narrow = s.Src
		}
	}
	for what, src := range map[string]string{"maskable icon": maskable, "narrow screenshot": narrow} {
		if src == "" {
			t.Errorf("the manifest has no %s", what)
			continue
		}
		if resp, body := c.Get(src); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || len(body) < 1000 {
			t.Errorf("%s %s: %d %s, %d bytes", what, src, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
}

// A cover with WebP renditions is offered to browsers as a srcset on the
// catalog card and the product page, each rendition served as image/webp;
// the original stays the <img> for any browser without WebP.
func TestCoverRenditionsInPages(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
	ctx := context.Background()
	p, err := shop.Store.ProductBySlug(ctx, "sunrise-wallpapers")
	if err != nil {
		t.Fatal(err)
	}
	// Stand-ins for renditions: the page and /media care about the records,
	// not the pixels (app/shop's tests check those).
	var set []app.Image
	for _, w := range []int{480, 960} {
		body := []byte(fmt.Sprintf("RIFF\x00\x00\x00\x00WEBPVP8 rendition %d", w))
		sha, size, err := shop.Files.PutBytes(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		if err := shop.Store.PutFile(ctx, store.FileMeta{SHA256: sha, Size: size, ContentType: "image/webp", Name: "r.webp", Public: true}); err != nil {
			t.Fatal(err)
		}
		set = append(set, app.Image{SHA256: sha, Width: w, Height: w * 5 / 8})
	}
	p.CoverSet = set
	if err := shop.Store.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	srcset := `srcset="/media/` + set[0].SHA256 + ` 480w, /media/` + set[1].SHA256 + ` 960w"`
	c := shop.NewClient()
	for _, path := range []string{"/products", "/products/sunrise-wallpapers"} {
		_, page := c.Get(path)
		i := strings.Index(page, `<source type="image/webp" `+srcset)
		if i < 0 || !strings.Contains(page[i:], `src="/media/`+p.Cover+`"`) {
			t.Errorf("%s does not offer the WebP renditions before the original:\n%.600s", path, page)
		}
	}
	// The first card's cover is a phone's largest paint (Lighthouse's LCP):
	// fetched at once and first; the rest wait until they are near.
	for _, path := range []string{"/", "/products"} {
		_, page := c.Get(path)
		imgs := regexp.MustCompile(`<img class="cover"[^>]*>`).FindAllString(page, -1)
		if len(imgs) < 2 || !strings.Contains(imgs[0], `fetchpriority="high"`) || strings.Contains(imgs[0], "lazy") ||
			!strings.Contains(imgs[1], `loading="lazy"`) || strings.Contains(imgs[1], "fetchpriority") {
			t.Errorf("%s: covers %q; want the first eager with high priority, the others lazy", path, imgs)
		}
	}
	if resp, body := c.Get("/media/" + set[0].SHA256); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/webp" || !strings.HasPrefix(body, "RIFF") {
		t.Errorf("/media rendition: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
