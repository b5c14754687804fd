package web

import (
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/auth"
)

// loginData is the sign-in page's data; notice and status vary with why
// it is shown.
func (s *Server) loginData(next string) fiber.Map {
	data := fiber.Map{"Title": "Sign in", "Nav": "login", "Providers": s.auth.Providers(), "Next": auth.SafeNext(next),
		"Email": "", "EmailError": "", "Notice": ""}
	if _, _, ok := subscribeIntent(auth.SafeNext(next)); ok {
		data["Intent"] = "Sign in to subscribe: right after, you go straight to payment for the plan you chose."
	}
	return data
}

// handleLogin shows the sign-in choices: the configured providers and an
// email link. A signed-in visitor goes straight on.
func (s *Server) handleLogin(c *fiber.Ctx) error {
	next := auth.SafeNext(c.Query("next"))
	if s.currentCustomer(c) != nil {
		if _, iv, ok := subscribeIntent(next); ok {
			// Checkout starts from a form or a sign-in, not from a link.
			next = plansPage(iv)
		}
		return s.redirect(c, orDefault(next, "/account"))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "pages/login", "", s.loginData(next))
}

// handleLoginEmail sends a sign-in link (POST /login/email: email, next).
// The answer is the same whether or not the address is a customer's, and
// whether or not a rate limit held the message back.
func (s *Server) handleLoginEmail(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), c.FormValue("next")
	err := s.auth.RequestEmailLogin(c.UserContext(), email, rateKey(c.IP()), next)
	var fe *app.Error
	if errors.As(err, &fe) && fe.Code == app.EINVALID {
		data := s.loginData(next)
		data["Email"], data["EmailError"] = email, fe.Message
		c.Status(fiber.StatusUnprocessableEntity)
		return s.page(c, "pages/login", "", data)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "pages/login_sent", "", fiber.Map{"Title": "Check your email", "Nav": "login",
		"Email": app.NormalizeEmail(email), "Minutes": int(auth.EmailLinkTTL.Minutes()), "LogOnly": s.cfg.SMTPURL == ""})
}

// handleLoginEmailLink shows the page an emailed link opens (GET
// /login/email/{token}): who it signs in and one button. Opening it
// changes nothing, so a mail scanner cannot spend the link and a link
// someone else sent cannot sign the opener in (login CSRF). A used,
// expired or unknown link gets 410 and the form to ask for another.
func (s *Server) handleLoginEmailLink(c *fiber.Ctx) error {
	email, err := s.auth.PendingEmailLogin(c.UserContext(), c.Params("token"))
	if app.ErrorCode(err) == app.EGONE {
		return s.linkGone(c, "This sign-in link has expired or was already used. Enter your email to get a new one.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return s.page(c, "pages/login_confirm", "", fiber.Map{"Title": "Sign in", "Nav": "login", "Email": email,
		"Action": auth.EmailLinkPath + c.Params("token")})
}

// handleLoginEmailConfirm signs in with an emailed link (POST
// /login/email/{token}, the confirmation page's button; the CSRF check
// has passed): the link is spent here.
func (s *Server) handleLoginEmailConfirm(c *fiber.Ctx) error {
	sess, _, next, err := s.auth.RedeemEmailLogin(c.UserContext(), c.Params("token"), s.sessionID(c))
	if app.ErrorCode(err) == app.EGONE {
		return s.linkGone(c, "This sign-in link has expired or was already used. Enter your email to get a new one.")
	}
	if err != nil {
		return err
	}
	return s.signedIn(c, sess, orDefault(next, "/account"))
}

// handleAdminLink shows the page a one-time admin link (printed by
// `vendo admin-link` or at the first start) opens: who it signs in and one
// button. Like an emailed link, opening it changes nothing.
func (s *Server) handleAdminLink(c *fiber.Ctx) error {
	email, err := s.auth.PendingAdminLink(c.UserContext(), c.Params("token"))
	if app.ErrorCode(err) == app.EGONE {
		return s.linkGone(c, app.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return s.page(c, "pages/login_confirm", "", fiber.Map{"Title": "Sign in", "Nav": "login", "Email": email, "Admin": true,
		"Action": auth.AdminLinkPath + c.Params("token")})
}

// handleAdminLinkConfirm signs in as the shop's admin (POST
// /login/admin/{token}, the confirmation page's button; the CSRF check has
// passed): the link is spent here.
func (s *Server) handleAdminLinkConfirm(c *fiber.Ctx) error {
	sess, _, err := s.auth.RedeemAdminLink(c.UserContext(), c.Params("token"), s.sessionID(c), c.IP())
	if app.ErrorCode(err) == app.EGONE {
		return s.linkGone(c, app.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return s.signedIn(c, sess, "/admin")
}

func (s *Server) linkGone(c *fiber.Ctx, msg string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if s.csrfToken(c) == "" { // the page has the email form; no stored session for it
		s.setAnonCookie(c)
	}
	data := s.loginData("")
	data["Title"], data["Notice"] = "Link expired", msg
	c.Status(fiber.StatusGone)
	return s.page(c, "pages/login", "", data)
}

// oauthCookie carries a provider sign-in under way, sealed by the auth
// service, from /auth/{provider} to its callback: nothing is stored for
// a visitor who has not signed in (issue 17, hole 5).
const oauthCookie = "vendo_oauth"

// handleOAuthBegin sends the visitor to a provider (GET /auth/{provider});
// an unknown provider is a 404.
func (s *Server) handleOAuthBegin(c *fiber.Ctx) error {
	to, attempt, err := s.auth.BeginOAuth(c.UserContext(), c.Params("provider"), c.Query("next"))
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: oauthCookie, Value: attempt, Path: "/auth/", MaxAge: int(auth.OAuthTTL.Seconds()),
		HTTPOnly: true, Secure: s.cfg.Secure(), SameSite: fiber.CookieSameSiteLaxMode})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(to, fiber.StatusSeeOther)
}

// handleOAuthCallback finishes a provider sign-in (GET
// /auth/{provider}/callback?code=…&state=…). The attempt's cookie is
// cleared whatever happens, so it answers one callback.
func (s *Server) handleOAuthCallback(c *fiber.Ctx) error {
	attempt := c.Cookies(oauthCookie)
	c.Cookie(&fiber.Cookie{Name: oauthCookie, Value: "", Path: "/auth/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: s.cfg.Secure(), SameSite: fiber.CookieSameSiteLaxMode})
	query, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return app.Errorf(app.EINVALID, "That sign-in answer could not be read. Please try again.")
	}
	sess, _, next, err := s.auth.CompleteOAuth(c.UserContext(), c.Params("provider"), s.sessionID(c), attempt, query)
	if err != nil {
		return err
	}
	return s.signedIn(c, sess, orDefault(next, "/account"))
}

// handleLogout signs out (POST /logout): the session is deleted and its
// cookie cleared; a new anonymous session is made when a page needs one.
func (s *Server) handleLogout(c *fiber.Ctx) error {
	if id := s.sessionID(c); id != "" {
		if err := s.auth.SignOut(c.UserContext(), id); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return s.redirect(c, "/")
}

// signedIn switches the browser to the new session and moves on.
func (s *Server) signedIn(c *fiber.Ctx, sess app.Session, next string) error {
	s.setSessionCookie(c, sess)
	if err := s.useSession(c, sess); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(s.continueAfterSignIn(c, sess.CustomerID, next), fiber.StatusSeeOther)
}

func (s *Server) sessionID(c *fiber.Ctx) string {
	if sess := s.session(c); sess != nil {
		return sess.ID
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
