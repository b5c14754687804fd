package web

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// requestLog logs each request at debug level, and failures at warn.
func (s *Server) requestLog(c *fiber.Ctx) error {
	// The time fasthttp took when the request came in: a clock read per
	// request fewer, for a duration only a logged request needs.
	start := c.Context().Time()
	if start.IsZero() { // a handler called without fasthttp's server (benchmarks)
		start = time.Now()
	}
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler sets the final status after us; log the error itself.
		s.log.Debug("request", "method", c.Method(), "path", c.Path(), "err", err, "dur", time.Since(start))
		return err
	}
	if status >= 500 {
		s.log.Warn("request", "method", c.Method(), "path", c.Path(), "status", status, "dur", time.Since(start))
	} else if s.log.Enabled(c.UserContext(), slog.LevelDebug) {
		// Asked first: the arguments would be boxed (allocated) for a
		// line that is dropped, on every request.
		s.log.Debug("request", "method", c.Method(), "path", c.Path(), "status", status, "dur", time.Since(start))
	}
	return nil
}
