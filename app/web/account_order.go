package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// errNoSuchOrder answers a customer asking for an order that is not
// theirs, or none at all: the same sentence either way, so order ids of
// other people cannot be probed.
var errNoSuchOrder = app.Errorf(app.ENOTFOUND, "We couldn't find that order in your account.")

// handleAccountOrder is one order's receipt (GET /account/orders/:id):
// items, amounts, tax, refunds, printable.
func (s *Server) handleAccountOrder(c *fiber.Ctx) error {
	cust := s.currentCustomer(c)
	o, err := s.store.Order(c.UserContext(), c.Params("id"))
	if app.IsNotFound(err) || err == nil && o.CustomerID != cust.ID {
		return errNoSuchOrder
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "pages/order", "", fiber.Map{"Title": "Order #" + strconv.FormatInt(o.Number, 10), "Nav": "account", "Order": o})
}
