package sandbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// payment is one charge to make on a card.
type payment struct {
	Amount      int64
	Currency    string
	Customer    string
	Description string
	Invoice     string
	Metadata    map[string]string
	PM          paymentMethod
	OffSession  bool
	// IntentID reuses an invoice's payment intent on a retry, as Stripe
	// does; empty makes a new one.
	IntentID string
}

// pay creates (or reuses) a payment intent and a charge for p, with the
// events Stripe fires. A declined card yields a failed charge and the
// card error; err is only for storage failures.
func (t *txn) pay(p payment) (pi paymentIntent, ch charge, declined *apiError, err error) {
	newIntent := p.IntentID == ""
	if newIntent {
		pi = paymentIntent{
			ID: t.newID("pi_"), Object: objPaymentIntent, Amount: p.Amount, CaptureMethod: "automatic",
			ConfirmationMethod: "automatic", Created: t.now.Unix(), Currency: p.Currency, Customer: nstr(p.Customer),
			Description: nstr(p.Description), Invoice: nstr(p.Invoice), Metadata: p.Metadata,
			PaymentMethodTypes: []string{"card"}, Status: "requires_payment_method",
		}
		if pi.Metadata == nil {
			pi.Metadata = map[string]string{}
		}
		pi.ClientSecret = pi.ID + "_secret_" + randomString(24)
	} else if err = t.get(objPaymentIntent, p.IntentID, &pi); err != nil {
		return pi, ch, nil, fmt.Errorf("payment intent %s: %w", p.IntentID, err)
	}
	prevPI := mustMap(pi)
	declined = decline(p.PM.Internal.Behavior, p.OffSession)
	ch = charge{
		ID: t.newID("ch_"), Object: objCharge, Amount: p.Amount, BillingDetails: p.PM.BillingDetails,
		CalculatedDescriptor: "VENDO SANDBOX", Created: t.now.Unix(), Currency: p.Currency, Customer: nstr(p.Customer),
		Description: nstr(p.Description), FraudDetails: map[string]any{}, Invoice: nstr(p.Invoice), Metadata: map[string]string{},
		PaymentIntent: nstr(pi.ID), PaymentMethod: nstr(p.PM.ID), ReceiptEmail: p.PM.BillingDetails.Email,
		PaymentMethodDetails: map[string]any{"type": "card", "card": map[string]any{
			"brand": p.PM.Card.Brand, "checks": p.PM.Card.Checks, "country": p.PM.Card.Country,
			"exp_month": p.PM.Card.ExpMonth, "exp_year": p.PM.Card.ExpYear, "fingerprint": p.PM.Card.Fingerprint,
			"funding": p.PM.Card.Funding, "last4": p.PM.Card.Last4, "network": p.PM.Card.Brand,
			"three_d_secure": nil, "wallet": nil,
		}},
	}
	for k, v := range pi.Metadata {
		ch.Metadata[k] = v
	}
	pi.PaymentMethod, pi.LatestCharge = nstr(p.PM.ID), nstr(ch.ID)
	if declined == nil {
		ch.Status, ch.Paid, ch.Captured, ch.AmountCaptured = "succeeded", true, true, p.Amount
		ch.Outcome = map[string]any{"network_status": "approved_by_network", "reason": nil, "risk_level": "normal",
			"risk_score": 20, "seller_message": "Payment complete.", "type": "authorized"}
		pi.Status, pi.AmountReceived, pi.LastPaymentError = "succeeded", p.Amount, nil
	} else {
		ch.Status, ch.FailureCode, ch.FailureMessage = "failed", nstr(declined.Code), nstr(declined.Message)
		ch.Outcome = map[string]any{"network_status": "declined_by_network", "reason": declined.DeclineCode, "risk_level": "normal",
			"risk_score": 20, "seller_message": "The bank did not return any further details with this decline.", "type": "issuer_declined"}
		pi.Status, pi.LastPaymentError = "requires_payment_method", declined
	}
	if err = t.put(objCharge, ch.ID, ch); err != nil {
		return
	}
	if err = t.put(objPaymentIntent, pi.ID, pi); err != nil {
		return
	}
	if newIntent {
		created := pi
		created.Status, created.LatestCharge, created.AmountReceived, created.LastPaymentError = "requires_payment_method", "", 0, nil
		if err = t.emit("payment_intent.created", created, nil); err != nil {
			return
		}
	}
	if declined == nil {
		if err = t.emit("charge.succeeded", ch, nil); err != nil {
			return
		}
		err = t.emit("payment_intent.succeeded", pi, prevPI)
		return
	}
	if err = t.emit("charge.failed", ch, nil); err != nil {
		return
	}
	err = t.emit("payment_intent.payment_failed", pi, prevPI)
	return
}

func (t *txn) chargeByID(id, param string) (charge, error) {
	var ch charge
	if err := t.get(objCharge, id, &ch); err != nil {
		return ch, noSuch("charge", id, param)
	}
	return ch, nil
}

func (t *txn) intentByID(id, param string) (paymentIntent, error) {
	var pi paymentIntent
	if err := t.get(objPaymentIntent, id, &pi); err != nil {
		return pi, noSuch("payment_intent", id, param)
	}
	return pi, nil
}

func apiGetCharge(t *txn, r *request) (any, error) { return t.chargeByID(r.id, "id") }

func apiGetPaymentIntent(t *txn, r *request) (any, error) { return t.intentByID(r.id, "id") }

func apiListCharges(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	cus, pi := r.p.str("customer"), r.p.str("payment_intent")
	created, err := rangeFilter(r.p, "created")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objCharge, q, func(raw []byte) bool {
		var ch charge
		if json.Unmarshal(raw, &ch) != nil {
			return false
		}
		return (cus == "" || string(ch.Customer) == cus) && (pi == "" || string(ch.PaymentIntent) == pi) && created(ch.Created)
	})
	return listMap("/v1/charges", items, more), nil
}

func apiListPaymentIntents(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	cus := r.p.str("customer")
	created, err := rangeFilter(r.p, "created")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objPaymentIntent, q, func(raw []byte) bool {
		var pi paymentIntent
		if json.Unmarshal(raw, &pi) != nil {
			return false
		}
		return (cus == "" || string(pi.Customer) == cus) && created(pi.Created)
	})
	return listMap("/v1/payment_intents", items, more), nil
}

var refundReasons = map[string]bool{"duplicate": true, "fraudulent": true, "requested_by_customer": true}

func apiCreateRefund(t *txn, r *request) (any, error) {
	chID, piID := r.p.str("charge"), r.p.str("payment_intent")
	switch {
	case chID == "" && piID == "":
		return nil, invalidRequest("", "One of the following params should be provided for this request: payment_intent or charge.")
	case chID != "" && piID != "":
		return nil, invalidRequest("payment_intent", "You may only specify one of these parameters: charge, payment_intent.")
	}
	if piID != "" {
		pi, err := t.intentByID(piID, "payment_intent")
		if err != nil {
			return nil, err
		}
		if pi.Status != "succeeded" || pi.LatestCharge == "" {
			return nil, invalidRequest("payment_intent", fmt.Sprintf("This PaymentIntent (%s) does not have a successful charge to refund.", piID))
		}
		chID = string(pi.LatestCharge)
	}
	ch, err := t.chargeByID(chID, "charge")
	if err != nil {
		return nil, err
	}
	if ch.Status != "succeeded" {
		return nil, invalidRequest("charge", fmt.Sprintf("Charge %s has not succeeded and cannot be refunded.", ch.ID))
	}
	if d, ok := t.chargeDispute(ch.ID); ok && (d.open() || d.Status == "lost") {
		return nil, &apiError{Status: 400, Type: "invalid_request_error", Code: "charge_disputed",
			Message: fmt.Sprintf("Charge %s has been charged back; cannot issue a refund.", ch.ID)}
	}
	left := ch.Amount - ch.AmountRefunded
	if left <= 0 {
		return nil, &apiError{Status: 400, Type: "invalid_request_error", Code: "charge_already_refunded",
			Message: fmt.Sprintf("Charge %s has already been refunded.", ch.ID)}
	}
	amount, has, err := r.p.int("amount")
	if err != nil {
		return nil, err
	}
	if !has {
		amount = left
	}
	if amount <= 0 {
		return nil, invalidParam("amount", "Refund amount must be greater than 0.")
	}
	if amount > left {
		return nil, &apiError{Status: 400, Type: "invalid_request_error", Code: "amount_too_large", Param: "amount",
			Message: fmt.Sprintf("Refund amount (%s) is greater than unrefunded amount on charge (%s)", money(amount, ch.Currency), money(left, ch.Currency))}
	}
	reason := r.p.str("reason")
	if reason != "" && !refundReasons[reason] {
		return nil, invalidParam("reason", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer")
	}
	return t.refund(ch, amount, reason, metadataOf(r.p))
}

// refund returns part or all of a charge: the charge's amount_refunded
// grows and `refunded` turns true only when nothing is left.
func (t *txn) refund(ch charge, amount int64, reason string, md map[string]string) (refund, error) {
	re := refund{
		ID: t.newID("re_"), Object: objRefund, Amount: amount, Charge: ch.ID, Created: t.now.Unix(), Currency: ch.Currency,
		Metadata: md, PaymentIntent: ch.PaymentIntent, Reason: nstr(reason), Status: "succeeded",
	}
	if pm, err := t.paymentMethodByID(string(ch.PaymentMethod), "payment_method"); err == nil && pm.Internal.Behavior == cardRefundFails {
		re.Internal.FailAt = t.now.Add(refundFailsAfter).Unix()
	}
	prev := mustMap(ch)
	ch.AmountRefunded += amount
	ch.Refunded = ch.AmountRefunded == ch.Amount
	if err := t.put(objRefund, re.ID, re); err != nil {
		return re, err
	}
	if err := t.put(objCharge, ch.ID, ch); err != nil {
		return re, err
	}
	if err := t.emit("charge.refunded", ch, prev); err != nil {
		return re, err
	}
	return re, t.emit("refund.created", re, nil)
}

// refundFailsAfter is how long a refund of the 5126 card looks
// succeeded before it fails: long enough that a shop has acted on it,
// short enough for a demo's clock.
const refundFailsAfter = time.Hour

// failRefund is a refund that did not reach the card: its money goes
// back to the merchant, so the charge's amount_refunded goes back down,
// and charge.refund.updated says so.
func (t *txn) failRefund(re refund) error {
	ch, err := t.chargeByID(re.Charge, "charge")
	if err != nil {
		return err
	}
	prevRe := mustMap(re)
	re.Status, re.FailureReason, re.Internal.FailAt = "failed", "expired_or_canceled_card", 0
	ch.AmountRefunded = max(ch.AmountRefunded-re.Amount, 0)
	ch.Refunded = false
	if err := t.put(objRefund, re.ID, re); err != nil {
		return err
	}
	if err := t.put(objCharge, ch.ID, ch); err != nil {
		return err
	}
	if err := t.emit("charge.refund.updated", re, prevRe); err != nil {
		return err
	}
	return t.emit("refund.updated", re, prevRe)
}

func apiGetRefund(t *txn, r *request) (any, error) {
	var re refund
	if err := t.get(objRefund, r.id, &re); err != nil {
		return nil, noSuch("refund", r.id, "id")
	}
	return re, nil
}

func apiListRefunds(t *txn, r *request) (any, error) {
	return t.listByPayment(r, objRefund, "/v1/refunds")
}

func (t *txn) chargeRefunds(chargeID string) []refund {
	var out []refund
	t.eachNewest(objRefund, func(_ string, raw []byte) bool {
		var re refund
		if json.Unmarshal(raw, &re) == nil && re.Charge == chargeID {
			out = append(out, re)
		}
		return true
	})
	return out
}

// money formats an amount in minor units for messages and pages
// ("$12.00", "¥500", "12.00 EUR").
func money(amount int64, currency string) string {
	switch currency {
	case "usd":
		return fmt.Sprintf("$%s", decimal(amount, 2))
	case "eur":
		return fmt.Sprintf("€%s", decimal(amount, 2))
	case "gbp":
		return fmt.Sprintf("£%s", decimal(amount, 2))
	case "jpy":
		return fmt.Sprintf("¥%d", amount)
	}
	if zeroDecimal[currency] {
		return fmt.Sprintf("%d %s", amount, upper(currency))
	}
	return fmt.Sprintf("%s %s", decimal(amount, 2), upper(currency))
}

var zeroDecimal = map[string]bool{"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true,
	"mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true}

func decimal(amount int64, places int) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	div := int64(1)
	for i := 0; i < places; i++ {
		div *= 10
	}
	s := fmt.Sprintf("%d.%0*d", amount/div, places, amount%div)
	if neg {
		s = "-" + s
	}
	return s
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
