package web

import (
	"crypto/subtle"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// Sessions are Vendo's own (auth.Service, stored in bbolt): the cookie
// holds a random 256-bit id and nothing else.
//
// Visitors who have not signed in get no stored session: GET pages that
// render a form (routes.go marks them with s.withToken) give them the
// anonymous cookie whose signed token the forms carry (anon.go), so
// reading the shop writes nothing (issue 17, hole 5) and the home page
// and the catalog stay cacheable. A session is made at sign-in. Pages
// rendered for a visitor with a session carry its CSRF token and are
// marked private.
const (
	sessionCookie = "vendo_session"
	localSession  = "vendo.session" // *app.Session of this request, if any
)

// viewUser is what templates see as .User: the customer, with Admin
// meaning "may open /admin" (the record's flag or VENDO_ADMIN_EMAILS).
type viewUser struct {
	app.Customer
	Admin bool
}

func (s *Server) userView(c app.Customer) viewUser {
	return viewUser{Customer: c, Admin: s.auth.IsAdmin(&c)}
}

// loadSession reads the session cookie, loads a live session and its
// customer into the request (see viewer, csrfToken), slides the expiry,
// and drops a cookie whose session is gone.
func (s *Server) loadSession(c *fiber.Ctx) error {
	id := c.Cookies(sessionCookie)
	if id == "" {
		return c.Next()
	}
	if len(id) > 100 {
		if !onSandbox(c) {
			s.clearSessionCookie(c)
		}
		return c.Next()
	}
	sess, cust, found, changed, err := s.auth.Visitor(c.UserContext(), id)
	if err != nil {
		return err
	}
	if !found {
		if !onSandbox(c) {
			s.clearSessionCookie(c)
		}
		return c.Next()
	}
	if changed {
		s.setSessionCookie(c, sess)
	}
	s.useVisitor(c, sess, cust)
	return c.Next()
}

// useVisitor makes sess, and cust when signed in, the request's.
func (s *Server) useVisitor(c *fiber.Ctx, sess app.Session, cust *app.Customer) {
	c.Locals(localSession, &sess)
	c.Locals(localCSRF, sess.CSRF)
	c.Locals(localCustomer, nil)
	if cust != nil {
		c.Locals(localCustomer, *cust)
	}
}

// useSession makes sess the request's session (after signing in).
func (s *Server) useSession(c *fiber.Ctx, sess app.Session) error {
	s.useVisitor(c, sess, nil)
	if sess.SignedIn() {
		cust, err := s.auth.Customer(c.UserContext(), sess)
		switch {
		case app.IsNotFound(err): // the customer was deleted: treat as signed out
		case err != nil:
			return err
		default:
			c.Locals(localCustomer, cust)
		}
	}
	return nil
}

// session returns the request's session, or nil.
func (s *Server) session(c *fiber.Ctx) *app.Session {
	sess, _ := c.Locals(localSession).(*app.Session)
	return sess
}

// currentCustomer returns the signed-in customer, or nil.
// IsAdmin reports whether the request comes from a signed-in admin. The
// sandbox, mounted behind the session middleware, asks it before showing
// its events page or moving its test clock.
func (s *Server) IsAdmin(c *fiber.Ctx) bool {
	cust := s.currentCustomer(c)
	return cust != nil && s.auth.IsAdmin(cust)
}

func (s *Server) currentCustomer(c *fiber.Ctx) *app.Customer {
	if cust, ok := s.viewer(c); ok {
		return &cust
	}
	return nil
}

func (s *Server) setSessionCookie(c *fiber.Ctx, sess app.Session) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: sess.ID, Path: "/", Expires: sess.ExpiresAt,
		HTTPOnly: true, Secure: s.cfg.Secure(), SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: s.cfg.Secure(), SameSite: fiber.CookieSameSiteLaxMode})
}

// errCSRF is the answer to a state-changing request without the session's
// token: nothing happens. The usual cause is harmless: the visitor signed
// in or out in another tab, so this tab's page still carries the old token.
var errCSRF = app.Errorf(app.EFORBIDDEN, "Your session changed — please try again. This page was opened before you signed in or out (perhaps in another tab), so nothing was changed. Reload the page and send it again.")

// staleTokenMessage is what an htmx request refused for its token shows.
const staleTokenMessage = "Your session changed — please try again."

// onSandbox reports a request for the sandbox's pages. They stand in for
// stripe.com, another site: when a second Vendo on this host uses them as
// its Stripe, its customers arrive with that shop's cookies (cookies do not
// tell ports apart), and those must go back to it untouched, so a cookie
// this shop does not know is left alone there.
func onSandbox(c *fiber.Ctx) bool {
	return strings.HasPrefix(strings.ToLower(c.Path()), "/sandbox/stripe/")
}

// csrfExempt lists the only state-changing endpoints without a CSRF token:
// Stripe's webhook and the license API (no browser involved), and the
// sandbox, which stands in for stripe.com, a different site. Fiber routes
// ignore case and a trailing slash, so the comparison does too.
func csrfExempt(path string) bool {
	p := strings.ToLower(path)
	if strings.HasPrefix(p, "/sandbox/stripe/") {
		return true
	}
	p = strings.TrimRight(p, "/")
	return p == "/webhooks/stripe" || p == "/api/licenses/validate" || p == "/api/licenses/activate" || p == "/api/licenses/deactivate"
}

// csrf refuses a POST, PUT, PATCH or DELETE unless it carries the session's
// synchronizer token, in the X-CSRF-Token header (htmx, from the layout's
// hx-headers) or the _csrf field of a urlencoded form (or query string),
// compared in constant time.
func (s *Server) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return c.Next()
	}
	if csrfExempt(c.Path()) {
		return c.Next()
	}
	want := s.csrfToken(c)
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.Query("_csrf")
	}
	// The form field is read only from a urlencoded body: parsing a
	// multipart body here would spool an anonymous upload to disk before
	// anyone checked who sent it (uploads send the token in the header or
	// the query string).
	if got == "" && strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		got = string(c.Request().PostArgs().Peek("_csrf"))
	}
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		s.log.Warn("CSRF check failed: request refused", "method", c.Method(), "path", c.Path(), "ip", c.IP(),
			"has_session", want != "", "sent_token", got != "")
		s.freshToken(c)
		return errCSRF
	}
	return c.Next()
}

// freshToken answers a refused request with the visitor's current token in
// the X-CSRF-Token header (minting an anonymous cookie when they have
// none), so the page's script can put it into the page and the next try
// works: a tab left open while the visitor signed in elsewhere recovers
// instead of failing silently. Another site cannot read the header of a
// cross-origin response, so this tells an attacker nothing.
func (s *Server) freshToken(c *fiber.Ctx) {
	if s.csrfToken(c) == "" {
		s.setAnonCookie(c)
	}
	c.Set("X-CSRF-Token", s.csrfToken(c))
}

// requireCustomer sends a signed-out visitor to the sign-in page, with a
// way back.
func (s *Server) requireCustomer(c *fiber.Ctx) error {
	if s.currentCustomer(c) == nil {
		return s.toLogin(c)
	}
	return c.Next()
}

// requireAdmin guards every /admin route (one group in routes.go): a
// signed-out visitor is sent to sign in, a signed-in customer who is not
// an admin gets 403.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	cust := s.currentCustomer(c)
	if cust == nil {
		return s.toLogin(c)
	}
	if !s.auth.IsAdmin(cust) {
		return app.Errorf(app.EFORBIDDEN, "This page is for the shop's admins. You are signed in as %s.", cust.Email)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

func (s *Server) toLogin(c *fiber.Ctx) error {
	target := "/login"
	if c.Method() == fiber.MethodGet {
		target += "?next=" + url.QueryEscape(c.OriginalURL())
	}
	return s.redirect(c, target)
}

// redirect sends the browser to a local path: 303 for a plain request,
// HX-Redirect for htmx (which would otherwise swap the target page into
// the element).
func (s *Server) redirect(c *fiber.Ctx, to string) error {
	if isHTMX(c) {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}
