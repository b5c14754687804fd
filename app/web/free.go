package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/auth"
)

// handleFreeClaim gets a free product (POST /products/{slug}/free): a
// signed-in customer has it in their library at once; a visitor's email
// gets a one-time link (the answer is the same over the rate limits).
func (s *Server) handleFreeClaim(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if cust := s.currentCustomer(c); cust != nil {
		if _, _, err := s.shop.ClaimFree(ctx, cust.ID, c.Params("slug")); err != nil {
			return err
		}
		return s.redirect(c, "/account")
	}
	p, err := s.shop.FreeProduct(ctx, c.Params("slug"))
	if app.ErrorCode(err) == app.EINVALID && err != nil {
		return s.freeFormError(c, p, "", app.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	email := c.FormValue("email")
	err = s.auth.RequestFreeLink(ctx, email, rateKey(c.IP()), p)
	var fe *app.Error
	if errors.As(err, &fe) && fe.Code == app.EINVALID {
		return s.freeFormError(c, p, email, fe.Message)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "pages/free_sent", "", fiber.Map{"Title": "Check your email", "Nav": "products", "Product": p,
		"Email": app.NormalizeEmail(email), "Hours": int(auth.FreeLinkTTL.Hours()), "LogOnly": s.cfg.SMTPURL == ""})
}

// freeFormError shows the product page again with the email form's
// message, changing nothing (422).
func (s *Server) freeFormError(c *fiber.Ctx, p app.Product, email, msg string) error {
	c.Status(fiber.StatusUnprocessableEntity)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.productPage(c, p, fiber.Map{"Email": email, "EmailError": msg})
}

// handleFreeLink shows an emailed free link's one button (GET
// /free/{token}); opening it changes nothing.
func (s *Server) handleFreeLink(c *fiber.Ctx) error {
	tok, err := s.auth.PendingFreeLink(c.UserContext(), c.Params("token"))
	if err == nil {
		var p app.Product
		if p, err = s.store.Product(c.UserContext(), tok.ProductID); err == nil {
			c.Set(fiber.HeaderCacheControl, "no-store")
			return s.page(c, "pages/free_confirm", "", fiber.Map{"Title": "Get " + p.Title + " free", "Product": p,
				"Email": tok.Email, "Token": c.Params("token")})
		}
	}
	if app.ErrorCode(err) == app.EGONE || app.IsNotFound(err) {
		return s.linkGone(c, "This link has expired or was already used. Ask for the product again from its page.")
	}
	return err
}

// handleFreeLinkConfirm spends the link (POST /free/{token}): the
// address is signed in and the product is in its library, both in one
// transaction.
func (s *Server) handleFreeLinkConfirm(c *fiber.Ctx) error {
	sess, _, err := s.auth.RedeemFreeLink(c.UserContext(), c.Params("token"), s.sessionID(c), s.shop.ClaimFreeIn)
	if app.ErrorCode(err) == app.EGONE {
		return s.linkGone(c, "This link has expired or was already used. Ask for the product again from its page.")
	}
	if err != nil {
		return err
	}
	return s.signedIn(c, sess, "/account")
}
