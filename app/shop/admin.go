package shop

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// The admin's use cases besides the catalog: manual grants and
// revocations, license revocation, settings, resending mail, and the
// read models of the dashboard, an order and a customer. Every change is
// audited with the admin's email in the transaction that makes it.

// GrantEntitlement gives a customer a product by hand (a gift, a support
// case), recorded with who granted it (SourceID) and why (Note).
func (s *Shop) GrantEntitlement(ctx context.Context, customerID, productID, why, actor string) (app.Entitlement, error) {
	why = strings.TrimSpace(why)
	v := app.ValidationErrors{}
	if productID == "" {
		v.Add("product", "Choose the product to grant.")
	}
	if why == "" {
		v.Add("note", "Say why, for the record (a support case, a gift…).")
	} else if len([]rune(why)) > 300 {
		v.Add("note", "Keep the reason under 300 characters.")
	}
	if err := v.Err(); err != nil {
		return app.Entitlement{}, err
	}
	var e app.Entitlement
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Customer(customerID)
		if err != nil {
			return err
		}
		p, err := tx.Product(productID)
		if app.IsNotFound(err) {
			return app.FieldError("product", "That product does not exist.")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ActiveEntitlement(customerID, productID); !app.IsNotFound(err) {
			if err != nil {
				return err
			}
			return &app.Error{Code: app.ECONFLICT, Field: "product", Message: fmt.Sprintf("%s already has “%s” in their library.", c.Email, p.Title)}
		}
		e = app.Entitlement{CustomerID: customerID, ProductID: productID, Source: app.SourceManual, SourceID: actor, Note: why}
		if err := tx.PutEntitlement(&e); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "entitlement.grant", Target: customerID,
			Detail: fmt.Sprintf("granted “%s” to %s (%s): %s", p.Title, c.Email, e.ID, why)})
	})
	return e, err
}

// RevokeEntitlement takes a product out of a customer's library (their
// download links stop working), recorded with who and why.
func (s *Shop) RevokeEntitlement(ctx context.Context, customerID, entitlementID, why, actor string) error {
	why = strings.TrimSpace(why)
	if why == "" {
		return app.FieldError("reason", "Say why, for the record.")
	}
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.Entitlement(entitlementID)
		if err != nil {
			return err
		}
		if e.CustomerID != customerID {
			return app.Errorf(app.ENOTFOUND, "That entitlement does not belong to this customer.")
		}
		if !e.Active() {
			return app.Errorf(app.ECONFLICT, "That product was already taken out of the library.")
		}
		e.RevokedAt, e.RevokedReason = tx.Now(), "revoked by "+actor+": "+why
		if err := tx.PutEntitlement(&e); err != nil {
			return err
		}
		title := e.ProductID
		if p, err := tx.Product(e.ProductID); err == nil {
			title = p.Title
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "entitlement.revoke", Target: customerID,
			Detail: fmt.Sprintf("revoked “%s” (%s, source %s): %s", title, e.ID, e.Source, why)})
	})
}

// SaveSettings stores the settings the admin edits (shop name, tagline,
// support email, currency, download expiry and limit, the grace after a
// failed payment, what credit-unlocked products do at plan end), keeping
// the rest.
func (s *Shop) SaveSettings(ctx context.Context, in app.Settings, actor string) (app.Settings, error) {
	var out app.Settings
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Settings()
		if err != nil {
			return err
		}
		next := cur
		next.ShopName = strings.TrimSpace(in.ShopName)
		next.Tagline = strings.TrimSpace(in.Tagline)
		next.SupportEmail = app.NormalizeEmail(in.SupportEmail)
		next.Currency = strings.ToLower(strings.TrimSpace(in.Currency))
		next.DownloadExpiry = in.DownloadExpiry
		next.DownloadLimit = in.DownloadLimit
		next.PastDueGrace = in.PastDueGrace
		next.UnlocksAtPlanEnd = in.UnlocksAtPlanEnd
		next.LicenseLimitMail = in.LicenseLimitMail
		next.StripeTax = in.StripeTax
		next.TaxIDCollection = in.TaxIDCollection && in.StripeTax // tax ids are asked for Stripe Tax only
		next.InvoiceOrders = in.InvoiceOrders
		next.RenewalReminderDays = in.RenewalReminderDays
		if err := tx.PutSettings(next); err != nil {
			return err
		}
		var d diff
		d.quoted("shop name", cur.ShopName, next.ShopName)
		d.quoted("tagline", cur.Tagline, next.Tagline)
		d.plain("support email", cur.SupportEmail, next.SupportEmail)
		d.plain("currency", cur.Currency, next.Currency)
		if cur.DownloadExpiry != next.DownloadExpiry {
			d.add("download links last %s → %s", hours(cur.DownloadExpiry), hours(next.DownloadExpiry))
		}
		if cur.DownloadLimit != next.DownloadLimit {
			d.add("download limit %d → %d", cur.DownloadLimit, next.DownloadLimit)
		}
		if cur.PastDueGrace != next.PastDueGrace {
			d.add("grace after a failed payment %s → %s", days(cur.PastDueGrace), days(next.PastDueGrace))
		}
		if cur.KeepsUnlocks() != next.KeepsUnlocks() {
			d.add("credit-unlocked products at plan end: %s → %s", unlocksRule(cur), unlocksRule(next))
		}
		if cur.StripeTax != next.StripeTax {
			d.add("Stripe Tax at Checkout: %s → %s", yesNo(cur.StripeTax), yesNo(next.StripeTax))
		}
		if cur.TaxIDCollection != next.TaxIDCollection {
			d.add("ask business buyers for their tax id: %s → %s", yesNo(cur.TaxIDCollection), yesNo(next.TaxIDCollection))
		}
		if cur.InvoiceOrders != next.InvoiceOrders {
			d.add("Stripe invoices for one-time orders: %s → %s", yesNo(cur.InvoiceOrders), yesNo(next.InvoiceOrders))
		}
		if cur.LicenseLimitMail != next.LicenseLimitMail {
			d.add("mail customers when a key's activation limit refuses an activation: %s → %s", yesNo(cur.LicenseLimitMail), yesNo(next.LicenseLimitMail))
		}
		if cur.RenewalReminderDays != next.RenewalReminderDays {
			d.add("yearly renewal reminder %s → %s", reminderRule(cur), reminderRule(next))
		}
		if out, err = tx.Settings(); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "settings.update", Detail: d.String()})
	})
	return out, err
}

func reminderRule(s app.Settings) string {
	if s.RenewalReminderDays == 0 {
		return "off"
	}
	return days(time.Duration(s.RenewalReminderDays)*24*time.Hour) + " before"
}

func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func unlocksRule(s app.Settings) string {
	if s.KeepsUnlocks() {
		return "customers keep them"
	}
	return "they end with the plan"
}

func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return d.String()
}

// ResendMail queues a fresh copy of a message from the outbox (the
// original stays as it was, for the record) and wakes the sender.
func (s *Shop) ResendMail(ctx context.Context, id, actor string) (app.Mail, error) {
	var m app.Mail
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		orig, err := tx.Mail(id)
		if err != nil {
			return err
		}
		m = app.Mail{To: orig.To, Subject: orig.Subject, Text: orig.Text, HTML: orig.HTML, Template: orig.Template}
		if err := tx.QueueMail(&m); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "mail.resend", Target: m.ID,
			Detail: fmt.Sprintf("re-sent “%s” to %s (copy of %s)", orig.Subject, orig.To, orig.ID)})
	})
	if err == nil && s.Mail != nil {
		s.Mail.Notify()
	}
	return m, err
}

// Audit records an admin action that changes nothing in the store itself
// (a backup, an event replayed through the ledger's own transaction).
func (s *Shop) Audit(ctx context.Context, e app.AuditEntry) error {
	return s.Store.Update(ctx, func(tx *store.Tx) error { return tx.Audit(e) })
}

// DashboardDays is how far back the dashboard looks.
const DashboardDays = 30

// Dashboard is the admin's front page, read in one transaction from the
// aggregates the store keeps with the records, so its cost does not grow
// with the number of orders.
type Dashboard struct {
	Currency string
	// Days is net sales (paid minus refunded) per day, oldest first,
	// DashboardDays of them ending today, in Currency.
	Days         []DayRevenue
	Revenue      app.Money   // the sum of Days
	Orders       int         // orders created in the window
	Invoices     int         // subscription invoices paid in the window
	Other        []app.Money // sales in other currencies
	MRR          app.Money   // monthly equivalent of active subscriptions
	Plans        []PlanCount // active subscriptions per plan, in /plans order
	Active       int
	NewCustomers int
	// Failed payments: ledger events that failed, subscriptions past due,
	// and orders whose payment failed in the window.
	FailedEvents int
	PastDue      int
	FailedOrders int
	// Disputed is the orders whose dispute is open, however old: each
	// needs the merchant's answer in Stripe before its deadline.
	Disputed int
	// FailedHooks is the webhook deliveries to the merchant's tools that
	// failed in the window (three days without a 2xx) and were not resent.
	FailedHooks  int
	RecentOrders []app.Order
	RecentEvents []store.EventRecord
}

// FailedPayments counts the payments that went wrong.
func (d Dashboard) FailedPayments() int { return d.FailedEvents + d.PastDue + d.FailedOrders }

// NeedsAttention is everything on the dashboard that needs a look: failed
// payments, open disputes and failed webhook deliveries.
func (d Dashboard) NeedsAttention() int { return d.FailedPayments() + d.Disputed + d.FailedHooks }

// DayRevenue is one day's net sales.
type DayRevenue struct {
	Day      time.Time
	Amount   int64
	Orders   int
	Invoices int // subscription invoices paid that day
}

// PlanCount is a plan's active subscriptions and what they bring monthly.
type PlanCount struct {
	Plan  app.Plan
	Count int
	MRR   app.Money
}

// Dashboard computes the dashboard's figures as of now.
func (s *Shop) Dashboard(ctx context.Context) (Dashboard, error) {
	now := s.now()
	loc := now.Location()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	from := today.AddDate(0, 0, -(DashboardDays - 1))
	var d Dashboard
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		d.Currency = settings.Currency
		d.Days = make([]DayRevenue, DashboardDays)
		for i := range d.Days {
			d.Days[i].Day = from.AddDate(0, 0, i)
		}
		// The aggregates kept with the records (store/stats.go): a month
		// of quarter hours, placed on the viewer's days.
		stats, err := tx.StatsSince(from)
		if err != nil {
			return err
		}
		other := map[string]int64{}
		for at, b := range stats.Buckets {
			d.Orders += b.Orders
			d.FailedOrders += b.FailedOrders
			d.NewCustomers += b.NewCustomers
			d.FailedEvents += b.FailedEvents
			d.FailedHooks += b.FailedHooks
			local := at.In(loc)
			day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
			i := int(day.Sub(from).Hours()+12) / 24 // +12: days of 23 or 25 hours
			for cur, sales := range b.Sales {
				d.Invoices += sales.Invoices
				if cur != d.Currency {
					other[cur] += sales.Net
					continue
				}
				if i >= 0 && i < len(d.Days) {
					d.Days[i].Amount += sales.Net
					d.Days[i].Orders += sales.Orders
					d.Days[i].Invoices += sales.Invoices
				}
				d.Revenue.Amount += sales.Net
			}
		}
		d.Revenue.Currency = d.Currency
		for cur, n := range other {
			d.Other = append(d.Other, app.Money{Amount: n, Currency: cur})
		}
		sort.Slice(d.Other, func(i, j int) bool { return d.Other[i].Currency < d.Other[j].Currency })

		plans, err := tx.Plans()
		if err != nil {
			return err
		}
		d.MRR.Currency = d.Currency
		d.PastDue = stats.Subscriptions.PastDue
		for _, p := range plans {
			pc := PlanCount{Plan: p, MRR: app.Money{Currency: p.Monthly.Price.Currency}}
			for iv, n := range stats.Subscriptions.Active[p.ID] {
				pc.Count += n
				// At the plan's current price for the interval: the store
				// keeps retired Price ids, not their amounts.
				monthly := p.Monthly.Price.Amount
				if iv == app.Yearly {
					monthly = p.Yearly.Price.Amount / 12
				}
				pc.MRR.Amount += int64(n) * monthly
			}
			d.Active += pc.Count
			if pc.MRR.Currency == d.MRR.Currency {
				d.MRR.Amount += pc.MRR.Amount
			}
			d.Plans = append(d.Plans, pc)
		}
		d.Disputed = tx.DisputedOrders()
		// The owner account an admin link makes is the merchant, not a
		// customer who joined.
		switch owner, err := tx.CustomerByEmail(app.OwnerEmail); {
		case err == nil && !owner.CreatedAt.Before(from):
			d.NewCustomers--
		case err != nil && !app.IsNotFound(err):
			return err
		}
		if d.RecentOrders, _, err = tx.Orders(store.OrderFilter{Limit: 8}); err != nil {
			return err
		}
		d.RecentEvents, _, err = tx.Events(store.EventFilter{Limit: 8})
		return err
	})
	return d, err
}

// OrderDetail is an order with what the admin needs beside it.
type OrderDetail struct {
	Order        app.Order
	Customer     *app.Customer
	Entitlements []EntitlementView
	Downloads    []app.DownloadRecord
	// RefundLeft is what may still be refunded.
	RefundLeft app.Money
}

// EntitlementView is an entitlement with its product's title.
type EntitlementView struct {
	app.Entitlement
	Title string
	Slug  string
}

// OrderDetail gathers an order's page.
func (s *Shop) OrderDetail(ctx context.Context, id string) (OrderDetail, error) {
	var v OrderDetail
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		v.Order = o
		v.RefundLeft = app.Money{Amount: o.Total.Amount - o.AmountRefunded, Currency: o.Total.Currency}
		if o.CustomerID == "" {
			return nil
		}
		if c, err := tx.Customer(o.CustomerID); err == nil {
			v.Customer = &c
		}
		es, err := tx.EntitlementsOf(o.CustomerID, false)
		if err != nil {
			return err
		}
		mine := map[string]bool{}
		for _, e := range es {
			if e.Source == app.SourceOrder && e.SourceID == o.ID {
				mine[e.ID] = true
				v.Entitlements = append(v.Entitlements, entitlementView(tx, e))
			}
		}
		if len(mine) == 0 {
			return nil
		}
		ds, _, err := tx.Downloads(store.DownloadFilter{CustomerID: o.CustomerID, Limit: 500})
		for _, d := range ds {
			if mine[d.EntitlementID] {
				v.Downloads = append(v.Downloads, d)
			}
		}
		return err
	})
	return v, err
}

func entitlementView(tx *store.Tx, e app.Entitlement) EntitlementView {
	v := EntitlementView{Entitlement: e, Title: e.ProductID}
	if p, err := tx.Product(e.ProductID); err == nil {
		v.Title, v.Slug = p.Title, p.Slug
	}
	return v
}

// CustomerDetail is a customer's admin page.
type CustomerDetail struct {
	Customer      app.Customer
	Orders        []app.Order
	MoreOrders    bool
	Subscriptions []SubscriptionView
	Credits       []app.CreditEntry
	Entitlements  []EntitlementView
	Licenses      []app.License
	Downloads     []app.DownloadRecord
	// Products the admin may grant (active ones not in the library).
	Grantable []app.Product
}

// SubscriptionView is a subscription with its plan's name.
type SubscriptionView struct {
	app.Subscription
	PlanName string
}

// CustomerDetail gathers a customer's page.
func (s *Shop) CustomerDetail(ctx context.Context, id string) (CustomerDetail, error) {
	var v CustomerDetail
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if v.Customer, err = tx.Customer(id); err != nil {
			return err
		}
		var next string
		if v.Orders, next, err = tx.Orders(store.OrderFilter{CustomerID: id, Limit: 25}); err != nil {
			return err
		}
		v.MoreOrders = next != ""
		subs, err := tx.SubscriptionsOf(id)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			sv := SubscriptionView{Subscription: sub, PlanName: sub.PlanID}
			if p, err := tx.Plan(sub.PlanID); err == nil {
				sv.PlanName = p.Name
			}
			v.Subscriptions = append(v.Subscriptions, sv)
		}
		if v.Credits, err = tx.CreditsOf(id, 50); err != nil {
			return err
		}
		es, err := tx.EntitlementsOf(id, false)
		if err != nil {
			return err
		}
		owned := map[string]bool{}
		for i := len(es) - 1; i >= 0; i-- { // newest first
			v.Entitlements = append(v.Entitlements, entitlementView(tx, es[i]))
			if es[i].Active() {
				owned[es[i].ProductID] = true
			}
		}
		if v.Licenses, err = tx.LicensesOf(id); err != nil {
			return err
		}
		if v.Downloads, _, err = tx.Downloads(store.DownloadFilter{CustomerID: id, Limit: 50}); err != nil {
			return err
		}
		products, _, err := tx.Products(store.ProductFilter{Status: store.ProductActive, Limit: 500})
		for _, p := range products {
			if !owned[p.ID] {
				v.Grantable = append(v.Grantable, p)
			}
		}
		return err
	})
	return v, err
}
