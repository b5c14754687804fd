package server_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"vendo/app"
	"vendo/app/vendotest"
)

// setTaxSettings posts the admin's settings form as it stands with the
// tax and invoice switches set.
func setTaxSettings(t *testing.T, srv *vendotest.Shop, tax, taxIDs, invoices bool) {
	t.Helper()
	st, err := srv.Store.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	box := func(on bool) string {
		if on {
			return "1"
		}
		return ""
	}
	srv.Admin.Get("/admin/settings")
	resp, page := srv.Admin.Submit("/admin/settings", url.Values{"shop_name": {st.ShopName}, "tagline": {st.Tagline}, "currency": {st.Currency},
		"download_expiry": {strconv.FormatFloat(st.DownloadExpiry.Hours(), 'f', -1, 64)}, "download_limit": {strconv.Itoa(st.DownloadLimit)},
		"past_due_grace": {strconv.Itoa(int(st.PastDueGrace / (24 * time.Hour)))}, "unlocks_at_plan_end": {"end"},
		"stripe_tax": {box(tax)}, "tax_id_collection": {box(taxIDs)}, "invoice_orders": {box(invoices)}})
	if resp.StatusCode != 200 {
		t.Fatalf("save settings: %d\n%.1500s", resp.StatusCode, page)
	}
	if st, _ = srv.Store.Settings(context.Background()); st.StripeTax != tax || st.TaxIDCollection != (taxIDs && tax) || st.InvoiceOrders != invoices {
		t.Fatalf("settings after the form: tax %v ids %v invoices %v", st.StripeTax, st.TaxIDCollection, st.InvoiceOrders)
	}
}

// TestStripeTaxThroughTheSandbox: with Stripe Tax switched on in the
// settings, Checkout asks for the billing country (and a VAT number when
// told to), the sandbox taxes the price as its product says (tax added
// on top, or carved out of a price that includes it), and the order keeps
// the tax Stripe computed: the receipt page and mail, the admin's order
// page and the account's invoices show it. With tax off nothing changes;
// with invoices on, a one-time order gets a Stripe invoice listed on the
// account.
func TestStripeTaxThroughTheSandbox(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	ctx := context.Background()
	inbox := mustProduct(t, srv, "the-calm-inbox") // $12.00
	if inbox.Price.Amount != 1200 {
		t.Fatalf("the demo's Calm Inbox costs %v, the cases expect $12.00", inbox.Price)
	}
	cases := []struct {
		name                      string
		tax, ids, inclusive, invs bool
		form                      url.Values
		wantTax, wantTotal        int64
		wantReceipt               []string
	}{
		{name: "off", wantTax: 0, wantTotal: 1200, wantReceipt: []string{"$12.00"}},
		// $12.00 × 19% = $2.28 on top.
		{name: "exclusive in Germany", tax: true, form: url.Values{"country": {"DE"}}, wantTax: 228, wantTotal: 1428,
			wantReceipt: []string{"Subtotal", "$12.00", "Tax", "$2.28", "$14.28"}},
		// $12.00 × 20% = $2.40 on top.
		{name: "exclusive in France", tax: true, form: url.Values{"country": {"FR"}}, wantTax: 240, wantTotal: 1440,
			wantReceipt: []string{"Tax", "$2.40", "$14.40"}},
		// $12.00 × 20/120 = $2.00 inside the price.
		{name: "inclusive in France", tax: true, inclusive: true, form: url.Values{"country": {"FR"}}, wantTax: 200, wantTotal: 1200,
			wantReceipt: []string{"Includes tax", "$2.00", "$12.00"}},
		{name: "VAT number reverse charged", tax: true, ids: true, form: url.Values{"country": {"DE"}, "tax_id": {"DE123456789"}}, wantTax: 0, wantTotal: 1200,
			wantReceipt: []string{"$12.00"}},
		{name: "invoice for the order", tax: true, invs: true, form: url.Values{"country": {"DE"}}, wantTax: 228, wantTotal: 1428,
			wantReceipt: []string{"Tax", "$2.28", "Stripe issued an invoice for this order"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			setTaxSettings(t, srv, tc.tax, tc.ids, tc.invs)
			p := mustProduct(t, srv, "the-calm-inbox")
			if p.TaxInclusive != tc.inclusive {
				p.TaxInclusive = tc.inclusive
				oldPrice := p.StripePriceID
				if err := srv.Shop.SaveProduct(ctx, &p, "test"); err != nil {
					t.Fatal(err)
				}
				if oldPrice != "" && p.StripePriceID == oldPrice {
					t.Fatal("including tax or not kept the old Stripe Price")
				}
			}
			email := "taxed" + strconv.Itoa(i) + "@example.com"
			b := srv.NewClient()
			b.AddToCart("the-calm-inbox")
			resp, page := b.Checkout()
			if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/") {
				t.Fatalf("checkout: %s", resp.Request.URL)
			}
			if got := strings.Contains(page, `name="country"`); got != tc.tax {
				t.Fatalf("the sandbox's Checkout asks for the country: %v, want %v", got, tc.tax)
			}
			if got := strings.Contains(page, `name="tax_id"`); got != tc.ids {
				t.Fatalf("the sandbox's Checkout asks for a VAT number: %v, want %v", got, tc.ids)
			}
			v := url.Values{"email": {email}, "name": {"Tax Payer"}, "card_number": {"4242 4242 4242 4242"}, "exp": {"12/34"}, "cvc": {"123"}}
			for k, x := range tc.form {
				v[k] = x
			}
			if resp, page := b.Post(b.At.String(), v); resp.Request.URL.Path != "/checkout/success" {
				t.Fatalf("pay: %s\n%.800s", resp.Request.URL, page)
			}
			var order app.Order
			vendotest.WaitFor(t, "the order", func() bool {
				for _, o := range ordersOf(t, srv.Store) {
					if o.Email == email && o.Status == app.OrderPaid {
						order = o
					}
				}
				return order.ID != ""
			})
			if order.Tax.Amount != tc.wantTax || order.Total.Amount != tc.wantTotal || order.Subtotal.Amount != 1200 {
				t.Fatalf("order tax %v total %v subtotal %v; want tax %d, total %d", order.Tax, order.Total, order.Subtotal, tc.wantTax, tc.wantTotal)
			}
			if (order.InvoiceID != "") != tc.invs {
				t.Fatalf("order invoice %q, want one: %v", order.InvoiceID, tc.invs)
			}

			b.SignIn(email)
			_, receipt := b.Get("/account/orders/" + order.ID)
			mustContain(t, receipt, tc.wantReceipt...)
			if tc.wantTax == 0 && (strings.Contains(receipt, `colspan="3">Tax<`) || strings.Contains(receipt, "Includes tax")) {
				t.Fatalf("the receipt of an untaxed order shows tax:\n%.1500s", receipt)
			}
			_, admin := srv.Admin.Get("/admin/orders/" + order.ID)
			if tc.wantTax != 0 {
				mustContain(t, admin, "Tax", app.Money{Amount: tc.wantTax, Currency: "usd"}.String())
			}
			_, account := b.Get("/account")
			if tc.invs {
				mustContain(t, account, "Order", "$14.28", "$2.28")
				// The invoice's events are known as the order's, not foreign.
				vendotest.WaitFor(t, "the invoice's events recorded", func() bool {
					_, events := srv.Admin.Get("/admin/events")
					return strings.Contains(events, "the order follows its Checkout Session")
				})
			} else if strings.Contains(account, `id="account-invoices"`) && !strings.Contains(account, "No invoices yet.") {
				t.Fatalf("invoices listed without invoices switched on:\n%.2000s", account)
			}
			var receiptMail app.Mail
			vendotest.WaitFor(t, "the receipt mail", func() bool {
				for _, m := range srv.Outbox() {
					if m.To == email && strings.Contains(m.Subject, "Your order") {
						receiptMail = m
					}
				}
				return receiptMail.To != ""
			})
			if tc.wantTax != 0 && !strings.Contains(receiptMail.Text, app.Money{Amount: tc.wantTax, Currency: "usd"}.String()) {
				t.Fatalf("the receipt mail lacks the tax:\n%s", receiptMail.Text)
			}
		})
	}

	// A plan bought with tax on: its invoices are taxed, and the account
	// lists the tax. Pro is $19.00 a month: $3.80 of British VAT on top.
	setTaxSettings(t, srv, true, false, false)
	subscribeTaxed(t, srv.NewClient(), srv.URL, "subscriber@example.com")
}

// subscribeTaxed signs c in as email, subscribes to Pro monthly from the
// UK on the hosted Checkout at sandbox (the shop's own or another's),
// and waits for the account to list the taxed invoice: Pro's $19.00 plus
// $3.80 of British VAT.
func subscribeTaxed(t *testing.T, c *vendotest.Client, sandbox, email string) {
	t.Helper()
	c.SignIn(email)
	c.Get("/plans?interval=month")
	resp, page := c.Submit("/subscribe", url.Values{"plan": {"pro"}, "interval": {"month"}})
	if !strings.HasPrefix(resp.Request.URL.String(), sandbox+"/sandbox/stripe/checkout/") || !strings.Contains(page, `name="country"`) {
		t.Fatalf("subscribe landed on %s (%d)\n%.1000s", resp.Request.URL, resp.StatusCode, page)
	}
	resp, page = c.Post(c.At.String(), url.Values{"email": {email}, "name": {"Sub Scriber"}, "card_number": {"4242 4242 4242 4242"},
		"exp": {"12/34"}, "cvc": {"123"}, "country": {"GB"}})
	if resp.Request.URL.Path != "/account" {
		t.Fatalf("pay the plan: %s\n%.800s", resp.Request.URL, page)
	}
	vendotest.WaitFor(t, "the taxed plan invoice on the account", func() bool {
		_, account := c.Get("/account")
		return strings.Contains(account, "Plan") && strings.Contains(account, "$22.80") && strings.Contains(account, "$3.80")
	})
}

// TestTaxInStripeMode is the main case against Stripe's API shape: shop
// B in Stripe mode uses shop A's sandbox as its Stripe. With Stripe Tax
// and order invoices on at B, a guest pays on A's Checkout from Germany:
// A's session charged $2.28 of tax on top of an exclusive $12.00, and B's
// order keeps what A's re-fetched session says, with the invoice A
// issued. A signed-in customer (a known Stripe customer: Checkout may
// save the address on them) subscribes with tax too, and B's account
// lists the taxed invoice.
func TestTaxInStripeMode(t *testing.T) {
	t.Parallel()
	p := newPair(t, true, nil)
	b := p.b
	b.Admin.SignInAdmin()
	setTaxSettings(t, b, true, true, true)

	buyer := p.browser()
	buyer.AddToCart("the-calm-inbox")
	resp, page := buyer.Checkout()
	if !strings.HasPrefix(resp.Request.URL.String(), p.a.URL+"/sandbox/stripe/checkout/") {
		t.Fatalf("checkout landed on %s\n%.1000s", resp.Request.URL, page)
	}
	mustContain(t, page, `name="country"`, `name="tax_id"`, "Pay $12.00 + tax")
	resp, page = buyer.Post(buyer.At.String(), url.Values{"email": {"berlin@example.com"}, "name": {"Berlin Buyer"}, "card_number": {"4242 4242 4242 4242"},
		"exp": {"12/34"}, "cvc": {"123"}, "country": {"DE"}})
	if resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("pay: %s\n%.800s", resp.Request.URL, page)
	}
	var order app.Order
	vendotest.WaitFor(t, "B's order", func() bool {
		for _, o := range ordersOf(t, b.Store) {
			if o.Email == "berlin@example.com" && o.Status == app.OrderPaid {
				order = o
			}
		}
		return order.ID != ""
	})
	sp := &stripe.CheckoutSessionParams{}
	sp.AddExpand("line_items")
	sess, err := p.api.CheckoutSessions.Get(order.CheckoutSessionID, sp)
	if err != nil {
		t.Fatal(err)
	}
	if sess.TotalDetails.AmountTax != 228 || sess.AmountTotal != 1428 || sess.AutomaticTax.Status != "complete" || sess.Invoice == nil ||
		sess.LineItems.Data[0].Price.TaxBehavior != "exclusive" {
		t.Fatalf("A's session: tax %d total %d status %q invoice %v tax behavior %q", sess.TotalDetails.AmountTax, sess.AmountTotal,
			sess.AutomaticTax.Status, sess.Invoice, sess.LineItems.Data[0].Price.TaxBehavior)
	}
	if order.Tax.Amount != sess.TotalDetails.AmountTax || order.Total.Amount != sess.AmountTotal || order.InvoiceID != sess.Invoice.ID {
		t.Fatalf("B's order: tax %v total %v invoice %q; A says %d, %d, %s", order.Tax, order.Total, order.InvoiceID,
			sess.TotalDetails.AmountTax, sess.AmountTotal, sess.Invoice.ID)
	}
	inv, err := p.api.Invoices.Get(order.InvoiceID, nil)
	if err != nil || inv.Tax != 228 || inv.AmountPaid != 1428 || inv.Metadata["vendo_kind"] != "order" {
		t.Fatalf("A's invoice of the order: %+v, %v", inv, err)
	}
	buyer.SignIn("berlin@example.com")
	_, receipt := buyer.Get("/account/orders/" + order.ID)
	mustContain(t, receipt, "Tax", "$2.28", "$14.28")
	_, account := buyer.Get("/account")
	mustContain(t, account, "Order", "$2.28")

	// A plan, bought by a known customer.
	subscribeTaxed(t, p.browser(), p.a.URL, "london@example.com")
}
