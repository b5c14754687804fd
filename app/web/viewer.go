package web

import (
	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// Locals keys the session middleware fills for every request; handlers
// read them through viewer, viewerID and csrfToken.
const (
	localCustomer = "vendo.customer" // app.Customer of a signed-in visitor
	localCSRF     = "vendo.csrf"     // the session's CSRF token
)

// viewer returns the signed-in customer, if any.
func (s *Server) viewer(c *fiber.Ctx) (app.Customer, bool) {
	cust, ok := c.Locals(localCustomer).(app.Customer)
	return cust, ok && cust.ID != ""
}

// viewerID is the signed-in customer's id, or "".
func (s *Server) viewerID(c *fiber.Ctx) string {
	cust, _ := s.viewer(c)
	return cust.ID
}

// csrfToken is the token forms and htmx must send back, or "".
func (s *Server) csrfToken(c *fiber.Ctx) string {
	tok, _ := c.Locals(localCSRF).(string)
	return tok
}
