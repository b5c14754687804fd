package web

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

// What search engines and link previews read: robots.txt, sitemap.xml, and
// on the home, catalog, product and plan pages a canonical link, Open
// Graph and Twitter card tags, and on product pages JSON-LD Product/Offer.

// pageMeta fills the layout's canonical link and preview tags.
type pageMeta struct {
	Canonical   string // absolute URL of the page without its query
	Title       string
	Description string
	Image       string // absolute URL
	Type        string // og:type: website or product
	LargeImage  bool   // a cover: twitter's large-image card
}

// meta is a page's preview tags; image is a cover's SHA-256 or "" for the
// shop's icon.
func (s *Server) meta(path, title, description, cover string) pageMeta {
	m := pageMeta{Canonical: s.cfg.BaseURL + path, Title: title, Description: description, Type: "website"}
	if cover != "" {
		m.Image, m.LargeImage = s.cfg.BaseURL+"/media/"+cover, true
	} else {
		m.Image = s.cfg.BaseURL + s.assets.url("img/icon-512.png")
	}
	return m
}

// productLD is a product's JSON-LD (schema.org Product with one Offer).
// html/template encodes it as JSON inside the script element, escaping
// what could close the element.
func (s *Server) productLD(p app.Product, m pageMeta) map[string]any {
	availability := "https://schema.org/InStock"
	if !p.Active {
		availability = "https://schema.org/Discontinued"
	}
	return map[string]any{
		"@context":    "https://schema.org",
		"@type":       "Product",
		"name":        p.Title,
		"description": firstNonEmpty(p.Summary, p.Title),
		"sku":         p.ID,
		"url":         m.Canonical,
		"image":       m.Image,
		"offers": map[string]any{
			"@type":         "Offer",
			"price":         p.Price.Decimal(),
			"priceCurrency": strings.ToUpper(p.Price.Currency),
			"availability":  availability,
			"url":           m.Canonical,
		},
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// handleOffline is the page the service worker (static/sw.js) keeps and
// shows when a page cannot be fetched; it has no form and no personal data.
func (s *Server) handleOffline(c *fiber.Ctx) error {
	return s.page(c, "pages/offline", "", fiber.Map{"Title": "You are offline", "CSRF": ""})
}

// handleRobots serves robots.txt: the catalog is for crawling, the
// personal and admin pages are not.
func (s *Server) handleRobots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Type("txt", "utf-8")
	return c.SendString("User-agent: *\n" +
		"Allow: /\n" +
		"Disallow: /account\n" +
		"Disallow: /admin\n" +
		"Disallow: /checkout\n" +
		"Disallow: /downloads/\n" +
		"Disallow: /login\n" +
		"Disallow: /sandbox/\n" +
		"\nSitemap: " + s.cfg.BaseURL + "/sitemap.xml\n")
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemap struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

// handleSitemap lists the pages worth indexing: home, catalog, plans and
// every product for sale, each with when it last changed.
func (s *Server) handleSitemap(c *fiber.Ctx) error {
	var products []app.Product
	var plans []app.Plan
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		if products, _, err = tx.Products(store.ProductFilter{Status: store.ProductActive}); err != nil {
			return err
		}
		plans, err = tx.Plans()
		return err
	})
	if err != nil {
		return err
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	}
	var catalog, plansAt time.Time
	urls := make([]sitemapURL, 0, len(products)+3)
	for _, p := range products {
		catalog = later(catalog, p.UpdatedAt)
		urls = append(urls, sitemapURL{Loc: s.cfg.BaseURL + "/products/" + p.Slug, LastMod: day(p.UpdatedAt)})
	}
	for _, p := range plans {
		plansAt = later(plansAt, p.UpdatedAt)
	}
	urls = append([]sitemapURL{
		{Loc: s.cfg.BaseURL + "/", LastMod: day(catalog)},
		{Loc: s.cfg.BaseURL + "/products", LastMod: day(catalog)},
		{Loc: s.cfg.BaseURL + "/plans", LastMod: day(plansAt)},
	}, urls...)
	out, err := xml.MarshalIndent(sitemap{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", URLs: urls}, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=600")
	c.Type("xml", "utf-8")
	return c.Send(append([]byte(xml.Header), out...))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
