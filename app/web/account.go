package web

import "github.com/gofiber/fiber/v2"

// handleAccount is the customer's home: who they are and how to sign out.
// Later steps add orders, the library and the subscription.
func (s *Server) handleAccount(c *fiber.Ctx) error {
	cust := s.currentCustomer(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "pages/account", "", fiber.Map{"Title": "Your account", "Nav": "account", "Customer": cust,
		"IsAdmin": s.auth.IsAdmin(cust)})
}
