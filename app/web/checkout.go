package web

import (
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
)

// handleCheckout sends the cart to Stripe Checkout (303).
func (s *Server) handleCheckout(c *fiber.Ctx) error {
	buyer := shop.Buyer{}
	if cust, ok := s.viewer(c); ok {
		buyer = shop.Buyer{CustomerID: cust.ID, Email: cust.Email, StripeCustomerID: cust.StripeCustomerID}
	}
	url, err := s.shop.Checkout(c.UserContext(), s.cartID(c, false), buyer)
	if app.ErrorCode(err) == app.EINVALID {
		// The cart cannot be bought as it is: show it again with why.
		v, cerr := s.shop.Cart(c.UserContext(), s.cartID(c, false))
		if cerr != nil {
			return cerr
		}
		data := fiber.Map{"Title": "Your cart", "Nav": "cart", "Cart": v, "CartCount": v.Count}
		if msg := app.ErrorMessage(err); !slices.Contains(v.Notes, msg) {
			data["CheckoutError"] = msg
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.page(c, "pages/cart", "partials/cart_table", data)
	}
	if err != nil {
		return err
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

// handleCheckoutSuccess fulfils the session (whichever of this page and
// the webhook comes first) and shows the order; while the payment is
// processing it shows a state that polls, and a delayed payment that
// failed says so and offers to try again.
func (s *Server) handleCheckoutSuccess(c *fiber.Ctx) error {
	id := c.Query("session_id")
	if !strings.HasPrefix(id, "cs_") || len(id) > 200 {
		return app.Errorf(app.ENOTFOUND, "That checkout does not exist.")
	}
	order, err := s.shop.FulfilCheckout(c.UserContext(), id)
	data := fiber.Map{"Title": "Thank you", "SessionID": id}
	switch {
	case errors.Is(err, shop.ErrNotPaid):
		data["Processing"] = true
		data["Order"] = order
	case err != nil:
		return err
	case order.Status == app.OrderFailed:
		// A delayed payment (a bank debit) that failed: no thanks, no
		// receipt; the cart still holds what was not bought.
		data["Title"], data["Failed"], data["Order"] = "Payment failed", true, app.Order{}
		if s.isBuyer(c, order) {
			data["Order"] = order
		}
	case !s.isBuyer(c, order):
		// Someone holding the link but not the buyer's browser or account:
		// confirm the order without its email or files.
		data["Order"] = app.Order{Number: order.Number, Total: order.Total}
		data["Foreign"] = true
	default:
		data["Order"] = order
		items, err := s.shop.Library(c.UserContext(), order.CustomerID)
		if err != nil {
			return err
		}
		var bought []shop.LibraryItem
		for _, it := range items {
			for _, l := range order.Lines {
				if l.ProductID == it.Product.ID {
					bought = append(bought, it)
				}
			}
		}
		data["Items"] = bought
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "pages/checkout_success", "partials/checkout_status", data)
}

// handleCheckoutCancel is where Checkout's back link lands.
func (s *Server) handleCheckoutCancel(c *fiber.Ctx) error {
	return s.page(c, "pages/checkout_cancel", "", fiber.Map{"Title": "Checkout cancelled", "Nav": "cart"})
}

// isBuyer reports whether this visitor bought the order: the signed-in
// customer it belongs to, or the browser whose anonymous cart, named by
// the cookie this shop signed, became the order.
func (s *Server) isBuyer(c *fiber.Ctx, o app.Order) bool {
	if id := s.viewerID(c); id != "" {
		return id == o.CustomerID
	}
	id := s.cookieCart(c)
	return id != "" && id == o.CartID
}
