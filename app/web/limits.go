package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"vendo/app"
)

// rateLimit returns a per-IP limiter for a route: max requests a window.
// Counters live in memory: they protect against bursts (guessing license
// keys, flooding Stripe with Checkout Sessions), and a restart forgetting
// them is harmless. Sign-in links have their own stored limits (auth).
func (s *Server) rateLimit(max int, window time.Duration, what string) fiber.Handler {
	return limiter.New(limiter.Config{
		Max:        max,
		Expiration: window,
		KeyGenerator: func(c *fiber.Ctx) string {
			return rateKey(c.IP())
		},
		LimitReached: func(c *fiber.Ctx) error {
			s.log.Warn("rate limit reached", "what", what, "ip", c.IP(), "path", c.Path())
			return app.Errorf(app.ERATELIMIT, "Too many %s from your address in a short time. Wait a minute and try again.", what)
		},
	})
}
