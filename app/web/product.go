package web

import (
	"github.com/gofiber/fiber/v2"
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
	return s.page(c, "pages/product", "", fiber.Map{"Title": p.Title, "Description": p.Summary, "Nav": "products", "Product": p})
}
