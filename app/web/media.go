package web

import (
	"regexp"

	"github.com/gofiber/fiber/v2"
)

var shaRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// handleMedia serves product cover images. Only files used as a cover are
// public; product files go through signed download links.
func (s *Server) handleMedia(c *fiber.Ctx) error {
	sha := c.Params("sha")
	if !shaRE.MatchString(sha) {
		return fiber.ErrNotFound
	}
	meta, err := s.store.File(c.UserContext(), sha)
	if err != nil {
		return err
	}
	if !meta.Public {
		return fiber.ErrNotFound
	}
	path, err := s.files.Path(sha)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, meta.ContentType)
	c.Set("X-Content-Type-Options", "nosniff")
	return c.SendFile(path, false)
}
