package shop_test

import (
	"context"
	"math/rand"
	"slices"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// subFixture adds a plan pair (Pro and Team) with Stripe prices and a
// customer to the shop fixture.
type subFixture struct {
	*fixture
	pro, team app.Plan
	cust      app.Customer
}

func newSubFixture(t *testing.T) *subFixture {
	t.Helper()
	f := &subFixture{fixture: newFixture(t)}
	ctx := context.Background()
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	f.pro = app.Plan{Slug: "pro", Name: "Pro", Credits: 2, Position: 1, StripeProductID: "prod_pro",
		Monthly: app.PlanPrice{Price: usd(1900), StripePriceID: "price_pro_m"}, Yearly: app.PlanPrice{Price: usd(19000), StripePriceID: "price_pro_y"}}
	f.team = app.Plan{Slug: "team", Name: "Team", Credits: app.Unlimited, Position: 2, StripeProductID: "prod_team",
		Monthly: app.PlanPrice{Price: usd(4900), StripePriceID: "price_team_m"}, Yearly: app.PlanPrice{Price: usd(49000), StripePriceID: "price_team_y"}}
	for _, p := range []*app.Plan{&f.pro, &f.team} {
		if err := f.store.PutPlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	f.cust = app.Customer{Email: "sub@example.com", StripeCustomerID: "cus_sub"}
	if err := f.store.Update(ctx, func(tx *store.Tx) error { return tx.PutCustomer(&f.cust) }); err != nil {
		t.Fatal(err)
	}
	f.store.UpdateSettings(ctx, func(s *app.Settings) error { s.PortalConfigID = "bpc_1"; return nil })
	return f
}

// setSub makes the fake API's subscription "now" look like this.
func (f *subFixture) setSub(status, price string, start time.Time, days int, cancelAtEnd bool, invoice string) {
	f.stripe.mu.Lock()
	defer f.stripe.mu.Unlock()
	f.stripe.subs["sub_s1"] = stripeapi.Subscription{ID: "sub_s1", CustomerID: "cus_sub", Status: status, PriceID: price,
		CurrentPeriodStart: start, CurrentPeriodEnd: start.AddDate(0, 0, days), CancelAtPeriodEnd: cancelAtEnd, LatestInvoiceID: invoice,
		Metadata: map[string]string{"vendo_customer_id": f.cust.ID}}
	if invoice != "" {
		f.stripe.invoices[invoice] = stripeapi.Invoice{ID: invoice, Paid: true, SubscriptionID: "sub_s1", CustomerID: "cus_sub",
			PeriodStart: start, PeriodEnd: start.AddDate(0, 0, days), AmountPaid: 1900, Currency: "usd", PaidAt: time.Now()}
	}
}

func (f *subFixture) state(t *testing.T) (sub app.Subscription, licenses []app.License, ents []app.Entitlement) {
	t.Helper()
	f.store.View(context.Background(), func(tx *store.Tx) error {
		subs, _ := tx.SubscriptionsOf(f.cust.ID)
		if len(subs) > 1 {
			t.Fatalf("%d subscriptions mirrored, want 1", len(subs))
		}
		if len(subs) == 1 {
			sub = subs[0]
		}
		licenses, _ = tx.LicensesOf(f.cust.ID)
		ents, _ = tx.EntitlementsOf(f.cust.ID, false)
		return nil
	})
	return
}

func TestSubscriptionStateMachine(t *testing.T) {
	f := newSubFixture(t)
	start := time.Now().Add(-time.Hour)
	deliver := func(typ, id string) {
		t.Helper()
		h := f.shop.HandleSubscriptionEvent
		if typ == "invoice.paid" || typ == "invoice.payment_failed" {
			h = f.shop.HandleInvoiceEvent
		}
		if err := f.deliver(t, h, typ, id); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}

	// Termination of an unknown subscription grants nothing: the shop's
	// own is recorded, canceled and never activated (issue 15: the
	// admin's history is whole).
	f.setSub("canceled", "price_pro_m", start, 30, false, "")
	deliver("customer.subscription.deleted", "sub_s1")
	if sub, lics, ents := f.state(t); sub.Status != "canceled" || sub.Fulfilled || sub.Credits != 0 || len(lics) != 0 || len(ents) != 0 || len(f.mail.sent) != 0 {
		t.Fatalf("a terminated unknown subscription: %+v, %d licences, %d entitlements, mail %v", sub, len(lics), len(ents), f.mail.sent)
	}

	// New activation: active, credits, license, email.
	f.setSub("active", "price_pro_m", start, 30, false, "in_1")
	deliver("customer.subscription.created", "sub_s1")
	sub, lics, _ := f.state(t)
	if !sub.Fulfilled || sub.Status != "active" || sub.Credits != 2 || sub.PlanID != f.pro.ID || len(lics) != 1 || lics[0].Status != app.LicenseActive {
		t.Fatalf("after activation: %+v licenses=%v", sub, lics)
	}
	// Repeated activation and the first invoice change nothing.
	deliver("customer.subscription.updated", "sub_s1")
	deliver("invoice.paid", "in_1")
	sub2, lics2, _ := f.state(t)
	if sub2.Credits != 2 || len(lics2) != 1 || len(f.mail.sent) != 1 {
		t.Fatalf("repeated activation changed something: credits %d, %d licenses, mail %v", sub2.Credits, len(lics2), f.mail.sent)
	}

	// Spend a credit, then switch to the unlimited plan.
	if _, err := f.shop.Unlock(context.Background(), f.cust.ID, "ebook"); err != nil {
		t.Fatal(err)
	}
	f.setSub("active", "price_team_y", start, 365, false, "in_1")
	deliver("customer.subscription.updated", "sub_s1")
	sub, _, _ = f.state(t)
	if sub.PlanID != f.team.ID || sub.Credits != app.Unlimited || sub.Interval != app.Yearly {
		t.Fatalf("after plan switch: plan %s credits %d interval %s", sub.PlanID, sub.Credits, sub.Interval)
	}

	// Renewal: invoice.paid for a new period refills once (for the credit
	// month that starts with it).
	renewal := start.AddDate(0, 1, 0)
	f.now = renewal.Add(time.Minute)
	f.setSub("active", "price_pro_m", renewal, 30, false, "in_2")
	deliver("customer.subscription.updated", "sub_s1")
	deliver("invoice.paid", "in_2")
	deliver("invoice.paid", "in_2")
	sub, _, _ = f.state(t)
	var grants int
	f.store.View(context.Background(), func(tx *store.Tx) error {
		cs, _ := tx.CreditsOf(f.cust.ID, 0)
		for _, c := range cs {
			if c.Reason == "period_grant" && c.Ref == renewal.UTC().Format("2006-01-02") {
				grants++
			}
		}
		return nil
	})
	if grants != 1 || sub.Credits != 2 {
		t.Fatalf("renewal refilled %d times, credits %d", grants, sub.Credits)
	}

	// Termination revokes what the plan granted.
	f.setSub("canceled", "price_pro_m", start.AddDate(0, 0, 30), 30, false, "in_2")
	deliver("customer.subscription.deleted", "sub_s1")
	sub, lics, ents := f.state(t)
	if sub.Fulfilled || !sub.Terminated || sub.Credits != 0 || lics[0].Status != app.LicenseRevoked {
		t.Fatalf("after termination: %+v %+v", sub, lics)
	}
	for _, e := range ents {
		if e.Source == app.SourceCredit && e.Active() {
			t.Fatal("credit-unlocked product survived termination")
		}
	}
	// Termination of a terminated subscription changes nothing.
	mails := len(f.mail.sent)
	deliver("customer.subscription.deleted", "sub_s1")
	if len(f.mail.sent) != mails {
		t.Fatal("second termination sent mail again")
	}
	if st, _ := f.shop.ValidateLicense(context.Background(), lics[0].Key, ""); st.Valid {
		t.Fatal("license still valid after termination")
	}
}

// TestShuffledDuplicatedHistoryEndsTheSame replays a subscription's event
// history duplicated and shuffled against a fresh shop and compares the
// end state with an in-order delivery.
func TestShuffledDuplicatedHistoryEndsTheSame(t *testing.T) {
	start := time.Now().Add(-time.Hour)
	type ev struct{ typ, id string }
	history := []ev{
		{"customer.subscription.created", "sub_s1"}, {"invoice.paid", "in_1"}, {"customer.subscription.updated", "sub_s1"},
		{"invoice.paid", "in_1"}, {"customer.subscription.updated", "sub_s1"},
	}
	run := func(events []ev, concurrent bool) (app.Subscription, int, int) {
		f := newSubFixture(t)
		f.setSub("active", "price_pro_y", start, 365, true, "in_1")
		do := func(e ev) {
			h := f.shop.HandleSubscriptionEvent
			if e.typ == "invoice.paid" {
				h = f.shop.HandleInvoiceEvent
			}
			if err := f.deliver(t, h, e.typ, e.id); err != nil {
				t.Error(err)
			}
		}
		if concurrent {
			var wg sync.WaitGroup
			for _, e := range events {
				wg.Add(1)
				go func(e ev) { defer wg.Done(); do(e) }(e)
			}
			wg.Wait()
		} else {
			for _, e := range events {
				do(e)
			}
		}
		sub, lics, _ := f.state(t)
		// The subscription is set to cancel at period end: one welcome
		// and one cancellation mail, whatever the order.
		slices.Sort(f.mail.sent)
		if !slices.Equal(f.mail.sent, []string{"subscription_canceled:sub@example.com", "subscription_started:sub@example.com"}) {
			t.Errorf("mails %v, want one started and one canceled", f.mail.sent)
		}
		return sub, len(lics), len(f.mail.sent)
	}
	want, wantLics, wantMail := run(history, false)
	var storm []ev
	for i := 0; i < 3; i++ {
		storm = append(storm, history...)
	}
	rand.New(rand.NewSource(7)).Shuffle(len(storm), func(i, j int) { storm[i], storm[j] = storm[j], storm[i] })
	got, gotLics, gotMail := run(storm, true)
	if wantLics != 1 || gotLics != 1 || wantMail != 2 || gotMail != 2 {
		t.Fatalf("licenses %d/%d, mails %d/%d; want one each", wantLics, gotLics, wantMail, gotMail)
	}
	if got.Status != want.Status || got.Credits != want.Credits || got.Fulfilled != want.Fulfilled || got.CancelAtPeriodEnd != want.CancelAtPeriodEnd ||
		!got.CurrentPeriodEnd.Equal(want.CurrentPeriodEnd) || got.PriceID != want.PriceID || got.Interval != want.Interval {
		t.Fatalf("end states differ:\n got %+v\nwant %+v", got, want)
	}
}

func TestConcurrentUnlocksNeverSpendBelowZero(t *testing.T) {
	f := newSubFixture(t)
	ctx := context.Background()
	f.setSub("active", "price_pro_m", time.Now().Add(-time.Hour), 30, false, "in_1")
	if err := f.deliver(t, f.shop.HandleSubscriptionEvent, "customer.subscription.created", "sub_s1"); err != nil {
		t.Fatal(err)
	}
	// Ten products, two credits, twenty concurrent unlocks.
	var slugs []string
	for i := 0; i < 10; i++ {
		p := app.Product{Slug: "p" + string(rune('a'+i)), Title: "P", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
		f.store.PutProduct(ctx, &p)
		slugs = append(slugs, p.Slug)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(slug string) {
			defer wg.Done()
			if _, err := f.shop.Unlock(ctx, f.cust.ID, slug); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}(slugs[i%10])
	}
	wg.Wait()
	sub, _, ents := f.state(t)
	credited := 0
	for _, e := range ents {
		if e.Source == app.SourceCredit {
			credited++
		}
	}
	if sub.Credits != 0 || credited != 2 {
		t.Fatalf("credits %d, %d products unlocked; want 0 and 2 (ok calls %d)", sub.Credits, credited, ok)
	}
}

func TestUnlockPastPeriodEndRefreshesOnceThenSpends(t *testing.T) {
	f := newSubFixture(t)
	ctx := context.Background()
	old := time.Now().Add(-31 * 24 * time.Hour)
	f.setSub("active", "price_pro_m", old, 30, false, "in_1")
	if err := f.deliver(t, f.shop.HandleSubscriptionEvent, "customer.subscription.created", "sub_s1"); err != nil {
		t.Fatal(err)
	}
	// Spend both credits of the old period.
	for _, slug := range []string{"ebook", "ebook2"} {
		if slug == "ebook2" {
			p := app.Product{Slug: slug, Title: "E2", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
			f.store.PutProduct(ctx, &p)
		}
		f.now = old.Add(time.Hour)
		if _, err := f.shop.Unlock(ctx, f.cust.ID, slug); err != nil {
			t.Fatal(err)
		}
	}
	// Stripe renewed, but no webhook arrived yet.
	f.now = time.Now()
	f.setSub("active", "price_pro_m", old.AddDate(0, 0, 30), 30, false, "in_2")
	p := app.Product{Slug: "ebook3", Title: "E3", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
	f.store.PutProduct(ctx, &p)
	before := f.stripe.subFetches
	if _, err := f.shop.Unlock(ctx, f.cust.ID, "ebook3"); err != nil {
		t.Fatalf("unlock after renewal: %v", err)
	}
	if n := f.stripe.subFetches - before; n != 1 {
		t.Fatalf("%d refreshes from Stripe, want exactly 1", n)
	}
	sub, _, _ := f.state(t)
	if sub.Credits != 1 || !sub.CurrentPeriodEnd.After(time.Now()) {
		t.Fatalf("after refresh and spend: credits %d, period end %v", sub.Credits, sub.CurrentPeriodEnd)
	}
	// Inside the new period: no refresh.
	before = f.stripe.subFetches
	f.shop.Unlock(ctx, f.cust.ID, "ebook")
	if f.stripe.subFetches != before {
		t.Fatal("unlock inside the period refreshed from Stripe")
	}
}

func TestLicenseKeysLookRight(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		k := shop.NewLicenseKey()
		if len(k) != 25 || k[:6] != "VENDO-" || seen[k] {
			t.Fatalf("bad or repeated key %q", k)
		}
		seen[k] = true
	}
}

// The dashboard's sales count what subscribers paid: each paid invoice
// once (however often invoice.paid arrives), on the day it was paid, next
// to the one-time orders.
func TestDashboardCountsSubscriptionInvoices(t *testing.T) {
	f := newSubFixture(t)
	start := time.Now().Add(-time.Hour)
	f.setSub("active", "price_pro_m", start, 30, false, "in_1")
	if err := f.deliver(t, f.shop.HandleSubscriptionEvent, "customer.subscription.created", "sub_s1"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := f.deliver(t, f.shop.HandleInvoiceEvent, "invoice.paid", "in_1"); err != nil {
			t.Fatal(err)
		}
	}
	f.paidSession("cs_1", "ada@example.com", 1)
	if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_1"); err != nil {
		t.Fatal(err)
	}
	d, err := f.shop.Dashboard(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	today := d.Days[len(d.Days)-1]
	if d.Revenue.Amount != 1900+1200 || d.Invoices != 1 || d.Orders != 1 || today.Amount != 1900+1200 || today.Invoices != 1 {
		t.Fatalf("revenue %v from %d orders and %d invoices; today %+v — want $31.00 from one order and one invoice",
			d.Revenue, d.Orders, d.Invoices, today)
	}
}
