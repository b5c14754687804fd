package shop_test

import (
	"testing"
	"time"

	"vendo/app/stripeapi"
)

// TestOrderTruthIsOneRead: a session that comes with its payment (as
// stripeapi.GetCheckoutSession reads it, expanded) is the order's whole
// truth: the shop does not ask Stripe for the payment again, so a webhook
// waits for one round trip, not two in a row (bench scenario 7). The
// payment that came with the session is the one applied.
func TestOrderTruthIsOneRead(t *testing.T) {
	f := newFixture(t)
	f.paidSession("cs_one", "one@example.com", 1)
	s := f.stripe.sessions["cs_one"]
	s.Payment = &stripeapi.Payment{IntentID: s.PaymentIntentID, Status: "succeeded", Amount: 1200, Currency: "usd",
		ChargeID: "ch_one", AmountRefunded: 300, Refunds: []stripeapi.RefundInfo{{ID: "re_1", Amount: 300, Status: "succeeded"}},
		FetchedAt: time.Now()}
	f.stripe.sessions["cs_one"] = s
	if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_one"); err != nil {
		t.Fatal(err)
	}
	if got := f.end(t, "cs_one"); got != "partially_refunded refunded=300 refunds=1 dispute=false; entitlement active=true; receipt:one@example.com" {
		t.Fatalf("order: %s", got)
	}
	if f.stripe.payFetches != 0 {
		t.Fatalf("the payment was fetched again %d times", f.stripe.payFetches)
	}
	// A session without it (another client, an older answer): the
	// payment is read on its own, as before.
	f.paidSession("cs_two", "two@example.com", 1)
	if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_two"); err != nil {
		t.Fatal(err)
	}
	if f.stripe.payFetches != 1 {
		t.Fatalf("GetPayment called %d times for a session without its payment, want 1", f.stripe.payFetches)
	}
}

// TestSubscriptionTruthIsOneRead: likewise a subscription that comes with
// its latest invoice needs no second read of it.
func TestSubscriptionTruthIsOneRead(t *testing.T) {
	f := newSubFixture(t)
	start := time.Now().Add(-time.Hour)
	f.setSub("active", "price_pro_m", start, 30, false, "in_1")
	f.stripe.mu.Lock()
	sub := f.stripe.subs["sub_s1"]
	in := f.stripe.invoices["in_1"]
	sub.LatestInvoice = &in
	f.stripe.subs["sub_s1"] = sub
	f.stripe.mu.Unlock()
	if err := f.deliver(t, f.shop.HandleSubscriptionEvent, "customer.subscription.updated", "sub_s1"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := f.state(t); got.Status != "active" || got.PlanID != f.pro.ID {
		t.Fatalf("subscription %+v", got)
	}
	if f.stripe.invoiceReads != 0 {
		t.Fatalf("the latest invoice was read again %d times", f.stripe.invoiceReads)
	}
}
