package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

// handleAdminCustomers lists customers newest first, searched by email or
// name (GET /admin/customers?q=).
func (s *Server) handleAdminCustomers(c *fiber.Ctx) error {
	q := filterValues(c, "q")
	before := c.Query("before")
	var list []app.Customer
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) {
		list, next, err = tx.Customers(store.CustomerFilter{Query: q.Get("q"), Before: before, Limit: adminPageSize})
		return err
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "customers", "admin/customers", "admin/customers_table", fiber.Map{"Title": "Customers",
		"Customers": list, "Q": q.Get("q"), "Pager": newPager("/admin/customers", q, "before", before, next), "Exports": exportsFor("customers", q)})
}

// handleAdminCustomer shows a customer: orders, subscription, credits,
// library (with grant and revoke), license keys and downloads.
func (s *Server) handleAdminCustomer(c *fiber.Ctx) error {
	return s.customerPage(c, fiber.Map{})
}

func (s *Server) customerPage(c *fiber.Ctx, data fiber.Map) error {
	v, err := s.shop.CustomerDetail(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	data["Title"] = v.Customer.Email
	data["V"] = v
	data["Admin"] = s.auth.IsAdmin(&v.Customer)
	data["StripeCustomer"] = s.stripeDashboard("customers", v.Customer.StripeCustomerID)
	return s.adminPage(c, "customers", "admin/customer", "", data)
}

// handleAdminGrant grants a product by hand (POST
// /admin/customers/:id/grants: product, note).
func (s *Server) handleAdminGrant(c *fiber.Ctx) error {
	id := c.Params("id")
	_, err := s.shop.GrantEntitlement(c.UserContext(), id, c.FormValue("product"), c.FormValue("note"), s.actor(c))
	if fe, ok := formErrors(err); ok {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.customerPage(c, fiber.Map{"Errors": fe, "GrantProduct": c.FormValue("product"), "GrantNote": c.FormValue("note")})
	}
	if err != nil {
		return err
	}
	return s.back(c, "/admin/customers/"+url.PathEscape(id), "granted")
}

// handleAdminRevokeEntitlement takes a product out of a customer's
// library (POST /admin/customers/:id/entitlements/:eid/revoke: reason).
func (s *Server) handleAdminRevokeEntitlement(c *fiber.Ctx) error {
	id := c.Params("id")
	err := s.shop.RevokeEntitlement(c.UserContext(), id, c.Params("eid"), c.FormValue("reason"), s.actor(c))
	if fe, ok := formErrors(err); ok {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.customerPage(c, fiber.Map{"Errors": app.ValidationErrors{"revoke-" + c.Params("eid"): fe["reason"]}})
	}
	if err != nil {
		return err
	}
	return s.back(c, "/admin/customers/"+url.PathEscape(id), "revoked")
}

var subscriptionStatuses = []string{"active", "trialing", "past_due", "canceled", "unpaid", "incomplete", "incomplete_expired", "paused"}

// subscriptionRow is a subscription with its customer's email and plan.
type subscriptionRow struct {
	app.Subscription
	Email    string
	PlanName string
}

// handleAdminSubscriptions lists subscriptions by status and plan.
func (s *Server) handleAdminSubscriptions(c *fiber.Ctx) error {
	q := filterValues(c, "status", "plan")
	before := c.Query("before")
	var rows []subscriptionRow
	var plans []app.Plan
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		var err error
		if plans, err = tx.Plans(); err != nil {
			return err
		}
		names := map[string]string{}
		for _, p := range plans {
			names[p.ID] = p.Name
		}
		subs, n, err := tx.Subscriptions(store.SubscriptionFilter{Status: q.Get("status"), PlanID: q.Get("plan"), Before: before, Limit: adminPageSize})
		if err != nil {
			return err
		}
		next = n
		for _, sub := range subs {
			r := subscriptionRow{Subscription: sub, PlanName: names[sub.PlanID]}
			if cu, err := tx.Customer(sub.CustomerID); err == nil {
				r.Email = cu.Email
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "subscriptions", "admin/subscriptions", "admin/subscriptions_table", fiber.Map{"Title": "Subscriptions",
		"Rows": rows, "Plans": plans, "Statuses": subscriptionStatuses, "F": q, "Pager": newPager("/admin/subscriptions", q, "before", before, next), "Exports": exportsFor("subscriptions", q)})
}
