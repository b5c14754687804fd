package server

import (
	"context"
	"io"
)

// The admin's hooks into the server (web.Deps.Replay and Backup).

// replayEvent re-runs a recorded Stripe event through the ledger.
func (s *Server) replayEvent(ctx context.Context, id string) (string, error) {
	res, err := s.Ledger.Replay(ctx, id)
	return res.Outcome, err
}

// backupTo writes the backup archive (database snapshot and files) to w.
func (s *Server) backupTo(ctx context.Context, w io.Writer) error {
	_, err := s.Backup(ctx, w)
	return err
}
