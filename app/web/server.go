// Package web is Vendo's HTTP face: the Fiber app, its routes, and the
// handlers that turn requests into calls on the shop and pages.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"
	"github.com/valyala/fasthttp"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/search"
	"vendo/app/shop"
	"vendo/app/store"
)

// Deps are what the web layer needs; built by the server package.
type Deps struct {
	Config *config.Config
	Store  *store.Store
	Log    *slog.Logger
	Views  fs.FS // views/ tree
	Static fs.FS // static/ tree
	Files  FileOpener
	Shop   *shop.Shop
	// Search is the catalog's full-text index.
	Search *search.Index
	// Auth signs people in (sessions, CSRF tokens, providers, email and
	// admin links).
	Auth *auth.Service
	// Webhook handles POST /webhooks/stripe (webhook.Receiver).
	Webhook fiber.Handler
	// Mount, when set, lets the caller add routes (the sandbox) before the
	// catch-all 404.
	Mount func(*fiber.App)
	// SandboxKey is the sandbox's secret API key in sandbox mode (empty in
	// Stripe mode): the settings page shows it to admins, with the API's
	// address, so they can call it with curl or point a second shop at it.
	SandboxKey string
	// Replay re-runs a recorded Stripe event through the webhook ledger
	// (the admin's "replay" button) and says how it ended.
	Replay func(ctx context.Context, id string) (outcome string, err error)
	// Backup writes the consistent tar.gz snapshot (database and files)
	// that GET /admin/backup downloads.
	Backup func(ctx context.Context, w io.Writer) error
	// Mail previews the email templates with sample data (the settings
	// page); nil shows none.
	Mail MailPreviewer
}

// MailPreviewer composes email templates with sample data (mail.Mailer).
type MailPreviewer interface {
	Templates() []string
	Preview(settings app.Settings, name string) (app.Mail, error)
}

// FileOpener reads content-addressed files (product files, covers): on
// disk (blobs.Dir) or in a bucket (s3files.Bucket, which also presigns
// links to them). A missing file's error matches fs.ErrNotExist.
type FileOpener interface {
	Stat(ctx context.Context, sha string) (int64, error)
	Open(ctx context.Context, sha string, offset, length int64) (io.ReadCloser, error)
}

var _ FileOpener = (*blobs.Dir)(nil)

// Server holds the web layer's dependencies; handlers are its methods.
type Server struct {
	cfg    *config.Config
	store  *store.Store
	log    *slog.Logger
	files  FileOpener
	shop   *shop.Shop
	search *search.Index
	auth   *auth.Service
	// replay and backup are the admin's hooks into the server (Deps).
	replay func(ctx context.Context, id string) (string, error)
	backup func(ctx context.Context, w io.Writer) error
	mail   MailPreviewer
	// sandboxKey is Deps.SandboxKey.
	sandboxKey string
	// anonKey signs anonymous visitors' CSRF tokens (anon.go), cartKey
	// their cart cookies (cart.go).
	anonKey, cartKey []byte
	// anonMACs reuses anonKey's HMACs: a new one hashes the key's pads
	// again and allocates, per first-time visitor.
	anonMACs sync.Pool
	// proxies are the trusted reverse proxies (clientip.go).
	proxies proxies
	// misses are checkout ids Stripe does not know (checkout.go).
	misses *missCache
	pages  *pageCache
	// signedPages holds signed-in visitors' pages (signedpages.go).
	signedPages *pageCache
	// accountPages holds each customer's account page (accountcache.go).
	accountPages *accountCache
	// standings keeps signed-in customers' standings (signedpages.go).
	standings standingCache
	// security is the headers every response carries (security.go).
	security *headerSet
	assets   *assets
	gzips    gzipWriters // for responses compressed per request (compress.go)
	app      *fiber.App
}

// New builds the Fiber app with every route, parsing all templates now so a
// broken one fails at start-up rather than at the first visitor.
func New(d Deps) (*Server, error) {
	s := &Server{cfg: d.Config, store: d.Store, log: d.Log, files: d.Files, shop: d.Shop, search: d.Search, auth: d.Auth,
		replay: d.Replay, backup: d.Backup, mail: d.Mail, sandboxKey: d.SandboxKey}
	if s.auth == nil {
		return nil, errors.New("web.New: Deps.Auth is required")
	}
	var err error
	s.anonKey = auth.DeriveKey(s.auth.Secret(), "anonymous-csrf")
	s.cartKey = auth.DeriveKey(s.auth.Secret(), "cart-cookie")
	s.proxies = parseProxies(d.Config.TrustedProxies)
	s.misses = newMissCache(10000)
	s.pages = newPageCache(4096)
	s.signedPages = newPageCache(4096) // apart, so signed-in visitors never evict anonymous pages
	s.accountPages = newAccountCache()
	s.security = newHeaderSet(securityHeaderList(s.contentSecurityPolicy()))
	if s.assets, err = loadAssets(d.Static); err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	engine := html.NewFileSystem(http.FS(d.Views), ".html")
	engine.AddFuncMap(s.funcs())
	if err := engine.Load(); err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "Vendo " + app.Version,
		Views:                 newViews(engine), // views.go: renders in parallel
		ViewsLayout:           "layouts/main",
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		// Without Immutable, the strings Fiber returns (c.OriginalURL,
		// c.Params, c.Query, c.Cookies…) are views of the connection's
		// buffer, which the next request overwrites. Anything kept past
		// the handler changed under us: the page cache's keys did, and a
		// page came back for another address. Copies cost a few small
		// allocations per request (make bench) and close the whole class.
		Immutable:    true,
		ReadTimeout:  60 * time.Second,
		WriteTimeout: 0, // downloads of large files may take long
		IdleTimeout:  120 * time.Second,
		// A page's headers (security headers, cookies: about 1.2 KiB) and
		// its body go out in one write(2) up to this size; with Fiber's
		// default 4 KiB a product page took two (make bench).
		WriteBufferSize: 16 << 10,
		// Bodies stream (StreamRequestBody) so an upload is never held in
		// memory; bodyLimit (limits.go) caps each route, and the server's
		// limit is the largest of them, the upload limit.
		BodyLimit:                    int(d.Config.UploadLimit),
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		// Behind a reverse proxy, the visitor's address comes from
		// X-Forwarded-For, but only when the proxy is one we trust, and
		// read from the right (clientip.go): c.IP() reads the address
		// resolveClientIP found, and only from a trusted peer.
		ProxyHeader:             proxyHeader(d.Config),
		EnableTrustedProxyCheck: len(d.Config.TrustedProxies) > 0,
		TrustedProxies:          d.Config.TrustedProxies,
		EnableIPValidation:      true,
	})
	s.routes(d.Webhook, d.Mount)
	if err := primeRender(s.app); err != nil {
		return nil, fmt.Errorf("render a first page: %w", err)
	}
	return s, nil
}

// primeRender renders once before the shop serves. Fiber makes the list
// of apps Render walks on its first call (Ctx.renderExtensions →
// generateAppListKeys), writing it without a lock: two first renders at
// once (two error pages fasthttp raised together) raced on it.
func primeRender(a *fiber.App) error {
	c := a.AcquireCtx(&fasthttp.RequestCtx{})
	defer a.ReleaseCtx(c)
	return c.Render("partials/flash", fiber.Map{"Kind": "ok", "Message": "ready"}, "")
}

// App is the Fiber app, for Listen and for tests.
func (s *Server) App() *fiber.App { return s.app }

func proxyHeader(cfg *config.Config) string {
	if len(cfg.TrustedProxies) > 0 {
		return clientIPHeader
	}
	return ""
}
