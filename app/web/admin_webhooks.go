package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// The admin's webhooks to the merchant's own tools (issue 20): endpoints,
// their deliveries with every attempt, and a resend.

var hookStatuses = []app.HookDeliveryStatus{app.HookPending, app.HookDelivered, app.HookFailed}

// hookForm reads the endpoint form (url, events[], enabled).
func hookForm(c *fiber.Ctx) shop.HookEndpointForm {
	f := shop.HookEndpointForm{URL: strings.TrimSpace(c.FormValue("url")), Enabled: c.FormValue("enabled") != ""}
	for _, v := range c.Request().PostArgs().PeekMulti("events") {
		f.Events = append(f.Events, string(v))
	}
	return f
}

// handleAdminWebhooks lists the endpoints, the form for a new one, and
// the latest deliveries (GET /admin/webhooks; an htmx request for the
// deliveries filter gets their table).
func (s *Server) handleAdminWebhooks(c *fiber.Ctx) error {
	return s.webhooksPage(c, shop.HookEndpointForm{Enabled: true, Events: app.HookEventTypes}, nil, app.ValidationErrors{})
}

func (s *Server) webhooksPage(c *fiber.Ctx, f shop.HookEndpointForm, created *app.HookEndpoint, errs app.ValidationErrors) error {
	q := filterValues(c, "status", "endpoint")
	before := c.Query("before")
	var (
		endpoints  []app.HookEndpoint
		deliveries []app.HookDelivery
		next       string
	)
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) {
		if endpoints, err = tx.HookEndpoints(); err != nil {
			return err
		}
		deliveries, next, err = tx.HookDeliveries(store.HookDeliveryFilter{Status: app.HookDeliveryStatus(q.Get("status")),
			EndpointID: q.Get("endpoint"), Before: before, Limit: adminPageSize})
		return err
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return s.adminPage(c, "webhooks", "admin/webhooks", "admin/webhook_deliveries", fiber.Map{"Title": "Webhooks",
		"Endpoints": endpoints, "Deliveries": deliveries, "F": q, "Statuses": hookStatuses, "EventTypes": app.HookEventTypes,
		"Form": f, "Errors": errs, "Created": created, "Pager": newPager("/admin/webhooks", q, "before", before, next)})
}

// handleAdminWebhookCreate makes an endpoint and shows its signing
// secret, this once (POST /admin/webhooks). The page is rendered rather
// than redirected to, so the secret is never in a URL or a later page.
func (s *Server) handleAdminWebhookCreate(c *fiber.Ctx) error {
	f := hookForm(c)
	e, err := s.shop.CreateHookEndpoint(c.UserContext(), f, s.actor(c))
	if errs, ok := formErrors(err); ok {
		return s.webhooksPage(c, f, nil, errs)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.webhooksPage(c, shop.HookEndpointForm{Enabled: true, Events: app.HookEventTypes}, &e, app.ValidationErrors{})
}

// handleAdminWebhook shows one endpoint's form (GET /admin/webhooks/:id).
func (s *Server) handleAdminWebhook(c *fiber.Ctx) error {
	var e app.HookEndpoint
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) { e, err = tx.HookEndpoint(c.Params("id")); return err })
	if err != nil {
		return err
	}
	return s.webhookPage(c, e, shop.HookEndpointForm{URL: e.URL, Events: e.Events, Enabled: e.Enabled}, app.ValidationErrors{})
}

func (s *Server) webhookPage(c *fiber.Ctx, e app.HookEndpoint, f shop.HookEndpointForm, errs app.ValidationErrors) error {
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return s.adminPage(c, "webhooks", "admin/webhook", "", fiber.Map{"Title": "Webhook endpoint", "E": e, "Form": f,
		"Errors": errs, "EventTypes": app.HookEventTypes})
}

// handleAdminWebhookSave changes an endpoint's address, events and
// enabled flag (POST /admin/webhooks/:id).
func (s *Server) handleAdminWebhookSave(c *fiber.Ctx) error {
	f := hookForm(c)
	e, err := s.shop.UpdateHookEndpoint(c.UserContext(), c.Params("id"), f, s.actor(c))
	if errs, ok := formErrors(err); ok {
		return s.webhookPage(c, e, f, errs)
	}
	if err != nil {
		return err
	}
	return s.back(c, "/admin/webhooks", "saved")
}

// handleAdminWebhookDelete removes an endpoint (POST /admin/webhooks/:id/delete).
func (s *Server) handleAdminWebhookDelete(c *fiber.Ctx) error {
	if err := s.shop.DeleteHookEndpoint(c.UserContext(), c.Params("id"), s.actor(c)); err != nil {
		return err
	}
	return s.back(c, "/admin/webhooks", "deleted")
}

// handleAdminWebhookDelivery shows a delivery: its attempts with the
// answers, and the exact body sent (GET /admin/webhooks/deliveries/:id).
func (s *Server) handleAdminWebhookDelivery(c *fiber.Ctx) error {
	var (
		d  app.HookDelivery
		ev app.HookEvent
	)
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) {
		if d, err = tx.HookDelivery(c.Params("id")); err != nil {
			return err
		}
		ev, err = tx.HookEvent(d.EventID)
		return err
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "webhooks", "admin/webhook_delivery", "", fiber.Map{"Title": d.EventType + " delivery", "D": d,
		"Body": string(ev.Body), "Sequence": ev.Sequence})
}

// handleAdminWebhookResend queues a delivery again at once
// (POST /admin/webhooks/deliveries/:id/resend).
func (s *Server) handleAdminWebhookResend(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := s.shop.ResendHookDelivery(c.UserContext(), id, s.actor(c)); err != nil {
		return err
	}
	return s.back(c, "/admin/webhooks/deliveries/"+url.PathEscape(id), "hook-resent")
}
