package web

import (
	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// handleProduct shows one product with its files and the buy box.
func (s *Server) handleProduct(c *fiber.Ctx) error {
	p, err := s.store.ProductBySlug(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	if !p.Active {
		return fiber.ErrNotFound
	}
	plans, err := s.store.Plans(c.UserContext())
	if err != nil {
		return err
	}
	meta := s.meta("/products/"+p.Slug, p.Title, p.Summary, p.Cover)
	meta.Type = "product"
	return s.page(c, "pages/product", "", fiber.Map{"Title": p.Title, "Description": p.Summary, "Nav": "products", "Product": p,
		"InPlans": plansInclude(plans), "Meta": meta, "JSONLD": s.productLD(p, meta)})
}

// plansInclude reports whether a plan includes every product: a plan's
// credits unlock any product in the catalog, so any plan with credits
// (a number or unlimited) does.
func plansInclude(plans []app.Plan) bool {
	for _, p := range plans {
		if p.Credits != 0 && p.Monthly.Price.Amount > 0 {
			return true
		}
	}
	return false
}
