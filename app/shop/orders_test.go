package shop_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// Issue 15, at the shop's level: an order's facts come from Stripe's
// truth at the time of each reconcile, and what the order gives and who
// is told follow from them, whichever event arrives first.

// licensed makes the fixture's product come with a licence key.
func (f *fixture) licensed(t *testing.T) {
	t.Helper()
	f.product.Licensed = true
	if err := f.store.PutProduct(context.Background(), &f.product); err != nil {
		t.Fatal(err)
	}
}

// setCharge makes the fake API's charge of a session look like this.
func (f *fixture) setCharge(sessionID string, refunds ...stripeapi.RefundInfo) {
	f.stripe.mu.Lock()
	defer f.stripe.mu.Unlock()
	var n int64
	for _, r := range refunds {
		if r.Counts() {
			n += r.Amount
		}
	}
	s := f.stripe.sessions[sessionID]
	f.stripe.charges["ch_"+sessionID] = stripeapi.Charge{ID: "ch_" + sessionID, PaymentIntentID: s.PaymentIntentID, Amount: s.AmountTotal,
		AmountRefunded: n, Refunded: n == s.AmountTotal, Currency: "usd", Refunds: refunds}
}

// setDispute makes the fake API's dispute of a session's charge look like
// this ("" removes it).
func (f *fixture) setDispute(sessionID, status string) {
	f.stripe.mu.Lock()
	defer f.stripe.mu.Unlock()
	id := "dp_" + sessionID
	if status == "" {
		delete(f.stripe.disputes, id)
		return
	}
	s := f.stripe.sessions[sessionID]
	f.stripe.disputes[id] = stripeapi.DisputeInfo{ID: id, ChargeID: "ch_" + sessionID, PaymentIntentID: s.PaymentIntentID, Amount: s.AmountTotal,
		Currency: "usd", Reason: "fraudulent", Status: status, Created: time.Now(), DueBy: time.Now().AddDate(0, 0, 7)}
}

// end is what a session's order ends as: its status, what it gives, and
// the mails, without ids or times.
func (f *fixture) end(t *testing.T, sessionID string) string {
	t.Helper()
	var out []string
	f.store.View(context.Background(), func(tx *store.Tx) error {
		o, err := tx.OrderByCheckoutSession(sessionID)
		if err != nil {
			out = append(out, "no order")
			return nil
		}
		out = append(out, fmt.Sprintf("%s refunded=%d refunds=%d dispute=%v", o.Status, o.AmountRefunded, len(o.Refunds), o.Dispute != nil && o.Dispute.Open()))
		es, _ := tx.EntitlementsOf(o.CustomerID, false)
		for _, e := range es {
			out = append(out, fmt.Sprintf("entitlement active=%v", e.Active()))
		}
		ls, _ := tx.LicensesOf(o.CustomerID)
		for _, l := range ls {
			out = append(out, "licence "+l.Status)
		}
		return nil
	})
	f.mail.mu.Lock()
	mails := slices.Clone(f.mail.sent)
	f.mail.mu.Unlock()
	sort.Strings(mails)
	return strings.Join(append(out, mails...), "; ")
}

// TestPartialRefundBeforeTheAsyncPaymentSucceeded: an async payment is
// pending; it clears at Stripe and a part is refunded at once, and
// charge.refunded reaches the shop before async_payment_succeeded. The
// refund is a separate fact from the payment: the order is partly
// refunded, gives access and sends its receipt. Today it stayed blocked.
func TestPartialRefundBeforeTheAsyncPaymentSucceeded(t *testing.T) {
	f := newFixture(t)
	f.paidSession("cs_async", "async@example.com", 1)
	s := f.stripe.sessions["cs_async"]
	s.PaymentStatus = "unpaid"
	f.stripe.sessions["cs_async"] = s
	if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_async"); err != nil {
		t.Fatal(err)
	}
	if got := f.end(t, "cs_async"); got != "pending refunded=0 refunds=0 dispute=false" {
		t.Fatalf("before the payment clears: %s", got)
	}
	s.PaymentStatus = "paid"
	f.stripe.sessions["cs_async"] = s
	f.setCharge("cs_async", stripeapi.RefundInfo{ID: "re_1", Amount: 200, Status: "succeeded"})
	for _, ev := range []struct{ typ, id string }{{"charge.refunded", "ch_cs_async"}, {"checkout.session.async_payment_succeeded", "cs_async"}} {
		h := f.shop.HandlePaymentEvent
		if strings.HasPrefix(ev.typ, "checkout") {
			h = f.shop.HandleCheckoutEvent
		}
		if err := f.deliver(t, h, ev.typ, ev.id); err != nil {
			t.Fatal(err)
		}
	}
	want := "partially_refunded refunded=200 refunds=1 dispute=false; entitlement active=true; receipt:async@example.com"
	if got := f.end(t, "cs_async"); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestOrderEventsInAnyOrderEndTheSame: for each truth Stripe ends with,
// every order of the order's events (each delivered twice, the success
// page among them) ends in the same state with the same mails, each
// once.
func TestOrderEventsInAnyOrderEndTheSame(t *testing.T) {
	refund := func(amount int64, status string) stripeapi.RefundInfo {
		return stripeapi.RefundInfo{ID: fmt.Sprintf("re_%d_%s", amount, status), Amount: amount, Status: status}
	}
	for _, tc := range []struct {
		name    string
		refunds []stripeapi.RefundInfo
		dispute string
		want    string
	}{
		{"paid", nil, "", "paid refunded=0 refunds=0 dispute=false; entitlement active=true; licence active; receipt:x@example.com"},
		{"refunded in full before the shop heard anything", []stripeapi.RefundInfo{refund(1200, "succeeded")}, "",
			"refunded refunded=1200 refunds=1 dispute=false"},
		{"refunded in part", []stripeapi.RefundInfo{refund(300, "succeeded")}, "",
			"partially_refunded refunded=300 refunds=1 dispute=false; entitlement active=true; licence active; receipt:x@example.com"},
		{"a refund that failed", []stripeapi.RefundInfo{refund(1200, "failed")}, "",
			"paid refunded=0 refunds=1 dispute=false; entitlement active=true; licence active; receipt:x@example.com"},
		{"disputed", nil, "needs_response", "disputed refunded=0 refunds=0 dispute=true; dispute_opened:boss@example.com"},
		{"a dispute won", nil, "won", "paid refunded=0 refunds=0 dispute=false; entitlement active=true; licence active; receipt:x@example.com"},
		{"a dispute lost", nil, "lost", "dispute_lost refunded=0 refunds=0 dispute=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := []string{"checkout.session.completed", "charge.refunded", "charge.dispute.created", "success page"}
			for perm := range permutations(len(events)) {
				f := newFixture(t)
				f.shop.AdminEmails = []string{"boss@example.com"}
				f.licensed(t)
				f.paidSession("cs_p", "x@example.com", 1)
				f.setCharge("cs_p", tc.refunds...)
				f.setDispute("cs_p", tc.dispute)
				var order []string
				for _, i := range perm {
					order = append(order, events[i])
					for range 2 {
						var err error
						switch events[i] {
						case "success page":
							_, err = f.shop.FulfilCheckout(context.Background(), "cs_p")
						case "checkout.session.completed":
							err = f.deliver(t, f.shop.HandleCheckoutEvent, events[i], "cs_p")
						case "charge.refunded":
							err = f.deliver(t, f.shop.HandlePaymentEvent, events[i], "ch_cs_p")
						case "charge.dispute.created":
							err = f.deliver(t, f.shop.HandlePaymentEvent, events[i], "dp_cs_p")
						}
						if err != nil && !(events[i] == "charge.dispute.created" && tc.dispute == "" && app.IsNotFound(err)) {
							t.Fatalf("%s: %v", events[i], err)
						}
					}
				}
				if got := f.end(t, "cs_p"); got != tc.want {
					t.Fatalf("in the order %v:\n got  %s\n want %s", order, got, tc.want)
				}
			}
		})
	}
}

// permutations yields every order of 0..n-1.
func permutations(n int) func(yield func([]int) bool) {
	return func(yield func([]int) bool) {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		var gen func(k int) bool
		gen = func(k int) bool {
			if k == n {
				return yield(slices.Clone(p))
			}
			for i := k; i < n; i++ {
				p[k], p[i] = p[i], p[k]
				if !gen(k + 1) {
					return false
				}
				p[k], p[i] = p[i], p[k]
			}
			return true
		}
		gen(0)
	}
}

// TestAccessFollowsTheOrdersStory: one order through a dispute won, a
// refund that failed, a full refund, as Stripe's truth changes: the same
// entitlement and licence key are suspended and given back, never
// duplicated; each mail goes once.
func TestAccessFollowsTheOrdersStory(t *testing.T) {
	f := newFixture(t)
	f.shop.AdminEmails = []string{"boss@example.com", "ops@example.com"}
	f.licensed(t)
	ctx := context.Background()
	f.paidSession("cs_s", "story@example.com", 1)
	order, err := f.shop.FulfilCheckout(ctx, "cs_s")
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := f.shop.Library(ctx, order.CustomerID)
	token := lib[0].Links[0].URL[len("http://shop.test/downloads/"):]
	var key string
	f.store.View(ctx, func(tx *store.Tx) error { ls, _ := tx.LicensesOf(order.CustomerID); key = ls[0].Key; return nil })
	step := func(what, typ, object, want string, canDownload bool) {
		t.Helper()
		h := f.shop.HandlePaymentEvent
		if strings.HasPrefix(typ, "checkout.") {
			h = f.shop.HandleCheckoutEvent
		}
		if err := f.deliver(t, h, typ, object); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := f.end(t, "cs_s"); got != want {
			t.Fatalf("%s:\n got  %s\n want %s", what, got, want)
		}
		_, err := f.shop.OpenDownload(ctx, token, "")
		if (err == nil) != canDownload {
			t.Fatalf("%s: the download link: %v, want it to work=%v", what, err, canDownload)
		}
		if st, _ := f.shop.ValidateLicense(ctx, key, ""); st.Valid != canDownload {
			t.Fatalf("%s: the licence key valid=%v", what, st.Valid)
		}
	}
	const receipt = "receipt:story@example.com"
	disputeMails := "dispute_opened:boss@example.com; dispute_opened:ops@example.com"
	f.setDispute("cs_s", "needs_response")
	step("a dispute opens", "charge.dispute.created", "dp_cs_s",
		"disputed refunded=0 refunds=0 dispute=true; entitlement active=false; licence revoked; "+disputeMails+"; "+receipt, false)
	f.setDispute("cs_s", "under_review")
	step("the merchant answers", "charge.dispute.updated", "dp_cs_s",
		"disputed refunded=0 refunds=0 dispute=true; entitlement active=false; licence revoked; "+disputeMails+"; "+receipt, false)
	f.setDispute("cs_s", "won")
	step("the dispute is won", "charge.dispute.closed", "dp_cs_s",
		"paid refunded=0 refunds=0 dispute=false; entitlement active=true; licence active; "+disputeMails+"; "+receipt, true)
	f.setCharge("cs_s", stripeapi.RefundInfo{ID: "re_a", Amount: 1200, Status: "succeeded"})
	step("a full refund", "charge.refunded", "ch_cs_s",
		"refunded refunded=1200 refunds=1 dispute=false; entitlement active=false; licence revoked; "+disputeMails+"; order_refunded:story@example.com; "+receipt, false)
	f.setCharge("cs_s", stripeapi.RefundInfo{ID: "re_a", Amount: 1200, Status: "failed"})
	step("the refund fails", "charge.refund.updated", "re_a",
		"paid refunded=0 refunds=1 dispute=false; entitlement active=true; licence active; "+disputeMails+"; order_refunded:story@example.com; "+receipt, true)
	// An admin's own revocation is not lifted by the order.
	var ent app.Entitlement
	f.store.View(ctx, func(tx *store.Tx) error { es, _ := tx.EntitlementsOf(order.CustomerID, true); ent = es[0]; return nil })
	if err := f.shop.RevokeEntitlement(ctx, order.CustomerID, ent.ID, "chargeback by phone", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	f.setCharge("cs_s", stripeapi.RefundInfo{ID: "re_a", Amount: 1200, Status: "failed"}, stripeapi.RefundInfo{ID: "re_b", Amount: 1200, Status: "succeeded"})
	f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_s")
	f.setCharge("cs_s", stripeapi.RefundInfo{ID: "re_a", Amount: 1200, Status: "failed"}, stripeapi.RefundInfo{ID: "re_b", Amount: 1200, Status: "failed"})
	f.deliver(t, f.shop.HandlePaymentEvent, "charge.refund.updated", "re_b")
	if _, err := f.shop.OpenDownload(ctx, token, ""); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("an entitlement the admin revoked came back: %v", err)
	}
}

// TestAnOrderStoredBeforeTheFactsKeepsItsReceipt: an order written by an
// earlier Vendo (a status, no facts) was paid and receipted then; its
// first reconcile sends no second receipt, and each refund (partial,
// then the rest) tells the buyer.
func TestAnOrderStoredBeforeTheFactsKeepsItsReceipt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.paidSession("cs_old", "old@example.com", 1)
	err := f.store.Update(ctx, func(tx *store.Tx) error {
		c := app.Customer{Email: "old@example.com"}
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		o := app.Order{CustomerID: c.ID, Email: c.Email, CheckoutSessionID: "cs_old", PaymentIntentID: "pi_cs_old", Status: app.OrderPaid, PaidAt: tx.Now(),
			Total: app.Money{Amount: 1200, Currency: "usd"}, Lines: []app.OrderLine{{ProductID: f.product.ID, Quantity: 1}}}
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		return tx.PutEntitlement(&app.Entitlement{CustomerID: c.ID, ProductID: f.product.ID, Source: app.SourceOrder, SourceID: o.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	f.setCharge("cs_old", stripeapi.RefundInfo{ID: "re_1", Amount: 200, Status: "succeeded"})
	f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_old")
	if got := f.end(t, "cs_old"); got != "partially_refunded refunded=200 refunds=1 dispute=false; entitlement active=true; order_refunded:old@example.com" {
		t.Fatalf("after a partial refund: %s", got)
	}
	f.setCharge("cs_old", stripeapi.RefundInfo{ID: "re_1", Amount: 200, Status: "succeeded"}, stripeapi.RefundInfo{ID: "re_2", Amount: 1000, Status: "succeeded"})
	f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_old")
	if got := f.end(t, "cs_old"); got != "refunded refunded=1200 refunds=2 dispute=false; entitlement active=false; order_refunded:old@example.com; order_refunded:old@example.com" {
		t.Fatalf("after the full refund: %s", got)
	}
}

// TestDisputeMailGoesToTheAdminsOrTheSupportAddress.
func TestDisputeMailGoesToTheAdminsOrTheSupportAddress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		admins  []string
		support string
		want    string
	}{
		{"the admins", []string{"a@example.com", "b@example.com"}, "help@example.com", "dispute_opened:a@example.com; dispute_opened:b@example.com"},
		{"no admins: the support address", nil, "help@example.com", "dispute_opened:help@example.com"},
		{"no one to tell", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.shop.AdminEmails = tc.admins
			f.store.UpdateSettings(context.Background(), func(s *app.Settings) error { s.SupportEmail = tc.support; return nil })
			f.paidSession("cs_d", "d@example.com", 1)
			f.setDispute("cs_d", "needs_response")
			if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.dispute.created", "dp_cs_d"); err != nil {
				t.Fatal(err)
			}
			got := f.end(t, "cs_d")
			if want := strings.TrimSuffix("disputed refunded=0 refunds=0 dispute=true; "+tc.want, "; "); got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestEachRefundIsConfirmedOnce: a buyer who has the receipt hears of
// each refund once, however often Stripe's event comes: a partial one
// with its amount and access kept, the rest with access ended. A refund
// made before the receipt went out is on the receipt instead.
func TestEachRefundIsConfirmedOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.paidSession("cs_r", "refunds@example.com", 1)
	if _, err := f.shop.FulfilCheckout(ctx, "cs_r"); err != nil {
		t.Fatal(err)
	}
	refund := func(refunds ...stripeapi.RefundInfo) {
		t.Helper()
		f.setCharge("cs_r", refunds...)
		for range 2 {
			if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_r"); err != nil {
				t.Fatal(err)
			}
		}
	}
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	refund(stripeapi.RefundInfo{ID: "re_a", Amount: 500, Status: "succeeded"})
	refund(stripeapi.RefundInfo{ID: "re_a", Amount: 500, Status: "succeeded"}, stripeapi.RefundInfo{ID: "re_b", Amount: 700, Status: "succeeded"})
	got := f.mail.of("order_refunded")
	if len(got) != 2 {
		t.Fatalf("%d refund confirmations, want 2 (one per refund)", len(got))
	}
	for i, want := range []struct {
		refund, refunded app.Money
		full             bool
	}{{usd(500), usd(500), false}, {usd(700), usd(1200), true}} {
		if got[i]["Refund"] != want.refund || got[i]["Refunded"] != want.refunded || got[i]["Full"] != want.full {
			t.Errorf("confirmation %d: refund %v, refunded %v, full %v; want %+v", i+1, got[i]["Refund"], got[i]["Refunded"], got[i]["Full"], want)
		}
	}

	// Refunded in part before the buyer's receipt: the receipt says so,
	// and no confirmation follows.
	f.paidSession("cs_early", "early@example.com", 1)
	f.setCharge("cs_early", stripeapi.RefundInfo{ID: "re_c", Amount: 300, Status: "succeeded"})
	if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_early"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.shop.FulfilCheckout(ctx, "cs_early"); err != nil {
		t.Fatal(err)
	}
	for _, d := range f.mail.of("order_refunded") {
		if d["Order"].(app.Order).Email == "early@example.com" {
			t.Fatal("a refund the receipt shows was confirmed again")
		}
	}
	var receipt app.Order
	for _, d := range f.mail.of("receipt") {
		if o := d["Order"].(app.Order); o.Email == "early@example.com" {
			receipt = o
		}
	}
	if receipt.RefundedAmount() != usd(300) {
		t.Fatalf("the receipt's order has %v refunded, want $3.00", receipt.RefundedAmount())
	}
}
