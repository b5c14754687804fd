package web

import (
	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

// handleHome shows the shop's front page with its newest products.
func (s *Server) handleHome(c *fiber.Ctx) error {
	all, _, err := s.store.Products(c.UserContext(), store.ProductFilter{ActiveOnly: true})
	if err != nil {
		return err
	}
	// Newest first, at most six.
	latest := make([]app.Product, 0, 6)
	for i := len(all) - 1; i >= 0 && len(latest) < 6; i-- {
		latest = append(latest, all[i])
	}
	return s.page(c, "pages/home", "", fiber.Map{"Products": latest, "Nav": "home"})
}
