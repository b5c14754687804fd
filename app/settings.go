package app

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Settings are the shop's settings, edited in the admin.
type Settings struct {
	ShopName       string        `json:"shop_name"`
	Tagline        string        `json:"tagline"`
	SupportEmail   string        `json:"support_email"`
	Currency       string        `json:"currency"`        // ISO 4217, lowercase like Stripe
	DownloadExpiry time.Duration `json:"download_expiry"` // lifetime of a download link
	DownloadLimit  int           `json:"download_limit"`  // downloads per entitlement
	// PastDueGrace is how long a subscriber whose renewal failed keeps
	// spending credits; after it their credits are on hold until the
	// invoice is paid.
	PastDueGrace time.Duration `json:"past_due_grace"`
	// UnlocksAtPlanEnd says what happens to the products a subscriber
	// unlocked with credits when their plan ends: UnlocksEnd (they end
	// with the plan) or UnlocksKept.
	UnlocksAtPlanEnd string `json:"unlocks_at_plan_end,omitempty"`
	// LicenseLimitMail: a customer whose key's activation limit refused
	// an activation is told by email (once until a place frees). Off by
	// default: the software shows the API's error already.
	LicenseLimitMail bool `json:"license_limit_mail,omitempty"`
	// StripeTax runs Stripe Tax on Checkout (automatic_tax, with the
	// billing address collected); TaxIDCollection also asks business
	// buyers for their tax id. Each product's and plan's TaxInclusive says
	// whether its price includes the tax.
	StripeTax       bool `json:"stripe_tax,omitempty"`
	TaxIDCollection bool `json:"tax_id_collection,omitempty"`
	// InvoiceOrders has Stripe issue an invoice for each one-time order
	// (invoice_creation); subscriptions have theirs anyway.
	InvoiceOrders bool `json:"invoice_orders,omitempty"`
	// RenewalReminderDays is how many days before a yearly plan renews
	// its subscriber is reminded by email; 0 sends no reminder. A shop
	// that saved its settings before this one existed reads the default
	// (settings decode over DefaultSettings).
	RenewalReminderDays int       `json:"renewal_reminder_days"`
	PortalConfigID      string    `json:"portal_config_id,omitempty"`
	DemoSeeded          bool      `json:"demo_seeded,omitempty"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// DefaultSettings are a new shop's settings.
func DefaultSettings() Settings {
	return Settings{
		ShopName:            "Vendo",
		Tagline:             "Digital goods, delivered.",
		Currency:            "usd",
		DownloadExpiry:      24 * time.Hour,
		DownloadLimit:       10,
		PastDueGrace:        7 * 24 * time.Hour,
		RenewalReminderDays: 7,
	}
}

// What happens to credit-unlocked products when a plan ends.
const (
	UnlocksEnd  = "end"  // they end with the plan (the default)
	UnlocksKept = "keep" // the customer keeps them
)

// KeepsUnlocks reports whether customers keep what they unlocked with
// credits after their plan ends.
func (s *Settings) KeepsUnlocks() bool { return s.UnlocksAtPlanEnd == UnlocksKept }

// MaxPastDueGrace bounds the grace period after a failed renewal.
const MaxPastDueGrace = 30 * 24 * time.Hour

// MaxRenewalReminderDays bounds the renewal reminder's advance.
const MaxRenewalReminderDays = 60

// Validate checks settings before they are stored.
func (s *Settings) Validate() error {
	v := ValidationErrors{}
	if n := utf8.RuneCountInString(strings.TrimSpace(s.ShopName)); n == 0 || n > 60 {
		v.Add("shop_name", "Give the shop a name of at most 60 characters.")
	}
	if s.SupportEmail != "" && !LooksLikeEmail(s.SupportEmail) {
		v.Add("support_email", "Enter a valid email address, like help@example.com.")
	}
	if _, ok := currencies[s.Currency]; !ok {
		v.Add("currency", "Choose a currency Vendo knows, like usd or eur.")
	}
	if s.DownloadExpiry < 5*time.Minute || s.DownloadExpiry > 90*24*time.Hour {
		v.Add("download_expiry", "Download links must last between 5 minutes and 90 days.")
	}
	if s.DownloadLimit < 1 || s.DownloadLimit > 1000 {
		v.Add("download_limit", "Allow between 1 and 1,000 downloads per purchase.")
	}
	if s.PastDueGrace < 0 || s.PastDueGrace > MaxPastDueGrace {
		v.Add("past_due_grace", "Give between 0 and 30 days of grace after a failed payment.")
	}
	if s.RenewalReminderDays < 0 || s.RenewalReminderDays > MaxRenewalReminderDays {
		v.Add("renewal_reminder_days", "Remind between 1 and 60 days before a yearly plan renews, or 0 for no reminder.")
	}
	if s.UnlocksAtPlanEnd != "" && s.UnlocksAtPlanEnd != UnlocksEnd && s.UnlocksAtPlanEnd != UnlocksKept {
		v.Add("unlocks_at_plan_end", "Choose whether unlocked products end with the plan or stay with the customer.")
	}
	return v.Err()
}
