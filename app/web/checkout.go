package web

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

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
	buyer.DiscountCode = s.currentCode(c)
	url, err := s.shop.Checkout(c.UserContext(), s.cartID(c, false), buyer)
	if app.ErrorCode(err) == app.EINVALID {
		// The cart cannot be bought as it is: show it again with why.
		v, cerr := s.shop.Cart(c.UserContext(), s.cartID(c, false))
		if cerr != nil {
			return cerr
		}
		data := fiber.Map{"Title": "Your cart", "Nav": "cart", "Cart": v, "CartCount": v.Count}
		if err := s.withDiscount(c, data); err != nil {
			return err
		}
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
	// A copy: Fiber's strings point into a buffer the next request
	// reuses, and the id is kept (the miss cache, the Stripe client).
	id := strings.Clone(c.Query("session_id"))
	// Each lookup is a call to Stripe (issue 17, hole 10): an id Stripe
	// could not have made costs none, and one it said it does not know
	// costs one per missTTL. The route's per-client limit bounds the rest.
	if !checkoutSessionIDRE.MatchString(id) || s.misses.has(id) {
		return errNoCheckout
	}
	order, err := s.shop.FulfilCheckout(c.UserContext(), id)
	if app.IsNotFound(err) {
		s.misses.add(id)
		return err
	}
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
	case order.Status == app.OrderRefunded || order.Status == app.OrderDisputed || order.Status == app.OrderDisputeLost:
		// The money went back, or the bank holds it: the order gives
		// nothing now and no receipt went out, so no thanks either. Only
		// the number and the total, whoever holds the link.
		data["Title"] = map[string]string{app.OrderRefunded: "Order refunded", app.OrderDisputed: "Order disputed",
			app.OrderDisputeLost: "Payment returned by the bank"}[order.Status]
		data["Ended"] = order.Status
		data["Order"] = app.Order{Number: order.Number, Total: order.Total}
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

// checkoutSessionIDRE is the shape of a Checkout Session id: cs_test_ or
// cs_live_ and letters and digits (the sandbox's too).
var checkoutSessionIDRE = regexp.MustCompile(`^cs_(test|live)_[A-Za-z0-9]{1,200}$`)

// errNoCheckout is the answer for an id that cannot be, or is known not
// to be, Stripe's: the sentence Stripe's own not-found gets (stripeapi).
var errNoCheckout = app.Errorf(app.ENOTFOUND, "We couldn't find that order or payment. If you followed an old link, your orders are in your account.")

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

// missTTL is how long an id Stripe does not know is answered without
// asking again: long enough that repeating one is free, short enough that
// nothing real is missed for long.
const missTTL = time.Minute

// missCache remembers checkout ids Stripe said it does not know, up to
// max of them (an attacker inventing ids fills it; the oldest go first).
type missCache struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	until map[string]time.Time
	order []string // insertion order, for eviction
}

func newMissCache(max int) *missCache {
	return &missCache{max: max, now: time.Now, until: map[string]time.Time{}}
}

func (m *missCache) has(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.until[id]
	return ok && m.now().Before(t)
}

func (m *missCache) add(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.until[id]; !ok {
		for len(m.order) >= m.max {
			delete(m.until, m.order[0])
			m.order = m.order[1:]
		}
		m.order = append(m.order, id)
	}
	m.until[id] = m.now().Add(missTTL)
}
