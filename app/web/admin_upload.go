package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/blobs"
	"vendo/app/store"
)

// blobWriter stores content-addressed files (blobs.Dir, or a bucket:
// s3files.Bucket streams each upload as a multipart upload): Deps.Files
// is one when the server can take uploads.
type blobWriter interface {
	Put(ctx context.Context, r io.Reader, limit int64) (sha string, size int64, err error)
	Remove(ctx context.Context, sha string) error
}

// The upload handler finds the blobWriter with a type assertion, so only
// this check says when blobs.Dir stops being one.
var _ blobWriter = (*blobs.Dir)(nil)

// coverTypes are the images a cover may be: no SVG, which can carry script.
var coverTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true, "image/gif": true}

// handleAdminProductUpload adds files to a product (POST
// /admin/products/:id/files, multipart). The body is read part by part
// from the request stream and each file streamed to disk through the
// content-addressed store, never buffered (c.FormFile would buffer); the
// CSRF token comes in the X-CSRF-Token header (htmx) or the query string
// (a plain form), so the csrf middleware never parses this body.
func (s *Server) handleAdminProductUpload(c *fiber.Ctx) error {
	return s.upload(c, false)
}

// handleAdminProductCoverUpload sets a product's cover image (POST
// /admin/products/:id/cover, multipart): PNG, JPEG, WebP or GIF, checked
// from the bytes, not the name.
func (s *Server) handleAdminProductCoverUpload(c *fiber.Ctx) error {
	return s.upload(c, true)
}

func (s *Server) upload(c *fiber.Ctx, cover bool) error {
	id := c.Params("id")
	ctx := c.UserContext()
	if _, err := s.store.Product(ctx, id); err != nil {
		return err
	}
	bw, ok := s.files.(blobWriter)
	if !ok {
		return app.Errorf(app.EUNAVAILABLE, "This shop cannot store uploads.")
	}
	mediaType, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return app.Errorf(app.EINVALID, "Send the files as a multipart form (enctype=\"multipart/form-data\").")
	}
	var stored []store.FileMeta
	fail := func(err error) error {
		s.discardUploads(ctx, bw, stored)
		switch {
		case errors.Is(err, errUploadTooLarge), errors.Is(err, blobs.ErrTooLarge):
			lingerClose(c)
			return errTooLarge(s.cfg.UploadLimit)
		case app.ErrorCode(err) != app.EINTERNAL:
			return err
		case errors.Is(err, blobs.ErrUnavailable):
			s.log.Error("upload: the file store", "product", id, "err", err)
			return app.Errorf(app.EUNAVAILABLE, "The upload was not saved because the shop's file storage is not answering. Try again in a few minutes.")
		}
		if ctx.Err() != nil {
			return app.Errorf(app.EINVALID, "The upload was interrupted. Nothing was saved.")
		}
		s.log.Warn("upload failed", "product", id, "err", err)
		return app.Errorf(app.EINVALID, "The upload could not be read to the end (the connection may have dropped). Nothing was saved.")
	}
	mr := multipart.NewReader(s.uploadStream(c), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		if part.FileName() == "" {
			// A form field (the CSRF token, a "no file chosen" input).
			if _, err := io.Copy(io.Discard, io.LimitReader(part, 64<<10)); err != nil {
				return fail(err)
			}
			continue
		}
		if cover && len(stored) == 1 {
			return fail(app.Errorf(app.EINVALID, "Choose one image for the cover."))
		}
		meta, err := s.storeUpload(ctx, bw, part, cover)
		if err != nil {
			return fail(err)
		}
		if meta.Size == 0 {
			continue // an empty file: nothing to sell
		}
		stored = append(stored, meta)
	}
	if len(stored) == 0 {
		return fail(app.FieldError("file", "Choose a file to upload (empty files are skipped)."))
	}
	if cover {
		err = s.shop.SetProductCover(ctx, id, stored[0], s.actor(c))
	} else {
		err = s.shop.AddProductFiles(ctx, id, stored, s.actor(c))
	}
	if err != nil {
		return fail(err)
	}
	done := "files"
	if cover {
		done = "cover"
	}
	return s.afterFileChange(c, id, done)
}

// storeUpload streams one file part to disk: its first bytes decide the
// content type (a cover must be an image), the rest follows.
func (s *Server) storeUpload(ctx context.Context, bw blobWriter, part *multipart.Part, cover bool) (store.FileMeta, error) {
	name := app.CleanFileName(part.FileName())
	head := make([]byte, 512)
	n, err := io.ReadFull(part, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return store.FileMeta{}, err
	}
	head = head[:n]
	sniffed := http.DetectContentType(head)
	ctype := sniffed
	if cover {
		if !coverTypes[sniffed] {
			return store.FileMeta{}, app.FieldError("cover", "A cover must be a PNG, JPEG, WebP or GIF image.")
		}
	} else if byExt := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); byExt != "" &&
		(sniffed == "application/octet-stream" || strings.HasPrefix(sniffed, "text/plain")) {
		ctype = byExt // a CSV, an EPUB, a font: the name says more than the bytes
	}
	sha, size, err := bw.Put(ctx, io.MultiReader(bytes.NewReader(head), part), s.cfg.UploadLimit)
	if err != nil {
		return store.FileMeta{}, err
	}
	return store.FileMeta{SHA256: sha, Size: size, ContentType: ctype, Name: name}, nil
}

// discardUploads removes files this request wrote that no record names
// (content addressing: the same bytes may already belong to a product).
func (s *Server) discardUploads(ctx context.Context, bw blobWriter, files []store.FileMeta) {
	for _, f := range files {
		if _, err := s.store.File(context.WithoutCancel(ctx), f.SHA256); err == nil {
			continue
		}
		if err := bw.Remove(context.WithoutCancel(ctx), f.SHA256); err != nil {
			s.log.Warn("remove an abandoned upload", "sha256", f.SHA256, "err", err)
		}
	}
}
