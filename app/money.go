package app

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in the currency's minor unit (cents for usd) and an
// ISO 4217 code in lowercase, as Stripe writes it. Never a float.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type currencyInfo struct {
	symbol   string
	exponent int
	prefix   bool
}

// currencies Vendo can format and validate; Stripe supports more, add as
// merchants ask.
var currencies = map[string]currencyInfo{
	"usd": {"$", 2, true}, "eur": {"€", 2, true}, "gbp": {"£", 2, true},
	"cad": {"CA$", 2, true}, "aud": {"A$", 2, true}, "nzd": {"NZ$", 2, true},
	"chf": {"CHF ", 2, true}, "sek": {" kr", 2, false}, "nok": {" kr", 2, false},
	"dkk": {" kr", 2, false}, "pln": {" zł", 2, false}, "czk": {" Kč", 2, false},
	"jpy": {"¥", 0, true}, "krw": {"₩", 0, true}, "inr": {"₹", 2, true},
	"brl": {"R$", 2, true}, "mxn": {"MX$", 2, true}, "sgd": {"S$", 2, true},
	"hkd": {"HK$", 2, true}, "zar": {"R", 2, true},
}

// Currencies lists the codes Vendo knows, for select boxes.
func Currencies() []string {
	return []string{"usd", "eur", "gbp", "cad", "aud", "nzd", "chf", "sek", "nok", "dkk", "pln", "czk", "jpy", "krw", "inr", "brl", "mxn", "sgd", "hkd", "zar"}
}

// KnownCurrency reports whether Vendo can format and validate code.
func KnownCurrency(code string) bool { _, ok := currencies[code]; return ok }

// Validate reports a problem with the money value as a sentence.
func (m Money) Validate() error {
	if !KnownCurrency(m.Currency) {
		return fmt.Errorf("Choose a currency Vendo knows, like usd or eur.")
	}
	if m.Amount < 0 {
		return fmt.Errorf("A price cannot be negative.")
	}
	if m.Amount > 99999999 {
		return fmt.Errorf("That price is higher than Stripe accepts.")
	}
	return nil
}

// String formats the amount for people: "$12.50", "¥1200", "99.00 kr".
func (m Money) String() string {
	ci, ok := currencies[m.Currency]
	if !ok {
		return fmt.Sprintf("%s %s", m.Decimal(), strings.ToUpper(m.Currency))
	}
	if ci.prefix {
		if m.Amount < 0 {
			return "-" + ci.symbol + Money{-m.Amount, m.Currency}.Decimal()
		}
		return ci.symbol + m.Decimal()
	}
	return m.Decimal() + ci.symbol
}

// Decimal writes the amount with the currency's decimals and no symbol.
func (m Money) Decimal() string {
	exp := 2
	if ci, ok := currencies[m.Currency]; ok {
		exp = ci.exponent
	}
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	s := strconv.FormatInt(a, 10)
	if exp > 0 {
		for len(s) <= exp {
			s = "0" + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Add returns m+o; both must be in the same currency.
func (m Money) Add(o Money) Money { return Money{m.Amount + o.Amount, m.Currency} }

// Times returns m multiplied by a quantity.
func (m Money) Times(n int64) Money { return Money{m.Amount * n, m.Currency} }

// ParseMoney reads an amount typed by a person ("12", "12.5", "12.50",
// "1,200.00") in the given currency. It refuses more decimals than the
// currency has, negative numbers and anything that is not a number.
func ParseMoney(s, currency string) (Money, error) {
	ci, ok := currencies[currency]
	if !ok {
		return Money{}, fmt.Errorf("Choose a currency Vendo knows, like usd or eur.")
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	s = strings.TrimLeft(s, ci.symbol)
	if s == "" {
		return Money{}, fmt.Errorf("Enter a price, like 12.00.")
	}
	if strings.HasPrefix(s, "-") {
		return Money{}, fmt.Errorf("A price cannot be negative.")
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !isDigits(whole) || (hasFrac && !isDigits(frac)) || len(whole) > 9 {
		return Money{}, fmt.Errorf("Enter the price as a number, like 12.00.")
	}
	if len(frac) > ci.exponent {
		if ci.exponent == 0 {
			return Money{}, fmt.Errorf("%s has no decimals: enter a whole number.", strings.ToUpper(currency))
		}
		return Money{}, fmt.Errorf("Use at most %d decimals.", ci.exponent)
	}
	for len(frac) < ci.exponent {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("Enter the price as a number, like 12.00.")
	}
	m := Money{Amount: n, Currency: currency}
	return m, m.Validate()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
