package stripeapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app/sandbox"
	"vendo/app/stripeapi"
	"vendo/app/stripemock"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startSandbox serves an offline sandbox on a loopback port.
func startSandbox(t *testing.T) (base, key string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	sb, err := sandbox.Open(sandbox.Config{Path: t.TempDir() + "/sb.db", BaseURL: base, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	a := fiber.New(fiber.Config{DisableStartupMessage: true})
	sb.Mount(a.Group("/sandbox/stripe"))
	go a.Listener(ln)
	t.Cleanup(func() { a.Shutdown(); sb.Close() })
	return sb.APIBase(), sb.SecretKey()
}

// exercise makes every call the shop makes through Client, in the order a
// shop would, and returns what the answers said.
func exercise(t *testing.T, c *stripeapi.Client) stripeapi.Session {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	cust, err := c.CreateCustomer(ctx, "cust_1", "ada@example.com", "Ada")
	must("create customer", err)
	_, err = c.GetCustomer(ctx, cust)
	must("get customer", err)
	prod, err := c.EnsureProduct(ctx, "", "prod_1", "Ebook")
	must("create product", err)
	price, err := c.CreatePrice(ctx, prod, stripeapi.PriceSpec{Amount: 1200, Currency: "usd", TaxBehavior: stripeapi.TaxExclusive}, "prod_1", "prod_1-1200-usd")
	must("create price", err)
	inclusive, err := c.CreatePrice(ctx, prod, stripeapi.PriceSpec{Amount: 1500, Currency: "usd", TaxBehavior: stripeapi.TaxInclusive}, "prod_1", "prod_1-1500-usd-inclusive")
	must("create a price with tax included", err)
	monthly, err := c.CreatePrice(ctx, prod, stripeapi.PriceSpec{Amount: 900, Currency: "usd", Interval: "month"}, "plan_1", "plan_1-month")
	must("create recurring price", err)
	yearly, err := c.CreatePrice(ctx, prod, stripeapi.PriceSpec{Amount: 9000, Currency: "usd", Interval: "year"}, "plan_1", "plan_1-year")
	must("create yearly price", err)
	// The second line is a pay-what-you-want amount: price_data on the product.
	id, url, err := c.CreateCheckoutSession(ctx, stripeapi.CheckoutRequest{Mode: "payment",
		Lines:             []stripeapi.CheckoutLine{{PriceID: price, Quantity: 2}, {StripeProductID: prod, UnitAmount: 750, Currency: "usd", Quantity: 1}},
		ClientReferenceID: "cart_1", CustomerEmail: "ada@example.com", Metadata: map[string]string{"vendo_cart_id": "cart_1"},
		SuccessURL: "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}", CancelURL: "http://shop.test/checkout/cancel", IdempotencyKey: "k1"})
	must("create payment session", err)
	if id == "" || url == "" {
		t.Fatal("session without id or url")
	}
	_, _, err = c.CreateCheckoutSession(ctx, stripeapi.CheckoutRequest{Mode: "subscription", Lines: []stripeapi.CheckoutLine{{PriceID: monthly, Quantity: 1}},
		ClientReferenceID: "cust_1", Customer: cust, Metadata: map[string]string{"vendo_customer_id": "cust_1"}, SubscriptionMetadata: map[string]string{"vendo_customer_id": "cust_1"},
		SuccessURL: "http://shop.test/account", CancelURL: "http://shop.test/plans", IdempotencyKey: "k2"})
	must("create subscription session", err)
	// With Stripe Tax, tax ids and an invoice for the payment.
	_, _, err = c.CreateCheckoutSession(ctx, stripeapi.CheckoutRequest{Mode: "payment",
		Lines:             []stripeapi.CheckoutLine{{PriceID: inclusive, Quantity: 1}, {StripeProductID: prod, UnitAmount: 750, Currency: "usd", Quantity: 1, TaxBehavior: stripeapi.TaxInclusive}},
		ClientReferenceID: "cart_2", CustomerEmail: "ada@example.com", AutomaticTax: true, TaxIDCollection: true,
		InvoiceCreation: true, InvoiceMetadata: map[string]string{"vendo_kind": "order"},
		SuccessURL: "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}", CancelURL: "http://shop.test/checkout/cancel", IdempotencyKey: "k3"})
	must("create a taxed payment session with an invoice", err)
	_, _, err = c.CreateCheckoutSession(ctx, stripeapi.CheckoutRequest{Mode: "subscription", Lines: []stripeapi.CheckoutLine{{PriceID: monthly, Quantity: 1}},
		Customer: cust, AutomaticTax: true, InvoiceCreation: true,
		SuccessURL: "http://shop.test/account", CancelURL: "http://shop.test/plans", IdempotencyKey: "k4"})
	must("create a taxed subscription session", err)
	sess, err := c.GetCheckoutSession(ctx, id)
	must("get session", err)
	cfg, err := c.EnsurePortalConfiguration(ctx, "", []stripeapi.PortalProduct{{ProductID: prod, PriceIDs: []string{monthly, yearly}}}, "http://shop.test/account")
	must("create portal configuration", err)
	_, err = c.EnsurePortalConfiguration(ctx, cfg, []stripeapi.PortalProduct{{ProductID: prod, PriceIDs: []string{monthly, yearly}}}, "http://shop.test/account")
	must("update portal configuration", err)
	_, err = c.CreatePortalSession(ctx, cust, cfg, "http://shop.test/account")
	must("create portal session", err)
	_, err = c.ListInvoices(ctx, cust, 10)
	must("list invoices", err)
	_, err = c.ListSubscriptionIDs(ctx)
	must("list subscriptions", err)
	_, err = c.ListCompletedSessionIDs(ctx, time.Now().Add(-time.Hour))
	must("list sessions", err)
	_, err = c.ListEvents(ctx, time.Now().Add(-time.Hour), func(stripeapi.Event) error { return nil })
	must("list events", err)
	_, err = c.ListRefundedPayments(ctx, time.Now().Add(-time.Hour))
	must("list refunds", err)
	_, err = c.ListDisputedPayments(ctx, time.Now().Add(-time.Hour))
	must("list disputes", err)
	must("deactivate price", c.DeactivatePrice(ctx, price))
	return sess
}

// TestClientAgainstStripeMock: stripe-mock validates every request the
// client makes against Stripe's OpenAPI spec.
func TestClientAgainstStripeMock(t *testing.T) {
	base := stripemock.Start(t)
	c := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_123", APIBase: base, Log: quiet})
	exercise(t, c)
	// Calls on objects the shop only meets through events: stripe-mock
	// answers any id with a fixture.
	ctx := context.Background()
	for what, call := range map[string]func() error{
		"get subscription":   func() error { _, err := c.GetSubscription(ctx, "sub_123"); return err },
		"get invoice":        func() error { _, err := c.GetInvoice(ctx, "in_123"); return err },
		"get charge":         func() error { _, err := c.GetCharge(ctx, "ch_123"); return err },
		"get payment":        func() error { _, err := c.GetPayment(ctx, "pi_123"); return err },
		"get dispute":        func() error { _, err := c.GetDispute(ctx, "dp_123"); return err },
		"get refund":         func() error { _, _, err := c.GetRefund(ctx, "re_123"); return err },
		"session of payment": func() error { _, err := c.SessionOfPayment(ctx, "pi_123"); return err },
		"refund part": func() error {
			_, err := c.CreateRefund(ctx, "pi_123", 500, "requested_by_customer", "ord_1-0-500")
			return err
		},
		"refund all":     func() error { _, err := c.CreateRefund(ctx, "pi_123", 0, "", "ord_1-500-0"); return err },
		"expire session": func() error { return c.ExpireCheckoutSession(ctx, "cs_123") },
	} {
		if err := call(); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
}

// TestClientAgainstSandbox: the sandbox accepts the same calls, and its
// answers fill what the shop reads.
func TestClientAgainstSandbox(t *testing.T) {
	base, key := startSandbox(t)
	sess := exercise(t, stripeapi.New(stripeapi.Config{SecretKey: key, APIBase: base, Log: quiet}))
	if sess.Mode != "payment" || sess.Status != "open" || sess.AmountTotal != 3150 || sess.Currency != "usd" || sess.ClientReferenceID != "cart_1" ||
		len(sess.Lines) != 2 || sess.Lines[0].Quantity != 2 || sess.Lines[0].StripeProductID == "" || sess.Lines[0].UnitAmount != 1200 ||
		sess.Lines[1].StripeProductID != sess.Lines[0].StripeProductID || sess.Lines[1].UnitAmount != 750 ||
		sess.Metadata["vendo_cart_id"] != "cart_1" || sess.Email != "ada@example.com" {
		t.Fatalf("session as the shop reads it: %+v", sess)
	}
	// A bad key is Stripe's 401, turned into a sentence for the merchant.
	bad := stripeapi.New(stripeapi.Config{SecretKey: "sk_live_nope", APIBase: base, Log: quiet})
	if _, err := bad.GetCustomer(context.Background(), "cus_x"); err == nil {
		t.Fatal("a wrong key was accepted")
	}
	if _, err := stripeapi.New(stripeapi.Config{SecretKey: key, APIBase: base, Log: quiet}).GetCharge(context.Background(), "ch_missing"); err == nil {
		t.Fatal("an unknown charge was found")
	}
}

// A renewal invoice that also carries a proration line for the old period
// pays for the period that reaches furthest (the shop refills on it).
func TestInvoicePeriodIsTheFurthestLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"in_1","object":"invoice","paid":true,"status":"paid","currency":"usd","period_start":100,"period_end":200,
			"subscription":"sub_1","billing_reason":"subscription_cycle","lines":{"object":"list","data":[
			{"id":"il_p","object":"line_item","proration":true,"period":{"start":150,"end":200}},
			{"id":"il_s","object":"line_item","period":{"start":200,"end":300}}]}}`)
	}))
	defer srv.Close()
	in, err := stripeapi.New(stripeapi.Config{SecretKey: "sk_test_x", APIBase: srv.URL, Log: quiet}).GetInvoice(context.Background(), "in_1")
	if err != nil {
		t.Fatal(err)
	}
	if in.PeriodStart.Unix() != 200 || in.PeriodEnd.Unix() != 300 || in.SubscriptionID != "sub_1" || !in.Paid {
		t.Fatalf("invoice: %+v", in)
	}
}

// TestCheckoutIdempotencyKeyCoversEveryParameter: the caller's key names
// the intent; the key sent also covers the parameters. A repeat is the
// same session, and the same intent sent with a customer instead of a
// customer_email (the buyer got a Stripe customer meanwhile) is a new
// session, where Stripe refused it before (a key reused with other
// parameters).
func TestCheckoutIdempotencyKeyCoversEveryParameter(t *testing.T) {
	base, key := startSandbox(t)
	c := stripeapi.New(stripeapi.Config{SecretKey: key, APIBase: base, Log: quiet})
	ctx := context.Background()
	prod, err := c.EnsureProduct(ctx, "", "prod_1", "Ebook")
	if err != nil {
		t.Fatal(err)
	}
	price, err := c.CreatePrice(ctx, prod, stripeapi.PriceSpec{Amount: 1200, Currency: "usd"}, "prod_1", "prod_1-1200-usd")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := c.CreateCustomer(ctx, "cust_1", "ada@example.com", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	req := func(customer, email string, meta map[string]string) stripeapi.CheckoutRequest {
		return stripeapi.CheckoutRequest{Mode: "payment", Lines: []stripeapi.CheckoutLine{{PriceID: price, Quantity: 1}}, ClientReferenceID: "cart_1",
			Customer: customer, CustomerEmail: email, Metadata: meta, SuccessURL: "http://shop.test/ok", CancelURL: "http://shop.test/no", IdempotencyKey: "vendo-checkout-cart_1"}
	}
	meta := func(keys ...string) map[string]string {
		m := map[string]string{}
		for _, k := range keys {
			m[k] = "v-" + k
		}
		return m
	}
	first, _, err := c.CreateCheckoutSession(ctx, req("", "ada@example.com", meta("vendo_cart_id", "vendo_customer_id", "vendo_kind")))
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := c.CreateCheckoutSession(ctx, req("", "ada@example.com", meta("vendo_kind", "vendo_customer_id", "vendo_cart_id")))
	if err != nil || again != first {
		t.Fatalf("the same request again: %s (%v), want the first session %s", again, err, first)
	}
	withCustomer, _, err := c.CreateCheckoutSession(ctx, req(cust, "ada@example.com", meta("vendo_cart_id", "vendo_customer_id", "vendo_kind")))
	if err != nil || withCustomer == first {
		t.Fatalf("the same cart for the Stripe customer: %s (%v), want a new session", withCustomer, err)
	}
}
