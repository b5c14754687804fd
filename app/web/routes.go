package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes lists every route, middleware and guard in one place.
func (s *Server) routes(webhook fiber.Handler, mount func(*fiber.App)) {
	a := s.app
	a.Use(recover.New(recover.Config{EnableStackTrace: true}))
	a.Use(s.requestLog)

	a.Get("/static/*", s.handleStatic)
	a.Get("/sw.js", s.handleServiceWorker)
	a.Get("/favicon.ico", func(c *fiber.Ctx) error {
		return c.Redirect(s.assets.url("img/favicon.svg"), fiber.StatusMovedPermanently)
	})
	a.Get("/healthz", s.handleHealth)
	if webhook != nil {
		a.Post("/webhooks/stripe", webhook)
	}

	a.Get("/", s.handleHome)
	a.Get("/products", s.handleCatalog)
	a.Get("/products/:slug", s.handleProduct)
	a.Get("/plans", s.handlePlans)
	a.Get("/media/:sha", s.handleMedia)

	a.Get("/cart", s.handleCart)
	a.Post("/cart/items", s.handleCartAdd)
	a.Post("/cart/items/:id", s.handleCartUpdate)
	a.Delete("/cart/items/:id", s.handleCartRemove)
	a.Post("/cart/items/:id/remove", s.handleCartRemove) // the same, for a plain form
	a.Post("/checkout", s.handleCheckout)
	a.Get("/checkout/success", s.handleCheckoutSuccess)
	a.Get("/checkout/cancel", s.handleCheckoutCancel)
	a.Get("/downloads/:token", s.handleDownload)

	if mount != nil {
		mount(a)
	}
	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}
