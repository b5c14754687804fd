package sandbox

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Stripe Tax, offline: Checkout sessions with automatic_tax[enabled]
// compute tax from the buyer's billing country with the small table of
// test rates below (shown on the hosted Checkout page), and the invoices
// of their subscriptions (and invoice_creation invoices) carry the same
// amounts, in Stripe's wire format. The sandbox's account sells from
// abroad (its account country is US), so a business buyer in a VAT
// country who gives a VAT number is charged no tax (reverse charge), as
// Stripe Tax does for cross-border business sales.

// testTaxRate is the rate the sandbox charges buyers in one country.
type testTaxRate struct {
	Country     string // ISO 3166-1 alpha-2
	CountryName string
	Name        string // the tax's display name
	Type        string // Stripe's tax_type
	BPS         int64  // basis points: 1900 is 19%
	VAT         bool   // a VAT country: business buyers give a VAT number
}

// Percent is the rate as Stripe shows it on a tax_rate (19.0, 5.5).
func (r testTaxRate) Percent() float64 { return float64(r.BPS) / 100 }

// testTaxRates are the sandbox's rates, by country name. A country left
// out cannot be chosen on the Checkout page.
var testTaxRates = []testTaxRate{
	{"AU", "Australia", "GST", "gst", 1000, false},
	{"CA", "Canada", "GST", "gst", 500, false},
	{"FR", "France", "TVA", "vat", 2000, true},
	{"DE", "Germany", "MwSt.", "vat", 1900, true},
	{"IE", "Ireland", "VAT", "vat", 2300, true},
	{"IT", "Italy", "IVA", "vat", 2200, true},
	{"JP", "Japan", "JCT", "jct", 1000, false},
	{"NL", "Netherlands", "BTW", "vat", 2100, true},
	{"ES", "Spain", "IVA", "vat", 2100, true},
	{"GB", "United Kingdom", "VAT", "vat", 2000, true},
	{"US", "United States", "Sales tax", "sales_tax", 0, false}, // not registered for sales tax: nothing to collect
}

func taxRateOf(country string) (testTaxRate, bool) {
	for _, r := range testTaxRates {
		if r.Country == country {
			return r, true
		}
	}
	return testTaxRate{}, false
}

// vatNumberRE is a VAT number's shape: the country's prefix, then 8 to 12
// digits or letters (DE123456789, GB123456789, FR12345678901).
var vatNumberRE = regexp.MustCompile(`^[A-Z]{2}[0-9A-Z]{8,12}$`)

// taxIDOf checks the tax id a buyer typed for their country and returns
// it as Stripe's customer_details.tax_ids entry type, or a sentence for
// the form.
func taxIDOf(country, raw string) (value, typ, problem string) {
	v := strings.ToUpper(strings.NewReplacer(" ", "", ".", "", "-", "").Replace(raw))
	if v == "" {
		return "", "", ""
	}
	r, ok := taxRateOf(country)
	if !ok || !r.VAT {
		return "", "", "The sandbox checks VAT numbers of businesses in EU countries and the United Kingdom only; leave it empty."
	}
	if !vatNumberRE.MatchString(v) || v[:2] != country {
		return "", "", fmt.Sprintf("Enter the VAT number with its country prefix, like %s123456789.", country)
	}
	if country == "GB" {
		return v, "gb_vat", ""
	}
	return v, "eu_vat", ""
}

// taxPlace is where and to whom a sale is made: the buyer's country and
// whether a business's VAT number moves the tax to them.
type taxPlace struct {
	Country        string
	ReverseCharged bool
}

// rate is the rate charged at the place (0 when none is collected).
func (p taxPlace) rate() testTaxRate {
	r, _ := taxRateOf(p.Country)
	if p.ReverseCharged {
		r.BPS = 0
	}
	return r
}

// taxOn is the tax on amount (minor units, after discounts) at bps basis
// points. An inclusive price's amount already holds the tax, which is
// carved out of it (amount × rate / (1 + rate)); an exclusive price's tax
// is added on top (amount × rate). Stripe rounds each line's tax to the
// minor unit, half away from zero, and so does this (a refund line's
// negative amount rounds the same way, mirrored).
func taxOn(amount, bps int64, inclusive bool) int64 {
	if bps == 0 {
		return 0
	}
	if inclusive {
		return divRound(amount*bps, 10000+bps)
	}
	return divRound(amount*bps, 10000)
}

// divRound is n/d rounded half away from zero (d > 0).
func divRound(n, d int64) int64 {
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if 2*r >= d {
		if n < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// inclusive reports whether a price's amount includes tax. A price
// without a tax_behavior is taxed as exclusive (the default of a Stripe
// account's tax settings in the sandbox's currency).
func inclusive(pc price) bool { return pc.TaxBehavior == "inclusive" }

// taxSession computes a session's tax at the place the buyer gave: each
// line's tax on its amount after discounts, its total with exclusive tax
// added, and the session's totals and automatic_tax status.
func taxSession(s *session, items []lineItem, place taxPlace) {
	r := place.rate()
	s.AmountTotal = 0
	var tax int64
	for i := range items {
		li := &items[i]
		net := li.AmountSubtotal - li.AmountDiscount
		li.AmountTax = taxOn(net, r.BPS, inclusive(li.Price))
		li.AmountTotal = net
		if !inclusive(li.Price) {
			li.AmountTotal += li.AmountTax
		}
		tax += li.AmountTax
		s.AmountTotal += li.AmountTotal
	}
	s.TotalDetails["amount_tax"] = tax
	s.AutomaticTax = map[string]any{"enabled": true, "status": "complete"}
}

// sessionTaxes is a taxed session's tax by tax_rate (inclusive and
// exclusive lines are taxed at rates of their own), for its
// total_details.breakdown.
func (t *txn) sessionTaxes(items []lineItem, place taxPlace) ([]sessionTax, error) {
	var out []sessionTax
	for _, li := range items {
		if li.AmountTax == 0 {
			continue
		}
		id, err := t.taxRateFor(place.rate(), inclusive(li.Price))
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(out, func(x sessionTax) bool { return x.Rate == id })
		if i < 0 {
			out, i = append(out, sessionTax{Rate: id}), len(out)
		}
		out[i].Amount += li.AmountTax
	}
	return out, nil
}

// taxRateFor returns the id of the sandbox's tax_rate object for a rate
// and tax behavior, creating it the first time (Stripe Tax likewise
// makes the tax_rate objects its invoices point at).
func (t *txn) taxRateFor(r testTaxRate, incl bool) (string, error) {
	var found string
	t.eachNewest(objTaxRate, func(id string, raw []byte) bool {
		var tr taxRate
		if json.Unmarshal(raw, &tr) == nil && string(tr.Country) == r.Country && tr.Percentage == r.Percent() && tr.Inclusive == incl {
			found = tr.ID
			return false
		}
		return true
	})
	if found != "" {
		return found, nil
	}
	tr := taxRate{
		ID: t.newID("txr_"), Object: objTaxRate, Active: true, Country: nstr(r.Country), Created: t.now.Unix(),
		Description: nstr(r.Name + " " + r.CountryName), DisplayName: r.Name, Inclusive: incl, Jurisdiction: nstr(r.Country),
		Metadata: map[string]string{}, Percentage: r.Percent(), TaxType: nstr(r.Type),
	}
	return tr.ID, t.put(objTaxRate, tr.ID, tr)
}

// taxInvoiceLines taxes an invoice's lines at the customer's place: each
// line gets its tax_amounts and amount_excluding_tax, and the invoice
// its tax, total_tax_amounts, totals and automatic_tax, as Stripe
// reports them (an inclusive line's amount keeps its tax; an exclusive
// line's tax is added to the invoice total).
func (t *txn) taxInvoiceLines(inv *invoice, place taxPlace) error {
	r := place.rate()
	perRate := map[string]int64{}
	var order []string
	var tax, added int64
	for i := range inv.Lines.Data {
		l := &inv.Lines.Data[i]
		incl := l.Price != nil && inclusive(*l.Price)
		amt := taxOn(l.Amount, r.BPS, incl)
		if r.BPS == 0 {
			continue
		}
		id, err := t.taxRateFor(r, incl)
		if err != nil {
			return err
		}
		l.TaxAmounts = []any{map[string]any{"amount": amt, "inclusive": incl, "tax_rate": id}}
		if incl {
			l.AmountExclTax = l.Amount - amt
		} else {
			added += amt
		}
		if _, ok := perRate[id]; !ok {
			order = append(order, id)
		}
		perRate[id] += amt
		tax += amt
	}
	inv.TotalTaxAmounts = []any{}
	for _, id := range order {
		var tr taxRate
		if err := t.get(objTaxRate, id, &tr); err != nil {
			return err
		}
		inv.TotalTaxAmounts = append(inv.TotalTaxAmounts, map[string]any{"amount": perRate[id], "inclusive": tr.Inclusive, "tax_rate": id})
	}
	inv.SubtotalExcludingTax = 0
	for _, l := range inv.Lines.Data {
		inv.SubtotalExcludingTax += l.AmountExclTax
	}
	inv.Tax = &tax
	inv.Total = inv.Subtotal + added
	inv.TotalExcludingTax = inv.Total - tax
	inv.AutomaticTax = map[string]any{"enabled": true, "status": "complete"}
	return nil
}

// customerPlace is where a customer is taxed: their address's country,
// reverse charged when they gave a VAT number.
func customerPlace(cu customer) taxPlace {
	if cu.Address == nil {
		return taxPlace{}
	}
	return taxPlace{Country: string(cu.Address.Country), ReverseCharged: cu.Internal.TaxID != ""}
}

func apiGetTaxRate(t *txn, r *request) (any, error) {
	var tr taxRate
	if err := t.get(objTaxRate, r.id, &tr); err != nil {
		return nil, noSuch("tax_rate", r.id, "tax_rate")
	}
	return tr, nil
}

// sessionTaxParams reads a new session's automatic_tax,
// billing_address_collection, tax_id_collection and invoice_creation.
// hasAddress says the session's customer has an address already.
func sessionTaxParams(s *session, p params, hasAddress bool) error {
	if at := p.sub("automatic_tax"); at != nil {
		on, ok, err := at.boolean("enabled")
		if err != nil {
			return err
		}
		if !ok {
			return missingParam("automatic_tax[enabled]")
		}
		if on {
			// Stripe computes it once it knows where the buyer is.
			s.AutomaticTax = map[string]any{"enabled": true, "status": "requires_location_inputs"}
		}
	}
	if automaticTax(s.AutomaticTax) && s.Customer != "" && p.sub("customer_update").str("address") != "auto" && !hasAddress {
		return invalidRequest("automatic_tax[enabled]", "Automatic tax calculation in Checkout requires a valid address on the Customer. Add a valid address to the Customer or set either `customer_update[address]` to 'auto' or `customer_update[shipping]` to 'auto' to save the address entered in Checkout to the Customer.")
	}
	switch bac := p.str("billing_address_collection"); bac {
	case "", "auto", "required":
		s.BillingAddressCollect = nstr(bac)
	default:
		return invalidParam("billing_address_collection", "Invalid billing_address_collection: must be one of auto or required")
	}
	if tc := p.sub("tax_id_collection"); tc != nil {
		on, _, err := tc.boolean("enabled")
		if err != nil {
			return err
		}
		s.TaxIDCollection["enabled"] = on
	}
	if s.Mode == "payment" {
		// Stripe shows invoice_creation on every payment-mode session.
		s.InvoiceCreation = map[string]any{"enabled": false, "invoice_data": map[string]any{
			"account_tax_ids": nil, "custom_fields": nil, "description": nil, "footer": nil, "metadata": map[string]string{}, "rendering_options": nil}}
	}
	if ic := p.sub("invoice_creation"); ic != nil {
		if s.Mode != "payment" {
			return invalidRequest("invoice_creation", "You can only specify `invoice_creation` in `payment` mode.")
		}
		on, _, err := ic.boolean("enabled")
		if err != nil {
			return err
		}
		md := map[string]string{}
		if data := ic.sub("invoice_data"); data != nil {
			md = metadataOf(data)
		}
		s.Internal.InvoiceMetadata = md
		s.InvoiceCreation = map[string]any{"enabled": on, "invoice_data": map[string]any{
			"account_tax_ids": nil, "custom_fields": nil, "description": nil, "footer": nil, "metadata": md, "rendering_options": nil}}
	}
	return nil
}

func automaticTax(at map[string]any) bool { return at["enabled"] == true }

// invoiceCreation reports a payment session that issues an invoice.
func invoiceCreation(s session) bool {
	ic, ok := s.InvoiceCreation.(map[string]any)
	return ok && ic["enabled"] == true
}

// checkTaxFields checks the hosted page's billing country and tax id
// when the session asks for them, adding a sentence per bad field to
// errs, and returns where the sale is taxed and the tax ids as Stripe
// reports them.
func checkTaxFields(s session, f cardForm, errs map[string]string) (taxPlace, []sessionTaxID) {
	ids := []sessionTaxID{}
	if !needsCountry(s) {
		return taxPlace{}, ids
	}
	country := strings.ToUpper(strings.TrimSpace(f.Country))
	if _, ok := taxRateOf(country); !ok {
		errs["country"] = "Choose your country."
		return taxPlace{}, ids
	}
	place := taxPlace{Country: country}
	if s.TaxIDCollection["enabled"] {
		v, typ, problem := taxIDOf(country, f.TaxID)
		if problem != "" {
			errs["tax_id"] = problem
		} else if v != "" {
			ids = append(ids, sessionTaxID{Type: typ, Value: nstr(v)})
			place.ReverseCharged = true
		}
	}
	return place, ids
}

// needsCountry reports a session whose page asks for the billing
// country: Stripe Tax needs it, and billing_address_collection=required
// asks for the address (the sandbox takes its country).
func needsCountry(s session) bool {
	return automaticTax(s.AutomaticTax) || s.BillingAddressCollect == "required"
}

// setCustomerTaxPlace saves the billing country and a VAT number on the
// customer, as Checkout does.
func (t *txn) setCustomerTaxPlace(cu customer, place taxPlace, ids []sessionTaxID) (customer, error) {
	prev := mustMap(cu)
	cu.Address = &address{Country: nstr(place.Country)}
	if len(ids) > 0 {
		cu.Internal.TaxID = string(ids[0].Value)
		cu.TaxExempt = "reverse"
	}
	if err := t.put(objCustomer, cu.ID, cu); err != nil {
		return cu, err
	}
	return cu, t.emit("customer.updated", cu, map[string]any{"address": prev["address"], "tax_exempt": prev["tax_exempt"]})
}

// invoiceForPayment issues the invoice of a payment-mode session with
// invoice_creation: its lines are the session's (after discounts, taxed
// the same way), and it is paid at once by the session's payment.
func (t *txn) invoiceForPayment(s session, cu customer, items []lineItem, place taxPlace, pi paymentIntent, ch charge) (invoice, error) {
	var lines []invoiceLine
	for _, li := range items {
		pc := li.Price
		lines = append(lines, invoiceLine{Amount: li.AmountSubtotal - li.AmountDiscount, Description: li.Description,
			Period: period{Start: t.now.Unix(), End: t.now.Unix()}, Price: &pc, Quantity: li.Quantity, Type: "invoiceitem"})
	}
	var tp *taxPlace
	if automaticTax(s.AutomaticTax) {
		tp = &place
	}
	inv, err := t.issueInvoice(invoiceSpec{Customer: cu, Reason: "manual", Currency: s.Currency, Lines: lines,
		PeriodStart: t.now.Unix(), PeriodEnd: t.now.Unix(), Metadata: s.Internal.InvoiceMetadata, PaidBy: &ch, Tax: tp})
	if err != nil {
		return inv, err
	}
	prev := mustMap(inv)
	inv.PaymentIntent, inv.Charge = nstr(pi.ID), nstr(ch.ID)
	inv.Attempted, inv.AttemptCount = true, 1
	inv.Status, inv.Paid, inv.AmountPaid, inv.AmountRemaining = "paid", true, inv.AmountDue, 0
	inv.StatusTransitions["paid_at"] = nint(t.now.Unix())
	if err := t.put(objInvoice, inv.ID, inv); err != nil {
		return inv, err
	}
	if err := t.emit("invoice.paid", inv, prev); err != nil {
		return inv, err
	}
	return inv, t.emit("invoice.payment_succeeded", inv, prev)
}
