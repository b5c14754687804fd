package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// licenseRow is a license with its customer's email, how it stands and
// its activations.
type licenseRow struct {
	app.License
	Email     string
	Info      shop.LicenseInfo
	Instances []app.LicenseInstance
}

// handleAdminLicenses lists license keys, searched by key or customer
// email.
func (s *Server) handleAdminLicenses(c *fiber.Ctx) error {
	q := filterValues(c, "q")
	before := c.Query("before")
	var rows []licenseRow
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		query, ok, err := shop.LicenseQuery(tx, q.Get("q"))
		if err != nil || !ok {
			return err
		}
		lics, n, err := tx.Licenses(store.LicenseFilter{Query: query, Before: before, Limit: adminPageSize})
		if err != nil {
			return err
		}
		next = n
		for _, l := range lics {
			r := licenseRow{License: l}
			if cu, err := tx.Customer(l.CustomerID); err == nil {
				r.Email = cu.Email
			}
			if r.Info, err = shop.KeyInfo(tx, l); err != nil {
				return err
			}
			if r.Instances, err = tx.LicenseInstances(l.ID); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "licenses", "admin/licenses", "admin/licenses_table", fiber.Map{"Title": "Licenses",
		"Rows": rows, "Q": q.Get("q"), "Pager": newPager("/admin/licenses", q, "before", before, next), "Exports": exportsFor("licenses", q)})
}

// handleAdminLicenseRevoke revokes a license key (reason required).
func (s *Server) handleAdminLicenseRevoke(c *fiber.Ctx) error {
	if err := s.shop.RevokeLicense(c.UserContext(), c.Params("id"), c.FormValue("reason"), s.actor(c)); err != nil {
		return err
	}
	return s.back(c, licensesBack(c), "revoked")
}

// handleAdminLicenseReset removes every activation of a key (POST
// /admin/licenses/:id/reset).
func (s *Server) handleAdminLicenseReset(c *fiber.Ctx) error {
	if _, err := s.shop.ResetActivations(c.UserContext(), c.Params("id"), s.actor(c)); err != nil {
		return err
	}
	return s.back(c, licensesBack(c), "reset")
}

// licensesBack is the license list the admin acted from, with its search.
func licensesBack(c *fiber.Ctx) string {
	if q := c.FormValue("q"); q != "" {
		return "/admin/licenses?q=" + url.QueryEscape(q)
	}
	return "/admin/licenses"
}
