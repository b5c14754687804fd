package web

import (
	"github.com/gofiber/fiber/v2"

	"vendo/app/store"
)

// handleHome shows the shop's front page with its newest products.
func (s *Server) handleHome(c *fiber.Ctx) error {
	latest, _, err := s.store.Products(c.UserContext(), store.ProductFilter{Status: store.ProductActive, Limit: 6})
	if err != nil {
		return err
	}
	settings, err := s.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return s.page(c, "pages/home", "", fiber.Map{"Products": latest, "Nav": "home", "Shop": settings,
		"Meta": s.meta("/", settings.ShopName, settings.Tagline, "")})
}
