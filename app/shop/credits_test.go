package shop_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// The credit rules (credits.go, README "Plans and credits"), each driven
// by the shop's clock against a fake Stripe that answers what the test
// says the subscription looks like now.

func TestAnniversariesClampToTheMonthsLastDay(t *testing.T) {
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 30, 0, 0, time.UTC) }
	for _, tc := range []struct {
		anchor time.Time
		want   []time.Time // anniversaries 1, 2, 3…
	}{
		{utc(2025, 1, 31), []time.Time{utc(2025, 2, 28), utc(2025, 3, 31), utc(2025, 4, 30), utc(2025, 5, 31), utc(2025, 6, 30)}},
		{utc(2024, 1, 31), []time.Time{utc(2024, 2, 29), utc(2024, 3, 31), utc(2024, 4, 30)}},
		{utc(2025, 3, 31), []time.Time{utc(2025, 4, 30), utc(2025, 5, 31), utc(2025, 6, 30)}},
		{utc(2025, 12, 31), []time.Time{utc(2026, 1, 31), utc(2026, 2, 28), utc(2026, 3, 31)}},
		{utc(2025, 1, 15), []time.Time{utc(2025, 2, 15), utc(2025, 3, 15)}},
		{utc(2024, 2, 29), []time.Time{utc(2024, 3, 29), utc(2024, 4, 29)}},
	} {
		for k, want := range tc.want {
			if got := app.Anniversary(tc.anchor, k+1); !got.Equal(want) {
				t.Errorf("anniversary %d of %s = %s, want %s", k+1, tc.anchor.Format("Jan 2 2006"), got.Format("Jan 2 2006 15:04"), want.Format("Jan 2 2006"))
			}
		}
		// Twelve months after the anchor is the yearly renewal.
		if got, want := app.Anniversary(tc.anchor, 12), tc.anchor.AddDate(1, 0, 0); tc.anchor.Day() <= 28 && !got.Equal(want) {
			t.Errorf("anniversary 12 of %s = %s", tc.anchor, got)
		}
	}
	// The credit month containing a moment: the boundary belongs to the
	// month it starts.
	a := utc(2025, 1, 31)
	for _, tc := range []struct {
		at         time.Time
		start, end time.Time
	}{
		{a, a, utc(2025, 2, 28)},
		{utc(2025, 2, 28).Add(-time.Nanosecond), a, utc(2025, 2, 28)},
		{utc(2025, 2, 28), utc(2025, 2, 28), utc(2025, 3, 31)},
		{utc(2025, 3, 30), utc(2025, 2, 28), utc(2025, 3, 31)},
		{utc(2026, 1, 31).Add(time.Hour), utc(2026, 1, 31), utc(2026, 2, 28)},
		{a.Add(-time.Hour), a, utc(2025, 2, 28)}, // before the anchor: the first month
	} {
		s, e := app.CreditMonthAt(a, tc.at)
		if !s.Equal(tc.start) || !e.Equal(tc.end) {
			t.Errorf("credit month at %s = [%s, %s), want [%s, %s)", tc.at, s, e, tc.start, tc.end)
		}
	}
}

// creditWorld is one subscriber (sub_s1) of three plans — Starter (3
// credits), Pro (10) and Team (unlimited) — on a fake Stripe, with a
// clock the test moves.
type creditWorld struct {
	*subFixture
	t            *testing.T
	starter      app.Plan
	products     int
	invoices     int
	stripeStatus string
	price        string
	start, end   time.Time
	cancelAtEnd  bool
	invoice      stripeapi.Invoice
	ctx          context.Context
}

func newCreditWorld(t *testing.T) *creditWorld {
	t.Helper()
	w := &creditWorld{subFixture: newSubFixture(t), t: t, ctx: context.Background()}
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	w.starter = app.Plan{Slug: "starter", Name: "Starter", Credits: 3, StripeProductID: "prod_starter",
		Monthly: app.PlanPrice{Price: usd(900), StripePriceID: "price_starter_m"}, Yearly: app.PlanPrice{Price: usd(9000), StripePriceID: "price_starter_y"}}
	w.pro.Credits = 10
	for _, p := range []*app.Plan{&w.starter, &w.pro} {
		if err := w.store.PutPlan(w.ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// stripe makes the fake Stripe's subscription look like this now. A new
// period start issues a new invoice, paid unless status is past_due.
func (w *creditWorld) stripe(status, price string, start, end time.Time) {
	w.t.Helper()
	if w.invoice.ID == "" || !start.Equal(w.start) {
		w.invoices++
		w.invoice = stripeapi.Invoice{ID: fmt.Sprintf("in_%d", w.invoices), SubscriptionID: "sub_s1", CustomerID: "cus_sub",
			PeriodStart: start, PeriodEnd: end, AmountDue: 1900, Currency: "usd", Created: start}
	}
	w.invoice.Paid = status != "past_due"
	w.stripeStatus, w.price, w.start, w.end = status, price, start, end
	w.push()
}

// begin starts the subscription: active on price from start to end,
// heard of at start.
func (w *creditWorld) begin(price string, start, end time.Time) {
	w.t.Helper()
	w.at(start)
	w.stripe("active", price, start, end)
	w.event("customer.subscription.created")
}

func (w *creditWorld) push() {
	w.subFixture.stripe.mu.Lock()
	defer w.subFixture.stripe.mu.Unlock()
	w.subFixture.stripe.subs["sub_s1"] = stripeapi.Subscription{ID: "sub_s1", CustomerID: "cus_sub", Status: w.stripeStatus, PriceID: w.price,
		CurrentPeriodStart: w.start, CurrentPeriodEnd: w.end, CancelAtPeriodEnd: w.cancelAtEnd, LatestInvoiceID: w.invoice.ID,
		Metadata: map[string]string{"vendo_customer_id": w.cust.ID}}
	w.subFixture.stripe.invoices[w.invoice.ID] = w.invoice
}

// event delivers a subscription (or invoice) event as the webhook would.
func (w *creditWorld) event(typ string) {
	w.t.Helper()
	h, id := w.shop.HandleSubscriptionEvent, "sub_s1"
	if strings.HasPrefix(typ, "invoice.") {
		h, id = w.shop.HandleInvoiceEvent, w.invoice.ID
	}
	if err := w.deliver(w.t, h, typ, id); err != nil {
		w.t.Fatalf("%s: %v", typ, err)
	}
}

func (w *creditWorld) at(t time.Time) { w.now = t }

// unlock spends a credit on a new product.
func (w *creditWorld) unlock() error {
	w.t.Helper()
	w.products++
	p := app.Product{Slug: fmt.Sprintf("thing-%d", w.products), Title: fmt.Sprintf("Thing %d", w.products), Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
	if err := w.store.PutProduct(w.ctx, &p); err != nil {
		w.t.Fatal(err)
	}
	_, err := w.shop.Unlock(w.ctx, w.cust.ID, p.Slug)
	return err
}

func (w *creditWorld) mustUnlock(n int) {
	w.t.Helper()
	for i := 0; i < n; i++ {
		if err := w.unlock(); err != nil {
			w.t.Fatalf("unlock %d of %d at %s: %v", i+1, n, w.now.Format(time.DateTime), err)
		}
	}
}

// balance is what the pages show now (computed, nothing stored).
func (w *creditWorld) balance() int {
	w.t.Helper()
	st, err := w.shop.Credits(w.ctx, w.cust.ID)
	if err != nil || st == nil {
		w.t.Fatalf("credits: %v %v", st, err)
	}
	return st.Balance
}

func (w *creditWorld) stored() app.Subscription {
	w.t.Helper()
	sub, _, _ := w.state(w.t)
	return sub
}

func (w *creditWorld) ledger(reason string) []app.CreditEntry {
	var out []app.CreditEntry
	w.store.View(w.ctx, func(tx *store.Tx) error {
		cs, _ := tx.CreditsOf(w.cust.ID, 0)
		for i := len(cs) - 1; i >= 0; i-- {
			if reason == "" || cs[i].Reason == reason {
				out = append(out, cs[i])
			}
		}
		return nil
	})
	return out
}

func (w *creditWorld) expectBalance(want int, when string) {
	w.t.Helper()
	if got := w.balance(); got != want {
		w.t.Fatalf("%s: balance %d, want %d", when, got, want)
	}
}

func TestAYearlyPlanRefillsAtEveryMonthlyAnniversary(t *testing.T) {
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		start    time.Time
		interval app.Interval
	}{
		{"yearly from Jan 31", utc(2025, 1, 31), app.Yearly},
		{"yearly from Jan 31 of a leap year", utc(2024, 1, 31), app.Yearly},
		{"yearly from Mar 15", utc(2025, 3, 15), app.Yearly},
		{"monthly from Jan 31, for comparison", utc(2025, 1, 31), app.Monthly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newCreditWorld(t)
			price := w.pro.PriceFor(tc.interval).StripePriceID
			period := func(k int) (time.Time, time.Time) { // the billing period containing month k
				if tc.interval == app.Yearly {
					return app.Anniversary(tc.start, 12*(k/12)), app.Anniversary(tc.start, 12*(k/12+1))
				}
				return app.Anniversary(tc.start, k), app.Anniversary(tc.start, k+1)
			}
			w.at(tc.start.Add(time.Minute))
			w.stripe("active", price, tc.start, app.Anniversary(tc.start, map[app.Interval]int{app.Yearly: 12, app.Monthly: 1}[tc.interval]))
			w.event("customer.subscription.created")
			w.event("invoice.paid")
			for k := 0; k <= 12; k++ {
				month := app.Anniversary(tc.start, k)
				if k > 0 {
					// A second before the anniversary: last month's balance.
					w.at(month.Add(-time.Second))
					w.expectBalance(10-3, fmt.Sprintf("a second before month %d", k))
				}
				if s, e := period(k); !s.Equal(w.start) {
					// Stripe renews (the yearly plan at month 12 only).
					w.at(s)
					w.stripe("active", price, s, e)
					w.event("customer.subscription.updated")
					w.event("invoice.paid")
					w.event("invoice.paid") // delivered twice
				}
				w.at(month.Add(2 * time.Hour))
				w.expectBalance(10, fmt.Sprintf("month %d (%s)", k, month.Format("Jan 2 2006")))
				w.mustUnlock(3)
				w.expectBalance(7, fmt.Sprintf("month %d after three unlocks", k))
			}
			grants := w.ledger(app.CreditGrant)
			if len(grants) != 13 {
				t.Fatalf("%d grants in 13 months, want 13: %+v", len(grants), grants)
			}
			for k, g := range grants {
				if want := app.Anniversary(tc.start, k); !g.From.Equal(want) || g.Delta != 10 || g.Ref != want.Format("2006-01-02") {
					t.Errorf("grant %d: from %s delta %d ref %s, want from %s", k, g.From, g.Delta, g.Ref, want)
				}
			}
			if exp := w.ledger(app.CreditExpired); len(exp) != 12 || exp[0].Delta != -7 {
				t.Errorf("expiries: %+v; want 12 of -7 (no roll-over)", exp)
			}
		})
	}
}

func TestTheRefillIsLazyAndStoredOnce(t *testing.T) {
	w := newCreditWorld(t)
	start := time.Date(2025, 1, 31, 10, 0, 0, 0, time.UTC)
	w.begin(w.pro.Yearly.StripePriceID, start, start.AddDate(1, 0, 0))
	w.mustUnlock(4)
	// A month later a page reads 10 and stores nothing.
	w.at(time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC))
	w.expectBalance(10, "the page a month later")
	if st, _ := w.shop.Credits(w.ctx, w.cust.ID); len(st.Pending) != 2 || st.Pending[1].Reason != app.CreditGrant {
		t.Fatalf("pending entries: %+v; want an expiry and a grant", st.Pending)
	}
	if sub := w.stored(); sub.Credits != 6 || len(w.ledger(app.CreditGrant)) != 1 {
		t.Fatalf("a read stored the refill: credits %d, %d grants", sub.Credits, len(w.ledger(app.CreditGrant)))
	}
	// The background sync (a reconcile of the subscription) stores it, once.
	w.event("customer.subscription.updated")
	w.event("customer.subscription.updated")
	if sub := w.stored(); sub.Credits != 10 || len(w.ledger(app.CreditGrant)) != 2 {
		t.Fatalf("after the sync: credits %d, %d grants; want 10 and 2", sub.Credits, len(w.ledger(app.CreditGrant)))
	}
	w.mustUnlock(1)
	if sub := w.stored(); sub.Credits != 9 || len(w.ledger(app.CreditGrant)) != 2 {
		t.Fatalf("a spend after the sync refilled again: credits %d", sub.Credits)
	}
}

func TestPlanChangesInsideACreditMonthNeverGain(t *testing.T) {
	type step struct {
		plan   string // switch to this plan (monthly)
		unlock int    // then spend this many
	}
	for _, tc := range []struct {
		name  string
		first string
		steps []step
		want  int
	}{
		{"downgrade after spending 7 of 10", "pro", []step{{"pro", 7}, {"starter", 0}}, 0},
		{"downgrade after spending 1 of 10", "pro", []step{{"pro", 1}, {"starter", 0}}, 2},
		{"upgrade after spending 2 of 3", "starter", []step{{"starter", 2}, {"pro", 0}}, 8},
		{"Pro → Starter → Pro after 7", "pro", []step{{"pro", 7}, {"starter", 0}, {"pro", 0}}, 3},
		{"Pro → Team → Pro after 7", "pro", []step{{"pro", 7}, {"team", 0}, {"pro", 0}}, 3},
		{"Pro → Team, spend 5 on Team, → Pro", "pro", []step{{"pro", 7}, {"team", 5}, {"pro", 0}}, 0},
		{"Starter → Pro → Starter after 1", "starter", []step{{"starter", 1}, {"pro", 0}, {"starter", 0}}, 2},
		{"Team → Pro after 12 on Team", "team", []step{{"team", 12}, {"pro", 0}}, 0},
		{"round trip twice", "pro", []step{{"pro", 4}, {"starter", 0}, {"pro", 0}, {"team", 0}, {"pro", 0}}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newCreditWorld(t)
			plans := map[string]app.Plan{"starter": w.starter, "pro": w.pro, "team": w.team}
			start := time.Date(2025, 5, 3, 8, 0, 0, 0, time.UTC)
			w.begin(plans[tc.first].Monthly.StripePriceID, start, start.AddDate(0, 1, 0))
			for i, s := range tc.steps {
				w.at(start.Add(time.Duration(i+1) * 24 * time.Hour))
				w.stripe("active", plans[s.plan].Monthly.StripePriceID, w.start, w.end) // same period: a mid-month switch
				w.event("customer.subscription.updated")
				w.mustUnlock(s.unlock)
			}
			w.expectBalance(tc.want, "after the switches")
			if sub := w.stored(); sub.Credits != tc.want {
				t.Fatalf("stored balance %d, want %d", sub.Credits, tc.want)
			}
			// The history says what happened, with no empty adjustments.
			for _, e := range w.ledger(app.CreditPlanChange) {
				if e.Delta == 0 && e.Balance != app.Unlimited && !strings.Contains(e.Title, "Team") {
					t.Errorf("a plan change that changed nothing is in the history: %+v", e)
				}
				if w := e.Words(); !strings.HasPrefix(w, "Adjusted for the plan change from ") || !strings.Contains(w, " to ") {
					t.Errorf("plan change entry in words: %q", w)
				}
			}
			// The next month refills the plan's full allowance.
			w.at(start.AddDate(0, 1, 0))
			last := tc.steps[len(tc.steps)-1].plan
			w.stripe("active", plans[last].Monthly.StripePriceID, start.AddDate(0, 1, 0), start.AddDate(0, 2, 0))
			w.event("customer.subscription.updated")
			w.expectBalance(plans[last].Credits, "next month")
		})
	}
}

func TestAnIntervalChangeRestartsTheCreditMonth(t *testing.T) {
	day := func(d int) time.Duration { return time.Duration(d) * 24 * time.Hour }
	start := time.Date(2025, 1, 31, 10, 0, 0, 0, time.UTC)
	t.Run("monthly to yearly", func(t *testing.T) {
		w := newCreditWorld(t)
		w.begin(w.pro.Monthly.StripePriceID, start, app.Anniversary(start, 1))
		w.at(start.Add(day(20)))
		w.mustUnlock(6)
		// Stripe starts a new yearly period now.
		switched := w.now
		w.stripe("active", w.pro.Yearly.StripePriceID, switched, switched.AddDate(1, 0, 0))
		w.event("customer.subscription.updated")
		sub := w.stored()
		if !sub.CreditAnchor.Equal(switched) || !sub.CreditMonth.Equal(switched) || sub.Credits != 4 {
			t.Fatalf("after the switch: anchor %s month %s credits %d; want both %s and 4 (the 6 spent still count)", sub.CreditAnchor, sub.CreditMonth, sub.Credits, switched)
		}
		// The old anniversary (Feb 28) refills nothing; the new one does.
		w.at(app.Anniversary(start, 1).Add(time.Hour))
		w.expectBalance(4, "at the old anniversary")
		w.at(app.Anniversary(switched, 1))
		w.expectBalance(10, "at the new anniversary")
		w.mustUnlock(1)
		w.at(app.Anniversary(switched, 2))
		w.expectBalance(10, "a month later")
	})
	t.Run("yearly to monthly", func(t *testing.T) {
		w := newCreditWorld(t)
		w.begin(w.pro.Yearly.StripePriceID, start, start.AddDate(1, 0, 0))
		w.at(app.Anniversary(start, 4).Add(day(5))) // inside the fifth month
		w.mustUnlock(2)
		switched := w.now
		w.stripe("active", w.pro.Monthly.StripePriceID, switched, app.Anniversary(switched, 1))
		w.event("customer.subscription.updated")
		if sub := w.stored(); !sub.CreditMonth.Equal(switched) || sub.Credits != 8 {
			t.Fatalf("after the switch: month %s credits %d; want %s and 8", sub.CreditMonth, sub.Credits, switched)
		}
		// Monthly renewals refill from now on (the old refill mark a
		// year ahead refilled nothing for eleven months).
		for k := 1; k <= 3; k++ {
			renew := app.Anniversary(switched, k)
			w.at(renew)
			w.stripe("active", w.pro.Monthly.StripePriceID, renew, app.Anniversary(switched, k+1))
			w.event("customer.subscription.updated")
			w.event("invoice.paid")
			w.expectBalance(10, fmt.Sprintf("monthly renewal %d", k))
			w.mustUnlock(1)
		}
	})
	t.Run("another plan and interval at once", func(t *testing.T) {
		w := newCreditWorld(t)
		w.begin(w.pro.Monthly.StripePriceID, start, app.Anniversary(start, 1))
		w.at(start.Add(day(12)))
		w.mustUnlock(2)
		// Pro monthly → Starter yearly: 3 − 2 spent leaves 1, the credit
		// month restarting now.
		switched := w.now
		w.stripe("active", w.starter.Yearly.StripePriceID, switched, switched.AddDate(1, 0, 0))
		w.event("customer.subscription.updated")
		if sub := w.stored(); !sub.CreditMonth.Equal(switched) || sub.Credits != 1 || sub.Interval != app.Yearly {
			t.Fatalf("after the switch: month %s credits %d interval %s; want %s, 1, year", sub.CreditMonth, sub.Credits, sub.Interval, switched)
		}
		w.at(app.Anniversary(start, 1).Add(time.Hour)) // the old anniversary
		w.expectBalance(1, "at the old anniversary")
		w.at(app.Anniversary(switched, 1))
		w.expectBalance(3, "at the new anniversary")
		if n := len(w.ledger(app.CreditInterval)); n != 1 {
			t.Fatalf("%d interval entries, want 1", n)
		}
	})
	t.Run("there and back at once gains nothing", func(t *testing.T) {
		w := newCreditWorld(t)
		w.begin(w.pro.Monthly.StripePriceID, start, app.Anniversary(start, 1))
		w.at(start.Add(day(10)))
		w.mustUnlock(10)
		for i, price := range []string{w.pro.Yearly.StripePriceID, w.pro.Monthly.StripePriceID, w.pro.Yearly.StripePriceID} {
			w.at(w.now.Add(time.Minute))
			end := w.now.AddDate(1, 0, 0)
			if i%2 == 1 {
				end = app.Anniversary(w.now, 1)
			}
			w.stripe("active", price, w.now, end)
			w.event("customer.subscription.updated")
			w.expectBalance(0, fmt.Sprintf("switch %d", i+1))
		}
		if err := w.unlock(); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("an unlock with nothing left: %v", err)
		}
	})
}

func TestCancelAtPeriodEndKeepsCreditsUntilTheEnd(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("customers keep unlocks: %v", keep), func(t *testing.T) {
			w := newCreditWorld(t)
			if keep {
				w.store.UpdateSettings(w.ctx, func(s *app.Settings) error { s.UnlocksAtPlanEnd = app.UnlocksKept; return nil })
			}
			start := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
			end := start.AddDate(1, 0, 0)
			w.begin(w.pro.Yearly.StripePriceID, start, end)
			w.mustUnlock(2)
			w.at(app.Anniversary(start, 2).Add(time.Hour))
			w.cancelAtEnd = true
			w.push()
			w.event("customer.subscription.updated")
			// The paid year still refills every month until it ends.
			for k := 2; k < 12; k++ {
				w.at(app.Anniversary(start, k).Add(time.Hour))
				w.expectBalance(10, fmt.Sprintf("month %d after canceling", k))
				w.mustUnlock(1)
			}
			if st, _ := w.shop.Credits(w.ctx, w.cust.ID); !st.NextRefill.IsZero() || st.Balance != 9 {
				t.Fatalf("the last month: next refill %s, balance %d", st.NextRefill, st.Balance)
			}
			// Usable to the last minute, and no refill promised after it.
			w.at(end.Add(-time.Minute))
			w.mustUnlock(1)
			if msg := shopRefill(t, w); !strings.Contains(msg, "Your plan ends on Mar 10, 2026") {
				t.Fatalf("the answer with no credits left in the last month: %q", msg)
			}
			// Stripe ends it; the next unlock asks Stripe and finds it ended.
			w.at(end.Add(time.Minute))
			w.stripe("canceled", w.pro.Yearly.StripePriceID, start, end)
			if err := w.unlock(); app.ErrorCode(err) != app.EFORBIDDEN {
				t.Fatalf("unlock after the end: %v", err)
			}
			sub, _, ents := w.state(t)
			if !sub.Terminated || sub.Credits != 0 {
				t.Fatalf("after the end: %+v", sub)
			}
			active := 0
			for _, e := range ents {
				if e.Source == app.SourceCredit && e.Active() {
					active++
				}
			}
			if want := map[bool]int{false: 0, true: len(w.ledger(app.CreditUnlock))}[keep]; active != want || len(w.ledger(app.CreditUnlock)) != 21 {
				t.Fatalf("%d credit-unlocked products still active, want %d", active, want)
			}
			if w.mail.sent[len(w.mail.sent)-1] != "subscription_ended:sub@example.com" {
				t.Fatalf("mail: %v", w.mail.sent)
			}
		})
	}
}

// shopRefill is the sentence an unlock with no credits left answers.
func shopRefill(t *testing.T, w *creditWorld) string {
	t.Helper()
	for w.balance() > 0 {
		w.mustUnlock(1)
	}
	err := w.unlock()
	if app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("unlock with none left: %v", err)
	}
	return app.ErrorMessage(err)
}

func TestPastDueGraceThenHoldThenPayment(t *testing.T) {
	start := time.Date(2025, 1, 31, 10, 0, 0, 0, time.UTC)
	renew := app.Anniversary(start, 1)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		// heardAt is when the shop hears of the failed renewal, spendAt
		// when the subscriber tries to unlock, paidAt when the invoice is
		// paid, all after the renewal.
		heardAt, spendAt, paidAt time.Duration
		wantSpend                error // nil: the spend goes through
		wantGrants               int   // month grants once paid (activation's included)
	}{
		{"spends inside the grace", 0, 3 * day, 10 * day, nil, 2},
		{"on hold after the grace", 0, 8 * day, 10 * day, app.Errorf(app.EFORBIDDEN, ""), 2},
		{"at the grace's last second", 0, 7*day - time.Second, 10 * day, nil, 2},
		{"paid inside the grace", 0, 3 * day, 2 * day, nil, 2},
		{"heard of only after the grace: the refill waits for the payment", 8 * day, 9 * day, 12 * day, app.Errorf(app.EFORBIDDEN, ""), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newCreditWorld(t)
			w.begin(w.pro.Monthly.StripePriceID, start, renew)
			w.mustUnlock(9)
			// The renewal fails: Stripe moves the period on, past_due.
			w.at(renew.Add(tc.heardAt))
			w.stripe("past_due", w.pro.Monthly.StripePriceID, renew, app.Anniversary(start, 2))
			w.event("customer.subscription.updated")
			w.event("invoice.payment_failed")
			if sub := w.stored(); !sub.PastDueSince.Equal(renew) || !sub.Fulfilled {
				t.Fatalf("past due: since %s fulfilled %v", sub.PastDueSince, sub.Fulfilled)
			}
			if w.mail.sent[len(w.mail.sent)-1] != "renewal_failed:sub@example.com" {
				t.Fatalf("mail: %v", w.mail.sent)
			}
			if tc.heardAt > 0 {
				if n := len(w.ledger(app.CreditGrant)); n != 1 {
					t.Fatalf("credits on hold were refilled: %d grants", n)
				}
			}
			if tc.paidAt < tc.spendAt {
				w.at(renew.Add(tc.paidAt))
				w.stripe("active", w.pro.Monthly.StripePriceID, renew, app.Anniversary(start, 2))
				w.event("invoice.paid")
			}
			w.at(renew.Add(tc.spendAt))
			err := w.unlock()
			if (err == nil) != (tc.wantSpend == nil) || (err != nil && app.ErrorCode(err) != app.ErrorCode(tc.wantSpend)) {
				t.Fatalf("unlock %s after the failure: %v, want %v", tc.spendAt, err, tc.wantSpend)
			}
			st, _ := w.shop.Credits(w.ctx, w.cust.ID)
			switch {
			case tc.paidAt < tc.spendAt:
				if st.State != "ok" || st.Balance != 9 {
					t.Fatalf("paid, then spent: %s %d", st.State, st.Balance)
				}
			case err != nil:
				if st.State != "frozen" || !strings.Contains(app.ErrorMessage(err), "on hold") {
					t.Fatalf("after the grace: state %s, error %q", st.State, app.ErrorMessage(err))
				}
			default:
				if st.State != "grace" || st.Balance != 9 || !st.GraceUntil.Equal(renew.Add(7*day)) {
					t.Fatalf("inside the grace: state %s balance %d until %s", st.State, st.Balance, st.GraceUntil)
				}
			}
			// Paid at last: the missed refill happens, once.
			w.at(renew.Add(tc.paidAt))
			w.stripe("active", w.pro.Monthly.StripePriceID, renew, app.Anniversary(start, 2))
			w.event("invoice.paid")
			w.event("invoice.paid")
			w.event("customer.subscription.updated")
			if n := len(w.ledger(app.CreditGrant)); n != tc.wantGrants {
				t.Fatalf("%d grants, want %d", n, tc.wantGrants)
			}
			want := 10
			if err == nil {
				want = 9
			}
			w.expectBalance(want, "after the payment")
			if sub := w.stored(); !sub.PastDueSince.IsZero() || sub.Credits != want {
				t.Fatalf("stored after payment: %+v", sub)
			}
		})
	}
}

func TestPastDueGraceIsASetting(t *testing.T) {
	w := newCreditWorld(t)
	if _, err := w.store.UpdateSettings(w.ctx, func(s *app.Settings) error { s.PastDueGrace = 0; return nil }); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	w.begin(w.pro.Monthly.StripePriceID, start, start.AddDate(0, 1, 0))
	w.at(start.AddDate(0, 1, 0).Add(time.Minute))
	w.stripe("past_due", w.pro.Monthly.StripePriceID, start.AddDate(0, 1, 0), start.AddDate(0, 2, 0))
	w.event("customer.subscription.updated")
	if err := w.unlock(); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("no grace: unlock %v", err)
	}
	if s, _ := w.store.Settings(w.ctx); s.Validate() != nil {
		t.Fatal("0 days of grace is a valid setting")
	}
	bad := app.DefaultSettings()
	bad.PastDueGrace = 31 * 24 * time.Hour
	if bad.Validate() == nil {
		t.Fatal("31 days of grace accepted")
	}
	if d := app.DefaultSettings().PastDueGrace; d != 7*24*time.Hour {
		t.Fatalf("default grace %s, want 7 days", d)
	}
}

func TestTwoUnlocksForTheLastCreditOneWins(t *testing.T) {
	for round := 0; round < 5; round++ {
		w := newCreditWorld(t)
		start := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
		w.begin(w.pro.Monthly.StripePriceID, start, start.AddDate(0, 1, 0))
		w.mustUnlock(9)
		var slugs []string
		for i := 0; i < 2; i++ {
			p := app.Product{Slug: fmt.Sprintf("race-%d", i), Title: "Race", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
			w.store.PutProduct(w.ctx, &p)
			slugs = append(slugs, p.Slug)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range slugs {
			wg.Add(1)
			go func(i int) { defer wg.Done(); _, errs[i] = w.shop.Unlock(w.ctx, w.cust.ID, slugs[i]) }(i)
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: both or neither won: %v / %v", round, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !strings.Contains(app.ErrorMessage(err), "no credits left") {
				t.Fatalf("the loser's answer: %q", app.ErrorMessage(err))
			}
		}
		if sub := w.stored(); sub.Credits != 0 || sub.Spent != 10 {
			t.Fatalf("after the race: credits %d spent %d", sub.Credits, sub.Spent)
		}
	}
}

func TestAnUnlockAtTheMonthBoundary(t *testing.T) {
	w := newCreditWorld(t)
	start := time.Date(2025, 1, 31, 10, 0, 0, 0, time.UTC)
	w.begin(w.pro.Yearly.StripePriceID, start, start.AddDate(1, 0, 0))
	w.mustUnlock(10)
	boundary := app.Anniversary(start, 1) // Feb 28, 10:00
	w.at(boundary.Add(-time.Nanosecond))
	err := w.unlock()
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "They refill on Feb 28, 2025") {
		t.Fatalf("the last instant of the month: %v", err)
	}
	w.at(boundary)
	if err := w.unlock(); err != nil {
		t.Fatalf("the first instant of the new month: %v", err)
	}
	if sub := w.stored(); sub.Credits != 9 || !sub.CreditMonth.Equal(boundary) {
		t.Fatalf("at the boundary: credits %d month %s", sub.Credits, sub.CreditMonth)
	}
}

func TestAPlanKeyValidatesForOwnedProductsOnly(t *testing.T) {
	w := newCreditWorld(t)
	start := time.Now().Add(-time.Hour)
	w.begin(w.pro.Monthly.StripePriceID, start, start.AddDate(0, 1, 0))
	_, lics, _ := w.state(t)
	key := lics[0].Key
	other := app.Product{Slug: "not-owned", Title: "Not owned", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
	w.store.PutProduct(w.ctx, &other)
	w.mustUnlock(1) // thing-1
	for _, tc := range []struct {
		product string
		valid   bool
	}{{"", true}, {"thing-1", true}, {"not-owned", false}, {"no-such-product", false}} {
		st, err := w.shop.ValidateLicense(w.ctx, key, tc.product)
		if err != nil || st.Valid != tc.valid || st.Plan != "pro" {
			t.Errorf("plan key for %q: %+v %v; want valid=%v", tc.product, st, err, tc.valid)
		}
	}
}

// Past the stored period end the stored balance is not the truth: a
// subscriber who spent the month's last credit, whose renewal the shop
// has not heard of yet, is still offered the unlock (the spend asks
// Stripe first), and the pages never promise a refill on a date that
// has passed.
func TestPastThePeriodEndTheUnlockIsStillOffered(t *testing.T) {
	w := newCreditWorld(t)
	start := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	renew := app.Anniversary(start, 1)
	w.begin(w.pro.Monthly.StripePriceID, start, renew)
	w.mustUnlock(10)
	// Stripe renews; no webhook has arrived.
	w.at(renew.Add(time.Minute))
	w.stripe("active", w.pro.Monthly.StripePriceID, renew, app.Anniversary(start, 2))
	st, err := w.shop.Credits(w.ctx, w.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "unconfirmed" || !st.CanSpend() {
		t.Fatalf("past the period end with 0 stored: state %s, can spend %v; want unconfirmed and the unlock offered", st.State, st.CanSpend())
	}
	if !st.NextRefill.IsZero() && !st.NextRefill.After(w.now) {
		t.Fatalf("the pages would promise a refill on %s, which has passed", st.NextRefill)
	}
	w.mustUnlock(1)
	w.expectBalance(9, "after the unlock confirmed the renewal")
}

// A free product costs no credit: the unlock refuses it with a sentence
// and spends nothing (Get it free adds it to the library).
func TestAFreeProductCostsNoCredit(t *testing.T) {
	w := newCreditWorld(t)
	start := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	w.begin(w.pro.Monthly.StripePriceID, start, app.Anniversary(start, 1))
	free := app.Product{Slug: "free-thing", Title: "Free Thing", Price: app.Money{Amount: 0, Currency: "usd"}, Active: true}
	if err := w.store.PutProduct(w.ctx, &free); err != nil {
		t.Fatal(err)
	}
	_, err := w.shop.Unlock(w.ctx, w.cust.ID, free.Slug)
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "Free Thing is free") {
		t.Fatalf("unlocking a free product: %v", err)
	}
	if sub := w.stored(); sub.Credits != 10 || sub.Spent != 0 || len(w.ledger(app.CreditUnlock)) != 0 {
		t.Fatalf("a credit was spent on a free product: credits %d spent %d", sub.Credits, sub.Spent)
	}
}
