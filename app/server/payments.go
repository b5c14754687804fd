package server

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// openPayments builds the Stripe client, the ledger and reconciliation.
// In sandbox mode the client talks to the sandbox over loopback, so the
// shop's code path is the one it takes with Stripe (DESIGN.md §2).
func (s *Server) openPayments(ctx context.Context) error {
	hc := &http.Client{Timeout: 30 * time.Second}
	if s.Config.SandboxMode() {
		sb, err := openSandbox(s.Config, s.log, s.loopbackURL(), s.isAdmin)
		if err != nil {
			return err
		}
		s.Sandbox = sb
		if host, _, _ := net.SplitHostPort(s.ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
			s.log.Warn("sandbox mode on an address other machines can reach: no payment is real; the sandbox's API takes only its own key (admin settings) and its events and clock are for admins; set Stripe keys to go live", "addr", s.ln.Addr().String())
		}
		s.Stripe = stripeapi.New(stripeapi.Config{SecretKey: sb.SecretKey(), APIBase: s.loopbackURL() + "/sandbox/stripe", HTTPClient: hc, Log: s.log})
	} else {
		s.Stripe = stripeapi.New(stripeapi.Config{SecretKey: s.Config.StripeSecretKey, APIBase: s.Config.StripeAPIBase, HTTPClient: hc, Log: s.log, MaxNetworkRetries: 2})
	}
	s.Ledger = webhook.NewLedger(s.Store, s.log.With("component", "ledger"))
	s.syncer = &webhook.Syncer{Ledger: s.Ledger, Stripe: s.Stripe, Store: s.Store, Log: s.log.With("component", "sync")}
	return nil
}

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
