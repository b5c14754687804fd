package web

import (
	"github.com/gofiber/fiber/v2"

	"vendo/app/store"
)

// handleAdminDashboard is the admin's front page (GET /admin); step 7
// fills it with the shop's figures.
func (s *Server) handleAdminDashboard(c *fiber.Ctx) error {
	var pending, customers int
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		pending, customers = tx.CountPendingMail(), tx.CountCustomers()
		return nil
	})
	if err != nil {
		return err
	}
	return s.page(c, "admin/dashboard", "", fiber.Map{"Title": "Admin", "Nav": "admin",
		"PendingMail": pending, "Customers": customers, "MailSends": s.cfg.SMTPURL != ""})
}
