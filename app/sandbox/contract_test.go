package sandbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"vendo/app/stripemock"
)

// contractTarget is an API that takes Vendo's stripe-go calls: the
// sandbox, or stripe-mock (Stripe's own mock, which checks requests
// against Stripe's OpenAPI spec).
type contractTarget struct {
	api *client.API
	// pay completes a Checkout Session as a customer would (the sandbox's
	// hosted form); nil for stripe-mock, whose sessions stay open.
	pay func(t *testing.T, sessionID string)
	// strict is set for the sandbox: answers must carry the fields Vendo
	// reads, not only be accepted.
	strict bool
}

// runContract makes the calls Vendo makes (app/stripeapi), with the same
// parameter shapes, and checks each is accepted and decodes.
func runContract(t *testing.T, ct contractTarget) {
	api := ct.api
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	check := func(what string, ok bool) {
		t.Helper()
		if ct.strict && !ok {
			t.Errorf("%s", what)
		}
	}

	// Customers (stripeapi.CreateCustomer, GetCustomer).
	cp := &stripe.CustomerParams{Email: stripe.String("ada@example.com"), Name: stripe.String("Ada")}
	cp.AddMetadata("vendo_customer_id", "c1")
	cp.SetIdempotencyKey("contract-customer-" + time.Now().Format(time.RFC3339Nano))
	cu, err := api.Customers.New(cp)
	must("create customer", err)
	check("customer email", cu.Email == "ada@example.com" && cu.Metadata["vendo_customer_id"] == "c1")
	got, err := api.Customers.Get(cu.ID, &stripe.CustomerParams{})
	must("retrieve customer", err)
	check("retrieved customer", got.ID == cu.ID && got.Name == "Ada")
	it := api.Customers.List(&stripe.CustomerListParams{Email: stripe.String("ada@example.com")})
	n := 0
	for it.Next() {
		n++
	}
	must("list customers by email", it.Err())
	check("list customers by email finds one", n == 1)

	// Catalog (EnsureProduct, CreatePrice, DeactivatePrice).
	pp := &stripe.ProductParams{Name: stripe.String("Type Specimen Poster")}
	pp.AddMetadata("vendo_id", "p1")
	pp.SetIdempotencyKey("vendo-product-p1-" + time.Now().Format(time.RFC3339Nano))
	prod, err := api.Products.New(pp)
	must("create product", err)
	plan, err := api.Products.New(&stripe.ProductParams{Name: stripe.String("Pro plan")})
	must("create plan product", err)
	newPrice := func(productID string, amount int64, interval string) *stripe.Price {
		t.Helper()
		p := &stripe.PriceParams{Product: stripe.String(productID), UnitAmount: stripe.Int64(amount), Currency: stripe.String("usd")}
		if interval != "" {
			p.Recurring = &stripe.PriceRecurringParams{Interval: stripe.String(interval)}
		}
		p.AddMetadata("vendo_id", "x")
		p.SetIdempotencyKey("vendo-price-" + productID + interval + time.Now().Format(time.RFC3339Nano))
		pr, err := api.Prices.New(p)
		must("create price "+interval, err)
		return pr
	}
	poster := newPrice(prod.ID, 1500, "")
	font := newPrice(prod.ID, 2500, "")
	monthly := newPrice(plan.ID, 900, "month")
	yearly := newPrice(plan.ID, 9000, "year")
	check("one-time price", poster.UnitAmount == 1500 && poster.Currency == "usd" && poster.Recurring == nil && poster.Type == stripe.PriceTypeOneTime)
	check("monthly price", monthly.Recurring != nil && monthly.Recurring.Interval == "month" && monthly.Type == stripe.PriceTypeRecurring)
	old := newPrice(prod.ID, 1200, "")
	deact, err := api.Prices.Update(old.ID, &stripe.PriceParams{Active: stripe.Bool(false)})
	must("deactivate price", err)
	check("price deactivated", !deact.Active)
	pl := api.Prices.List(&stripe.PriceListParams{Product: stripe.String(prod.ID), Active: stripe.Bool(true)})
	n = 0
	for pl.Next() {
		n++
	}
	must("list prices", pl.Err())
	check("two active prices on the product", n == 2)

	// One-time Checkout (CreateCheckoutSession, payment mode).
	sp := &stripe.CheckoutSessionParams{
		Mode:              stripe.String("payment"),
		SuccessURL:        stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CancelURL:         stripe.String("http://shop.test/checkout/cancel"),
		ClientReferenceID: stripe.String("cart_1"),
		CustomerEmail:     stripe.String("grace@example.com"),
		CustomerCreation:  stripe.String("always"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{
			{Price: stripe.String(poster.ID), Quantity: stripe.Int64(2)},
			{Price: stripe.String(font.ID), Quantity: stripe.Int64(1)},
		},
		PaymentIntentData:   &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: map[string]string{"vendo_cart": "cart_1"}},
		AllowPromotionCodes: stripe.Bool(false),
		ExpiresAt:           stripe.Int64(time.Now().Add(2 * time.Hour).Unix()),
	}
	sp.AddMetadata("vendo_cart", "cart_1")
	sp.SetIdempotencyKey("vendo-checkout-cart_1-" + time.Now().Format(time.RFC3339Nano))
	sess, err := api.CheckoutSessions.New(sp)
	must("create payment session", err)
	check("payment session open with a URL", sess.Status == "open" && sess.URL != "" && sess.AmountTotal == 5500 && sess.Mode == "payment")

	// A second session to expire (ExpireCheckoutSession).
	sp2 := *sp
	sp2.Params = stripe.Params{}
	sp2.ClientReferenceID = stripe.String("cart_2")
	other, err := api.CheckoutSessions.New(&sp2)
	must("create second payment session", err)
	expired, err := api.CheckoutSessions.Expire(other.ID, &stripe.CheckoutSessionExpireParams{})
	must("expire session", err)
	check("expired", expired.Status == "expired")

	if ct.pay != nil {
		ct.pay(t, sess.ID)
	}
	gp := &stripe.CheckoutSessionParams{}
	gp.AddExpand("line_items")
	full, err := api.CheckoutSessions.Get(sess.ID, gp)
	must("retrieve session with line_items", err)
	check("session paid", full.Status == "complete" && full.PaymentStatus == "paid")
	check("session customer and details", full.Customer != nil && full.Customer.ID != "" && full.CustomerDetails != nil && full.CustomerDetails.Email == "ada@example.com")
	check("session metadata and reference", full.Metadata["vendo_cart"] == "cart_1" && full.ClientReferenceID == "cart_1")
	check("session payment intent", full.PaymentIntent != nil && full.PaymentIntent.ID != "")
	check("session amounts", full.AmountSubtotal == 5500 && full.AmountTotal == 5500 && full.Currency == "usd")
	check("expanded line items", full.LineItems != nil && len(full.LineItems.Data) == 2)
	if ct.strict && full.LineItems != nil && len(full.LineItems.Data) == 2 {
		li := full.LineItems.Data[0]
		check("line item fields", li.Price != nil && li.Price.ID == poster.ID && li.Price.Product != nil && li.Price.Product.ID == prod.ID &&
			li.Quantity == 2 && li.AmountTotal == 3000 && li.Description == "Type Specimen Poster" && li.Price.UnitAmount == 1500)
	}
	lp := &stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(sess.ID)}
	lp.Limit = stripe.Int64(100)
	lit := api.CheckoutSessions.ListLineItems(lp)
	n = 0
	for lit.Next() {
		n++
	}
	must("list line items", lit.Err())
	check("two line items listed", n == 2)
	sl := api.CheckoutSessions.List(&stripe.CheckoutSessionListParams{Status: stripe.String("complete"), CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: time.Now().Add(-time.Hour).Unix()}})
	n = 0
	for sl.Next() {
		n++
	}
	must("list completed sessions", sl.Err())
	check("one completed session", n == 1)

	// Payment intent and charge (GetCharge with refunds expanded).
	piID := "pi_123"
	if full.PaymentIntent != nil && full.PaymentIntent.ID != "" {
		piID = full.PaymentIntent.ID
	}
	pip := &stripe.PaymentIntentParams{}
	pip.AddExpand("latest_charge")
	pi, err := api.PaymentIntents.Get(piID, pip)
	must("retrieve payment intent", err)
	check("payment intent succeeded with charge", pi.Status == "succeeded" && pi.Amount == 5500 && pi.LatestCharge != nil && pi.LatestCharge.Amount == 5500 && pi.Metadata["vendo_cart"] == "cart_1")
	chID := "ch_123"
	if pi.LatestCharge != nil && pi.LatestCharge.ID != "" {
		chID = pi.LatestCharge.ID
	}

	// Refunds (CreateRefund by payment intent; a partial one by charge).
	rp := &stripe.RefundParams{Charge: stripe.String(chID), Amount: stripe.Int64(500), Reason: stripe.String("requested_by_customer")}
	rp.AddMetadata("vendo_order", "o1")
	rp.SetIdempotencyKey("vendo-refund-partial-" + time.Now().Format(time.RFC3339Nano))
	partial, err := api.Refunds.New(rp)
	must("partial refund", err)
	check("partial refund", partial.Amount == 500 && partial.Status == "succeeded")
	rp2 := &stripe.RefundParams{PaymentIntent: stripe.String(piID)}
	rp2.SetIdempotencyKey("vendo-refund-rest-" + time.Now().Format(time.RFC3339Nano))
	rest, err := api.Refunds.New(rp2)
	must("refund the rest", err)
	check("rest refunded", rest.Amount == 5000)
	_, err = api.Refunds.Get(rest.ID, &stripe.RefundParams{})
	must("retrieve refund", err)
	rl := api.Refunds.List(&stripe.RefundListParams{Charge: stripe.String(chID)})
	for rl.Next() {
	}
	must("list refunds", rl.Err())
	chp := &stripe.ChargeParams{}
	chp.AddExpand("refunds")
	ch, err := api.Charges.Get(chID, chp)
	must("retrieve charge with refunds", err)
	check("charge fully refunded", ch.Refunded && ch.AmountRefunded == 5500 && ch.Refunds != nil && len(ch.Refunds.Data) == 2)
	check("charge card details", ch.PaymentMethodDetails != nil && ch.PaymentMethodDetails.Card != nil && ch.PaymentMethodDetails.Card.Last4 == "4242" &&
		ch.BillingDetails != nil && ch.BillingDetails.Email == "ada@example.com")

	// Subscription Checkout for a known customer.
	ssp := &stripe.CheckoutSessionParams{
		Mode:             stripe.String("subscription"),
		SuccessURL:       stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CancelURL:        stripe.String("http://shop.test/plans"),
		Customer:         stripe.String(cu.ID),
		LineItems:        []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(monthly.ID), Quantity: stripe.Int64(1)}},
		SubscriptionData: &stripe.CheckoutSessionSubscriptionDataParams{Metadata: map[string]string{"vendo_plan": "pro"}},
	}
	ssp.AddMetadata("vendo_plan", "pro")
	subSess, err := api.CheckoutSessions.New(ssp)
	must("create subscription session", err)
	if ct.pay != nil {
		ct.pay(t, subSess.ID)
	}
	gsp := &stripe.CheckoutSessionParams{}
	gsp.AddExpand("subscription")
	gsp.AddExpand("line_items.data.price.product")
	subSess, err = api.CheckoutSessions.Get(subSess.ID, gsp)
	must("retrieve subscription session", err)
	subID := "sub_123"
	if subSess.Subscription != nil && subSess.Subscription.ID != "" {
		subID = subSess.Subscription.ID
	}
	check("subscription session complete", subSess.Status == "complete" && subSess.Subscription != nil && subSess.Subscription.Status == "active")
	check("deep expansion", subSess.LineItems != nil && len(subSess.LineItems.Data) == 1 && subSess.LineItems.Data[0].Price.Product.Name == "Pro plan")

	subp := &stripe.SubscriptionParams{}
	subp.AddExpand("latest_invoice")
	sub, err := api.Subscriptions.Get(subID, subp)
	must("retrieve subscription", err)
	check("subscription fields", sub.Status == "active" && sub.Metadata["vendo_plan"] == "pro" && sub.CurrentPeriodEnd > sub.CurrentPeriodStart &&
		sub.Customer != nil && sub.Customer.ID == cu.ID && sub.Items != nil && len(sub.Items.Data) == 1 && sub.Items.Data[0].Price.ID == monthly.ID)
	check("latest invoice paid", sub.LatestInvoice != nil && sub.LatestInvoice.Paid && sub.LatestInvoice.BillingReason == "subscription_create")
	itemID := "si_123"
	if sub.Items != nil && len(sub.Items.Data) > 0 {
		itemID = sub.Items.Data[0].ID
	}

	// Portal (EnsurePortalConfiguration, CreatePortalSession).
	upd := &stripe.BillingPortalConfigurationFeaturesSubscriptionUpdateParams{
		Enabled:               stripe.Bool(true),
		DefaultAllowedUpdates: []*string{stripe.String("price")},
		ProrationBehavior:     stripe.String("create_prorations"),
		Products: []*stripe.BillingPortalConfigurationFeaturesSubscriptionUpdateProductParams{
			{Product: stripe.String(plan.ID), Prices: stripe.StringSlice([]string{monthly.ID, yearly.ID})}},
	}
	features := &stripe.BillingPortalConfigurationFeaturesParams{
		InvoiceHistory:      &stripe.BillingPortalConfigurationFeaturesInvoiceHistoryParams{Enabled: stripe.Bool(true)},
		PaymentMethodUpdate: &stripe.BillingPortalConfigurationFeaturesPaymentMethodUpdateParams{Enabled: stripe.Bool(true)},
		SubscriptionCancel: &stripe.BillingPortalConfigurationFeaturesSubscriptionCancelParams{
			Enabled: stripe.Bool(true), Mode: stripe.String("at_period_end"), ProrationBehavior: stripe.String("none")},
		SubscriptionUpdate: upd,
	}
	bpc := &stripe.BillingPortalConfigurationParams{Features: features, DefaultReturnURL: stripe.String("http://shop.test/account"),
		BusinessProfile: &stripe.BillingPortalConfigurationBusinessProfileParams{}}
	cfg, err := api.BillingPortalConfigurations.New(bpc)
	must("create portal configuration", err)
	check("portal configuration", cfg.Features != nil && cfg.Features.SubscriptionUpdate != nil && len(cfg.Features.SubscriptionUpdate.Products) == 1 &&
		len(cfg.Features.SubscriptionUpdate.Products[0].Prices) == 2)
	bpc2 := &stripe.BillingPortalConfigurationParams{Features: features, DefaultReturnURL: stripe.String("http://shop.test/account")}
	_, err = api.BillingPortalConfigurations.Update(cfg.ID, bpc2)
	must("update portal configuration", err)
	ps, err := api.BillingPortalSessions.New(&stripe.BillingPortalSessionParams{Customer: stripe.String(cu.ID), ReturnURL: stripe.String("http://shop.test/account"), Configuration: stripe.String(cfg.ID)})
	must("create portal session", err)
	check("portal url", ps.URL != "")

	// Subscription changes.
	sup := &stripe.SubscriptionParams{
		Items:             []*stripe.SubscriptionItemsParams{{ID: stripe.String(itemID), Price: stripe.String(yearly.ID)}},
		ProrationBehavior: stripe.String("create_prorations"),
	}
	switched, err := api.Subscriptions.Update(subID, sup)
	must("switch price", err)
	check("switched to yearly", switched.Items != nil && len(switched.Items.Data) == 1 && switched.Items.Data[0].Price.ID == yearly.ID)
	cancelLater, err := api.Subscriptions.Update(subID, &stripe.SubscriptionParams{CancelAtPeriodEnd: stripe.Bool(true)})
	must("cancel at period end", err)
	check("cancel_at_period_end", cancelLater.CancelAtPeriodEnd && cancelLater.Status == "active")
	sul := api.Subscriptions.List(&stripe.SubscriptionListParams{Status: stripe.String("all"), Customer: stripe.String(cu.ID)})
	n = 0
	for sul.Next() {
		n++
	}
	must("list subscriptions", sul.Err())
	check("one subscription", n == 1)

	ilp := &stripe.InvoiceListParams{Customer: stripe.String(cu.ID)}
	ilp.Limit = stripe.Int64(10)
	ilp.Single = true
	il := api.Invoices.List(ilp)
	var invoices []*stripe.Invoice
	for il.Next() {
		invoices = append(invoices, il.Invoice())
	}
	must("list invoices", il.Err())
	check("two invoices, newest first", len(invoices) == 2 && invoices[0].BillingReason == "subscription_update" && invoices[1].BillingReason == "subscription_create")
	invID := "in_123"
	if len(invoices) > 0 {
		invID = invoices[len(invoices)-1].ID
	}
	inv, err := api.Invoices.Get(invID, &stripe.InvoiceParams{})
	must("retrieve invoice", err)
	check("invoice fields", inv.Number != "" && inv.Status == "paid" && inv.Paid && inv.AmountPaid == 900 && inv.AmountDue == 900 && inv.Currency == "usd" &&
		inv.Subscription != nil && inv.Subscription.ID == subID && inv.HostedInvoiceURL != "" && inv.InvoicePDF != "" && inv.Charge != nil && inv.PaymentIntent != nil &&
		inv.Lines != nil && len(inv.Lines.Data) == 1 && inv.Lines.Data[0].Period != nil && inv.Lines.Data[0].Period.End > inv.Lines.Data[0].Period.Start)

	canceled, err := api.Subscriptions.Cancel(subID, &stripe.SubscriptionCancelParams{})
	must("cancel subscription", err)
	check("canceled", canceled.Status == "canceled" && canceled.EndedAt > 0 && canceled.CanceledAt > 0)

	// Events (ListEvents, used by reconciliation).
	ep := &stripe.EventListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: time.Now().Add(-time.Hour).Unix()}}
	ep.Limit = stripe.Int64(100)
	el := api.Events.List(ep)
	var events []*stripe.Event
	for el.Next() {
		events = append(events, el.Event())
	}
	must("list events", el.Err())
	check("events listed", len(events) > 20)
	if len(events) > 0 {
		ev, err := api.Events.Get(events[0].ID, &stripe.EventParams{})
		must("retrieve event", err)
		check("event fields", ev.APIVersion == stripe.APIVersion && ev.Data != nil && ev.Data.Object["id"] != nil)
	}
	tl := api.Events.List(&stripe.EventListParams{Types: stripe.StringSlice([]string{"customer.subscription.deleted"})})
	n = 0
	for tl.Next() {
		n++
	}
	must("list events by types", tl.Err())
	check("one subscription.deleted event", n == 1)
}

func TestContractSandbox(t *testing.T) {
	e := newEnv(t)
	runContract(t, contractTarget{api: e.api, strict: true, pay: func(t *testing.T, id string) {
		resp, body := e.postForm(mountPath+"/checkout/"+id, cardValues("4242 4242 4242 4242"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("pay %s: status %d: %s", id, resp.StatusCode, body)
		}
	}})
}

func TestContractStripeMock(t *testing.T) {
	base := stripemock.Start(t)
	runContract(t, contractTarget{api: newClient(base, "sk_test_123")})
}
