package server

import (
	"context"
	"fmt"
	"time"

	"vendo/app/auth"
)

// sweepEvery is how often expired sessions, tokens and rate-limit windows
// are removed.
const sweepEvery = time.Hour

// startAccounts starts the outbox worker and the sweeper, and prints a
// one-time admin link while the shop has no admin, so a new install has
// a way in.
func (s *Server) startAccounts(ctx context.Context) {
	s.bg.Add(2)
	go func() { defer s.bg.Done(); s.Mail.Run(ctx) }()
	go func() { defer s.bg.Done(); s.Auth.RunSweeper(ctx, sweepEvery) }()
	if !s.Mail.Sends() {
		where := "nobody sees them: set SMTP_URL to send them"
		if s.Config.LoopbackBaseURL() {
			where = "each is shown on this terminal"
		}
		s.log.Info("SMTP_URL is not set: emails are kept in the outbox, links left out of the log, and not sent; " + where)
	}
	need, err := s.Auth.NeedsAdmin(ctx)
	if err != nil {
		s.log.Error("check for an admin", "err", err)
		return
	}
	if need {
		link, err := s.Auth.AdminLink()
		if err != nil {
			s.log.Error("make an admin link", "err", err)
			return
		}
		fmt.Fprintf(s.console, "This shop has no admin yet. Open this one-time link within %d minutes to sign in as its owner (run `vendo admin-link` for a new one):\n%s\n",
			int(auth.AdminLinkTTL.Minutes()), link)
	}
}
