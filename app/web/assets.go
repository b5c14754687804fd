package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// assets serves the embedded static tree from memory. Pages link to
// "/static/css/app.css?v=<hash>": a versioned URL is cacheable for a year,
// an unversioned one is revalidated with its ETag.
type assets struct {
	files map[string]*asset
}

type asset struct {
	body        []byte
	etag        string
	version     string
	contentType string
	encoded     compressed // made once here, for text files
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".webmanifest":
			ct = "application/manifest+json"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		f := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, version: hex.EncodeToString(sum[:5]), contentType: ct}
		if compressible(ct) {
			f.encoded = compressAsset(sum, body)
		}
		a.files[p] = f
		return nil
	})
	return a, err
}

// encodedAssets keeps each static file's compressed forms by its SHA-256
// for the life of the process. The files are embedded, the same for every
// server a process opens, and a test process opens hundreds: compressing
// them again was two thirds of the CPU of starting a shop under -race.
// The forms are a pure function of the bytes, so no server sees another's
// state through it.
var encodedAssets sync.Map // [sha256.Size]byte → compressed

// compressAsset is compressOnce(body), once per process per content.
func compressAsset(sum [sha256.Size]byte, body []byte) compressed {
	if cp, ok := encodedAssets.Load(sum); ok {
		return cp.(compressed)
	}
	cp, _ := encodedAssets.LoadOrStore(sum, compressOnce(body))
	return cp.(compressed)
}

// url returns the versioned address of a static file, for templates.
func (a *assets) url(name string) string {
	if f, ok := a.files[name]; ok {
		return "/static/" + name + "?v=" + f.version
	}
	return "/static/" + name
}

func (a *assets) serve(c *fiber.Ctx, name string) error {
	f, ok := a.files[name]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	body, encoding := f.body, negotiate(c.Get(headerAcceptEncoding), true)
	if b := f.encoded.pick(encoding); b != nil {
		body = b
		c.Set(headerContentEncoding, encoding)
	} else {
		encoding = ""
	}
	etag := encodedETag(f.etag, encoding)
	c.Set(fiber.HeaderETag, etag)
	if v := c.Query("v"); v != "" && v == f.version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=0, must-revalidate")
	}
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, etag) {
		c.Response().Header.Del(headerContentEncoding)
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(body)
}

func (s *Server) handleStatic(c *fiber.Ctx) error {
	name := strings.TrimPrefix(c.Params("*"), "/")
	if name == "" || strings.Contains(name, "..") {
		return fiber.ErrNotFound
	}
	return s.assets.serve(c, name)
}

// handleServiceWorker serves sw.js from the root so its scope is the site.
func (s *Server) handleServiceWorker(c *fiber.Ctx) error {
	return s.assets.serve(c, "sw.js")
}
