package server

import (
	"context"
	"net"

	"github.com/gofiber/fiber/v2"

	"vendo/app/sandbox"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// The payments side of the wiring: the sandbox or Stripe, the one client
// that talks to either, and what the webhook receiver and the commands
// need of them.

// openSandbox opens the offline Stripe stand-in. Customers reach its
// hosted pages at the public base URL; it delivers webhooks to this very
// process over loopback, and asks the shop whether a request is an
// admin's (it cannot read the shop's sessions itself).
func (s *Server) openSandbox() (*sandbox.Sandbox, error) {
	if host, _, _ := net.SplitHostPort(s.ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		s.log.Warn("sandbox mode on an address other machines can reach: no payment is real; the sandbox's API takes only its own key (admin settings) and its events and clock are for admins; set Stripe keys to go live", "addr", s.ln.Addr().String())
	}
	return sandbox.Open(sandbox.Config{
		Path:       s.Config.SandboxDBPath(),
		BaseURL:    s.Config.BaseURL,
		WebhookURL: s.loopbackURL() + "/webhooks/stripe",
		Logger:     s.log.With("component", "sandbox"),
		Admin:      s.isAdmin,
		// Test knobs: a receiver must cope with Stripe's duplicates and
		// reordering; these make them certain rather than rare.
		DeliverTwice:  s.Config.SandboxDeliverTwice,
		ShuffleWindow: s.Config.SandboxShuffle,
		NoSync:        s.noSync,
	})
}

// stripeClient is the one Stripe client. In sandbox mode it talks to the
// sandbox over loopback, so the shop's code path is the one it takes with
// Stripe (DESIGN.md §2).
func (s *Server) stripeClient() *stripeapi.Client {
	hc := stripeapi.NewHTTPClient()
	if s.Sandbox != nil {
		return stripeapi.New(stripeapi.Config{SecretKey: s.Sandbox.SecretKey(), APIBase: s.loopbackURL() + "/sandbox/stripe", HTTPClient: hc, Log: s.log})
	}
	return stripeapi.New(stripeapi.Config{SecretKey: s.Config.StripeSecretKey, APIBase: s.Config.StripeAPIBase, HTTPClient: hc, Log: s.log, MaxNetworkRetries: 2})
}

// webhookSecret checks the signatures of /webhooks/stripe: the sandbox's,
// or STRIPE_WEBHOOK_SECRET.
func (s *Server) webhookSecret() string {
	if s.Sandbox != nil {
		return s.Sandbox.WebhookSecret()
	}
	return s.Config.StripeWebhookSecret
}

// sandboxKey is the sandbox's API key, for the admin's settings page;
// empty in Stripe mode.
func (s *Server) sandboxKey() string {
	if s.Sandbox == nil {
		return ""
	}
	return s.Sandbox.SecretKey()
}

// isAdmin answers the sandbox's question about a request: the web layer
// exists by the time requests arrive.
func (s *Server) isAdmin(c *fiber.Ctx) bool {
	return s.Web != nil && s.Web.IsAdmin(c)
}

// mountSandbox adds the sandbox's API and hosted pages in sandbox mode.
func (s *Server) mountSandbox(a *fiber.App) {
	if s.Sandbox != nil {
		s.Sandbox.Mount(a.Group("/sandbox/stripe"))
	}
}

// loopbackURL is how this process reaches itself: the listen address with
// an unspecified host replaced by loopback.
func (s *Server) loopbackURL() string {
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Sync reconciles the database with Stripe once.
func (s *Server) Sync(ctx context.Context, progress webhook.Progress) (webhook.Summary, error) {
	return s.syncer.Run(ctx, progress)
}
