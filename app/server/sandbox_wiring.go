package server

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"vendo/app/config"
	"vendo/app/sandbox"
)

// openSandbox opens the offline Stripe stand-in. Customers reach its
// hosted pages at the public base URL; it delivers webhooks to this very
// process over loopback. admin tells it whether a request is an admin's
// (it cannot read the shop's sessions itself).
func openSandbox(cfg *config.Config, log *slog.Logger, loopback string, admin func(*fiber.Ctx) bool) (*sandbox.Sandbox, error) {
	sb, err := sandbox.Open(sandbox.Config{
		Path:       cfg.SandboxDBPath(),
		BaseURL:    cfg.BaseURL,
		WebhookURL: loopback + "/webhooks/stripe",
		Logger:     log.With("component", "sandbox"),
		Admin:      admin,
		// Test knobs: a receiver must cope with Stripe's duplicates and
		// reordering; these make them certain rather than rare.
		DeliverTwice:  cfg.SandboxDeliverTwice,
		ShuffleWindow: cfg.SandboxShuffle,
	})
	if err != nil {
		return nil, err
	}
	return sb, nil
}
