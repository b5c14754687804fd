package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

// auditRow is an audit entry with a link to what it is about.
type auditRow struct {
	app.AuditEntry
	Link string
}

// targetLink is the admin page of an id, by its prefix.
func targetLink(id string) string {
	for prefix, path := range map[string]string{"prod_": "/admin/products/", "ord_": "/admin/orders/", "cust_": "/admin/customers/",
		"evt_": "/admin/events/", "mail_": "/admin/outbox/"} {
		if strings.HasPrefix(id, prefix) {
			return path + id
		}
	}
	if strings.HasPrefix(id, "plan_") {
		return "/admin/plans"
	}
	if strings.HasPrefix(id, "lic_") {
		return "/admin/licenses"
	}
	return ""
}

// handleAdminAudit lists the audit log newest first.
func (s *Server) handleAdminAudit(c *fiber.Ctx) error {
	before := c.Query("before")
	var rows []auditRow
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		entries, n, err := tx.AuditLog(store.AuditFilter{Before: before, Limit: adminPageSize})
		next = n
		for _, e := range entries {
			rows = append(rows, auditRow{AuditEntry: e, Link: targetLink(e.Target)})
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "audit", "admin/audit", "admin/audit_table", fiber.Map{"Title": "Audit log",
		"Rows": rows, "Pager": newPager("/admin/audit", nil, "before", before, next)})
}

// downloadRow is a download with its customer's email and product title.
type downloadRow struct {
	app.DownloadRecord
	Email string
	Title string
}

// handleAdminDownloads lists the download log newest first, optionally
// for one customer (?email=).
func (s *Server) handleAdminDownloads(c *fiber.Ctx) error {
	q := filterValues(c, "email")
	before := c.Query("before")
	var rows []downloadRow
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		f := store.DownloadFilter{Before: before, Limit: adminPageSize}
		if email := q.Get("email"); email != "" {
			cu, err := tx.CustomerByEmail(email)
			if app.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			f.CustomerID = cu.ID
		}
		ds, n, err := tx.Downloads(f)
		if err != nil {
			return err
		}
		next = n
		emails, titles := map[string]string{}, map[string]string{}
		for _, d := range ds {
			r := downloadRow{DownloadRecord: d}
			if e, ok := emails[d.CustomerID]; ok {
				r.Email = e
			} else if cu, err := tx.Customer(d.CustomerID); err == nil {
				r.Email, emails[d.CustomerID] = cu.Email, cu.Email
			}
			if t, ok := titles[d.ProductID]; ok {
				r.Title = t
			} else if p, err := tx.Product(d.ProductID); err == nil {
				r.Title, titles[d.ProductID] = p.Title, p.Title
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "downloads", "admin/downloads", "admin/downloads_table", fiber.Map{"Title": "Downloads",
		"Rows": rows, "F": q, "Pager": newPager("/admin/downloads", q, "before", before, next)})
}
