package sandbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// retryAfter is the dunning schedule after a failed invoice payment:
// retry 3 days after the first failure, then 5 days after the second;
// the subscription is canceled when the last retry fails too. (Stripe's
// Smart Retries pick their own days; these are fixed so tests and demos
// can predict them.)
var retryAfter = []time.Duration{3 * 24 * time.Hour, 5 * 24 * time.Hour}

// invoiceSpec is an invoice to issue.
type invoiceSpec struct {
	Customer    customer
	Sub         *subscription
	Reason      string // subscription_create, subscription_cycle, subscription_update, manual
	Currency    string
	Lines       []invoiceLine
	PeriodStart int64
	PeriodEnd   int64
	Metadata    map[string]string
	// PaidBy is the charge that already paid the invoice (a Checkout
	// payment with invoice_creation): the customer's balance is left
	// alone.
	PaidBy *charge
	// Tax is where the invoice is taxed when Stripe Tax is on for it; a
	// subscription's invoices follow its automatic_tax and the
	// customer's address.
	Tax *taxPlace
	// Off is what the subscription's discount takes off the lines.
	Off int64
}

// issueInvoice creates and finalizes an invoice (invoice.created,
// invoice.finalized), applying the customer's credit balance. It is left
// open for collectInvoice.
func (t *txn) issueInvoice(spec invoiceSpec) (invoice, error) {
	cu := spec.Customer
	inv := invoice{
		ID: t.newID("in_"), Object: objInvoice, AccountCountry: "US", AccountName: "Vendo Sandbox", AutoAdvance: true,
		AutomaticTax:  map[string]any{"enabled": false, "status": nil},
		BillingReason: spec.Reason, CollectionMethod: "charge_automatically", Created: t.now.Unix(), Currency: spec.Currency,
		Customer: cu.ID, CustomerEmail: cu.Email, CustomerName: cu.Name, CustomerTaxExempt: "none", CustomerTaxIDs: []any{},
		DefaultTaxRates: []any{}, Discounts: []any{}, Metadata: spec.Metadata, TotalDiscountAmounts: []any{}, TotalTaxAmounts: []any{},
		PaymentSettings: map[string]any{"default_mandate": nil, "payment_method_options": nil, "payment_method_types": nil},
		PeriodStart:     spec.PeriodStart, PeriodEnd: spec.PeriodEnd,
		Status: "draft", StatusTransitions: map[string]nint{"finalized_at": 0, "marked_uncollectible_at": 0, "paid_at": 0, "voided_at": 0},
	}
	if inv.Metadata == nil {
		inv.Metadata = map[string]string{}
	}
	inv.HostedInvoiceURL = nstr(t.s.cfg.BaseURL + mountPath + "/invoices/" + inv.ID)
	inv.InvoicePDF = nstr(t.s.cfg.BaseURL + mountPath + "/invoices/" + inv.ID + "/pdf")
	if spec.Sub != nil {
		inv.Subscription = nstr(spec.Sub.ID)
		inv.SubscriptionDetails = map[string]any{"metadata": spec.Sub.Metadata}
	}
	for i := range spec.Lines {
		l := &spec.Lines[i]
		l.ID = t.newID("il_")
		if l.Type == "invoiceitem" && l.InvoiceItem == "" {
			l.InvoiceItem = t.newID("ii_") // Stripe bills one-time amounts and prorations through invoice items
		}
		l.Object, l.Currency, l.Discountable = "line_item", spec.Currency, !l.Proration
		l.AmountExclTax = l.Amount
		l.DiscountAmounts, l.Discounts, l.TaxAmounts, l.TaxRates = []any{}, []any{}, []any{}, []any{}
		if l.Metadata == nil {
			l.Metadata = map[string]string{}
		}
		inv.Subtotal += l.Amount
	}
	inv.Lines = invoiceLines{Object: "list", Data: spec.Lines, URL: "/v1/invoices/" + inv.ID + "/lines"}
	inv.SubtotalExcludingTax, inv.Total, inv.TotalExcludingTax = inv.Subtotal, inv.Subtotal-spec.Off, inv.Subtotal-spec.Off
	if spec.Off > 0 && spec.Sub != nil && spec.Sub.Discount != nil {
		inv.Discount, inv.Discounts = spec.Sub.Discount, []any{spec.Sub.Discount.ID}
		inv.TotalDiscountAmounts = []any{map[string]any{"amount": spec.Off, "discount": spec.Sub.Discount.ID}}
	}
	place := spec.Tax
	if place == nil && spec.Sub != nil && automaticTax(spec.Sub.AutomaticTax) {
		p := customerPlace(cu)
		place = &p
	}
	if place != nil {
		if err := t.taxInvoiceLines(&inv, *place); err != nil {
			return inv, err
		}
	}
	// A negative customer balance is credit (from a downgrade's
	// proration); it pays what it can of this invoice, and a negative
	// invoice adds to it.
	// An invoice already paid by its Checkout payment leaves the balance
	// alone.
	balance := cu.Balance
	if spec.PaidBy != nil {
		balance = 0
	}
	inv.StartingBalance = balance
	applied := inv.Total + balance
	ending := int64(0)
	if applied < 0 {
		ending, applied = applied, 0
	}
	inv.AmountDue, inv.AmountRemaining = applied, applied
	if err := t.put(objInvoice, inv.ID, inv); err != nil {
		return inv, err
	}
	if err := t.emit("invoice.created", inv, nil); err != nil {
		return inv, err
	}
	if spec.PaidBy == nil {
		cu.Balance = ending
	}
	num := fmt.Sprintf("%s-%04d", cu.InvoicePrefix, cu.NextInvoiceSequence)
	cu.NextInvoiceSequence++
	if err := t.put(objCustomer, cu.ID, cu); err != nil {
		return inv, err
	}
	prev := mustMap(inv)
	inv.Status, inv.Number, inv.EndingBalance = "open", nstr(num), &ending
	inv.EffectiveAt, inv.StatusTransitions["finalized_at"] = nint(t.now.Unix()), nint(t.now.Unix())
	if err := t.put(objInvoice, inv.ID, inv); err != nil {
		return inv, err
	}
	return inv, t.emit("invoice.finalized", inv, prev)
}

// collectInvoice charges an open invoice to a card. On success the invoice
// is paid (invoice.paid, invoice.payment_succeeded); on a decline it stays
// open with its next retry set (invoice.payment_failed). final reports a
// failure after the last retry.
func (t *txn) collectInvoice(inv invoice, pm *paymentMethod, offSession bool) (out invoice, declined *apiError, final bool, err error) {
	prev := mustMap(inv)
	if inv.AmountDue > 0 {
		if pm == nil {
			declined = &apiError{Status: 402, Type: "invalid_request_error", Code: "invoice_no_customer_line_items",
				Message: "This customer has no attached payment source or default payment method."}
		} else {
			desc := "Subscription update"
			switch inv.BillingReason {
			case "subscription_create":
				desc = "Subscription creation"
			case "subscription_cycle":
				desc = "Subscription cycle"
			}
			var pi paymentIntent
			var ch charge
			pi, ch, declined, err = t.pay(payment{Amount: inv.AmountDue, Currency: inv.Currency, Customer: inv.Customer,
				Description: desc, Invoice: inv.ID, PM: *pm, OffSession: offSession, IntentID: string(inv.PaymentIntent)})
			if err != nil {
				return inv, nil, false, err
			}
			inv.PaymentIntent, inv.Charge = nstr(pi.ID), nstr(ch.ID)
		}
		inv.AttemptCount++
	}
	inv.Attempted = true
	if declined == nil {
		inv.Status, inv.Paid, inv.AmountPaid, inv.AmountRemaining = "paid", true, inv.AmountDue, 0
		inv.NextPaymentAttempt = 0
		inv.StatusTransitions["paid_at"] = nint(t.now.Unix())
		if err = t.put(objInvoice, inv.ID, inv); err != nil {
			return inv, nil, false, err
		}
		if err = t.emit("invoice.paid", inv, prev); err != nil {
			return inv, nil, false, err
		}
		return inv, nil, false, t.emit("invoice.payment_succeeded", inv, prev)
	}
	n := int(inv.AttemptCount)
	if n-1 < len(retryAfter) {
		inv.NextPaymentAttempt = nint(t.now.Add(retryAfter[n-1]).Unix())
	} else {
		inv.NextPaymentAttempt, final = 0, true
	}
	if err = t.put(objInvoice, inv.ID, inv); err != nil {
		return inv, declined, final, err
	}
	return inv, declined, final, t.emit("invoice.payment_failed", inv, prev)
}

func (t *txn) invoiceByID(id, param string) (invoice, error) {
	var inv invoice
	if err := t.get(objInvoice, id, &inv); err != nil {
		return inv, noSuch("invoice", id, param)
	}
	return inv, nil
}

func apiGetInvoice(t *txn, r *request) (any, error) { return t.invoiceByID(r.id, "invoice") }

func apiListInvoices(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	cus, sub, status := r.p.str("customer"), r.p.str("subscription"), r.p.str("status")
	created, err := rangeFilter(r.p, "created")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objInvoice, q, func(raw []byte) bool {
		var inv invoice
		if json.Unmarshal(raw, &inv) != nil {
			return false
		}
		return (cus == "" || inv.Customer == cus) && (sub == "" || string(inv.Subscription) == sub) &&
			(status == "" || inv.Status == status) && created(inv.Created)
	})
	return listMap("/v1/invoices", items, more), nil
}

// customerInvoices lists a customer's invoices, newest first, for the
// portal.
func (t *txn) customerInvoices(cus string, limit int) []invoice {
	var out []invoice
	t.eachNewest(objInvoice, func(_ string, raw []byte) bool {
		var inv invoice
		if json.Unmarshal(raw, &inv) == nil && inv.Customer == cus {
			out = append(out, inv)
		}
		return len(out) < limit
	})
	return out
}

// apiPayInvoice retries an open invoice now with the customer's default
// card (POST /v1/invoices/{id}/pay).
func apiPayInvoice(t *txn, r *request) (any, error) {
	inv, err := t.invoiceByID(r.id, "invoice")
	if err != nil {
		return nil, err
	}
	if inv.Status != "open" {
		return nil, invalidRequest("invoice", "Invoice is already "+inv.Status+".")
	}
	pmID := r.p.str("payment_method")
	var sub *subscription
	if inv.Subscription != "" {
		s, err := t.subscriptionByID(string(inv.Subscription), "subscription")
		if err != nil {
			return nil, err
		}
		sub = &s
		if pmID == "" {
			pmID = string(s.DefaultPaymentMethod)
		}
	}
	cu, err := t.customerByID(inv.Customer, "customer")
	if err != nil {
		return nil, err
	}
	if pmID == "" {
		pmID = string(cu.InvoiceSettings.DefaultPaymentMethod)
	}
	var pm *paymentMethod
	if pmID != "" {
		m, err := t.paymentMethodByID(pmID, "payment_method")
		if err != nil {
			return nil, err
		}
		pm = &m
	}
	return t.payOpenInvoice(inv, sub, pm)
}

// payOpenInvoice charges an open invoice now. Paying a past_due
// subscription's invoice makes it active; a decline after the last retry
// ends it. A decline is answered as a card error with its failed charge
// kept.
func (t *txn) payOpenInvoice(inv invoice, sub *subscription, pm *paymentMethod) (invoice, error) {
	inv, declined, final, err := t.collectInvoice(inv, pm, true)
	if err != nil {
		return inv, err
	}
	switch {
	case sub != nil && declined == nil:
		err = t.reactivate(*sub, inv)
	case sub != nil && final && sub.live():
		_, err = t.endSubscription(*sub, t.now, "payment_failed")
	}
	if err != nil {
		return inv, err
	}
	if declined != nil {
		return inv, committedError{declined}
	}
	return inv, nil
}

func apiListInvoiceLines(t *txn, r *request) (any, error) {
	inv, err := t.invoiceByID(r.id, "invoice")
	if err != nil {
		return nil, err
	}
	data := make([]any, 0, len(inv.Lines.Data))
	for _, l := range inv.Lines.Data {
		data = append(data, mustMap(l))
	}
	return map[string]any{"object": "list", "data": data, "has_more": false, "url": inv.Lines.URL}, nil
}
