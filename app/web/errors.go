package web

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

var statusOf = map[string]int{
	app.EINVALID:      fiber.StatusUnprocessableEntity,
	app.ENOTFOUND:     fiber.StatusNotFound,
	app.ECONFLICT:     fiber.StatusConflict,
	app.EUNAUTHORIZED: fiber.StatusUnauthorized,
	app.EFORBIDDEN:    fiber.StatusForbidden,
	app.EGONE:         fiber.StatusGone,
	app.ETOOLARGE:     fiber.StatusRequestEntityTooLarge,
	app.ERATELIMIT:    fiber.StatusTooManyRequests,
	app.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
	app.EINTERNAL:     fiber.StatusInternalServerError,
}

var headings = map[int]string{
	400: "That request did not make sense",
	401: "Please sign in",
	403: "You cannot open this page",
	404: "We could not find that page",
	405: "That does not work here",
	410: "This link has expired",
	413: "That is too large",
	422: "Please check what you entered",
	429: "Slow down a little",
	500: "Something went wrong",
	503: "A service we rely on is unavailable",
}

// handleError is the one place errors become responses: an application
// error's code picks the status and its message is shown; anything else is
// logged with its detail and shown as a generic sentence.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	msg := app.ErrorMessage(err)
	var fe *fiber.Error
	var inv *app.InvalidForm
	switch {
	case errors.As(err, &fe):
		status = fe.Code
		msg = fiberMessage(fe)
	case errors.As(err, &inv):
		status = fiber.StatusUnprocessableEntity
		msg = "Please check the highlighted fields."
	default:
		if st, ok := statusOf[app.ErrorCode(err)]; ok {
			status = st
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
	} else {
		s.log.Debug("request refused", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
	}
	s.hsts(c) // errors fasthttp raises before the middleware ran
	c.Status(status)
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"error": fiber.Map{"code": app.ErrorCode(err), "message": msg}})
	}
	if isHTMX(c) {
		// htmx does not swap error responses; vendo.js shows the flash's
		// sentence next to the form or as a notice, never nothing.
		c.Set("HX-Reswap", "none")
		if errors.Is(err, errCSRF) {
			msg = staleTokenMessage
		}
		return c.Render("partials/flash", fiber.Map{"Kind": "bad", "Message": msg}, "")
	}
	heading := headings[status]
	if heading == "" {
		heading = "Something went wrong"
	}
	data := fiber.Map{"Title": heading, "Status": status, "Heading": heading, "Message": msg}
	if errors.Is(err, errCSRF) {
		data["Title"], data["Heading"] = "Your session changed", "Your session changed"
		data["Back"] = sameOriginReferer(c)
	}
	s.fill(c, data)
	if rerr := c.Render("pages/error", data); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		return c.SendString(heading + ". " + msg)
	}
	return nil
}

// sameOriginReferer is the path of the page a form was sent from, when it
// is this shop's, for a "back to the page" link; "" otherwise.
func sameOriginReferer(c *fiber.Ctx) string {
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || ref.Host != c.Hostname() || !strings.HasPrefix(ref.Path, "/") || strings.HasPrefix(ref.Path, "//") {
		return ""
	}
	return ref.RequestURI()
}

func wantsJSON(c *fiber.Ctx) bool {
	return len(c.Path()) >= 5 && c.Path()[:5] == "/api/" || c.Path() == "/webhooks/stripe"
}

func fiberMessage(fe *fiber.Error) string {
	switch fe.Code {
	case fiber.StatusNotFound:
		return "The page you asked for is not here. It may have moved, or the address may be mistyped."
	case fiber.StatusMethodNotAllowed:
		return "This address does not accept that kind of request."
	case fiber.StatusRequestEntityTooLarge:
		return "What you sent is larger than this shop accepts."
	case fiber.StatusForbidden:
		return "You do not have access to this page."
	case fiber.StatusTooManyRequests:
		return "Too many requests in a short time. Wait a minute and try again."
	}
	if fe.Code >= 500 {
		return "Something went wrong on our side. Please try again in a moment."
	}
	return fe.Message
}
