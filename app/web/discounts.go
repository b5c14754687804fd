package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
)

// Discount codes on the customer's side: a shared link
// (/products/{slug}?code=, /plans?code=, /cart?code=) or the cart's field
// remembers a code in a signed cookie; the cart and the product page show
// the discounted price, and Checkout applies it (shop/discounts.go).

const codeCookie = "vendo_code"

// signCode is the cookie value for a code: signed, so the cookie holds
// only codes this shop's pages set.
func (s *Server) signCode(code string) string {
	m := hmac.New(sha256.New, s.cartKey)
	m.Write([]byte("code:" + code))
	return code + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// currentCode is the visitor's discount code: the one this request's
// link brought, else the cookie's.
func (s *Server) currentCode(c *fiber.Ctx) string {
	if code, ok := c.Locals("discountCode").(string); ok {
		return code
	}
	v := c.Cookies(codeCookie)
	code, _, _ := strings.Cut(v, ".")
	if code == "" || !hmac.Equal([]byte(v), []byte(s.signCode(code))) {
		return ""
	}
	return code
}

// setCode remembers code for 30 days ("" forgets it).
func (s *Server) setCode(c *fiber.Ctx, code string) {
	cookie := &fiber.Cookie{Name: codeCookie, Value: s.signCode(code), Path: "/", HTTPOnly: true, Secure: s.cfg.Secure(),
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(30 * 24 * time.Hour)}
	if code == "" {
		cookie.Value, cookie.Expires, cookie.MaxAge = "", time.Unix(0, 0), -1
	}
	c.Cookie(cookie)
	c.Locals("discountCode", code)
}

// rememberCode keeps the code of a shared link (?code=) in the cookie; a
// cookie, not the database, so the GET writes nothing.
func (s *Server) rememberCode(c *fiber.Ctx) error {
	if code := app.NormalizeCode(c.Query("code")); code != "" && len(code) <= 40 {
		s.setCode(c, code)
	}
	return c.Next()
}

// handleCartCode applies a typed code (POST /cart/code: code) or, with
// remove set, forgets it; the cart shows the outcome.
func (s *Server) handleCartCode(c *fiber.Ctx) error {
	code := app.NormalizeCode(c.FormValue("code"))
	if c.FormValue("remove") != "" || len(code) > 40 {
		code = ""
	}
	s.setCode(c, code)
	return s.redirect(c, "/cart")
}

// withDiscount adds the code's effect on the cart to a cart page's data.
func (s *Server) withDiscount(c *fiber.Ctx, data fiber.Map) error {
	code := s.currentCode(c)
	if code == "" {
		return nil
	}
	cart, ok := data["Cart"].(shop.CartView)
	if !ok {
		return nil
	}
	cd, err := s.shop.ApplyCode(c.UserContext(), code, cart, s.viewerID(c))
	if err != nil {
		return err
	}
	data["Discount"] = cd
	return nil
}

// codeTriesPerMinute bounds the codes one address may try: each page that
// takes a code says whether it is one of the shop's, so without a bound a
// visitor could guess codes (a staff code, one meant for a few) in bulk.
// A shopper follows a link or types a code now and then.
const codeTriesPerMinute = 30

// codeTries is route middleware for what brings a code (?code= on a page,
// the cart's field): past codeTriesPerMinute from one address it refuses
// with a sentence, before the code is looked at. Pages without a code,
// and removing one, are not counted.
func (s *Server) codeTries() fiber.Handler {
	limit := s.rateLimit(codeTriesPerMinute, time.Minute, "discount codes tried")
	return func(c *fiber.Ctx) error {
		if c.Query("code") == "" && (c.Method() != fiber.MethodPost || c.FormValue("code") == "" || c.FormValue("remove") != "") {
			return c.Next()
		}
		return limit(c)
	}
}
