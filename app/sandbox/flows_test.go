package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
)

func TestOneTimeCheckoutPaidWithTestCard(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s := e.paymentSession(c)
	if !strings.HasPrefix(s.ID, "cs_test_") || s.URL != e.base+"/sandbox/stripe/checkout/"+s.ID {
		t.Fatalf("session id %q url %q", s.ID, s.URL)
	}

	resp, page := e.get(s.URL)
	for _, want := range []string{"Sandbox — no real payments", "Type Specimen Poster", "$55.00", `value="ada@example.com"`, `action="/sandbox/stripe/checkout/` + s.ID + `"`, `href="http://shop.test/cart"`} {
		if !strings.Contains(page, want) {
			t.Errorf("checkout page lacks %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK || strings.Contains(page, "<script") {
		t.Errorf("checkout page: status %d, script present %v", resp.StatusCode, strings.Contains(page, "<script"))
	}

	resp, _ = e.postForm(s.URL, cardValues("4242 4242 4242 4242"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://shop.test/checkout/success?session_id="+s.ID {
		t.Fatalf("pay: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	evs := e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
	done := evs[len(evs)-1]
	if done.APIVersion != stripe.APIVersion || done.Livemode || done.Data.Object["id"] != s.ID || done.Data.Object["status"] != "complete" ||
		done.Data.Object["payment_status"] != "paid" || done.Data.Object["client_reference_id"] != "cart_9" {
		t.Errorf("checkout.session.completed payload: %+v", done.Data.Object)
	}
	if md, _ := done.Data.Object["metadata"].(map[string]any); md["vendo_cart"] != "cart_9" {
		t.Errorf("session metadata in event: %v", done.Data.Object["metadata"])
	}
	if ch := evs[3].Data.Object; ch["amount"] != float64(5500) || ch["status"] != "succeeded" {
		t.Errorf("charge.succeeded payload: %v", ch)
	}

	p := &stripe.CheckoutSessionParams{}
	p.AddExpand("payment_intent.latest_charge")
	p.AddExpand("customer")
	got, err := e.api.CheckoutSessions.Get(s.ID, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Customer == nil || got.Customer.Email != "ada@example.com" || got.CustomerDetails.Name != "Ada Lovelace" {
		t.Errorf("customer: %+v details %+v", got.Customer, got.CustomerDetails)
	}
	pi := got.PaymentIntent
	if pi == nil || pi.Status != "succeeded" || pi.Amount != 5500 || pi.Metadata["vendo_cart"] != "cart_9" || pi.LatestCharge == nil ||
		pi.LatestCharge.PaymentMethodDetails.Card.Brand != "visa" || pi.LatestCharge.PaymentMethodDetails.Card.Last4 != "4242" {
		t.Errorf("payment intent: %+v", pi)
	}

	resp, page = e.get(s.URL)
	if resp.StatusCode != http.StatusGone || !strings.Contains(page, "already paid") {
		t.Errorf("completed session page: %d", resp.StatusCode)
	}
	resp, _ = e.postForm(s.URL, cardValues("4242424242424242"))
	if resp.StatusCode != http.StatusGone {
		t.Errorf("paying twice: %d", resp.StatusCode)
	}
	e.expect()
}

func TestDeclinedCardsCreateNoCharge(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s := e.paymentSession(c)
	for _, tc := range []struct {
		number, want string
		status       int
	}{
		{"4000 0000 0000 0002", "Your card was declined.", http.StatusPaymentRequired},
		{"4000000000009995", "Your card has insufficient funds.", http.StatusPaymentRequired},
		{"4111 1111 1111 1111", "use a Stripe test card", http.StatusUnprocessableEntity},
		{"4242 4242 4242 4241", "Your card number is invalid.", http.StatusUnprocessableEntity},
	} {
		resp, page := e.postForm(s.URL, cardValues(tc.number))
		if resp.StatusCode != tc.status || !strings.Contains(page, tc.want) {
			t.Errorf("%s: status %d, page has %q: %v", tc.number, resp.StatusCode, tc.want, strings.Contains(page, tc.want))
		}
	}
	bad := cardValues("4242424242424242")
	bad.Set("exp", "13/30")
	bad.Set("cvc", "1")
	resp, page := e.postForm(s.URL, bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "expiration date is incomplete") || !strings.Contains(page, "security code is incomplete") {
		t.Errorf("bad expiry and cvc: %d", resp.StatusCode)
	}
	past := cardValues("4242424242424242")
	past.Set("exp", "01/20")
	if resp, page := e.postForm(s.URL, past); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "in the past") {
		t.Errorf("expired card date: %d", resp.StatusCode)
	}

	got, err := e.api.CheckoutSessions.Get(s.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "open" || got.PaymentStatus != "unpaid" || got.PaymentIntent != nil {
		t.Errorf("after declines: %s/%s", got.Status, got.PaymentStatus)
	}
	it := e.api.Charges.List(&stripe.ChargeListParams{})
	for it.Next() {
		t.Errorf("a decline created charge %s", it.Charge().ID)
	}
	e.expect() // no events

	// The same session still takes a good card.
	if resp, _ := e.postForm(s.URL, cardValues("4242424242424242")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good card after declines: %d", resp.StatusCode)
	}
	e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
}

func TestSubscriptionCheckout(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	start := time.Now()
	sub := e.subscribe(c.monthly, "4242424242424242")
	if sub.Status != "active" || sub.Metadata["vendo_plan"] != "pro" {
		t.Fatalf("subscription: %s %v", sub.Status, sub.Metadata)
	}
	if d := time.Unix(sub.CurrentPeriodStart, 0).Sub(start); d < -2*time.Second || d > 5*time.Second {
		t.Errorf("period starts %v from now", d)
	}
	want := time.Unix(sub.CurrentPeriodStart, 0).UTC().AddDate(0, 1, 0)
	if end := time.Unix(sub.CurrentPeriodEnd, 0).UTC(); end.Sub(want).Abs() > 4*24*time.Hour {
		t.Errorf("period end %v, want about %v", end, want)
	}
	got := e.sub(sub.ID)
	inv := got.LatestInvoice
	if inv == nil || !inv.Paid || inv.Status != "paid" || inv.BillingReason != "subscription_create" || inv.AmountPaid != 1200 ||
		inv.Number == "" || inv.Charge == nil || inv.HostedInvoiceURL == "" || len(inv.Lines.Data) != 1 ||
		inv.Lines.Data[0].Period.End != sub.CurrentPeriodEnd {
		t.Fatalf("first invoice: %+v", inv)
	}
	// The hosted invoice page shows it.
	resp, page := e.get(inv.HostedInvoiceURL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, inv.Number) || !strings.Contains(page, "$12.00") || !strings.Contains(page, "1 × Pro") {
		t.Errorf("hosted invoice page: %d", resp.StatusCode)
	}
	if resp, _ := e.get(inv.InvoicePDF); resp.StatusCode != http.StatusOK {
		t.Errorf("invoice pdf: %d", resp.StatusCode)
	}
}

// portal creates a portal configuration offering both plans' prices and
// a session for customer, returning the session's URL.
func (e *env) portal(c catalog, customer string) string {
	e.t.Helper()
	cfg, err := e.api.BillingPortalConfigurations.New(&stripe.BillingPortalConfigurationParams{
		DefaultReturnURL: stripe.String("http://shop.test/account"),
		Features: &stripe.BillingPortalConfigurationFeaturesParams{
			InvoiceHistory:      &stripe.BillingPortalConfigurationFeaturesInvoiceHistoryParams{Enabled: stripe.Bool(true)},
			PaymentMethodUpdate: &stripe.BillingPortalConfigurationFeaturesPaymentMethodUpdateParams{Enabled: stripe.Bool(true)},
			SubscriptionCancel: &stripe.BillingPortalConfigurationFeaturesSubscriptionCancelParams{
				Enabled: stripe.Bool(true), Mode: stripe.String("at_period_end")},
			SubscriptionUpdate: &stripe.BillingPortalConfigurationFeaturesSubscriptionUpdateParams{
				Enabled: stripe.Bool(true), DefaultAllowedUpdates: stripe.StringSlice([]string{"price"}), ProrationBehavior: stripe.String("create_prorations"),
				Products: []*stripe.BillingPortalConfigurationFeaturesSubscriptionUpdateProductParams{
					{Product: stripe.String(c.plan.ID), Prices: stripe.StringSlice([]string{c.monthly.ID, c.yearly.ID})},
					{Product: stripe.String(c.plan2.ID), Prices: stripe.StringSlice([]string{c.basicMonthly.ID})},
				}},
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ps, err := e.api.BillingPortalSessions.New(&stripe.BillingPortalSessionParams{Customer: stripe.String(customer), ReturnURL: stripe.String("http://shop.test/account")})
	if err != nil {
		e.t.Fatal(err)
	}
	if ps.Configuration == nil || ps.Configuration.ID != cfg.ID {
		e.t.Fatalf("portal session without the default configuration: %+v", ps.Configuration)
	}
	e.expect("billing_portal.configuration.created")
	return ps.URL
}

func TestPortalSwitchPlan(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	sub := e.subscribe(c.monthly, "4242424242424242")
	portal := e.portal(c, sub.Customer.ID)

	resp, page := e.get(portal)
	for _, want := range []string{"Sandbox — no real payments", "Pro", "$12.00", "Basic", "$120.00", "Switch", "Cancel plan", "•••• 4242", `href="http://shop.test/account"`, "Return to shop"} {
		if !strings.Contains(page, want) {
			t.Errorf("portal page lacks %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("portal: %d", resp.StatusCode)
	}

	// Switch to yearly: a new period starts, billed at once less the
	// unused month.
	resp, _ = e.postForm(portal+"/switch", url.Values{"subscription": {sub.ID}, "price": {c.yearly.ID}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?done=switched") {
		t.Fatalf("switch: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	evs := e.expect("invoice.created", "invoice.finalized", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
		"invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated")
	upd := evs[len(evs)-1]
	if _, ok := upd.Data.PreviousAttributes["items"]; !ok {
		t.Errorf("previous_attributes lacks items: %v", upd.Data.PreviousAttributes)
	}
	if _, ok := upd.Data.PreviousAttributes["current_period_end"]; !ok {
		t.Errorf("previous_attributes lacks current_period_end: %v", upd.Data.PreviousAttributes)
	}
	got := e.sub(sub.ID)
	if got.Items.Data[0].Price.ID != c.yearly.ID || got.Status != "active" {
		t.Fatalf("after switch: %s %s", got.Items.Data[0].Price.ID, got.Status)
	}
	inv := got.LatestInvoice
	if inv.BillingReason != "subscription_update" || !inv.Paid || inv.AmountPaid < 12000-1200 || inv.AmountPaid > 12000-1200+2 {
		t.Errorf("proration invoice: reason %s paid %v amount %d", inv.BillingReason, inv.Paid, inv.AmountPaid)
	}
	if time.Unix(got.CurrentPeriodEnd, 0).Sub(time.Unix(got.CurrentPeriodStart, 0)) < 360*24*time.Hour {
		t.Errorf("yearly period too short: %d..%d", got.CurrentPeriodStart, got.CurrentPeriodEnd)
	}

	// Downgrade to Basic monthly: the unused year becomes credit, so the
	// invoice is paid from the balance with no charge.
	resp, _ = e.postForm(portal+"/switch", url.Values{"subscription": {sub.ID}, "price": {c.basicMonthly.ID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("downgrade: %d", resp.StatusCode)
	}
	e.expect("invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated")
	cu, err := e.api.Customers.Get(sub.Customer.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cu.Balance >= 0 {
		t.Errorf("downgrade left no credit: balance %d", cu.Balance)
	}
	// A price the configuration does not offer is refused.
	resp, page = e.postForm(portal+"/switch", url.Values{"subscription": {sub.ID}, "price": {c.poster.ID}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "not offered") {
		t.Errorf("switch to an unoffered price: %d", resp.StatusCode)
	}
	e.expect()
}

func TestCancelAtPeriodEndThenClockEndsIt(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	sub := e.subscribe(c.monthly, "4242424242424242")
	portal := e.portal(c, sub.Customer.ID)

	if resp, _ := e.postForm(portal+"/cancel", url.Values{"subscription": {sub.ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	upd := e.expect("customer.subscription.updated")[0]
	if upd.Data.Object["cancel_at_period_end"] != true || upd.Data.PreviousAttributes["cancel_at_period_end"] != false {
		t.Errorf("cancel event: %v / %v", upd.Data.Object["cancel_at_period_end"], upd.Data.PreviousAttributes)
	}
	if _, page := e.get(portal); !strings.Contains(page, "will be canceled on") || !strings.Contains(page, "Renew plan") {
		t.Error("portal does not show the pending cancellation")
	}
	// Resume, then cancel again.
	if resp, _ := e.postForm(portal+"/resume", url.Values{"subscription": {sub.ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume: %d", resp.StatusCode)
	}
	if e.expect("customer.subscription.updated")[0].Data.Object["cancel_at_period_end"] != false {
		t.Error("resume did not clear cancel_at_period_end")
	}
	_, err := e.api.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{CancelAtPeriodEnd: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	e.expect("customer.subscription.updated")

	e.advance("20d")
	e.expect() // still inside the period
	if got := e.sub(sub.ID); got.Status != "active" {
		t.Fatalf("status before period end: %s", got.Status)
	}
	e.advance("15d")
	del := e.expect("customer.subscription.deleted")[0]
	if del.Request == nil || del.Request.ID != "" {
		t.Errorf("automatic event should have a null request id: %+v", del.Request)
	}
	got := e.sub(sub.ID)
	if got.Status != "canceled" || got.EndedAt != sub.CurrentPeriodEnd || got.CanceledAt == 0 {
		t.Errorf("after period end: %s ended %d (period end %d)", got.Status, got.EndedAt, sub.CurrentPeriodEnd)
	}
	if del.Created != sub.CurrentPeriodEnd {
		t.Errorf("deleted event at %d, want the period end %d", del.Created, sub.CurrentPeriodEnd)
	}
	// A canceled subscription is gone from the default list.
	it := e.api.Subscriptions.List(&stripe.SubscriptionListParams{Customer: stripe.String(sub.Customer.ID)})
	for it.Next() {
		t.Errorf("default list shows canceled %s", it.Subscription().ID)
	}
	e.advance("40d")
	e.expect()
}

func TestRenewalsByClock(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	sub := e.subscribe(c.monthly, "4242424242424242")
	renewal := []string{"invoice.created", "invoice.finalized", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
		"invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated"}

	e.advance("31d")
	evs := e.expect(renewal...)
	upd := evs[len(evs)-1]
	if upd.Data.PreviousAttributes["current_period_end"] != float64(sub.CurrentPeriodEnd) {
		t.Errorf("previous period end %v, want %d", upd.Data.PreviousAttributes["current_period_end"], sub.CurrentPeriodEnd)
	}
	got := e.sub(sub.ID)
	if got.CurrentPeriodStart != sub.CurrentPeriodEnd || got.Status != "active" {
		t.Fatalf("renewed period starts %d, want %d", got.CurrentPeriodStart, sub.CurrentPeriodEnd)
	}
	inv := got.LatestInvoice
	if inv.BillingReason != "subscription_cycle" || !inv.Paid || inv.Lines.Data[0].Period.Start != got.CurrentPeriodStart ||
		inv.Lines.Data[0].Period.End != got.CurrentPeriodEnd || inv.Created != sub.CurrentPeriodEnd {
		t.Errorf("renewal invoice: %+v", inv)
	}

	// Sixty-five more days pass two period ends: two renewals, in order.
	e.advance("65d")
	evs = e.expect(append(append([]string{}, renewal...), renewal...)...)
	if evs[0].Created >= evs[len(evs)-1].Created {
		t.Errorf("renewals not in time order: %d then %d", evs[0].Created, evs[len(evs)-1].Created)
	}
	il := e.api.Invoices.List(&stripe.InvoiceListParams{Subscription: stripe.String(sub.ID)})
	n := 0
	for il.Next() {
		n++
	}
	if n != 4 {
		t.Errorf("%d invoices, want 4", n)
	}
	// The portal lists them.
	portal := e.portal(c, sub.Customer.ID)
	if _, page := e.get(portal); strings.Count(page, "/sandbox/stripe/invoices/in_") != 4 {
		t.Errorf("portal invoice history has %d links", strings.Count(page, "/sandbox/stripe/invoices/in_"))
	}
}

func TestRenewalFailsWith0341ThenCanceled(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	sub := e.subscribe(c.monthly, "4000 0000 0000 0341")
	failed := []string{"invoice.created", "invoice.finalized", "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
		"invoice.payment_failed", "customer.subscription.updated"}

	e.advance("31d")
	evs := e.expect(failed...)
	if evs[len(evs)-1].Data.Object["status"] != "past_due" || evs[len(evs)-1].Data.PreviousAttributes["status"] != "active" {
		t.Errorf("subscription.updated: %v prev %v", evs[len(evs)-1].Data.Object["status"], evs[len(evs)-1].Data.PreviousAttributes)
	}
	got := e.sub(sub.ID)
	if got.Status != "past_due" || got.LatestInvoice.Status != "open" || got.LatestInvoice.AttemptCount != 1 || got.LatestInvoice.NextPaymentAttempt != sub.CurrentPeriodEnd+3*86400 {
		t.Fatalf("after failed renewal: %s, invoice %s attempts %d next %d", got.Status, got.LatestInvoice.Status, got.LatestInvoice.AttemptCount, got.LatestInvoice.NextPaymentAttempt)
	}
	e.advance("3d")
	e.expect("charge.failed", "payment_intent.payment_failed", "invoice.payment_failed")
	e.advance("5d")
	evs = e.expect("charge.failed", "payment_intent.payment_failed", "invoice.payment_failed", "customer.subscription.deleted")
	if del := evs[3].Data.Object; del["status"] != "canceled" {
		t.Errorf("deleted payload: %v", del["status"])
	}
	if got := e.sub(sub.ID); got.Status != "canceled" || got.CancellationDetails.Reason != "payment_failed" {
		t.Errorf("after the last retry: %s %+v", got.Status, got.CancellationDetails)
	}
}

func TestPastDueRecoversWhenCardUpdated(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	sub := e.subscribe(c.monthly, "4000000000000341")
	e.advance("31d")
	e.expect("invoice.created", "invoice.finalized", "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
		"invoice.payment_failed", "customer.subscription.updated")
	portal := e.portal(c, sub.Customer.ID)
	if _, page := e.get(portal); !strings.Contains(page, "Past due") && !strings.Contains(page, "past due") {
		t.Error("portal does not show past due")
	}
	// A declined card is refused on the card page.
	resp, page := e.postForm(portal+"/card", url.Values{"card_number": {"4000000000000002"}, "exp": {"12/34"}, "cvc": {"123"}})
	if resp.StatusCode != http.StatusPaymentRequired || !strings.Contains(page, "Your card was declined.") {
		t.Errorf("declined card update: %d", resp.StatusCode)
	}
	e.expect()
	resp, _ = e.postForm(portal+"/card", url.Values{"card_number": {"4242424242424242"}, "exp": {"12/34"}, "cvc": {"123"}, "name": {"Ada"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("card update: %d", resp.StatusCode)
	}
	e.expect("payment_method.attached", "customer.updated", "customer.subscription.updated",
		"charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated")
	got := e.sub(sub.ID)
	if got.Status != "active" || !got.LatestInvoice.Paid || got.LatestInvoice.AttemptCount != 2 {
		t.Fatalf("after card update: %s paid %v", got.Status, got.LatestInvoice.Paid)
	}
	// The next renewal charges the new card.
	e.advance("31d")
	e.expect("invoice.created", "invoice.finalized", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
		"invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated")
}

func TestRefundsFullAndPartial(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s := e.paymentSession(c)
	e.postForm(s.URL, cardValues("4242424242424242"))
	e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
	s, _ = e.api.CheckoutSessions.Get(s.ID, nil)

	rp := &stripe.RefundParams{PaymentIntent: stripe.String(s.PaymentIntent.ID), Amount: stripe.Int64(1500), Reason: stripe.String("requested_by_customer")}
	rp.SetIdempotencyKey("refund-1")
	re, err := e.api.Refunds.New(rp)
	if err != nil {
		t.Fatal(err)
	}
	evs := e.expect("charge.refunded", "refund.created")
	ch := evs[0].Data.Object
	if ch["amount_refunded"] != float64(1500) || ch["refunded"] != false || evs[0].Data.PreviousAttributes["amount_refunded"] != float64(0) {
		t.Errorf("partial charge.refunded: refunded %v amount_refunded %v prev %v", ch["refunded"], ch["amount_refunded"], evs[0].Data.PreviousAttributes)
	}
	if evs[1].Data.Object["id"] != re.ID || re.Amount != 1500 || re.Charge.ID != ch["id"] {
		t.Errorf("refund: %+v", re)
	}
	// The same key replays the same refund.
	again, err := e.api.Refunds.New(rp)
	if err != nil || again.ID != re.ID {
		t.Fatalf("replayed refund: %v %v", again, err)
	}
	// More than is left is refused.
	_, err = e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(re.Charge.ID), Amount: stripe.Int64(5000)})
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 400 || se.Code != "amount_too_large" {
		t.Errorf("over-refund: %v", err)
	}
	full, err := e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(re.Charge.ID)})
	if err != nil || full.Amount != 4000 {
		t.Fatalf("refund the rest: %v %v", full, err)
	}
	evs = e.expect("charge.refunded", "refund.created")
	if evs[0].Data.Object["refunded"] != true || evs[0].Data.Object["amount_refunded"] != float64(5500) {
		t.Errorf("full charge.refunded: %v", evs[0].Data.Object)
	}
	_, err = e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(re.Charge.ID)})
	if !errors.As(err, &se) || se.Code != "charge_already_refunded" {
		t.Errorf("refunding a refunded charge: %v", err)
	}
	e.expect()
}

func TestCheckoutExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s := e.paymentSession(c)
	exp, err := e.api.CheckoutSessions.Expire(s.ID, nil)
	if err != nil || exp.Status != "expired" {
		t.Fatalf("expire: %v %v", exp, err)
	}
	e.expect("checkout.session.expired")
	if resp, page := e.get(s.URL); resp.StatusCode != http.StatusGone || !strings.Contains(page, "expired") {
		t.Errorf("expired session page: %d", resp.StatusCode)
	}
	_, err = e.api.CheckoutSessions.Expire(s.ID, nil)
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 400 {
		t.Errorf("expiring twice: %v", err)
	}
	// An open session expires by itself after 24 hours.
	s2 := e.paymentSession(c)
	e.advance("25h")
	e.expect("checkout.session.expired")
	if got, _ := e.api.CheckoutSessions.Get(s2.ID, nil); got.Status != "expired" {
		t.Errorf("after 25h: %s", got.Status)
	}
}

func TestPastDueInvoicePaidOnHostedPage(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	sub := e.subscribe(c.monthly, "4000000000000341")
	e.advance("31d")
	e.expect("invoice.created", "invoice.finalized", "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
		"invoice.payment_failed", "customer.subscription.updated")
	inv := e.sub(sub.ID).LatestInvoice

	// Paying through the API with the failing default card is a card
	// error, and the failed attempt is kept.
	_, err := e.api.Invoices.Pay(inv.ID, &stripe.InvoicePayParams{})
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 402 || se.Type != stripe.ErrorTypeCard {
		t.Fatalf("pay with the failing card: %v", err)
	}
	e.expect("charge.failed", "payment_intent.payment_failed", "invoice.payment_failed")

	resp, page := e.get(inv.HostedInvoiceURL)
	if resp.StatusCode != 200 || !strings.Contains(page, "Pay this invoice") || !strings.Contains(page, "$12.00") {
		t.Fatalf("open invoice page: %d", resp.StatusCode)
	}
	payURL := inv.HostedInvoiceURL + "/pay"
	if resp, page := e.postForm(payURL, cardValues("4000000000009995")); resp.StatusCode != 402 || !strings.Contains(page, "insufficient funds") {
		t.Errorf("declined on invoice page: %d", resp.StatusCode)
	}
	e.expect()
	if resp, _ := e.postForm(payURL, cardValues("4242424242424242")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay on invoice page: %d", resp.StatusCode)
	}
	e.expect("payment_method.attached", "charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated")
	got := e.sub(sub.ID)
	if got.Status != "active" || !got.LatestInvoice.Paid || got.LatestInvoice.AttemptCount != 3 {
		t.Errorf("after paying: %s paid %v attempts %d", got.Status, got.LatestInvoice.Paid, got.LatestInvoice.AttemptCount)
	}
	if _, page := e.get(inv.HostedInvoiceURL); strings.Contains(page, "Pay this invoice") || !strings.Contains(page, "•••• 4242") {
		t.Error("paid invoice page still offers payment or lacks the card")
	}
}
