package app_test

import (
	"strings"
	"testing"

	"vendo/app"
)

// FuzzParseMoney: typed prices never panic, never come out negative or
// above Stripe's limit, and a parsed amount formats back to a number that
// parses to the same amount, whichever decimal separator it is written
// with. Grouping the thousands (with commas, dots, spaces or apostrophes,
// whichever the decimal separator is not) never changes the amount, and
// swapping the roles of comma and dot reads the same.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12", "12.50", "1,200.00", "$9.99", "-1", "0.001", "abc", "", "99999999999999999999", "1e5",
		"12,50", "0,99", "1.250,00", "1,250", "1.234", "1 250,00", "1'250.00", "€ 12,50", "12.50 usd", ",5", "1,25.00"} {
		f.Add(s, "usd")
	}
	f.Add("1200", "jpy")
	f.Add("1.200", "jpy")
	f.Add("1,250,000", "krw")
	f.Add("99,50 kr", "sek")
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := app.ParseMoney(s, currency)
		if err != nil {
			if err.Error() == "" || strings.HasSuffix(err.Error(), " ") {
				t.Fatalf("%q: an empty or unfinished sentence: %q", s, err)
			}
			return
		}
		if m.Amount < 0 || m.Amount > 99999999 || m.Currency != currency {
			t.Fatalf("%q parsed to %+v", s, m)
		}
		dec := m.Decimal()
		for _, written := range []string{dec, strings.Replace(dec, ".", ",", 1), group(dec, ",", "."), group(strings.Replace(dec, ".", ",", 1), ".", ","), group(dec, " ", "."), group(dec, "'", ".")} {
			back, err := app.ParseMoney(written, currency)
			if err != nil || back != m {
				t.Fatalf("%q → %v → %q → %v %v", s, m, written, back, err)
			}
		}
	})
}

// group writes the whole part of a decimal number in groups of three
// separated by sep ("1234567.50" → "1,234,567.50"); dec is the decimal
// separator in s. A whole part of three digits or fewer stays as it is.
func group(s, sep, dec string) string {
	whole, frac, hasFrac := strings.Cut(s, dec)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if hasFrac {
		return b.String() + dec + frac
	}
	return b.String()
}
