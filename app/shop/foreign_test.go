package shop_test

import (
	"context"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// ledger is the fixture's shop behind a real webhook ledger, with the
// shop's own table of event types.
func (f *fixture) ledger() *webhook.Ledger {
	l := webhook.NewLedger(f.store, f.shop.Log)
	f.shop.RegisterEvents(l)
	return l
}

// TestObjectsTheShopDidNotCreateAreIgnoredWithTheReason: merchants use one
// Stripe account for more than Vendo (Payment Links, another app, a second
// Vendo). Sessions, subscriptions and invoices without the shop's marks
// (its carts, customers, products or plan prices) are recorded in the
// ledger as ignored, "not created by this shop", answered 200: no order,
// no customer, no subscription, no mail (DESIGN.md §5 rule 9). Before, a
// session without line items became a paid order with no product and a
// receipt, and another app's subscription was answered 500 or "applied".
func TestObjectsTheShopDidNotCreateAreIgnoredWithTheReason(t *testing.T) {
	now := time.Now()
	theirLine := []stripeapi.SessionLine{{PriceID: "price_theirs", StripeProductID: "prod_theirs", Description: "Their thing", Quantity: 1, UnitAmount: 900, AmountTotal: 900, Currency: "usd"}}
	paid := func(id string, meta map[string]string, lines []stripeapi.SessionLine) stripeapi.Session {
		return stripeapi.Session{ID: id, Mode: "payment", Status: "complete", PaymentStatus: "paid", Email: "their-buyer@example.com",
			CustomerID: "cus_theirs", PaymentIntentID: "pi_" + id, AmountTotal: 900, Currency: "usd", Metadata: meta, Lines: lines}
	}
	sub := func(id, price string, meta map[string]string) stripeapi.Subscription {
		return stripeapi.Subscription{ID: id, CustomerID: "cus_theirs", Status: "active", PriceID: price, Metadata: meta,
			CurrentPeriodStart: now, CurrentPeriodEnd: now.AddDate(0, 1, 0)}
	}
	anotherVendo := map[string]string{"vendo_cart_id": "cart_a_theirs", "vendo_customer_id": "cust_theirs", "vendo_kind": "order"}
	tests := []struct {
		name, typ, object string
		setup             func(*fakeStripe)
	}{
		{"a Payment Link's session: no marks, a product not sold here", "checkout.session.completed", "cs_link",
			func(s *fakeStripe) { s.sessions["cs_link"] = paid("cs_link", nil, theirLine) }},
		{"a session without line items or marks", "checkout.session.completed", "cs_bare",
			func(s *fakeStripe) { s.sessions["cs_bare"] = paid("cs_bare", nil, nil) }},
		{"another Vendo's session: its cart and customer are not here", "checkout.session.completed", "cs_vendo",
			func(s *fakeStripe) {
				sess := paid("cs_vendo", anotherVendo, theirLine)
				sess.ClientReferenceID = "cart_a_theirs"
				s.sessions["cs_vendo"] = sess
			}},
		{"another Vendo's session without line items", "checkout.session.completed", "cs_vendo_bare",
			func(s *fakeStripe) { s.sessions["cs_vendo_bare"] = paid("cs_vendo_bare", anotherVendo, nil) }},
		{"a delayed payment that succeeded elsewhere", "checkout.session.async_payment_succeeded", "cs_async",
			func(s *fakeStripe) { s.sessions["cs_async"] = paid("cs_async", nil, theirLine) }},
		{"a delayed payment that failed elsewhere", "checkout.session.async_payment_failed", "cs_async_failed",
			func(s *fakeStripe) {
				sess := paid("cs_async_failed", nil, theirLine)
				sess.PaymentStatus = "unpaid"
				s.sessions["cs_async_failed"] = sess
			}},
		{"another Vendo's subscription Checkout", "checkout.session.completed", "cs_sub",
			func(s *fakeStripe) {
				sess := paid("cs_sub", map[string]string{"vendo_customer_id": "cust_theirs", "vendo_kind": "subscription"}, []stripeapi.SessionLine{{PriceID: "price_their_plan", StripeProductID: "prod_their_plan", Quantity: 1}})
				sess.Mode, sess.ClientReferenceID, sess.SubscriptionID = "subscription", "cust_theirs", "sub_vendo"
				s.sessions["cs_sub"] = sess
			}},
		{"a subscription on a price no plan has", "customer.subscription.created", "sub_app",
			func(s *fakeStripe) { s.subs["sub_app"] = sub("sub_app", "price_their_plan", nil) }},
		{"its renewal", "invoice.paid", "in_sub_app",
			func(s *fakeStripe) {
				s.subs["sub_app"] = sub("sub_app", "price_their_plan", nil)
				s.subs["sub_app"] = withInvoice(s.subs["sub_app"], "in_sub_app")
				s.invoices["in_sub_app"] = stripeapi.Invoice{ID: "in_sub_app", Paid: true, SubscriptionID: "sub_app", CustomerID: "cus_theirs", AmountPaid: 900, Currency: "usd"}
			}},
		{"its failed renewal", "invoice.payment_failed", "in_sub_app_failed",
			func(s *fakeStripe) {
				s.subs["sub_app"] = sub("sub_app", "price_their_plan", nil)
				s.invoices["in_sub_app_failed"] = stripeapi.Invoice{ID: "in_sub_app_failed", SubscriptionID: "sub_app", CustomerID: "cus_theirs", AmountDue: 900, Currency: "usd"}
			}},
		{"its end", "customer.subscription.deleted", "sub_app_ended",
			func(s *fakeStripe) {
				ended := sub("sub_app_ended", "price_their_plan", nil)
				ended.Status, ended.EndedAt = "canceled", now
				s.subs["sub_app_ended"] = ended
			}},
		{"another Vendo's subscription", "customer.subscription.updated", "sub_vendo",
			func(s *fakeStripe) {
				s.subs["sub_vendo"] = sub("sub_vendo", "price_their_plan", map[string]string{"vendo_customer_id": "cust_theirs", "vendo_plan_id": "plan_theirs"})
			}},
		{"another Vendo's subscription on a price that looks like ours", "customer.subscription.updated", "sub_vendo_lookalike",
			func(s *fakeStripe) {
				// Its metadata names a customer this shop does not have.
				s.subs["sub_vendo_lookalike"] = sub("sub_vendo_lookalike", "price_pro_m", map[string]string{"vendo_customer_id": "cust_theirs"})
			}},
		{"an invoice without a subscription", "invoice.paid", "in_oneoff",
			func(s *fakeStripe) {
				s.invoices["in_oneoff"] = stripeapi.Invoice{ID: "in_oneoff", Paid: true, CustomerID: "cus_theirs", AmountPaid: 900, Currency: "usd"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSubFixture(t)
			ctx := context.Background()
			tt.setup(f.stripe)
			l := f.ledger()
			ev := webhook.Event{ID: "evt_" + tt.object, Type: tt.typ, ObjectID: tt.object, Created: now}
			for i := range 2 {
				res, err := l.Process(ctx, ev, "webhook")
				if err != nil {
					t.Fatalf("delivery %d failed (Stripe would retry it until it disables the endpoint): %v", i+1, err)
				}
				if res.Outcome != store.EventIgnored || res.Reason != store.ReasonForeign {
					t.Fatalf("delivery %d: %s (%q), want ignored: %s", i+1, res.Outcome, res.Reason, store.ReasonForeign)
				}
			}
			rec, err := f.store.Event(ctx, ev.ID)
			if err != nil || rec.Outcome != store.EventIgnored || rec.Reason != store.ReasonForeign {
				t.Fatalf("ledger record: %+v %v", rec, err)
			}
			f.store.View(ctx, func(tx *store.Tx) error {
				orders, _, _ := tx.Orders(store.OrderFilter{})
				subs, _, _ := tx.Subscriptions(store.SubscriptionFilter{})
				custs, _, _ := tx.Customers(store.CustomerFilter{})
				if len(orders) != 0 || len(subs) != 0 || len(custs) != 1 {
					t.Errorf("%d orders, %d subscriptions and %d customers (want 0, 0 and the fixture's 1)", len(orders), len(subs), len(custs))
				}
				return nil
			})
			if len(f.mail.sent) != 0 {
				t.Errorf("mail about an object this shop did not make: %v", f.mail.sent)
			}
			// The success page does not pretend either.
			if _, err := f.shop.FulfilCheckout(ctx, tt.object); tt.typ == "checkout.session.completed" && tt.object != "cs_sub" && !app.IsNotFound(err) {
				t.Errorf("success page for another app's session: %v, want not found", err)
			}
		})
	}
}

func withInvoice(s stripeapi.Subscription, id string) stripeapi.Subscription {
	s.LatestInvoiceID = id
	return s
}

// TestOwnSubscriptionThatEndedBeforeTheShopHeardOfIt: the shop made the
// subscription (its metadata names this shop's customer, on a plan's
// price) but the first event it processes finds it already canceled
// (deliveries late or shuffled, or a sync after downtime). It is recorded
// as canceled and never activated, so the admin's history is whole: no
// activation mail, no credits, no licence, and a later event about it
// changes nothing.
func TestOwnSubscriptionThatEndedBeforeTheShopHeardOfIt(t *testing.T) {
	f := newSubFixture(t)
	ctx := context.Background()
	start := time.Now().Add(-48 * time.Hour)
	f.setSub("active", "price_pro_m", start, 30, false, "in_1")
	s := f.stripe.subs["sub_s1"]
	s.Status, s.CanceledAt, s.EndedAt = "canceled", start.Add(time.Hour), start.Add(time.Hour)
	f.stripe.subs["sub_s1"] = s
	l := f.ledger()
	for _, ev := range []webhook.Event{
		{ID: "evt_created", Type: "customer.subscription.created", ObjectID: "sub_s1"},
		{ID: "evt_paid", Type: "invoice.paid", ObjectID: "in_1"},
		{ID: "evt_deleted", Type: "customer.subscription.deleted", ObjectID: "sub_s1"},
		{ID: "evt_created", Type: "customer.subscription.created", ObjectID: "sub_s1"},
	} {
		res, err := l.Process(ctx, ev, "webhook")
		if err != nil || res.Outcome != store.EventApplied {
			t.Fatalf("%s: %+v %v, want applied", ev.Type, res, err)
		}
	}
	sub, lics, ents := f.state(t)
	if sub.ID == "" || sub.Status != "canceled" || sub.Fulfilled || !sub.Terminated || sub.Credits != 0 || sub.PlanID != f.pro.ID || sub.EndedAt.IsZero() {
		t.Fatalf("recorded: %+v; want canceled on Pro, never activated, no credits", sub)
	}
	var credits []app.CreditEntry
	f.store.View(ctx, func(tx *store.Tx) (err error) { credits, err = tx.CreditsOf(f.cust.ID, 0); return })
	if len(lics) != 0 || len(ents) != 0 || len(credits) != 0 || len(f.mail.sent) != 0 {
		t.Fatalf("%d licences, %d entitlements, %d credit entries, mail %v; want none", len(lics), len(ents), len(credits), f.mail.sent)
	}
	if _, err := f.shop.Unlock(ctx, f.cust.ID, "ebook"); err == nil {
		t.Fatal("a credit was spent from a subscription that never started")
	}
}
