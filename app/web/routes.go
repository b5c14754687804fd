package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"vendo/app/shop"
)

// routes lists every route, middleware and guard in one place.
func (s *Server) routes(webhook fiber.Handler, mount func(*fiber.App)) {
	a := s.app
	a.Use(recover.New(recover.Config{EnableStackTrace: true}))
	a.Use(s.servePageHit)      // a cached page for an anonymous visitor, before the rest (pagecache.go)
	a.Use(s.compressResponses) // around everything, error pages included (compress.go)
	a.Use(s.resolveClientIP)   // c.IP() behind trusted proxies (clientip.go)
	a.Use(s.withHSTS)          // before anything can refuse the request
	a.Use(s.requestLog)
	// Bodies stream: 413 over 1 MiB, except the upload routes (bodylimit.go).
	a.Use(s.bodyLimit)
	a.Use(s.securityHeaders())

	a.Get("/static/*", s.handleStatic)
	a.Get("/sw.js", s.handleServiceWorker)
	a.Get("/favicon.ico", func(c *fiber.Ctx) error {
		return c.Redirect(s.assets.url("img/favicon.svg"), fiber.StatusMovedPermanently)
	})
	a.Get("/healthz", s.handleHealth)
	a.Get("/robots.txt", s.handleRobots)
	a.Get("/sitemap.xml", s.handleSitemap)
	if webhook != nil {
		a.Post("/webhooks/stripe", func(c *fiber.Ctx) error {
			// Stripe sends an event once its objects changed: a list of
			// invoices asked for from now on has them, and the lists kept
			// from before are dropped (shop/invoicecache.go).
			if s.shop != nil {
				s.shop.BillingChanged()
			}
			return webhook(c)
		})
	}

	// Sessions and CSRF for every route below: POST, PUT, PATCH and DELETE
	// need the session's token, or for a visitor without a session the
	// token of their anonymous cookie (anon.go); csrfExempt lists the
	// exceptions, among them the sandbox mounted last. GET pages that
	// render a form take s.withToken so a first-time visitor gets the
	// cookie; no page creates a stored session until someone signs in.
	a.Use(s.loadSession, s.loadAnonToken, s.csrf, s.mergeCart)

	codeTries := s.codeTries() // one count for every page and form that takes a code (discounts.go)

	// Anonymous visitors get these from the page cache (pagecache.go).
	a.Get("/", s.cached, s.handleHome)
	a.Get("/products", s.cached, s.handleCatalog)
	a.Get("/products/:slug", s.withToken, codeTries, s.rememberCode, s.cached, s.handleProduct)
	a.Get("/plans", s.withToken, codeTries, s.rememberCode, s.cached, s.handlePlans)
	a.Get("/offline", s.cached, s.handleOffline) // what the service worker shows without a network
	a.Get("/media/:sha", s.handleMedia)

	a.Get("/cart", s.withToken, codeTries, s.rememberCode, s.handleCart)
	a.Post("/cart/code", codeTries, s.handleCartCode) // a discount code typed, or removed
	a.Post("/cart/items", s.handleCartAdd)
	a.Post("/cart/items/:id", s.handleCartUpdate)
	a.Delete("/cart/items/:id", s.handleCartRemove)
	a.Post("/cart/items/:id/remove", s.handleCartRemove) // the same, for a plain form
	a.Post("/checkout", s.rateLimit(20, time.Minute, "checkouts"), s.handleCheckout)
	a.Get("/checkout/success", s.rateLimit(60, time.Minute, "order checks"), s.handleCheckoutSuccess)
	a.Get("/checkout/cancel", s.handleCheckoutCancel)
	a.Get("/downloads/:token", s.handleDownload)
	a.Post("/products/:slug/free", s.rateLimit(20, time.Minute, "requests"), s.handleFreeClaim) // a product priced 0
	a.Get("/free/:token", s.withToken, s.handleFreeLink)                                        // a page with one button
	a.Post("/free/:token", s.handleFreeLinkConfirm)                                             // the button: adds it, signs in

	// Accounts.
	a.Get("/login", s.withToken, s.handleLogin)
	a.Post("/login/email", s.handleLoginEmail)
	a.Get("/login/email/:token", s.withToken, s.handleLoginEmailLink) // a page with one button
	a.Post("/login/email/:token", s.handleLoginEmailConfirm)          // the button: signs in
	a.Get("/login/admin/:token", s.withToken, s.handleAdminLink)      // a page with one button
	a.Post("/login/admin/:token", s.handleAdminLinkConfirm)           // the button: signs in
	a.Get("/auth/:provider", s.rateLimit(30, time.Minute, "sign-in attempts"), s.handleOAuthBegin)
	a.Get("/auth/:provider/callback", s.handleOAuthCallback)
	a.Post("/logout", s.handleLogout)
	a.Get("/account", s.requireCustomer, s.handleAccount)
	a.Get("/account/orders/:id", s.requireCustomer, s.handleAccountOrder)

	// Subscriptions, credits and licenses.
	a.Post("/subscribe", s.rateLimit(20, time.Minute, "checkouts"), s.handleSubscribe)
	a.Post("/account/billing-portal", s.handleBillingPortal)
	a.Post("/library/:slug/unlock", s.handleUnlock)

	// The license API (licenses_api.go): JSON for software, no browser.
	perAddress, perKeyRead, perKeyWrite := s.licenseLimits()
	a.Post("/api/licenses/validate", perAddress, s.readLicenseRequest, perKeyRead, s.handleLicenseValidate)
	a.Post("/api/licenses/activate", perAddress, s.readLicenseRequest, perKeyWrite, s.handleLicenseActivate)
	a.Post("/api/licenses/deactivate", perAddress, s.readLicenseRequest, perKeyWrite, s.handleLicenseDeactivate)
	a.Post("/account/licenses/instances/:id/deactivate", s.requireCustomer, s.handleAccountDeactivate)

	// Admin: every /admin route is in this group, behind one guard.
	adm := a.Group("/admin", s.requireAdmin)
	adm.Get("/", s.handleAdminDashboard)
	adm.Get("/products", s.handleAdminProducts)
	adm.Get("/products/new", s.handleAdminProductNew)
	adm.Post("/products", s.handleAdminProductCreate)
	adm.Get("/products/:id", s.handleAdminProductEdit)
	adm.Post("/products/:id", s.handleAdminProductSave)
	adm.Post("/products/:id/archive", s.handleAdminProductArchive)
	adm.Post("/products/:id/restore", s.handleAdminProductRestore)
	adm.Post("/products/:id/delete", s.handleAdminProductDelete)
	adm.Post("/products/:id/files", s.handleAdminProductUpload) // streamed, up to VENDO_UPLOAD_LIMIT
	adm.Post("/products/:id/files/:sha/remove", s.handleAdminProductFileRemove)
	adm.Post("/products/:id/cover", s.handleAdminProductCoverUpload) // streamed, up to VENDO_UPLOAD_LIMIT
	adm.Post("/products/:id/cover/remove", s.handleAdminProductCoverRemove)
	adm.Get("/plans", s.handleAdminPlans)
	adm.Post("/plans/:id", s.handleAdminPlanSave)
	adm.Post("/plans/:id/move", s.handleAdminPlanMove)
	for list, filter := range s.exportLists() { // /admin/orders.csv, /admin/licenses.json, …
		for _, format := range []string{shop.ExportCSV, shop.ExportJSON} {
			adm.Get("/"+list+"."+format, s.handleAdminExport(list, format, filter))
		}
	}
	adm.Get("/orders", s.handleAdminOrders)
	adm.Get("/orders/:id", s.handleAdminOrder)
	adm.Get("/orders/:id/refund", s.handleAdminRefundConfirm) // the confirmation step; changes nothing
	adm.Post("/orders/:id/refund", s.handleAdminRefund)
	adm.Get("/customers", s.handleAdminCustomers)
	adm.Get("/customers/:id", s.handleAdminCustomer)
	adm.Post("/customers/:id/grants", s.handleAdminGrant)
	adm.Post("/customers/:id/entitlements/:eid/revoke", s.handleAdminRevokeEntitlement)
	adm.Get("/subscriptions", s.handleAdminSubscriptions)
	adm.Get("/licenses", s.handleAdminLicenses)
	adm.Post("/licenses/:id/revoke", s.handleAdminLicenseRevoke)
	adm.Post("/licenses/:id/reset", s.handleAdminLicenseReset)
	adm.Get("/events", s.handleAdminEvents)
	adm.Get("/events/:id", s.handleAdminEvent)
	adm.Post("/events/:id/replay", s.handleAdminEventReplay)
	adm.Get("/downloads", s.handleAdminDownloads)
	adm.Get("/outbox", s.handleAdminOutbox)
	adm.Get("/outbox/:id", s.handleAdminMail)
	adm.Post("/outbox/:id/resend", s.handleAdminMailResend)
	adm.Get("/audit", s.handleAdminAudit)
	adm.Get("/discounts", s.handleAdminDiscounts)
	adm.Post("/discounts", s.handleAdminDiscountCreate)
	adm.Get("/discounts/:id", s.handleAdminDiscountEdit)
	adm.Post("/discounts/:id", s.handleAdminDiscountUpdate)
	adm.Post("/discounts/:id/pause", s.handleAdminDiscountPause)
	adm.Post("/discounts/:id/resume", s.handleAdminDiscountResume)
	adm.Post("/discounts/:id/delete", s.handleAdminDiscountDelete)
	adm.Get("/webhooks", s.handleAdminWebhooks)
	adm.Post("/webhooks", s.handleAdminWebhookCreate)
	adm.Get("/webhooks/deliveries/:id", s.handleAdminWebhookDelivery)
	adm.Post("/webhooks/deliveries/:id/resend", s.handleAdminWebhookResend)
	adm.Get("/webhooks/:id", s.handleAdminWebhook)
	adm.Post("/webhooks/:id", s.handleAdminWebhookSave)
	adm.Post("/webhooks/:id/delete", s.handleAdminWebhookDelete)
	adm.Get("/settings", s.handleAdminSettings)
	adm.Post("/settings", s.handleAdminSettingsSave)
	adm.Get("/settings/mails/:name", s.handleAdminMailPreview) // a template with sample data
	adm.Get("/backups", s.handleAdminBackups)
	adm.Get("/backup", s.handleAdminBackup) // the tar.gz archive

	if mount != nil {
		mount(a)
	}
	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}
