package app_test

import (
	"errors"
	"strings"
	"testing"

	"vendo/app"
)

// TestPayWhatYouWantAmounts: what a buyer types for a pay-what-you-want
// product is read like any price and refused, with a sentence, under the
// minimum, under Stripe's minimum charge, or at zero.
func TestPayWhatYouWantAmounts(t *testing.T) {
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	atLeast5 := app.Product{Title: "Brushes", Price: usd(500), PayWhatYouWant: true, Suggested: usd(1000)}
	anything := app.Product{Title: "Zine", Price: usd(0), PayWhatYouWant: true, Suggested: usd(300)}
	fixed := app.Product{Title: "Fonts", Price: usd(1200)}
	tests := []struct {
		name    string
		product app.Product
		typed   string
		want    int64
		wantErr string
	}{
		{"empty is the suggestion", atLeast5, "", 1000, ""},
		{"above the minimum", atLeast5, "12,50", 1250, ""},
		{"exactly the minimum", atLeast5, "$5", 500, ""},
		{"below the minimum", atLeast5, "4.99", 0, "Pay at least $5.00 for Brushes."},
		{"not a number", atLeast5, "lots", 0, "Enter the amount as a number"},
		{"negative", atLeast5, "-6", 0, "An amount cannot be negative."},
		{"ambiguous", atLeast5, "1,250", 0, "could mean 1250.00 or 1.25"},
		{"too many decimals", atLeast5, "6.125", 0, "Use at most 2 decimals"},
		{"free or pay: a little", anything, "0.50", 50, ""},
		{"free or pay: under Stripe's minimum", anything, "0.20", 0, "Card payments start at $0.50"},
		{"free or pay: zero is Get it free", anything, "0", 0, "use Get it free"},
		{"a fixed price ignores the amount", fixed, "1", 1200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.product.NamedPrice(tt.typed)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(app.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("NamedPrice(%q) = %v, %v; want the error %q", tt.typed, got, err, tt.wantErr)
				}
				if app.ErrorCode(err) != app.EINVALID {
					t.Fatalf("error code %s, want invalid", app.ErrorCode(err))
				}
				return
			}
			if err != nil || got.Amount != tt.want {
				t.Fatalf("NamedPrice(%q) = %v, %v; want %d", tt.typed, got, err, tt.want)
			}
		})
	}
}

// TestPayWhatYouWantProductsValidate: the suggested price is in the
// product's currency, at least the minimum and chargeable.
func TestPayWhatYouWantProductsValidate(t *testing.T) {
	base := app.Product{Title: "Brushes", Slug: "brushes", Price: app.Money{Amount: 500, Currency: "usd"}, PayWhatYouWant: true}
	tests := []struct {
		suggested app.Money
		wantErr   string
	}{
		{app.Money{Amount: 1000, Currency: "usd"}, ""},
		{app.Money{Amount: 400, Currency: "usd"}, "at least the minimum"},
		{app.Money{Amount: 1000, Currency: "eur"}, "product's currency"},
	}
	for _, tt := range tests {
		p := base
		p.Suggested = tt.suggested
		err := p.Validate()
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error()+formMessages(err), tt.wantErr)) {
			t.Errorf("suggested %v: %v, want %q", tt.suggested, err, tt.wantErr)
		}
	}
	free := app.Product{Title: "Zine", Slug: "zine", Price: app.Money{Currency: "usd"}, PayWhatYouWant: true, Suggested: app.Money{Amount: 20, Currency: "usd"}}
	if err := free.Validate(); err == nil || !strings.Contains(formMessages(err), "Stripe charges at least") {
		t.Errorf("a suggestion under Stripe's minimum: %v", err)
	}
}

func formMessages(err error) string {
	var b strings.Builder
	var inv *app.InvalidForm
	if errors.As(err, &inv) {
		for _, m := range inv.Fields {
			b.WriteString(m)
		}
	}
	return b.String()
}
