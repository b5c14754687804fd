package web

import "github.com/gofiber/fiber/v2"

// handleHealth answers 200 when the database answers, for load balancers
// and uptime checks.
func (s *Server) handleHealth(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := s.store.Ping(c.UserContext()); err != nil {
		s.log.Error("health check", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "error"})
	}
	return c.JSON(fiber.Map{"status": "ok", "database": "ok"})
}
