package web

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

var orderStatuses = []string{app.OrderPending, app.OrderPaid, app.OrderFailed, app.OrderPartiallyRefunded, app.OrderRefunded,
	app.OrderDisputed, app.OrderDisputeLost}

// refundReasons are the reasons Stripe's Refunds API accepts.
var refundReasons = []string{"requested_by_customer", "duplicate", "fraudulent"}

// handleAdminOrders lists orders newest first, filtered by status, date
// range and customer email (GET /admin/orders?status=&from=&to=&email=).
func (s *Server) handleAdminOrders(c *fiber.Ctx) error {
	q, f := orderFilter(c)
	before := c.Query("before")
	f.Before, f.Limit = before, adminPageSize
	data := fiber.Map{"Title": "Orders", "F": q, "Statuses": orderStatuses}
	var orders []app.Order
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		if email := q.Get("email"); email != "" {
			cust, err := tx.CustomerByEmail(email)
			if app.IsNotFound(err) {
				data["NoCustomer"] = true
				return nil
			}
			if err != nil {
				return err
			}
			f.CustomerID = cust.ID
		}
		var err error
		orders, next, err = tx.Orders(f)
		return err
	})
	if err != nil {
		return err
	}
	data["Orders"] = orders
	data["Pager"] = newPager("/admin/orders", q, "before", before, next)
	data["Exports"] = exportsFor("orders", q)
	return s.adminPage(c, "orders", "admin/orders", "admin/orders_table", data)
}

// orderFilter reads the order list's filter from the query (status,
// from, to; the email is q's to resolve), for the list and its exports.
func orderFilter(c *fiber.Ctx) (url.Values, store.OrderFilter) {
	q := filterValues(c, "status", "from", "to", "email")
	f := store.OrderFilter{Status: q.Get("status"), From: parseDay(q.Get("from"))}
	if to := parseDay(q.Get("to")); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the "to" day is included
	}
	return q, f
}

var refundIDRE = regexp.MustCompile(`^re_[A-Za-z0-9_]{1,100}$`)

// handleAdminOrder shows an order: lines, payment, refunds, downloads and
// the refund form. After a refund it polls (htmx) its refunds section
// until Stripe's charge.refunded has recorded the refund.
func (s *Server) handleAdminOrder(c *fiber.Ctx) error {
	return s.orderPage(c, "", app.ValidationErrors{}, 0)
}

func (s *Server) orderPage(c *fiber.Ctx, amount string, errs app.ValidationErrors, status int) error {
	v, err := s.shop.OrderDetail(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Order #" + strconv.FormatInt(v.Order.Number, 10), "V": v, "Errors": errs,
		"Amount": amount, "Reasons": refundReasons,
		"StripePayment":  s.stripeDashboard("payments", v.Order.PaymentIntentID),
		"StripeCustomer": s.stripeDashboard("customers", v.Order.StripeCustomerID)}
	if id := c.Query("refund"); refundIDRE.MatchString(id) &&
		!slices.ContainsFunc(v.Order.Refunds, func(r app.Refund) bool { return r.ID == id }) {
		data["Pending"] = id
	}
	if status != 0 {
		c.Status(status)
	}
	return s.adminPage(c, "orders", "admin/order", "admin/order_refunds", data)
}

// refundAmount reads the amount to refund: empty means all that is left.
func refundAmount(raw string, v shop.OrderDetail) (int64, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return v.RefundLeft.Amount, nil
	}
	m, err := app.ParseMoney(raw, v.Order.Total.Currency)
	if err != nil {
		return 0, app.FieldError("amount", "%s", err.Error())
	}
	switch {
	case m.Amount == 0:
		return 0, app.FieldError("amount", "Enter an amount above zero, or leave it empty to refund everything left.")
	case m.Amount > v.RefundLeft.Amount:
		return 0, app.FieldError("amount", "At most %s is left to refund.", v.RefundLeft)
	}
	return m.Amount, nil
}

// handleAdminRefundConfirm is the confirmation step (GET
// /admin/orders/:id/refund?amount=&reason=): it changes nothing and shows
// what the button on it will refund.
func (s *Server) handleAdminRefundConfirm(c *fiber.Ctx) error {
	v, err := s.shop.OrderDetail(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	reason := c.Query("reason")
	if !slices.Contains(refundReasons, reason) {
		reason = refundReasons[0]
	}
	amount, err := refundAmount(c.Query("amount"), v)
	if fe, ok := formErrors(err); ok {
		return s.orderPage(c, c.Query("amount"), fe, fiber.StatusUnprocessableEntity)
	}
	if v.RefundLeft.Amount <= 0 || (v.Order.Status != app.OrderPaid && v.Order.Status != app.OrderPartiallyRefunded) {
		return app.Errorf(app.EINVALID, "Only paid orders with money left to refund can be refunded.")
	}
	return s.adminPage(c, "orders", "admin/refund_confirm", "", fiber.Map{"Title": "Confirm the refund", "V": v,
		"Refund": app.Money{Amount: amount, Currency: v.Order.Total.Currency}, "Minor": amount, "Reason": reason,
		"Full": amount == v.RefundLeft.Amount})
}

// handleAdminRefund refunds (POST /admin/orders/:id/refund, from the
// confirmation page) through Stripe's Refunds API with an idempotency key
// (shop.Refund); the order changes when charge.refunded comes back.
func (s *Server) handleAdminRefund(c *fiber.Ctx) error {
	id := c.Params("id")
	amount, err := strconv.ParseInt(c.FormValue("amount_minor"), 10, 64)
	if err != nil || amount <= 0 {
		return app.Errorf(app.EINVALID, "The refund amount is missing. Start again from the order page.")
	}
	reason := c.FormValue("reason")
	if !slices.Contains(refundReasons, reason) {
		reason = refundReasons[0]
	}
	refundID, err := s.shop.Refund(c.UserContext(), id, amount, reason, s.actor(c))
	if err != nil {
		return err
	}
	return s.back(c, "/admin/orders/"+url.PathEscape(id)+"?refund="+url.QueryEscape(refundID), "refund")
}
