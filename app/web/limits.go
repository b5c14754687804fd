package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"vendo/app"
)

// clientKey is what a per-address limit counts under (see rateKey).
func clientKey(c *fiber.Ctx) string { return rateKey(c.IP()) }

// rateLimit returns a per-IP limiter for a route: max requests a window.
// Counters live in memory: they protect against bursts (guessing license
// keys, flooding Stripe with Checkout Sessions), and a restart forgetting
// them is harmless. Sign-in links have their own stored limits (auth).
func (s *Server) rateLimit(max int, window time.Duration, what string) fiber.Handler {
	return s.limit(max, window, what, clientKey, func(c *fiber.Ctx) error {
		return app.Errorf(app.ERATELIMIT, "Too many %s from your address in a short time. Wait a minute and try again.", what)
	})
}

// limit is the one limiter behind every rate limit: max requests a window
// per key(c), answered by reached beyond that.
func (s *Server) limit(max int, window time.Duration, what string, key func(*fiber.Ctx) string, reached fiber.Handler) fiber.Handler {
	return limiter.New(limiter.Config{
		Max:          max,
		Expiration:   window,
		KeyGenerator: key,
		LimitReached: func(c *fiber.Ctx) error {
			s.log.Warn("rate limit reached", "what", what, "ip", c.IP(), "path", c.Path())
			return reached(c)
		},
	})
}

// licenseLimits are the license API's limits: per address for every
// endpoint (before the request is read), and per key once it is: reads
// (validate) get more room than activations and deactivations, which
// software makes once per install. Refusals keep the API's JSON shape.
func (s *Server) licenseLimits() (perAddress, perKeyRead, perKeyWrite fiber.Handler) {
	byKey := func(c *fiber.Ctx) string { return licenseReq(c).Key }
	perAddress = s.limit(60, time.Minute, "license checks", clientKey, func(c *fiber.Ctx) error {
		return licenseRefusal(c, fiber.StatusTooManyRequests, "Too many license checks from your address in a short time. Wait a minute and try again.")
	})
	keyReached := func(c *fiber.Ctx) error {
		return licenseRefusal(c, fiber.StatusTooManyRequests, "Too many requests for this license key in a short time. Wait a minute and try again.")
	}
	perKeyRead = s.limit(300, time.Minute, "license key checks", byKey, keyReached)
	perKeyWrite = s.limit(10, time.Minute, "license key activations", byKey, keyReached)
	return
}
