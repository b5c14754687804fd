package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
)

// The anonymous cart cookie is "cart_a_<random>.<HMAC>", signed with a
// key derived from the shop's secret: the success page shows an order,
// its email and its download links to the browser whose cart became it
// (checkout.go, isBuyer), so the cookie must be one this shop set, never
// a value a visitor typed (issue 17, hole 2: "cart_c_<customer id>" once
// opened a signed-in buyer's order).
const cartCookie = "vendo_cart"

// signCart is the cookie value for an anonymous cart id.
func (s *Server) signCart(id string) string {
	m := hmac.New(sha256.New, s.cartKey)
	m.Write([]byte(id))
	return id + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cookieCart is the anonymous cart id of the visitor's cookie, or "" when
// there is none or it is not one this shop signed.
func (s *Server) cookieCart(c *fiber.Ctx) string {
	v := c.Cookies(cartCookie)
	id, _, _ := strings.Cut(v, ".")
	if !strings.HasPrefix(id, "cart_a_") || len(id) != 7+32 || !hmac.Equal([]byte(v), []byte(s.signCart(id))) {
		return ""
	}
	return id
}

// cartID is the visitor's cart: the customer's when signed in, else the
// anonymous cart named by a cookie (created on first use when create).
func (s *Server) cartID(c *fiber.Ctx, create bool) string {
	if id := s.viewerID(c); id != "" {
		return app.CustomerCartID(id)
	}
	if id := s.cookieCart(c); id != "" {
		return id
	}
	if !create {
		return ""
	}
	var b [16]byte
	rand.Read(b[:])
	id := "cart_a_" + hex.EncodeToString(b[:])
	c.Cookie(&fiber.Cookie{Name: cartCookie, Value: s.signCart(id), Path: "/", HTTPOnly: true, Secure: s.cfg.Secure(),
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(30 * 24 * time.Hour)})
	return id
}

// mergeCart moves an anonymous cart into the customer's cart on the first
// request after sign-in (the browser still carries the cart cookie), then
// drops the cookie.
func (s *Server) mergeCart(c *fiber.Ctx) error {
	if id := s.viewerID(c); id != "" && c.Cookies(cartCookie) != "" && !onSandbox(c) {
		if anon := s.cookieCart(c); anon != "" {
			if err := s.shop.MergeCarts(c.UserContext(), anon, id); err != nil {
				s.log.Warn("merge cart at sign-in", "err", err)
				return c.Next()
			}
		}
		c.Cookie(&fiber.Cookie{Name: cartCookie, Value: "", Path: "/", HTTPOnly: true, Secure: s.cfg.Secure(),
			SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(0, 0), MaxAge: -1})
	}
	return c.Next()
}

// handleCart shows the cart.
func (s *Server) handleCart(c *fiber.Ctx) error {
	v, err := s.shop.Cart(c.UserContext(), s.cartID(c, false))
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Your cart", "Nav": "cart", "Cart": v, "CartCount": v.Count}
	if err := s.withDiscount(c, data); err != nil {
		return err
	}
	return s.page(c, "pages/cart", "partials/cart_table", data)
}

// handleCartAdd adds a product (POST /cart/items: product), once.
func (s *Server) handleCartAdd(c *fiber.Ctx) error {
	if err := checkQuantity(c.FormValue("quantity", "1")); err != nil {
		return err
	}
	v, err := s.shop.AddToCartAt(c.UserContext(), s.cartID(c, true), c.FormValue("product"), c.FormValue("amount"))
	if fe := (*app.Error)(nil); errors.As(err, &fe) && fe.Field == "amount" && !isHTMX(c) {
		// A pay-what-you-want amount refused: the product page again,
		// with the amount as typed and the sentence beside it.
		p, perr := s.store.Product(c.UserContext(), c.FormValue("product"))
		if perr != nil {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return s.productPage(c, p, fiber.Map{"Amount": c.FormValue("amount"), "AmountError": fe.Message})
	}
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return c.Render("partials/cart_added", fiber.Map{"Cart": v, "CartCount": v.Count}, "")
	}
	return c.Redirect("/cart", fiber.StatusSeeOther)
}

// handleCartUpdate answers a quantity change (POST /cart/items/:id): a
// cart holds one of each product, so 1 changes nothing and anything else
// is refused with a sentence.
func (s *Server) handleCartUpdate(c *fiber.Ctx) error {
	err := checkQuantity(c.FormValue("quantity"))
	v, cerr := s.shop.Cart(c.UserContext(), s.cartID(c, false))
	if cerr != nil {
		return cerr
	}
	if err != nil {
		if isHTMX(c) {
			// Re-render the cart with the message next to the line.
			c.Status(fiber.StatusUnprocessableEntity)
			c.Set("HX-Reswap", "outerHTML")
			return c.Render("partials/cart_table", fiber.Map{"Cart": v, "CartCount": v.Count, "CSRF": s.csrfToken(c), "LineError": c.Params("id"), "Error": app.ErrorMessage(err)}, "")
		}
		return err
	}
	return s.cartResult(c, v)
}

// handleCartRemove removes a line (DELETE /cart/items/:id, or POST with
// _method=delete from a plain form).
func (s *Server) handleCartRemove(c *fiber.Ctx) error {
	v, err := s.shop.RemoveFromCart(c.UserContext(), s.cartID(c, false), c.Params("id"))
	if err != nil {
		return err
	}
	return s.cartResult(c, v)
}

func (s *Server) cartResult(c *fiber.Ctx, v shop.CartView) error {
	if isHTMX(c) {
		data := fiber.Map{"Cart": v, "CartCount": v.Count, "CSRF": s.csrfToken(c), "OOBBadge": true}
		if err := s.withDiscount(c, data); err != nil {
			return err
		}
		return c.Render("partials/cart_table", data, "")
	}
	return c.Redirect("/cart", fiber.StatusSeeOther)
}

// checkQuantity accepts the only quantity there is: one. Digital
// products are one per customer (buying a file twice buys nothing).
func checkQuantity(q string) error {
	if strings.TrimSpace(q) != "1" {
		return &app.Error{Code: app.EINVALID, Field: "quantity", Message: "Each product comes once per customer: your cart holds one of each."}
	}
	return nil
}
