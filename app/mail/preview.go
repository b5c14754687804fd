package mail

import (
	"sort"
	"time"

	"vendo/app"
)

// Previews: an admin sees every template, composed with sample data,
// from the settings page, before a customer ever receives one.

// Templates lists the names of the email templates, sorted.
func (m *Mailer) Templates() []string {
	var names []string
	for _, t := range m.text.Templates() {
		if t.Name() != "emails" {
			names = append(names, t.Name())
		}
	}
	sort.Strings(names)
	return names
}

// Preview composes template name for a sample customer with sample data,
// as the shop's settings make it now. Links are the shop's, made up: no
// token in them works.
func (m *Mailer) Preview(settings app.Settings, name string) (app.Mail, error) {
	if m.text.Lookup(name) == nil || name == "emails" {
		return app.Mail{}, app.Errorf(app.ENOTFOUND, "There is no email template called %q.", name)
	}
	return m.Compose(settings, name, "ada@example.com", sampleData(m.cfg.BaseURL, settings))
}

// sampleData has what every template reads, for a made-up order of two
// products, a plan, a dispute and a licence key.
func sampleData(base string, settings app.Settings) map[string]any {
	cur := settings.Currency
	if cur == "" {
		cur = "usd"
	}
	money := func(n int64) app.Money { return app.Money{Amount: n, Currency: cur} }
	now := time.Now().UTC().Truncate(time.Hour)
	order := app.Order{ID: "ord_sample", Number: 1042, Email: "ada@example.com", Name: "Ada Lovelace",
		Lines: []app.OrderLine{
			{Title: "Field Notes Icon Pack", Quantity: 1, UnitAmount: money(1900), Total: money(1900)},
			{Title: "Café Budget Planner", Quantity: 1, UnitAmount: money(900), Total: money(900)},
		},
		Subtotal: money(2800), Total: money(2800), CreatedAt: now, PaidAt: now}
	dispute := app.OrderDispute{ID: "dp_sample", Status: "needs_response", Reason: "fraudulent", Amount: money(2800),
		DueBy: now.AddDate(0, 0, 7), CreatedAt: now}
	type link struct {
		ProductTitle, FileName, URL string
		Size                        int64
	}
	return map[string]any{
		"Order":   order,
		"Dispute": dispute,
		"Links": []link{
			{ProductTitle: "Field Notes Icon Pack", FileName: "field-notes-icons.zip", URL: base + "/downloads/sample", Size: 4 << 20},
			{ProductTitle: "Café Budget Planner", FileName: "cafe-budget-planner.csv", URL: base + "/downloads/sample", Size: 12 << 10},
		},
		"Licenses":     []app.License{{Key: "VENDO-7KQ4-M2XP-9RTA-H3CW"}},
		"License":      app.License{Key: "VENDO-7KQ4-M2XP-9RTA-H3CW"},
		"Key":          "VENDO-7KQ4-M2XP-9RTA-H3CW",
		"Instances":    []app.LicenseInstance{{Name: "studio-mac", CreatedAt: now.AddDate(0, -2, 0)}, {Name: "ada-laptop", CreatedAt: now.AddDate(0, 0, -9)}},
		"Attempt":      "office-pc",
		"Plan":         app.Plan{Name: "Pro", Credits: 10},
		"Subscription": app.Subscription{Status: "active", CurrentPeriodEnd: now.AddDate(0, 1, 0), TrialEnd: now.AddDate(0, 0, 3)},
		"HasCard":      true,
		"Interval":     "month",
		"Amount":       money(1900),
		"Refund":       money(900),
		"Refunded":     money(900),
		"Full":         false,
		"GraceDays":    int(settings.PastDueGrace / (24 * time.Hour)),
		"KeepsUnlocks": settings.KeepsUnlocks(),
		"Product":      "Field Notes Icon Pack",
		"Hours":        24,
		"Minutes":      15,
		"Link":         base + "/login/email/sample",
		"InvoiceURL":   base + "/sandbox/stripe/invoices/in_sample",
		"AccountURL":   base + "/account",
		"LibraryURL":   base + "/account",
		"LoginURL":     base + "/login?next=/account",
		"PlansURL":     base + "/plans",
		"CartURL":      base + "/cart",
		"OrderURL":     base + "/admin/orders/ord_sample",
	}
}
