package app

import (
	"fmt"
	"maps"
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

// stripeMinimumCharges is Stripe's smallest charge per settlement
// currency, in minor units: the whole table of "Minimum and maximum charge
// amounts" at docs.stripe.com/currencies (checked 2026-12-01). Stripe
// documents no other minimum than "$0.50 US or equivalent" for the rest
// (KRW, ZAR…), which Vendo cannot know without an exchange rate; Stripe
// refuses those at Checkout (amount_too_small).
var stripeMinimumCharges = map[string]int64{
	"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
	"dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
	"myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}

// StripeMinimumCharges is a copy of Stripe's table of minimum charges, by
// currency code, in minor units.
func StripeMinimumCharges() map[string]int64 { return maps.Clone(stripeMinimumCharges) }

// MinimumCharge is the smallest amount Stripe charges in currency, and
// false when its table does not list the currency.
func MinimumCharge(currency string) (Money, bool) {
	n, ok := stripeMinimumCharges[currency]
	return Money{Amount: n, Currency: currency}, ok
}

// Chargeable reports, as a sentence, an amount Stripe would refuse to
// charge for being under its minimum in the currency ("at least 3.00
// SEK"). A free price (0) is not a charge and is not checked here.
func (m Money) Chargeable() error {
	if min, ok := MinimumCharge(m.Currency); ok && m.Amount > 0 && m.Amount < min.Amount {
		return fmt.Errorf("Stripe charges at least %s %s: set a price of at least %s %s.",
			min.Decimal(), strings.ToUpper(m.Currency), min.Decimal(), strings.ToUpper(m.Currency))
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

// ParseMoney reads an amount a person typed in the given currency, the
// way they write it: "12.50" and "12,50" are twelve and a half;
// "1,250.00", "1.250,00", "1 250,00" and "1'250.00" are one thousand two
// hundred fifty; a currency symbol or code may stand on either side.
// Currencies without decimals (JPY, KRW) take whole numbers, their
// thousands grouped or not. It refuses, with a sentence: what could be
// read two ways ("1,250" in a currency with cents: 1250.00 or 1.25?),
// more decimals than the currency has, negative numbers, and anything
// that is not a number.
func ParseMoney(s, currency string) (Money, error) {
	ci, ok := currencies[currency]
	if !ok {
		return Money{}, fmt.Errorf("Choose a currency Vendo knows, like usd or eur.")
	}
	example := "12.00"
	if ci.exponent == 0 {
		example = "1200"
	}
	typed := strings.TrimSpace(s)
	s = stripCurrency(typed, currency, ci.symbol)
	if s == "" {
		return Money{}, fmt.Errorf("Enter a price, like %s.", example)
	}
	if strings.HasPrefix(s, "-") {
		return Money{}, fmt.Errorf("A price cannot be negative.")
	}
	notANumber := fmt.Errorf("Enter the price as a number, like %s or 1,250.00.", example)
	if ci.exponent == 0 {
		notANumber = fmt.Errorf("Enter the price as a whole number, like %s or 1,200.", example)
	}
	// Spaces and apostrophes only ever group thousands.
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\'', '’':
			return '_'
		}
		return r
	}, s)
	whole, frac, hasFrac, ambiguous := splitDecimal(s, ci.exponent)
	if ambiguous {
		// One comma or dot followed by three digits: thousands, or a
		// decimal point? Both readings are shown, neither is guessed.
		thousands := Money{Amount: mustInt(whole+frac) * pow10(ci.exponent), Currency: currency}
		if strings.HasSuffix(frac, "0") {
			decimal := Money{Amount: mustInt(whole + frac[:ci.exponent]), Currency: currency}
			return Money{}, fmt.Errorf("%q could mean %s or %s: write it with its decimals, %s or %s.",
				typed, thousands.Decimal(), decimal.Decimal(), thousands.Decimal(), decimal.Decimal())
		}
		return Money{}, fmt.Errorf("Use at most %d decimals. If %q means %s, write %s.", ci.exponent, typed, thousands.Decimal(), thousands.Decimal())
	}
	if whole == "" && hasFrac {
		whole = "0"
	}
	if !isDigits(whole) || (hasFrac && !isDigits(frac)) {
		return Money{}, notANumber
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 9 {
		return Money{}, notANumber
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
	m := Money{Amount: mustInt("0" + whole + frac), Currency: currency}
	return m, m.Validate()
}

// stripCurrency takes the currency's symbol or code off either end of
// what was typed ("€ 12,50", "99,50 kr", "12.50 USD").
func stripCurrency(s, currency, symbol string) string {
	symbol = strings.TrimSpace(symbol)
	for _, mark := range []string{symbol, strings.ToUpper(currency), currency} {
		if mark == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(s, mark); ok {
			return strings.TrimSpace(rest)
		}
		if rest, ok := strings.CutSuffix(s, mark); ok {
			return strings.TrimSpace(rest)
		}
	}
	return s
}

// splitDecimal splits a typed number (its group separators, if spaces or
// apostrophes, already turned into '_') into its whole digits and its
// decimals. The decimal separator is whichever of comma and dot comes
// last, once; the other, and a repeated one, group thousands and must
// stand every three digits. A lone separator before exactly three digits
// groups thousands in a currency without decimals, and is ambiguous in
// one with (the caller refuses it, showing both readings). What is not a
// number comes back with a non-digit in whole or frac.
func splitDecimal(s string, exponent int) (whole, frac string, hasFrac, ambiguous bool) {
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	sep := max(dot, comma)
	if sep < 0 {
		return ungroup(s, '_'), "", false, false
	}
	decimal := s[sep]
	head, tail := s[:sep], s[sep+1:]
	if strings.IndexByte(head, decimal) >= 0 || strings.IndexByte(tail, '_') >= 0 {
		// The same separator more than once: all of them group thousands.
		return ungroup(s, decimal), "", false, false
	}
	other := byte(',')
	if decimal == ',' {
		other = '.'
	}
	grouped := strings.IndexByte(head, other) >= 0 || strings.IndexByte(head, '_') >= 0
	if !grouped && len(tail) == 3 && isDigits(tail) && validLead(head) {
		if exponent == 0 {
			return head + tail, "", false, false
		}
		return head, tail, true, true
	}
	if grouped {
		head = ungroup(head, other)
	}
	return head, tail, true, false
}

// ungroup removes the group separators sep (and '_', spaces and
// apostrophes) from s when they stand every three digits after a lead of
// one to three digits; otherwise it returns s with a non-digit left in.
func ungroup(s string, sep byte) string {
	var groups []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == sep || s[i] == '_' {
			groups = append(groups, s[start:i])
			start = i + 1
		}
	}
	groups = append(groups, s[start:])
	if len(groups) == 1 {
		return s
	}
	if !validLead(groups[0]) {
		return "x"
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "x"
		}
	}
	return strings.Join(groups, "")
}

// validLead reports whether s can begin a number grouped by thousands:
// one to three digits, not a lone zero or a leading zero.
func validLead(s string) bool {
	return len(s) >= 1 && len(s) <= 3 && isDigits(s) && s[0] != '0'
}

func mustInt(digits string) int64 {
	n, _ := strconv.ParseInt(digits, 10, 64)
	return n
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
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
