package server

import (
	"log/slog"

	"vendo/app/config"
	"vendo/app/sandbox"
)

// openSandbox opens the offline Stripe stand-in. Customers reach its
// hosted pages at the public base URL; it delivers webhooks to this very
// process over loopback.
func openSandbox(cfg *config.Config, log *slog.Logger, loopback string) (*sandbox.Sandbox, error) {
	sb, err := sandbox.Open(sandbox.Config{
		Path:       cfg.SandboxDBPath(),
		BaseURL:    cfg.BaseURL,
		WebhookURL: loopback + "/webhooks/stripe",
		Logger:     log.With("component", "sandbox"),
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
