package sandbox

import (
	"net"
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// Who may do what (issue 17, hole 1): the API takes only the sandbox's
// own secret key (api.go); the hosted Checkout, Portal and invoice pages
// are public but reachable only by their unguessable ids; the events
// page and the test clock are for the shop's admins, and for requests
// made on this machine while the shop itself is served on a loopback
// address (a developer's `make run`, the tests).

const staffOnly = "The sandbox's events and test clock are for the shop's admins: sign in as an admin in this browser, or open them on the machine the shop runs on."

// staff reports whether the request may open the events page or move
// the test clock.
func (s *Sandbox) staff(c *fiber.Ctx) bool {
	if s.cfg.Admin != nil && s.cfg.Admin(c) {
		return true
	}
	return s.local(c)
}

// forwardingHeaders are set by reverse proxies: a request that carries
// one came from somewhere else, whatever its TCP peer.
var forwardingHeaders = []string{fiber.HeaderXForwardedFor, "Forwarded", "X-Real-Ip", fiber.HeaderXForwardedHost}

// local reports a request made on this machine: its TCP peer is a
// loopback address, it was not forwarded, and the shop's public URL is a
// loopback one. Behind a proxy on the same machine every visitor's
// connection comes from loopback, and a proxy need not say it forwarded;
// a shop published under another name counts no one as local.
func (s *Sandbox) local(c *fiber.Ctx) bool {
	if !s.loopbackBase || !c.Context().RemoteIP().IsLoopback() {
		return false
	}
	for _, h := range forwardingHeaders {
		if len(c.Request().Header.Peek(h)) > 0 {
			return false
		}
	}
	return true
}

// isLoopbackURL reports whether a base URL names this machine.
func isLoopbackURL(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Sandbox) forbidden(c *fiber.Ctx) error {
	return s.message(c, http.StatusForbidden, "For the shop's admins", staffOnly)
}
