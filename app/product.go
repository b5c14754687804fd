package app

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
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
	// CoverSet is the cover re-encoded as WebP at the widths pages show it
	// at, made once when it is uploaded (empty for an SVG or a cover the
	// shop could not decode: pages then show Cover alone).
	CoverSet []Image  `json:"cover_set,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Active   bool     `json:"active"`
	Licensed bool     `json:"licensed,omitempty"` // a license key is issued per purchase
	// ActivationLimit caps how many instances (machines, sites) each of
	// the product's license keys may be activated on at once; 0 means
	// unlimited.
	ActivationLimit int `json:"activation_limit,omitempty"`
	// PayWhatYouWant lets the buyer name the price: Price is then the
	// minimum (0: free or pay what you like) and Suggested the amount the
	// page proposes. Checkout gets a price_data line of the named amount.
	PayWhatYouWant bool  `json:"pay_what_you_want,omitempty"`
	Suggested      Money `json:"suggested,omitempty"`
	// TaxInclusive: the price includes tax (Stripe's tax_behavior
	// inclusive); otherwise Stripe Tax adds it on top (exclusive).
	TaxInclusive bool `json:"tax_inclusive,omitempty"`
	// Stripe ids, filled when the product is first sold (Prices are
	// immutable: a price change makes a new one).
	StripeProductID string    `json:"stripe_product_id,omitempty"`
	StripePriceID   string    `json:"stripe_price_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Image is one stored rendition of a picture.
type Image struct {
	SHA256 string `json:"sha256"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// CoverSrcset is the srcset of the cover's WebP renditions
// ("/media/… 480w, /media/… 960w"), empty without any.
func (p Product) CoverSrcset() string {
	var b strings.Builder
	for i, img := range p.CoverSet {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "/media/%s %dw", img.SHA256, img.Width)
	}
	return b.String()
}

// UnitPrice is what one copy costs: the amount a pay-what-you-want buyer
// named (amount, in the product's currency), else the product's price.
func (p *Product) UnitPrice(amount int64) Money {
	if p.PayWhatYouWant && amount > 0 {
		return Money{Amount: amount, Currency: p.Price.Currency}
	}
	if p.PayWhatYouWant {
		return p.Suggested
	}
	return p.Price
}

// NamedPrice reads the amount a buyer typed for a pay-what-you-want
// product, with the same parser as the admin's prices, and refuses, with
// a sentence, what is under the minimum or under Stripe's minimum charge.
// Zero is refused too: a free copy is had with "Get it free".
func (p *Product) NamedPrice(typed string) (Money, error) {
	if !p.PayWhatYouWant {
		return p.Price, nil
	}
	if strings.TrimSpace(typed) == "" {
		return p.Suggested, nil
	}
	m, err := ParseMoney(typed, p.Price.Currency)
	if err != nil {
		msg := strings.NewReplacer("A price", "An amount", "a price", "an amount", "price", "amount").Replace(err.Error())
		return Money{}, FieldError("amount", "%s", msg)
	}
	switch {
	case m.Amount < p.Price.Amount:
		return Money{}, FieldError("amount", "Pay at least %s for %s.", p.Price, p.Title)
	case m.Amount == 0:
		return Money{}, FieldError("amount", "To get %s for nothing, use Get it free.", p.Title)
	}
	if err := m.Chargeable(); err != nil {
		min, _ := MinimumCharge(m.Currency)
		return Money{}, FieldError("amount", "Card payments start at %s: pay at least that, or get it free.", min)
	}
	return m, nil
}

// FileRef is a product's file: content-addressed by SHA-256 on disk.
type FileRef struct {
	SHA256      string `json:"sha256"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// CleanFileName is the name a file is stored and shown under: its base
// name (no path parts), without control characters, format characters
// (Unicode category Cf: the bidirectional overrides and isolates that make
// "invoice\u202Efdp.exe" display as "invoiceexe.pdf", zero-width joiners
// and spaces, the byte-order mark, tag characters), line and paragraph
// separators, and double quotes, at most 200 characters; "file" when
// nothing is left (issue 17, hole 12).
func CleanFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == '"' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	if name == "" || name == "." || name == ".." || name == "/" {
		name = "file"
	}
	return name
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
	if p.ActivationLimit < 0 || p.ActivationLimit > MaxActivationLimit {
		v.Add("activation_limit", "Allow between 1 and 10,000 activations per key, or leave it empty for no limit.")
	}
	if err := p.Price.Validate(); err != nil {
		v.Add("price", err.Error())
	} else if err := p.Price.Chargeable(); err != nil {
		v.Add("price", strings.TrimSuffix(err.Error(), ".")+", or 0 for a free product.")
	}
	if p.PayWhatYouWant {
		switch {
		case p.Suggested.Currency != p.Price.Currency:
			v.Add("suggested", "Suggest a price in the product's currency.")
		case p.Suggested.Amount < p.Price.Amount:
			v.Add("suggested", "Suggest at least the minimum price.")
		case p.Suggested.Amount == 0:
			v.Add("suggested", "Suggest a price above 0, the amount the page proposes.")
		default:
			if err := p.Suggested.Chargeable(); err != nil {
				v.Add("suggested", err.Error())
			}
		}
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
