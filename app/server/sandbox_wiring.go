package server

import (
	"log/slog"

	"vendo/app/config"
)

// openSandbox opens the offline Stripe stand-in (wired once the sandbox
// package lands).
func openSandbox(cfg *config.Config, log *slog.Logger, loopback string) (sandboxService, error) {
	return nil, nil
}
