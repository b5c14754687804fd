// Package app holds Vendo's domain: the types every other package speaks
// (products, plans, money, settings, …) and the error type that carries a
// code for the status and a sentence for the person who sees it.
package app

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Version is set at build time with -ldflags "-X vendo/app.Version=…".
var Version = "dev"

// Error codes. They map to HTTP statuses in one place (web's error handler).
const (
	EINVALID      = "invalid"      // the input is wrong; the message says how
	ENOTFOUND     = "not_found"    // no such thing
	ECONFLICT     = "conflict"     // clashes with something that exists
	EUNAUTHORIZED = "unauthorized" // sign-in needed
	EFORBIDDEN    = "forbidden"    // signed in but not allowed
	EGONE         = "gone"         // existed, no longer valid (expired links)
	ETOOLARGE     = "too_large"    // body or file over its limit
	ERATELIMIT    = "rate_limited" // slow down
	EUNAVAILABLE  = "unavailable"  // a dependency (Stripe, mail) is down
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is an application error: Code decides the status, Message is shown
// to people as it is, Field names the form field it belongs to (if any).
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error // the cause, for logs
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with a code and a readable message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error tied to a form field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error in err's chain,
// EINVALID for an InvalidForm, and EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var inv *InvalidForm
	if errors.As(err, &inv) {
		return EINVALID
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the sentence a person may read: the message of an
// application error, the first field message (in field order) of an
// InvalidForm, and a generic sentence for anything else (whose detail
// belongs in the log, not on the page).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var inv *InvalidForm
	if errors.As(err, &inv) && len(inv.Fields) > 0 {
		fields := make([]string, 0, len(inv.Fields))
		for f := range inv.Fields {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		return inv.Fields[fields[0]]
	}
	return "Something went wrong on our side. Please try again in a moment."
}

// IsNotFound reports whether err is an ENOTFOUND application error.
func IsNotFound(err error) bool { return ErrorCode(err) == ENOTFOUND }

// ValidationErrors collects field errors of one form so they can all be
// shown next to their fields at once.
type ValidationErrors map[string]string

// Add records msg for field unless the field already has a message.
func (v ValidationErrors) Add(field, msg string) {
	if _, ok := v[field]; !ok {
		v[field] = msg
	}
}

// Err returns nil when there are no messages, or an EINVALID error whose
// message is the first one (in field order) for callers that show one.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &InvalidForm{Fields: v}
}

// InvalidForm is returned by Validate methods; web re-renders the form with
// each message next to its field and status 422.
type InvalidForm struct{ Fields ValidationErrors }

func (e *InvalidForm) Error() string {
	var b strings.Builder
	b.WriteString("invalid form:")
	for f, m := range e.Fields {
		fmt.Fprintf(&b, " %s: %s;", f, m)
	}
	return b.String()
}

// Product is a digital good sold once, with files to download.
type Product struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	Summary     string    `json:"summary"`
	Description string    `json:"description"` // plain text with blank-line paragraphs; never rendered as HTML
	Price       Money     `json:"price"`
	Files       []FileRef `json:"files"`
	Cover       string    `json:"cover,omitempty"` // SHA-256 of an image file
	Tags        []string  `json:"tags,omitempty"`
	Active      bool      `json:"active"`
	Licensed    bool      `json:"licensed,omitempty"` // a license key is issued per purchase
	// Stripe ids, filled when the product is first sold (Prices are
	// immutable: a price change makes a new one).
	StripeProductID string    `json:"stripe_product_id,omitempty"`
	StripePriceID   string    `json:"stripe_price_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// FileRef is a product's file: content-addressed by SHA-256 on disk.
type FileRef struct {
	SHA256      string `json:"sha256"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// Validate checks a product before it is stored.
func (p *Product) Validate() error {
	v := ValidationErrors{}
	switch n := utf8.RuneCountInString(strings.TrimSpace(p.Title)); {
	case n == 0:
		v.Add("title", "Give the product a title.")
	case n > 120:
		v.Add("title", "Keep the title under 120 characters.")
	}
	if !slugRE.MatchString(p.Slug) || len(p.Slug) > 80 {
		v.Add("slug", "Use lowercase letters, digits and single dashes for the address (at most 80).")
	}
	if utf8.RuneCountInString(p.Summary) > 300 {
		v.Add("summary", "Keep the summary under 300 characters.")
	}
	if utf8.RuneCountInString(p.Description) > 20000 {
		v.Add("description", "Keep the description under 20,000 characters.")
	}
	if err := p.Price.Validate(); err != nil {
		v.Add("price", err.Error())
	} else if p.Price.Amount < 50 && p.Price.Amount != 0 {
		v.Add("price", "Stripe needs a price of at least 0.50 (or 0 for a free product).")
	}
	return v.Err()
}

// Slugify turns a title into an address part: lowercase ASCII words joined
// by dashes, accents folded.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range Fold(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		default:
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if len(out) > 80 {
		out = strings.TrimSuffix(out[:80], "-")
	}
	return out
}

// Interval is a subscription billing period.
type Interval string

const (
	Monthly Interval = "month"
	Yearly  Interval = "year"
)

// Plan is one of the three subscription plans.
type Plan struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	Tagline  string   `json:"tagline"`
	Features []string `json:"features"`
	// Credits granted per period; Unlimited (-1) means no limit.
	Credits         int       `json:"credits"`
	Monthly         PlanPrice `json:"monthly"`
	Yearly          PlanPrice `json:"yearly"`
	Position        int       `json:"position"`
	Highlight       bool      `json:"highlight,omitempty"`
	StripeProductID string    `json:"stripe_product_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Unlimited marks a plan without a credit limit.
const Unlimited = -1

// PlanPrice is one interval's price of a plan and its Stripe Price.
type PlanPrice struct {
	Price         Money  `json:"price"`
	StripePriceID string `json:"stripe_price_id,omitempty"`
}

// PriceFor returns the plan's price for an interval.
func (p *Plan) PriceFor(iv Interval) PlanPrice {
	if iv == Yearly {
		return p.Yearly
	}
	return p.Monthly
}

// YearlySaving is what a year costs less when paid yearly, in percent
// (rounded down), or 0.
func (p *Plan) YearlySaving() int {
	twelve := p.Monthly.Price.Amount * 12
	if twelve <= 0 || p.Yearly.Price.Amount >= twelve {
		return 0
	}
	return int((twelve - p.Yearly.Price.Amount) * 100 / twelve)
}

// Validate checks a plan before it is stored.
func (p *Plan) Validate() error {
	v := ValidationErrors{}
	if n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); n == 0 || n > 40 {
		v.Add("name", "Give the plan a name of at most 40 characters.")
	}
	if !slugRE.MatchString(p.Slug) {
		v.Add("slug", "Use lowercase letters, digits and dashes for the plan's key.")
	}
	if p.Credits < Unlimited || p.Credits > 100000 {
		v.Add("credits", "Credits per period must be between 0 and 100,000, or unlimited.")
	}
	if err := p.Monthly.Price.Validate(); err != nil || p.Monthly.Price.Amount < 50 {
		v.Add("monthly", "Set a monthly price of at least 0.50.")
	}
	if err := p.Yearly.Price.Validate(); err != nil || p.Yearly.Price.Amount < 50 {
		v.Add("yearly", "Set a yearly price of at least 0.50.")
	}
	if p.Monthly.Price.Currency != p.Yearly.Price.Currency {
		v.Add("yearly", "Monthly and yearly prices must use the same currency.")
	}
	if len(p.Features) > 20 {
		v.Add("features", "List at most 20 features.")
	}
	return v.Err()
}

// Settings are the shop's settings, edited in the admin.
type Settings struct {
	ShopName       string        `json:"shop_name"`
	Tagline        string        `json:"tagline"`
	SupportEmail   string        `json:"support_email"`
	Currency       string        `json:"currency"`        // ISO 4217, lowercase like Stripe
	DownloadExpiry time.Duration `json:"download_expiry"` // lifetime of a download link
	DownloadLimit  int           `json:"download_limit"`  // downloads per entitlement
	PortalConfigID string        `json:"portal_config_id,omitempty"`
	DemoSeeded     bool          `json:"demo_seeded,omitempty"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

// DefaultSettings are a new shop's settings.
func DefaultSettings() Settings {
	return Settings{
		ShopName:       "Vendo",
		Tagline:        "Digital goods, delivered.",
		Currency:       "usd",
		DownloadExpiry: 24 * time.Hour,
		DownloadLimit:  10,
	}
}

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
	return v.Err()
}

// LooksLikeEmail is a deliberately loose check: one @, a dot in the domain,
// no spaces. Delivery is the real test.
func LooksLikeEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>,;\"") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-3 && strings.Contains(s[at:], ".") && !strings.HasSuffix(s, ".")
}

// NormalizeEmail lowercases and trims an address so lookups match.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
