package sandbox

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v76"
)

// taxedCheckout pays a payment-mode session of two 1000 and one 2599
// (minor units) at taxBehavior, with Stripe Tax on or off, asking for tax
// ids and an invoice as told; form adds the billing country and tax id.
// It returns the paid session with its line items, customer and
// payment.
func (e *env) taxedCheckout(tax, taxIDs, invoice bool, taxBehavior string, form map[string]string) (*stripe.CheckoutSession, int, string) {
	e.t.Helper()
	prod, err := e.api.Products.New(&stripe.ProductParams{Name: stripe.String("Field Guide")})
	if err != nil {
		e.t.Fatal(err)
	}
	price := func(amount int64) string {
		p := &stripe.PriceParams{Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(amount), Currency: stripe.String("eur")}
		if taxBehavior != "" {
			p.TaxBehavior = stripe.String(taxBehavior)
		}
		pr, err := e.api.Prices.New(p)
		if err != nil {
			e.t.Fatal(err)
		}
		if string(pr.TaxBehavior) != taxBehavior && taxBehavior != "" {
			e.t.Fatalf("price tax_behavior %q, want %q", pr.TaxBehavior, taxBehavior)
		}
		return pr.ID
	}
	p := &stripe.CheckoutSessionParams{
		Mode: stripe.String("payment"), SuccessURL: stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CustomerEmail: stripe.String("ada@example.com"), CustomerCreation: stripe.String("always"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{
			{Price: stripe.String(price(1000)), Quantity: stripe.Int64(2)}, {Price: stripe.String(price(2599)), Quantity: stripe.Int64(1)}},
	}
	if tax {
		p.AutomaticTax = &stripe.CheckoutSessionAutomaticTaxParams{Enabled: stripe.Bool(true)}
		p.BillingAddressCollection = stripe.String("required")
		if taxIDs {
			p.TaxIDCollection = &stripe.CheckoutSessionTaxIDCollectionParams{Enabled: stripe.Bool(true)}
		}
	}
	if invoice {
		p.InvoiceCreation = &stripe.CheckoutSessionInvoiceCreationParams{Enabled: stripe.Bool(true),
			InvoiceData: &stripe.CheckoutSessionInvoiceCreationInvoiceDataParams{Metadata: map[string]string{"vendo_kind": "order"}}}
	}
	s, err := e.api.CheckoutSessions.New(p)
	if err != nil {
		e.t.Fatal(err)
	}
	if tax && (!s.AutomaticTax.Enabled || s.AutomaticTax.Status != "requires_location_inputs" || s.TotalDetails.AmountTax != 0) {
		e.t.Fatalf("new session's automatic_tax %+v, tax %d: want enabled, requires_location_inputs, 0", s.AutomaticTax, s.TotalDetails.AmountTax)
	}
	_, page := e.get(s.URL)
	if got := strings.Contains(page, `name="country"`); got != tax {
		e.t.Fatalf("the Checkout page asks for the country: %v, want %v", got, tax)
	}
	if got := strings.Contains(page, `name="tax_id"`); got != (tax && taxIDs) {
		e.t.Fatalf("the Checkout page asks for a tax id: %v, want %v", got, tax && taxIDs)
	}
	if tax && !strings.Contains(page, "Germany") || tax && !strings.Contains(page, "19%") {
		e.t.Fatal("the Checkout page does not document the test rates")
	}
	v := cardValues("4242424242424242")
	for k, x := range form {
		v.Set(k, x)
	}
	resp, body := e.postForm(s.URL, v)
	if resp.StatusCode != http.StatusSeeOther {
		return s, resp.StatusCode, body
	}
	gp := &stripe.CheckoutSessionParams{}
	gp.AddExpand("line_items")
	gp.AddExpand("customer")
	gp.AddExpand("payment_intent")
	gp.AddExpand("invoice")
	gp.AddExpand("total_details.breakdown")
	if s, err = e.api.CheckoutSessions.Get(s.ID, gp); err != nil {
		e.t.Fatal(err)
	}
	return s, resp.StatusCode, body
}

// TestStripeTaxAtCheckout: with Stripe Tax on, the sandbox taxes each
// line at the billing country's test rate (rounded per line), adds
// exclusive tax on top and carves inclusive tax out, reverse charges a
// business with a VAT number, and charges the total; with it off,
// nothing is taxed and the page asks nothing more.
func TestStripeTaxAtCheckout(t *testing.T) {
	// Lines: 2 × 10.00 and 1 × 25.99 (EUR).
	cases := []struct {
		name          string
		tax, taxIDs   bool
		behavior      string
		form          map[string]string
		wantTax       int64
		wantTotal     int64
		wantLineTaxes []int64
		wantTaxIDs    int
		wantExempt    string
	}{
		{name: "off", behavior: "exclusive", wantTax: 0, wantTotal: 4599, wantLineTaxes: []int64{0, 0}, wantExempt: "none"},
		// 20.00 × 19% = 3.80; 25.99 × 19% = 4.9381 → 4.94.
		{name: "exclusive in Germany", tax: true, behavior: "exclusive", form: map[string]string{"country": "DE"},
			wantTax: 874, wantTotal: 5473, wantLineTaxes: []int64{380, 494}, wantExempt: "none"},
		// 20.00 × 19/119 = 3.193 → 3.19; 25.99 × 19/119 = 4.1497 → 4.15.
		{name: "inclusive in Germany", tax: true, behavior: "inclusive", form: map[string]string{"country": "DE"},
			wantTax: 734, wantTotal: 4599, wantLineTaxes: []int64{319, 415}, wantExempt: "none"},
		// 20.00 × 20% = 4.00; 25.99 × 20% = 5.198 → 5.20.
		{name: "exclusive in France", tax: true, behavior: "exclusive", form: map[string]string{"country": "FR"},
			wantTax: 920, wantTotal: 5519, wantLineTaxes: []int64{400, 520}, wantExempt: "none"},
		{name: "no tax rate price is exclusive", tax: true, behavior: "", form: map[string]string{"country": "GB"},
			wantTax: 920, wantTotal: 5519, wantLineTaxes: []int64{400, 520}, wantExempt: "none"},
		{name: "United States collects none", tax: true, behavior: "exclusive", form: map[string]string{"country": "US"},
			wantTax: 0, wantTotal: 4599, wantLineTaxes: []int64{0, 0}, wantExempt: "none"},
		{name: "VAT number reverse charged", tax: true, taxIDs: true, behavior: "exclusive", form: map[string]string{"country": "DE", "tax_id": "de 123 456 789"},
			wantTax: 0, wantTotal: 4599, wantLineTaxes: []int64{0, 0}, wantTaxIDs: 1, wantExempt: "reverse"},
		{name: "tax id asked but not given", tax: true, taxIDs: true, behavior: "exclusive", form: map[string]string{"country": "DE"},
			wantTax: 874, wantTotal: 5473, wantLineTaxes: []int64{380, 494}, wantExempt: "none"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s, status, body := e.taxedCheckout(tc.tax, tc.taxIDs, false, tc.behavior, tc.form)
			if status != http.StatusSeeOther {
				t.Fatalf("pay: %d %s", status, body)
			}
			if s.TotalDetails.AmountTax != tc.wantTax || s.AmountTotal != tc.wantTotal || s.AmountSubtotal != 4599 {
				t.Fatalf("tax %d total %d subtotal %d; want tax %d total %d subtotal 4599", s.TotalDetails.AmountTax, s.AmountTotal, s.AmountSubtotal, tc.wantTax, tc.wantTotal)
			}
			if s.PaymentIntent.Amount != tc.wantTotal {
				t.Fatalf("charged %d, want %d", s.PaymentIntent.Amount, tc.wantTotal)
			}
			wantStatus := stripe.CheckoutSessionAutomaticTaxStatus("")
			if tc.tax {
				wantStatus = "complete"
			}
			if s.AutomaticTax.Enabled != tc.tax || s.AutomaticTax.Status != wantStatus {
				t.Fatalf("automatic_tax %+v, want enabled %v status %q", s.AutomaticTax, tc.tax, wantStatus)
			}
			var sum int64
			for i, li := range s.LineItems.Data {
				if li.AmountTax != tc.wantLineTaxes[i] {
					t.Fatalf("line %d tax %d, want %d", i, li.AmountTax, tc.wantLineTaxes[i])
				}
				sum += li.AmountTotal
			}
			if sum != s.AmountTotal {
				t.Fatalf("lines add up to %d, the session says %d", sum, s.AmountTotal)
			}
			if len(s.CustomerDetails.TaxIDs) != tc.wantTaxIDs || string(s.CustomerDetails.TaxExempt) != tc.wantExempt {
				t.Fatalf("customer_details tax ids %+v exempt %q; want %d, %q", s.CustomerDetails.TaxIDs, s.CustomerDetails.TaxExempt, tc.wantTaxIDs, tc.wantExempt)
			}
			if tc.wantTaxIDs > 0 && (s.CustomerDetails.TaxIDs[0].Type != "eu_vat" || s.CustomerDetails.TaxIDs[0].Value != "DE123456789") {
				t.Fatalf("tax id %+v, want eu_vat DE123456789", s.CustomerDetails.TaxIDs[0])
			}
			if tc.tax && (s.CustomerDetails.Address == nil || s.CustomerDetails.Address.Country != tc.form["country"] || s.Customer.Address == nil || s.Customer.Address.Country != tc.form["country"]) {
				t.Fatalf("billing country not kept on the session and the customer: %+v / %+v", s.CustomerDetails.Address, s.Customer.Address)
			}
			if s.Invoice != nil {
				t.Fatalf("an invoice %s without invoice_creation", s.Invoice.ID)
			}
			// The breakdown gives the tax by rate, as Stripe does.
			var byRate int64
			for _, tx := range s.TotalDetails.Breakdown.Taxes {
				if tx.Rate == nil || tx.Rate.Country != tc.form["country"] || tx.Rate.Inclusive != (tc.behavior == "inclusive") {
					t.Fatalf("breakdown tax %+v for %s %s", tx, tc.form["country"], tc.behavior)
				}
				byRate += tx.Amount
			}
			if byRate != tc.wantTax || (tc.wantTax > 0) != (len(s.TotalDetails.Breakdown.Taxes) == 1) {
				t.Fatalf("breakdown taxes %+v, want %d in one rate", s.TotalDetails.Breakdown.Taxes, tc.wantTax)
			}
		})
	}
}

// TestStripeTaxFieldsRefused: a missing country or a malformed VAT
// number is a sentence on the page, and nothing is charged.
func TestStripeTaxFieldsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, field, want string
		form              map[string]string
	}{
		{"no country", "country", "Choose your country.", map[string]string{}},
		{"unknown country", "country", "Choose your country.", map[string]string{"country": "ZZ"}},
		{"VAT number of another country", "tax_id", "Enter the VAT number with its country prefix, like DE123456789.", map[string]string{"country": "DE", "tax_id": "FR12345678901"}},
		{"VAT number where there is no VAT", "tax_id", "VAT numbers of businesses in EU countries", map[string]string{"country": "US", "tax_id": "US123456789"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s, status, body := e.taxedCheckout(true, true, false, "exclusive", tc.form)
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, tc.field+`-error`) && !strings.Contains(body, "tax-id-error") {
				t.Fatalf("status %d, want 422 with %q", status, tc.want)
			}
			got, err := e.api.CheckoutSessions.Get(s.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != "open" || got.PaymentIntent != nil {
				t.Fatalf("session %s %v after a refused form", got.Status, got.PaymentIntent)
			}
		})
	}
}

// TestInvoiceCreationForPayment: a one-time Checkout with
// invoice_creation issues a paid invoice for the payment on the
// customer, with the session's lines, tax and metadata; without it, no
// invoice.
func TestInvoiceCreationForPayment(t *testing.T) {
	e := newEnv(t)
	s, status, body := e.taxedCheckout(true, false, true, "inclusive", map[string]string{"country": "FR"})
	if status != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", status, body)
	}
	if s.Invoice == nil {
		t.Fatal("no invoice on the session")
	}
	inv := s.Invoice
	// 20.00 × 20/120 = 3.333 → 3.33; 25.99 × 20/120 = 4.3317 → 4.33: 7.66 in all.
	if inv.Status != "paid" || !inv.Paid || inv.Total != 4599 || inv.AmountPaid != 4599 || inv.Tax != 766 || inv.Subscription != nil {
		t.Fatalf("invoice %s paid %v total %d paid %d tax %d sub %v; want paid 4599 with 766 tax", inv.Status, inv.Paid, inv.Total, inv.AmountPaid, inv.Tax, inv.Subscription)
	}
	if inv.TotalExcludingTax != 4599-766 || len(inv.TotalTaxAmounts) != 1 || inv.TotalTaxAmounts[0].Amount != 766 || !inv.TotalTaxAmounts[0].Inclusive {
		t.Fatalf("total excluding tax %d, tax amounts %+v", inv.TotalExcludingTax, inv.TotalTaxAmounts)
	}
	if inv.PaymentIntent == nil || inv.PaymentIntent.ID != s.PaymentIntent.ID || inv.Customer.ID != s.Customer.ID || inv.Metadata["vendo_kind"] != "order" {
		t.Fatalf("invoice payment %v customer %v metadata %v", inv.PaymentIntent, inv.Customer, inv.Metadata)
	}
	tr, err := e.api.TaxRates.Get(inv.TotalTaxAmounts[0].TaxRate.ID, nil)
	if err != nil || tr.Percentage != 20 || tr.Country != "FR" || !tr.Inclusive {
		t.Fatalf("tax rate %+v, %v", tr, err)
	}
	list := e.api.Invoices.List(&stripe.InvoiceListParams{Customer: stripe.String(s.Customer.ID)})
	n := 0
	for list.Next() {
		n++
	}
	if n != 1 {
		t.Fatalf("the customer has %d invoices, want 1", n)
	}

	// The same checkout without invoice_creation makes none.
	s, _, _ = e.taxedCheckout(true, false, false, "inclusive", map[string]string{"country": "FR"})
	if s.Invoice != nil {
		t.Fatalf("invoice %s without invoice_creation", s.Invoice.ID)
	}
}

// TestStripeTaxOnSubscriptionInvoices: a subscription started with
// Stripe Tax has its first invoice and its renewals taxed at the
// customer's country, exclusive tax added to what is charged.
func TestStripeTaxOnSubscriptionInvoices(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	p := &stripe.CheckoutSessionParams{
		Mode: stripe.String("subscription"), SuccessURL: stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CustomerEmail: stripe.String("ada@example.com"),
		LineItems:     []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(c.monthly.ID), Quantity: stripe.Int64(1)}},
		AutomaticTax:  &stripe.CheckoutSessionAutomaticTaxParams{Enabled: stripe.Bool(true)},
	}
	s, err := e.api.CheckoutSessions.New(p)
	if err != nil {
		t.Fatal(err)
	}
	v := cardValues("4242424242424242")
	v.Set("country", "GB")
	if resp, body := e.postForm(s.URL, v); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	gp := &stripe.CheckoutSessionParams{}
	gp.AddExpand("subscription.latest_invoice")
	if s, err = e.api.CheckoutSessions.Get(s.ID, gp); err != nil {
		t.Fatal(err)
	}
	// 12.00 × 20% = 2.40.
	first := s.Subscription.LatestInvoice
	if s.TotalDetails.AmountTax != 240 || s.AmountTotal != 1440 || first.Tax != 240 || first.Total != 1440 || first.AmountPaid != 1440 || !s.Subscription.AutomaticTax.Enabled {
		t.Fatalf("session tax %d total %d; invoice tax %d total %d paid %d", s.TotalDetails.AmountTax, s.AmountTotal, first.Tax, first.Total, first.AmountPaid)
	}
	if l := first.Lines.Data[0]; len(l.TaxAmounts) != 1 || l.TaxAmounts[0].Amount != 240 || l.TaxAmounts[0].Inclusive || l.AmountExcludingTax != 1200 {
		t.Fatalf("line tax amounts %+v, excluding tax %d", l.TaxAmounts, l.AmountExcludingTax)
	}
	e.advance("32d")
	sub := e.sub(s.Subscription.ID)
	if sub.LatestInvoice.ID == first.ID || sub.LatestInvoice.Tax != 240 || sub.LatestInvoice.AmountPaid != 1440 {
		t.Fatalf("renewal %s tax %d paid %d; want 240 and 1440", sub.LatestInvoice.ID, sub.LatestInvoice.Tax, sub.LatestInvoice.AmountPaid)
	}
}

// TestTaxRounding: per-line tax rounds half away from zero, for refunds'
// negative amounts too.
func TestTaxRounding(t *testing.T) {
	for _, tc := range []struct {
		amount, bps int64
		incl        bool
		want        int64
	}{
		{250, 1000, false, 25}, {5, 1000, false, 1}, {4, 1000, false, 0}, {-5, 1000, false, -1}, {-4, 1000, false, 0},
		{2599, 1900, false, 494}, {2000, 1900, true, 319}, {119, 1900, true, 19}, {1, 2000, false, 0}, {3, 2000, false, 1},
		{1000, 0, false, 0},
	} {
		if got := taxOn(tc.amount, tc.bps, tc.incl); got != tc.want {
			t.Errorf("taxOn(%d, %d, %v) = %d, want %d", tc.amount, tc.bps, tc.incl, got, tc.want)
		}
	}
}

// TestOneTimeLineOnASubscriptionsFirstInvoice: a one-time price bought
// with a plan is a line of the first invoice, with its description, a
// period of the moment it was bought and its amount before tax (the
// invoice adds the tax).
func TestOneTimeLineOnASubscriptionsFirstInvoice(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s, err := e.api.CheckoutSessions.New(&stripe.CheckoutSessionParams{
		Mode: stripe.String("subscription"), SuccessURL: stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CustomerEmail: stripe.String("ada@example.com"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{
			{Price: stripe.String(c.monthly.ID), Quantity: stripe.Int64(1)}, {Price: stripe.String(c.poster.ID), Quantity: stripe.Int64(2)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := e.postForm(s.URL, cardValues("4242424242424242")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	gp := &stripe.CheckoutSessionParams{}
	gp.AddExpand("subscription.latest_invoice")
	if s, err = e.api.CheckoutSessions.Get(s.ID, gp); err != nil {
		t.Fatal(err)
	}
	var line *stripe.InvoiceLineItem
	for _, l := range s.Subscription.LatestInvoice.Lines.Data {
		if l.Price != nil && l.Price.ID == c.poster.ID {
			line = l
		}
	}
	if line == nil {
		t.Fatalf("the first invoice has no line for the one-time price: %+v", s.Subscription.LatestInvoice.Lines.Data)
	}
	if line.Description == "" || line.Period == nil || line.Period.Start == 0 || line.Period.Start != line.Period.End || line.Amount != 3000 || line.Quantity != 2 {
		t.Errorf("one-time line: description %q, period %+v, amount %d, quantity %d; want a description, the moment of purchase, 3000 and 2",
			line.Description, line.Period, line.Amount, line.Quantity)
	}
}
