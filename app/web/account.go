package web

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// handleAccount is the customer's home: library, orders, subscription,
// credits, license keys (with their activations) and invoices. It is kept
// per customer while what it shows holds (accountcache.go).
func (s *Server) handleAccount(c *fiber.Ctx) error {
	cust := s.currentCustomer(c)
	token := s.csrfToken(c)
	key, keep := s.accountKey(c.UserContext(), cust.ID, cust, string(c.Request().Header.RequestURI()), isHTMX(c))
	keep = keep && token != "" && c.Get("HX-History-Restore-Request") != "true"
	if keep {
		if e := s.accountPages.get(cust.ID, key, s.shop.Time()); e != nil {
			return s.sendAccount(c, e, token)
		}
	}
	v, err := s.shop.Account(c.UserContext(), cust.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if keep {
		c.Locals(localCSRF, string(s.accountPages.placeholder))
	}
	err = s.page(c, "pages/account", "", fiber.Map{"Title": "Your account", "Nav": "account", "Customer": cust,
		"IsAdmin": s.auth.IsAdmin(cust), "Account": v, "JustSubscribed": c.Query("subscribed") == "1",
		"Flash": flashes[c.Query("done")]})
	if !keep {
		return err
	}
	c.Locals(localCSRF, token) // the error page, if any, gets the real one
	resp := c.Response()
	ct := string(resp.Header.ContentType())
	if err != nil || resp.StatusCode() != fiber.StatusOK || !strings.HasPrefix(ct, "text/html") {
		resp.SetBody(bytes.ReplaceAll(resp.Body(), s.accountPages.placeholder, []byte(token)))
		return err
	}
	e := newCachedPage(append([]byte(nil), resp.Body()...), ct, s.accountPages.placeholder)
	s.accountPages.put(cust.ID, key, v.Until, e)
	return s.sendAccount(c, e, token)
}

// sendAccount answers with a kept account page and the customer's token;
// the page is personal, so no cache keeps it.
func (s *Server) sendAccount(c *fiber.Ctx, e *cachedPage, token string) error {
	err := s.sendCached(c, e, token)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return err
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
