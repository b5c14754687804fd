package web

import (
	"errors"
	"io"
	"io/fs"
	"regexp"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
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
	local, onDisk := s.files.(interface {
		Path(sha string) (string, error)
	})
	var path string
	var body io.ReadCloser
	if onDisk {
		path, err = local.Path(sha)
	} else {
		// A bucket: the cover streams through the shop, under the shop's
		// cache headers (it never changes under its name).
		body, err = s.files.Open(c.UserContext(), sha, 0, meta.Size)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && c.UserContext().Err() == nil {
			s.log.Error("cover from the file store", "file", sha, "err", err)
			return app.Errorf(app.EUNAVAILABLE, "The shop's file storage is not answering. Try again in a few minutes.")
		}
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, meta.ContentType)
	c.Set("X-Content-Type-Options", "nosniff")
	if onDisk {
		return c.SendFile(path, false)
	}
	c.Context().SetBodyStream(body, int(meta.Size))
	return nil
}
