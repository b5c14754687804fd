package app_test

import (
	"testing"

	"vendo/app"
)

// FuzzParseMoney: typed prices never panic, never come out negative, and
// a parsed amount formats back to a number that parses to the same amount.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12", "12.50", "1,200.00", "$9.99", "-1", "0.001", "abc", "", "99999999999999999999", "1e5"} {
		f.Add(s, "usd")
	}
	f.Add("1200", "jpy")
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := app.ParseMoney(s, currency)
		if err != nil {
			return
		}
		if m.Amount < 0 {
			t.Fatalf("%q parsed to a negative amount", s)
		}
		back, err := app.ParseMoney(m.Decimal(), currency)
		if err != nil || back != m {
			t.Fatalf("%q → %v → %q → %v %v", s, m, m.Decimal(), back, err)
		}
	})
}
