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
	return s.page(c, "pages/order", "", fiber.Map{"Title": "Order #" + strconv.FormatInt(o.Number, 10), "Nav": "account",
		"Order": o, "Adjustment": receiptAdjustment(o)})
}

// receiptAdjustment is what lies between an order's subtotal and total:
// tax added (positive) or a discount (negative), in the order's currency;
// zero for an order recorded without a subtotal.
func receiptAdjustment(o app.Order) app.Money {
	if o.Subtotal.Currency == "" {
		return app.Money{Currency: o.Total.Currency}
	}
	return app.Money{Amount: o.Total.Amount - o.Subtotal.Amount, Currency: o.Total.Currency}
}
