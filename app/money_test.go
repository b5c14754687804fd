package app_test

import (
	"strings"
	"testing"

	"vendo/app"
)

func TestMoneyIsWrittenTheWayPeopleReadIt(t *testing.T) {
	tests := []struct {
		name        string
		money       app.Money
		wantString  string
		wantDecimal string
	}{
		{"dollars and cents", app.Money{Amount: 1250, Currency: "usd"}, "$12.50", "12.50"},
		{"a few cents", app.Money{Amount: 5, Currency: "usd"}, "$0.05", "0.05"},
		{"nothing", app.Money{Amount: 0, Currency: "usd"}, "$0.00", "0.00"},
		{"euros", app.Money{Amount: 120000, Currency: "eur"}, "€1200.00", "1200.00"},
		{"yen have no decimals", app.Money{Amount: 1200, Currency: "jpy"}, "¥1200", "1200"},
		{"kronor put the symbol after", app.Money{Amount: 9900, Currency: "sek"}, "99.00 kr", "99.00"},
		{"a refund in dollars", app.Money{Amount: -1250, Currency: "usd"}, "-$12.50", "-12.50"},
		{"a refund of cents", app.Money{Amount: -5, Currency: "usd"}, "-$0.05", "-0.05"},
		{"a refund in kronor", app.Money{Amount: -9900, Currency: "sek"}, "-99.00 kr", "-99.00"},
		{"a refund in yen", app.Money{Amount: -300, Currency: "jpy"}, "-¥300", "-300"},
		{"an unknown currency falls back to its code", app.Money{Amount: 1250, Currency: "xyz"}, "12.50 XYZ", "12.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.money.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
			if got := tt.money.Decimal(); got != tt.wantDecimal {
				t.Errorf("Decimal() = %q, want %q", got, tt.wantDecimal)
			}
		})
	}
}

func TestParseMoneyReadsWhatAMerchantTypes(t *testing.T) {
	tests := []struct {
		in, currency string
		want         int64
	}{
		{"12", "usd", 1200},
		{"12.5", "usd", 1250},
		{"12.50", "usd", 1250},
		{"1,200.00", "usd", 120000},
		{"$9.99", "usd", 999},
		{"  7  ", "usd", 700},
		{"0.5", "usd", 50},
		{".5", "usd", 50},
		{"0", "usd", 0},
		{"999999.99", "usd", 99999999},
		{"12.5", "eur", 1250},
		{"99.50", "sek", 9950},
		{"1200", "jpy", 1200},
		{"¥1,200", "jpy", 1200},
		// A comma or a dot before the cents, as people write them.
		{"12,50", "usd", 1250},
		{"12,5", "eur", 1250},
		{"0,99", "usd", 99},
		{"0.99", "usd", 99},
		{",5", "usd", 50},
		// Thousands grouped by commas, dots, spaces or apostrophes.
		{"1,250.00", "usd", 125000},
		{"1.250,00", "usd", 125000},
		{"1.250,00", "eur", 125000},
		{"1 250,00", "eur", 125000},
		{"1\u00a0250,50 kr", "sek", 125050},
		{"1'250.00", "chf", 125000},
		{"999,999.99", "usd", 99999999},
		{"12,50 €", "eur", 1250},
		{"€ 1.250,00", "eur", 125000},
		{"EUR 12,50", "eur", 1250},
		{"12.50 usd", "usd", 1250},
		{"99,50 kr", "sek", 9950},
		// Currencies without decimals take whole numbers, grouped or not.
		{"1.200", "jpy", 1200},
		{"1,250,000", "jpy", 1250000},
		{"1.250.000", "krw", 1250000},
		{"₩1,200", "krw", 1200},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.currency, func(t *testing.T) {
			m, err := app.ParseMoney(tt.in, tt.currency)
			if err != nil {
				t.Fatalf("ParseMoney(%q, %q): %v", tt.in, tt.currency, err)
			}
			want := app.Money{Amount: tt.want, Currency: tt.currency}
			if m != want {
				t.Errorf("ParseMoney(%q, %q) = %+v, want %+v", tt.in, tt.currency, m, want)
			}
		})
	}
}

func TestParseMoneyRefusesWithASentence(t *testing.T) {
	tests := []struct {
		in, currency string
		wantMsg      string
	}{
		{"-1", "usd", "cannot be negative"},
		{"$-1", "usd", "cannot be negative"},
		{"abc", "usd", "as a number"},
		{"1e3", "usd", "as a number"},
		{"1.2.3", "usd", "as a number"},
		{"12 dollars", "usd", "as a number"},
		{"1.234", "usd", "at most 2 decimals"},
		{"12.5", "jpy", "JPY has no decimals"},
		{"", "usd", "Enter a price"},
		{"   ", "usd", "Enter a price"},
		{"$", "usd", "Enter a price"},
		{"1000000000", "usd", "as a number"}, // more digits than any price
		{"1000000.00", "usd", "higher than Stripe accepts"},
		{"12", "xyz", "currency Vendo knows"},
		// One separator and three digits: thousands, or a decimal point?
		{"1,250", "usd", `"1,250" could mean 1250.00 or 1.25`},
		{"1.250", "eur", `"1.250" could mean 1250.00 or 1.25`},
		{"$1,500", "usd", `could mean 1500.00 or 1.50`},
		{"1,234", "usd", `at most 2 decimals. If "1,234" means 1234.00`},
		{"0,250", "usd", "at most 2 decimals"},
		// Separators in the wrong places.
		{"1,25.00", "usd", "as a number"},
		{"12,345,67", "usd", "as a number"},
		{"1,,250", "usd", "as a number"},
		{"1.250.00", "usd", "as a number"},
		{"1,250.000,00", "eur", "as a number"},
		{"12.", "usd", "as a number"},
		{"1 2 3", "usd", "as a number"},
		{"12.50 eur", "usd", "as a number"},
		// No decimals where the currency has none.
		{"12,5", "jpy", "JPY has no decimals"},
		{"1.200,00", "jpy", "JPY has no decimals"},
		{"1200.00", "krw", "KRW has no decimals"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.currency, func(t *testing.T) {
			_, err := app.ParseMoney(tt.in, tt.currency)
			if err == nil {
				t.Fatalf("ParseMoney(%q, %q) accepted it", tt.in, tt.currency)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseMoney(%q, %q) = %q, want it to say %q", tt.in, tt.currency, err, tt.wantMsg)
			}
		})
	}
}

func TestMoneyValidate(t *testing.T) {
	tests := []struct {
		name    string
		money   app.Money
		wantMsg string // empty: valid
	}{
		{"a normal price", app.Money{Amount: 1200, Currency: "usd"}, ""},
		{"free", app.Money{Amount: 0, Currency: "eur"}, ""},
		{"the highest Stripe price", app.Money{Amount: 99999999, Currency: "usd"}, ""},
		{"above Stripe's limit", app.Money{Amount: 100000000, Currency: "usd"}, "higher than Stripe accepts"},
		{"negative", app.Money{Amount: -1, Currency: "usd"}, "cannot be negative"},
		{"no currency", app.Money{Amount: 100}, "currency Vendo knows"},
		{"an uppercase code is not Stripe's spelling", app.Money{Amount: 100, Currency: "USD"}, "currency Vendo knows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.money.Validate()
			switch {
			case tt.wantMsg == "" && err != nil:
				t.Errorf("Validate() = %v, want valid", err)
			case tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)):
				t.Errorf("Validate() = %v, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}

// TestStripesMinimumCharge: Stripe refuses charges below a minimum per
// currency (docs.stripe.com/currencies, "Minimum and maximum charge
// amounts"). A price below it is refused with a sentence naming it; a
// free product (0) is not a charge; a currency Stripe's table does not
// list has no minimum Vendo can know.
func TestStripesMinimumCharge(t *testing.T) {
	tests := []struct {
		money   app.Money
		wantMsg string // empty: chargeable
	}{
		{app.Money{Amount: 50, Currency: "usd"}, ""},
		{app.Money{Amount: 49, Currency: "usd"}, "at least 0.50 USD"},
		{app.Money{Amount: 49, Currency: "eur"}, "at least 0.50 EUR"},
		{app.Money{Amount: 30, Currency: "gbp"}, ""},
		{app.Money{Amount: 29, Currency: "gbp"}, "at least 0.30 GBP"},
		{app.Money{Amount: 299, Currency: "sek"}, "at least 3.00 SEK"},
		{app.Money{Amount: 300, Currency: "nok"}, ""},
		{app.Money{Amount: 249, Currency: "dkk"}, "at least 2.50 DKK"},
		{app.Money{Amount: 999, Currency: "mxn"}, "at least 10.00 MXN"},
		{app.Money{Amount: 1499, Currency: "czk"}, "at least 15.00 CZK"},
		{app.Money{Amount: 399, Currency: "hkd"}, "at least 4.00 HKD"},
		{app.Money{Amount: 199, Currency: "pln"}, "at least 2.00 PLN"},
		{app.Money{Amount: 49, Currency: "jpy"}, "at least 50 JPY"},
		{app.Money{Amount: 50, Currency: "jpy"}, ""},
		{app.Money{Amount: 49, Currency: "inr"}, "at least 0.50 INR"},
		{app.Money{Amount: 1, Currency: "krw"}, ""}, // not in Stripe's table
		{app.Money{Amount: 1, Currency: "zar"}, ""}, // not in Stripe's table
	}
	for _, tt := range tests {
		t.Run(tt.money.Currency+" "+tt.money.Decimal(), func(t *testing.T) {
			err := tt.money.Chargeable()
			switch {
			case tt.wantMsg == "" && err != nil:
				t.Errorf("Chargeable() = %v, want chargeable", err)
			case tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)):
				t.Errorf("Chargeable() = %v, want it to say %q", err, tt.wantMsg)
			}
		})
	}
	// The whole documented table, and every currency Vendo knows that it
	// lists, is covered.
	if n := len(app.StripeMinimumCharges()); n != 24 {
		t.Errorf("Stripe's table lists 24 settlement currencies; Vendo has %d", n)
	}
	for _, c := range app.Currencies() {
		if m, ok := app.MinimumCharge(c); ok && (m.Currency != c || m.Amount <= 0) {
			t.Errorf("minimum for %s: %+v", c, m)
		}
	}
}

func TestMoneyArithmeticKeepsTheCurrency(t *testing.T) {
	price := app.Money{Amount: 1250, Currency: "eur"}
	if got := price.Times(3); got != (app.Money{Amount: 3750, Currency: "eur"}) {
		t.Errorf("Times(3) = %+v", got)
	}
	if got := price.Add(app.Money{Amount: 50, Currency: "eur"}); got != (app.Money{Amount: 1300, Currency: "eur"}) {
		t.Errorf("Add = %+v", got)
	}
}

func TestEveryListedCurrencyIsKnownAndFormats(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range app.Currencies() {
		if seen[c] {
			t.Errorf("%s listed twice", c)
		}
		seen[c] = true
		if !app.KnownCurrency(c) {
			t.Errorf("%s is listed but not known", c)
		}
		if c != strings.ToLower(c) || len(c) != 3 {
			t.Errorf("%q is not a lowercase ISO 4217 code", c)
		}
		s := app.Money{Amount: 100, Currency: c}.String()
		if strings.Contains(s, strings.ToUpper(c)) && c != "chf" {
			t.Errorf("%s formats with the fallback: %q", c, s)
		}
		if _, err := app.ParseMoney("1", c); err != nil {
			t.Errorf("ParseMoney(1, %s): %v", c, err)
		}
	}
	if app.KnownCurrency("xyz") || app.KnownCurrency("") {
		t.Error("unknown codes are reported as known")
	}
}
