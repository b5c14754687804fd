package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

const day = 24 * time.Hour

// settingsForm is the settings form as typed.
type settingsForm struct {
	ShopName, Tagline, SupportEmail, Currency string
	ExpiryHours, Limit                        string
	GraceDays, Unlocks, ReminderDays          string
	LicenseLimitMail                          bool
	StripeTax, TaxIDCollection, InvoiceOrders bool
}

// handleAdminSettings shows the settings form.
func (s *Server) handleAdminSettings(c *fiber.Ctx) error {
	st, err := s.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	f := settingsForm{ShopName: st.ShopName, Tagline: st.Tagline, SupportEmail: st.SupportEmail, Currency: st.Currency,
		ExpiryHours: strconv.FormatFloat(st.DownloadExpiry.Hours(), 'f', -1, 64), Limit: strconv.Itoa(st.DownloadLimit),
		GraceDays: strconv.Itoa(int(st.PastDueGrace / day)), Unlocks: orDefault(st.UnlocksAtPlanEnd, app.UnlocksEnd),
		LicenseLimitMail: st.LicenseLimitMail, StripeTax: st.StripeTax, TaxIDCollection: st.TaxIDCollection, InvoiceOrders: st.InvoiceOrders,
		ReminderDays: strconv.Itoa(st.RenewalReminderDays)}
	return s.settingsPage(c, f, app.ValidationErrors{})
}

func (s *Server) settingsPage(c *fiber.Ctx, f settingsForm, errs app.ValidationErrors) error {
	data := fiber.Map{"Title": "Settings", "Form": f, "Errors": errs, "Currencies": app.Currencies()}
	if s.mail != nil {
		data["MailTemplates"] = s.mail.Templates()
	}
	if s.sandboxKey != "" {
		data["SandboxAPI"] = fiber.Map{"Key": s.sandboxKey, "API": s.cfg.BaseURL + "/sandbox/stripe"}
	}
	return s.adminPage(c, "settings", "admin/settings", "", data)
}

// handleAdminSettingsSave saves the settings (POST /admin/settings).
func (s *Server) handleAdminSettingsSave(c *fiber.Ctx) error {
	f := settingsForm{ShopName: c.FormValue("shop_name"), Tagline: c.FormValue("tagline"), SupportEmail: c.FormValue("support_email"),
		Currency: c.FormValue("currency"), ExpiryHours: strings.TrimSpace(c.FormValue("download_expiry")), Limit: strings.TrimSpace(c.FormValue("download_limit")),
		GraceDays: strings.TrimSpace(c.FormValue("past_due_grace")), Unlocks: c.FormValue("unlocks_at_plan_end"),
		LicenseLimitMail: c.FormValue("license_limit_mail") == "1", StripeTax: c.FormValue("stripe_tax") == "1",
		TaxIDCollection: c.FormValue("tax_id_collection") == "1", InvoiceOrders: c.FormValue("invoice_orders") == "1",
		ReminderDays: strings.TrimSpace(c.FormValue("renewal_reminder_days"))}
	errs := app.ValidationErrors{}
	in := app.Settings{ShopName: f.ShopName, Tagline: f.Tagline, SupportEmail: f.SupportEmail, Currency: f.Currency, UnlocksAtPlanEnd: f.Unlocks,
		LicenseLimitMail: f.LicenseLimitMail, StripeTax: f.StripeTax, TaxIDCollection: f.TaxIDCollection, InvoiceOrders: f.InvoiceOrders}
	if h, err := strconv.ParseFloat(f.ExpiryHours, 64); err != nil || h <= 0 || h > 24*90 {
		errs.Add("download_expiry", "Enter how many hours a download link lasts, between 0.1 and 2160 (90 days).")
	} else {
		in.DownloadExpiry = time.Duration(h * float64(time.Hour)).Round(time.Minute)
	}
	if n, err := strconv.Atoi(f.Limit); err != nil {
		errs.Add("download_limit", "Enter a whole number of downloads per purchase.")
	} else {
		in.DownloadLimit = n
	}
	if n, err := strconv.Atoi(f.GraceDays); err != nil || n < 0 || n > int(app.MaxPastDueGrace/day) {
		errs.Add("past_due_grace", "Enter a whole number of days, from 0 to 30.")
	} else {
		in.PastDueGrace = time.Duration(n) * day
	}
	if f.ReminderDays == "" {
		// A form from before the setting existed (a tab left open): the
		// setting stays as it is.
		cur, err := s.store.Settings(c.UserContext())
		if err != nil {
			return err
		}
		f.ReminderDays = strconv.Itoa(cur.RenewalReminderDays)
	}
	if n, err := strconv.Atoi(f.ReminderDays); err != nil || n < 0 || n > app.MaxRenewalReminderDays {
		errs.Add("renewal_reminder_days", "Enter a whole number of days, from 0 (no reminder) to 60.")
	} else {
		in.RenewalReminderDays = n
	}
	if len(errs) == 0 {
		_, err := s.shop.SaveSettings(c.UserContext(), in, s.actor(c))
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.settingsPage(c, f, errs)
	}
	return s.back(c, "/admin/settings", "settings")
}

// handleAdminMailPreview shows an email template composed with sample
// data and the shop's settings (GET /admin/settings/mails/:name): its
// subject, text and HTML source, as the outbox shows a message.
func (s *Server) handleAdminMailPreview(c *fiber.Ctx) error {
	if s.mail == nil {
		return app.Errorf(app.ENOTFOUND, "Email previews are not available in this shop.")
	}
	st, err := s.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	m, err := s.mail.Preview(st, c.Params("name"))
	if err != nil {
		return err
	}
	return s.adminPage(c, "settings", "admin/mail_preview", "", fiber.Map{"Title": "Preview: " + m.Subject, "M": m})
}
