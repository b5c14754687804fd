package web

import "github.com/gofiber/fiber/v2"

// handleAccount is the customer's home: library, orders, subscription,
// credits, license keys (with their activations) and invoices.
func (s *Server) handleAccount(c *fiber.Ctx) error {
	cust := s.currentCustomer(c)
	v, err := s.shop.Account(c.UserContext(), cust.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "pages/account", "", fiber.Map{"Title": "Your account", "Nav": "account", "Customer": cust,
		"IsAdmin": s.auth.IsAdmin(cust), "Account": v, "JustSubscribed": c.Query("subscribed") == "1",
		"Flash": flashes[c.Query("done")]})
}

// handleAccountDeactivate ends one activation of the customer's license
// key (POST /account/licenses/instances/:id/deactivate), freeing its
// place for another machine.
func (s *Server) handleAccountDeactivate(c *fiber.Ctx) error {
	cust := s.currentCustomer(c)
	if err := s.shop.DeactivateInstance(c.UserContext(), cust.ID, c.Params("id"), cust.Email); err != nil {
		return err
	}
	return s.redirect(c, "/account?done=deactivated#licenses")
}
