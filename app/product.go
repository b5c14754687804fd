package app

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

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
