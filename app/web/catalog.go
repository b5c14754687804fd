package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

const catalogPageSize = 12

// handleCatalog lists products a page at a time; an htmx request gets only
// the results partial.
func (s *Server) handleCatalog(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	after := c.Query("after")
	products, next, err := s.store.Products(c.UserContext(), store.ProductFilter{ActiveOnly: true, After: after, Limit: catalogPageSize})
	if err != nil {
		return err
	}
	if q != "" {
		products, next = filterProducts(products, q), ""
	}
	data := fiber.Map{"Title": "Products", "Nav": "products", "Products": products, "Query": q}
	if next != "" {
		data["Next"] = url.Values{"after": {next}}.Encode()
	}
	if after != "" {
		data["Prev"] = "" // cursor paging goes forward; "previous" is the browser's back
	}
	return s.page(c, "pages/products", "partials/product_results", data)
}

// filterProducts is the simple match used until the search index arrives:
// every word must appear in the title or summary.
func filterProducts(ps []app.Product, q string) []app.Product {
	words := strings.Fields(app.Fold(q))
	var out []app.Product
	for _, p := range ps {
		hay := app.Fold(p.Title + " " + p.Summary + " " + p.Description)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}
