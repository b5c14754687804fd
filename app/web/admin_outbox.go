package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

var mailStatuses = []app.MailStatus{app.MailPending, app.MailSent, app.MailFailed, app.MailLogged}

// handleAdminOutbox lists mail newest first, by status.
func (s *Server) handleAdminOutbox(c *fiber.Ctx) error {
	q := filterValues(c, "status")
	before := c.Query("before")
	var mails []app.Mail
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) {
		mails, next, err = tx.Outbox(store.MailFilter{Status: app.MailStatus(q.Get("status")), Before: before, Limit: adminPageSize})
		return err
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "outbox", "admin/outbox", "admin/outbox_table", fiber.Map{"Title": "Outbox",
		"Mails": mails, "F": q, "Statuses": mailStatuses, "MailSends": s.cfg.SMTPURL != "",
		"Pager": newPager("/admin/outbox", q, "before", before, next)})
}

// handleAdminMail shows one message (its text; the HTML part as source,
// escaped, never rendered).
func (s *Server) handleAdminMail(c *fiber.Ctx) error {
	var m app.Mail
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) { m, err = tx.Mail(c.Params("id")); return err })
	if err != nil {
		return err
	}
	return s.adminPage(c, "outbox", "admin/mail", "", fiber.Map{"Title": m.Subject, "M": m})
}

// handleAdminMailResend queues a copy of a message.
func (s *Server) handleAdminMailResend(c *fiber.Ctx) error {
	m, err := s.shop.ResendMail(c.UserContext(), c.Params("id"), s.actor(c))
	if err != nil {
		return err
	}
	return s.back(c, "/admin/outbox/"+url.PathEscape(m.ID), "resent")
}
