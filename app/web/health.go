package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// handleHealth answers 200 when the database answers, for load balancers
// and uptime checks. With the files in a bucket it asks the bucket too:
// a shop that cannot deliver what it sells is not healthy.
func (s *Server) handleHealth(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := s.store.Ping(c.UserContext()); err != nil {
		s.log.Error("health check", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "error"})
	}
	b, isBucket := s.bucket()
	if !isBucket {
		return c.JSON(fiber.Map{"status": "ok", "database": "ok"})
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	if err := b.Check(ctx); err != nil {
		s.log.Error("health check: the file bucket", "bucket", b.String(), "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "ok", "files": "error", "bucket": b.String()})
	}
	return c.JSON(fiber.Map{"status": "ok", "database": "ok", "files": "ok", "bucket": b.String()})
}

// bucket is a file store that can say whether it answers
// (s3files.Bucket).
type bucket interface {
	Check(ctx context.Context) error
	String() string
}

// bucket is the shop's file store when the files live in a bucket, not
// on disk (blobs.Dir answers Check and String too).
func (s *Server) bucket() (bucket, bool) {
	b, ok := s.files.(bucket)
	if _, onDisk := s.files.(interface {
		Path(sha string) (string, error)
	}); onDisk {
		return nil, false
	}
	return b, ok
}
