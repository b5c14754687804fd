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

// sandboxService is the part of the offline Stripe stand-in the server
// drives (sandbox.Sandbox).
type sandboxService interface {
	Mount(r fiber.Router)
	APIBase() string
	WebhookSecret() string
	Now() time.Time
	Start(ctx context.Context)
	Close() error
}

// openPayments builds the Stripe client, the ledger and reconciliation.
// In sandbox mode the client talks to the sandbox over loopback, so the
// shop's code path is the one it takes with Stripe (DESIGN.md §2).
func (s *Server) openPayments(ctx context.Context) error {
	hc := &http.Client{Timeout: 30 * time.Second}
	if s.cfg.SandboxMode() {
		sb, err := openSandbox(s.cfg, s.log, s.loopbackURL())
		if err != nil {
			return err
		}
		s.sandbox = sb
		if host, _, _ := net.SplitHostPort(s.ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
			s.log.Warn("sandbox mode on an address other machines can reach: anyone who reaches it can use the sandbox's API and test clock; listen on 127.0.0.1, or set Stripe keys to go live", "addr", s.ln.Addr().String())
		}
		s.stripe = stripeapi.New(stripeapi.Config{SecretKey: "sk_test_vendo_sandbox", APIBase: s.loopbackURL() + "/sandbox/stripe", HTTPClient: hc, Log: s.log})
	} else {
		s.stripe = stripeapi.New(stripeapi.Config{SecretKey: s.cfg.StripeSecretKey, APIBase: s.cfg.StripeAPIBase, HTTPClient: hc, Log: s.log, MaxNetworkRetries: 2})
	}
	s.ledger = webhook.NewLedger(s.store, s.log.With("component", "ledger"))
	s.syncer = &webhook.Syncer{Ledger: s.ledger, Stripe: s.stripe, Store: s.store, Log: s.log.With("component", "sync")}
	return nil
}

func (s *Server) webhookSecret() string {
	if s.sandbox != nil {
		return s.sandbox.WebhookSecret()
	}
	return s.cfg.StripeWebhookSecret
}

func (s *Server) mountSandbox(a *fiber.App) {
	if s.sandbox != nil {
		s.sandbox.Mount(a.Group("/sandbox/stripe"))
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

// Ledger is the webhook ledger (for tests and the admin).
func (s *Server) Ledger() *webhook.Ledger { return s.ledger }

// Stripe is the Stripe client.
func (s *Server) Stripe() *stripeapi.Client { return s.stripe }
