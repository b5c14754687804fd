package sandbox

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// Card behaviours of Stripe's test card numbers.
const (
	cardSucceeds          = "succeeds"
	cardDeclined          = "declined"
	cardInsufficientFunds = "insufficient_funds"
	cardFailsAfterAttach  = "fails_after_attach" // 4000 0000 0000 0341
	cardExpired           = "expired_card"
	cardIncorrectCVC      = "incorrect_cvc"
	cardDisputed          = "disputed"     // 4000 0000 0000 0259: pays, then the cardholder disputes it
	cardRefundFails       = "refund_fails" // 4000 0000 0000 5126: pays; a refund of it fails later
)

type testCard struct {
	Brand    string
	Funding  string
	Behavior string
}

// testCards are the numbers the sandbox accepts; any other number is
// refused with a field error, as Stripe refuses real cards in test mode.
var testCards = map[string]testCard{
	"4242424242424242": {"visa", "credit", cardSucceeds},
	"4000056655665556": {"visa", "debit", cardSucceeds},
	"5555555555554444": {"mastercard", "credit", cardSucceeds},
	"378282246310005":  {"amex", "credit", cardSucceeds},
	"4000000000000002": {"visa", "credit", cardDeclined},
	"4000000000009995": {"visa", "credit", cardInsufficientFunds},
	"4000000000000341": {"visa", "credit", cardFailsAfterAttach},
	"4000000000000069": {"visa", "credit", cardExpired},
	"4000000000000127": {"visa", "credit", cardIncorrectCVC},
	"4000000000000259": {"visa", "credit", cardDisputed},
	"4000000000005126": {"visa", "credit", cardRefundFails},
}

// cardForm is what the hosted pages' card form posts.
type cardForm struct {
	Email, Name, Number, Exp, CVC string
	// Checkout's billing country and tax id, when the session asks.
	Country, TaxID string
	// Code is a promotion code typed on Checkout (allow_promotion_codes).
	Code string
}

// card is a validated card form.
type card struct {
	testCard
	Last4             string
	ExpMonth, ExpYear int64
	Email, Name       string
}

// validateCard checks a card form like Stripe's card element does and
// returns one message per bad field. needEmail is false where the
// customer is already known (the portal).
func validateCard(f cardForm, now time.Time, needEmail bool) (card, map[string]string) {
	errs := map[string]string{}
	c := card{Email: strings.TrimSpace(f.Email), Name: strings.TrimSpace(f.Name)}
	if needEmail {
		if c.Email == "" {
			errs["email"] = "Enter your email address."
		} else if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			errs["email"] = "Your email address is invalid."
		}
	}
	number := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, f.Number)
	switch tc, ok := testCards[number]; {
	case number == "":
		errs["card_number"] = "Enter your card number."
	case !allDigits(number) || len(number) < 13 || len(number) > 19:
		errs["card_number"] = "Your card number is incomplete."
	case !luhn(number):
		errs["card_number"] = "Your card number is invalid."
	case !ok:
		errs["card_number"] = "This is a sandbox: use a Stripe test card such as 4242 4242 4242 4242."
	default:
		c.testCard, c.Last4 = tc, number[len(number)-4:]
	}
	m, y, ok := parseExpiry(f.Exp)
	switch {
	case !ok:
		errs["exp"] = "Your card's expiration date is incomplete."
	case y < int64(now.Year()) || (y == int64(now.Year()) && m < int64(now.Month())):
		errs["exp"] = "Your card's expiration year is in the past."
	case y > int64(now.Year())+50:
		errs["exp"] = "Your card's expiration year is invalid."
	default:
		c.ExpMonth, c.ExpYear = m, y
	}
	cvcLen := 3
	if c.Brand == "amex" {
		cvcLen = 4
	}
	if cvc := strings.TrimSpace(f.CVC); !allDigits(cvc) || len(cvc) != cvcLen {
		errs["cvc"] = "Your card's security code is incomplete."
	}
	return c, errs
}

// parseExpiry reads "MM/YY", "MM / YY" or "MM/YYYY".
func parseExpiry(s string) (month, year int64, ok bool) {
	mm, yy, found := strings.Cut(strings.ReplaceAll(s, " ", ""), "/")
	if !found || len(mm) < 1 || len(mm) > 2 || (len(yy) != 2 && len(yy) != 4) || !allDigits(mm) || !allDigits(yy) {
		return 0, 0, false
	}
	month, _ = strconv.ParseInt(mm, 10, 64)
	year, _ = strconv.ParseInt(yy, 10, 64)
	if len(yy) == 2 {
		year += 2000
	}
	return month, year, month >= 1 && month <= 12
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func luhn(number string) bool {
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// decline is the card error a charge on a card with this behaviour gets,
// or nil when it goes through. offSession charges (renewals) are where
// the 0341 card fails: it attaches fine and fails later.
func decline(behavior string, offSession bool) *apiError {
	switch behavior {
	case cardDeclined:
		return cardError("card_declined", "generic_decline", "Your card was declined.", "")
	case cardInsufficientFunds:
		return cardError("card_declined", "insufficient_funds", "Your card has insufficient funds.", "")
	case cardExpired:
		return cardError("expired_card", "expired_card", "Your card has expired.", "exp_month")
	case cardIncorrectCVC:
		return cardError("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc")
	case cardFailsAfterAttach:
		if offSession {
			return cardError("card_declined", "generic_decline", "Your card was declined.", "")
		}
	}
	return nil
}

func (t *txn) createPaymentMethod(c card, customerID string) (paymentMethod, error) {
	pm := paymentMethod{
		ID: t.newID("pm_"), Object: objPaymentMethod, Created: t.now.Unix(), Customer: nstr(customerID), Type: "card",
		Metadata:       map[string]string{},
		BillingDetails: billingDetails{Email: nstr(c.Email), Name: nstr(c.Name)},
		Card: cardDetails{
			Brand: c.Brand, Country: "US", ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Funding: c.Funding, Last4: c.Last4,
			Fingerprint: fmt.Sprintf("sbx%s%s", c.Brand, c.Last4),
			Checks:      map[string]any{"address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": "pass"},
			Networks:    map[string]any{"available": []string{c.Brand}, "preferred": nil},
		},
	}
	pm.Internal.Behavior = c.Behavior
	if err := t.put(objPaymentMethod, pm.ID, pm); err != nil {
		return pm, err
	}
	if customerID != "" {
		return pm, t.emit("payment_method.attached", pm, nil)
	}
	return pm, nil
}

func (t *txn) paymentMethodByID(id, param string) (paymentMethod, error) {
	var pm paymentMethod
	if err := t.get(objPaymentMethod, id, &pm); err != nil {
		return pm, noSuch("PaymentMethod", id, param)
	}
	return pm, nil
}

func apiGetPaymentMethod(t *txn, r *request) (any, error) { return t.paymentMethodByID(r.id, "id") }
