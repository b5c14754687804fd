package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// handleSubscribe starts a subscription Checkout for the chosen plan and
// interval (303), or sends a subscriber to the Billing Portal. A visitor
// signs in first and then goes straight on to Checkout for the plan they
// chose (continueAfterSignIn).
func (s *Server) handleSubscribe(c *fiber.Ctx) error {
	cust, ok := s.viewer(c)
	if !ok {
		next := "/subscribe?" + url.Values{"plan": {c.FormValue("plan")}, "interval": {c.FormValue("interval")}}.Encode()
		return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
	}
	dest, err := s.shop.Subscribe(c.UserContext(), cust.ID, c.FormValue("plan"), app.Interval(c.FormValue("interval")), s.currentCode(c))
	if err != nil {
		return err
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

// subscribeIntent reads a sign-in's next address: "/subscribe?plan=…&
// interval=…" is a plan chosen before signing in.
func subscribeIntent(next string) (plan string, iv app.Interval, ok bool) {
	u, err := url.Parse(next)
	if err != nil || u.Path != "/subscribe" {
		return "", "", false
	}
	return u.Query().Get("plan"), app.Interval(u.Query().Get("interval")), true
}

// continueAfterSignIn is where a sign-in goes on to: for a plan chosen
// before signing in, straight to its Checkout (the sign-in link or the
// provider's callback is the customer's action that starts it); anything
// else is next as it is. When Checkout cannot be started the customer
// lands on the plans page with that interval.
func (s *Server) continueAfterSignIn(c *fiber.Ctx, customerID, next string) string {
	plan, iv, ok := subscribeIntent(next)
	if !ok {
		return next
	}
	dest, err := s.shop.Subscribe(c.UserContext(), customerID, plan, iv, s.currentCode(c))
	if err != nil {
		s.log.Warn("continue to Checkout after sign-in", "plan", plan, "interval", iv, "err", err)
		return plansPage(iv)
	}
	return dest
}

func plansPage(iv app.Interval) string {
	if iv == app.Yearly {
		return "/plans?interval=year"
	}
	return "/plans"
}

// handleBillingPortal opens the Stripe Billing Portal (303).
func (s *Server) handleBillingPortal(c *fiber.Ctx) error {
	cust, ok := s.viewer(c)
	if !ok {
		return c.Redirect("/login?next=/account", fiber.StatusSeeOther)
	}
	dest, err := s.shop.PortalURL(c.UserContext(), cust.ID)
	if err != nil {
		return err
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

// handleUnlock spends a plan credit on a product. htmx gets the product
// page's buy box, now with the downloads; a plain form goes back to the
// product page, which shows them.
func (s *Server) handleUnlock(c *fiber.Ctx) error {
	slug := c.Params("slug")
	cust, ok := s.viewer(c)
	if !ok {
		return c.Redirect("/login?next="+url.QueryEscape("/products/"+slug), fiber.StatusSeeOther)
	}
	ent, err := s.shop.Unlock(c.UserContext(), cust.ID, slug)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect("/products/"+url.PathEscape(slug)+"#buy-box", fiber.StatusSeeOther)
	}
	p, err := s.store.Product(c.UserContext(), ent.ProductID)
	if err != nil {
		return err
	}
	data := fiber.Map{"CSRF": s.csrfToken(c), "Unlocked": true}
	if err := s.buyBox(c, p, data); err != nil {
		return err
	}
	if c.Get("HX-Target") != "buy-box" {
		// A catalog card's button: the card's action area.
		return c.Render("partials/card_action", data, "")
	}
	return c.Render("partials/buy_box", data, "")
}
