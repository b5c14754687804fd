package server_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
	"vendo/app/webhook"
)

// setPlan changes a stored plan (its trial settings) as the admin's
// editor would.
func setPlan(t *testing.T, srv *vendotest.Shop, slug string, edit func(*app.Plan)) app.Plan {
	t.Helper()
	var p app.Plan
	err := srv.Store.Update(context.Background(), func(tx *store.Tx) (err error) {
		if p, err = tx.PlanBySlug(slug); err != nil {
			return err
		}
		edit(&p)
		return tx.PutPlan(&p)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startTrial picks a plan on /plans and completes the sandbox's Checkout
// with card ("" starts the trial without one); it returns the Checkout
// page as the customer saw it.
func startTrial(t *testing.T, c *vendotest.Client, email, plan, card string) string {
	t.Helper()
	c.Get("/plans")
	resp, page := c.Submit("/subscribe", url.Values{"plan": {plan}, "interval": {"month"}})
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/") {
		t.Fatalf("subscribe landed on %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	form := url.Values{"email": {email}, "name": {"Trial Taker"}}
	if card != "" {
		form.Set("card_number", card)
		form.Set("exp", "12/34")
		form.Set("cvc", "123")
	}
	resp, after := c.Post(c.At.String(), form)
	if resp.Request.URL.Path != "/account" {
		t.Fatalf("after Checkout: %s (%d)\n%.800s", resp.Request.URL, resp.StatusCode, after)
	}
	return page
}

func mailsTo(srv *vendotest.Shop, email, template string) int {
	n := 0
	for _, m := range srv.Outbox() {
		if m.To == email && m.Template == template {
			n++
		}
	}
	return n
}

// TestFreeTrials runs a plan's free trial through the sandbox and its
// clock: access and the trial's credits from the start, the reminder mail
// three days before the end (once), then either the first charge (active,
// the paid allowance) or, without a card, the end of the plan; and a
// customer who had a plan gets no second trial.
func TestFreeTrials(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		card        string // "" starts without a card
		noCard      bool   // the plan lets a trial start without one
		limited     bool
		trialCreds  int
		wantCredits int // during the trial; -1 for the plan's own
		converts    bool
	}{
		{name: "card, full credits, converts", card: "4242424242424242", wantCredits: -1, converts: true},
		{name: "card optional but given, two trial credits", card: "4242424242424242", noCard: true, limited: true, trialCreds: 2, wantCredits: 2, converts: true},
		{name: "no card, no trial credits, ends unpaid", noCard: true, limited: true, wantCredits: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := vendotest.Start(t, vendotest.Options{})
			plan := setPlan(t, srv, "pro", func(p *app.Plan) {
				p.TrialDays, p.TrialNoCard, p.TrialCreditsLimited, p.TrialCredits = 14, tc.noCard, tc.limited, tc.trialCreds
			})
			want := tc.wantCredits
			if want < 0 {
				want = plan.Credits
			}
			email := "trial@example.com"
			c := subscriber(srv, email)
			_, plans := c.Get("/plans")
			mustContain(t, plans, "14-day free trial", "Start free trial")
			checkout := startTrial(t, c, email, "pro", tc.card)
			mustContain(t, checkout, "14 days free", "Total due today", "Start your free trial")
			if tc.noCard != strings.Contains(checkout, "A card is optional") {
				t.Errorf("card optional %v, the Checkout page:\n%s", tc.noCard, checkout)
			}

			sub := currentSub(t, srv, email, "the trial's activation", func(s app.Subscription) bool { return s.Fulfilled })
			if sub.Status != "trialing" || sub.Credits != want || sub.LicenseID == "" {
				t.Fatalf("trial started as %+v, want trialing with %d credits and a key", sub, want)
			}
			if d := sub.TrialEnd.Sub(sub.TrialStart); d != 14*24*time.Hour || !sub.CurrentPeriodEnd.Equal(sub.TrialEnd) {
				t.Errorf("trial %s → %s (period end %s), want 14 days", sub.TrialStart, sub.TrialEnd, sub.CurrentPeriodEnd)
			}
			if n := mailsTo(srv, email, "trial_ending"); n != 0 {
				t.Fatalf("%d trial-ending mails at the start", n)
			}

			// Ten days in: nothing yet. Eleven: the reminder, once.
			srv.AdvanceClock("10d")
			srv.AdvanceClock("1d")
			vendotest.WaitFor(t, "the trial-ending mail", func() bool { return mailsTo(srv, email, "trial_ending") == 1 })
			var reminder app.Mail
			for _, m := range srv.Outbox() {
				if m.Template == "trial_ending" {
					reminder = m
				}
			}
			mustContain(t, reminder.Text, "Pro", srv.URL+"/account", srv.Shop.BaseURL)
			if reminder.HTML == "" || !strings.Contains(reminder.HTML, srv.URL+"/account") {
				t.Errorf("the reminder's HTML part lacks the account link:\n%s", reminder.HTML)
			}
			if tc.card == "" {
				mustContain(t, reminder.Text, "You have not added a card")
			} else {
				mustContain(t, reminder.Text, "charged to the card")
			}

			// A second delivery of the reminder (replayed by Stripe or an
			// admin) mails nothing more.
			if _, err := srv.Ledger.Process(context.Background(), webhook.Event{ID: "evt_again", Type: "customer.subscription.trial_will_end", ObjectID: sub.StripeID}, "test"); err != nil {
				t.Fatal(err)
			}

			// The trial ends.
			srv.AdvanceClock("4d")
			if tc.converts {
				sub = currentSub(t, srv, email, "the paid period after the trial", func(s app.Subscription) bool { return s.Status == "active" })
				if !sub.Fulfilled || sub.Credits != plan.Credits || !sub.CurrentPeriodStart.Equal(sub.TrialEnd) || !sub.CreditAnchor.Equal(sub.TrialEnd) {
					t.Fatalf("after the trial: %+v, want active with the plan's %d credits from the trial's end", sub, plan.Credits)
				}
				st, err := srv.Shop.Stripe.GetSubscription(context.Background(), sub.StripeID)
				if err != nil || st.Status != "active" || st.LatestInvoiceID == "" {
					t.Fatalf("Stripe has %+v (%v)", st, err)
				}
				in, err := srv.Shop.Stripe.GetInvoice(context.Background(), st.LatestInvoiceID)
				if err != nil || !in.Paid || in.AmountPaid != plan.Monthly.Price.Amount {
					t.Fatalf("the first paid invoice: %+v (%v)", in, err)
				}
			} else {
				sub = currentSub(t, srv, email, "the end of the unpaid trial", func(s app.Subscription) bool { return s.Terminated })
				if sub.Status != "canceled" || sub.Fulfilled || sub.Credits != 0 {
					t.Fatalf("after the unpaid trial: %+v", sub)
				}
				var lic app.License
				srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { lic, err = tx.License(sub.LicenseID); return })
				if lic.Status != app.LicenseRevoked {
					t.Errorf("the trial's key is %s after it ended unpaid", lic.Status)
				}
				vendotest.WaitFor(t, "the plan-ended mail", func() bool { return mailsTo(srv, email, "subscription_ended") == 1 })

				// No second trial: the plans page says so, and Checkout
				// charges at once.
				_, plans = c.Get("/plans")
				mustContain(t, plans, "You had a plan before, so it starts without the free trial.")
				if strings.Contains(plans, "Start free trial") {
					t.Error("a returning customer is offered a trial")
				}
				checkout = startTrial(t, c, email, "pro", "4242424242424242")
				if strings.Contains(checkout, "days free") {
					t.Errorf("a second trial at Checkout:\n%s", checkout)
				}
				mustContain(t, checkout, plan.Monthly.Price.String())
				vendotest.WaitFor(t, "the paid second subscription", func() bool {
					ok := false
					srv.Store.View(context.Background(), func(tx *store.Tx) error {
						cust, _ := tx.CustomerByEmail(email)
						subs, _ := tx.SubscriptionsOf(cust.ID)
						for _, s := range subs {
							ok = ok || s.Status == "active" && s.Fulfilled && s.TrialEnd.IsZero()
						}
						return nil
					})
					return ok
				})
			}
			if n := mailsTo(srv, email, "trial_ending"); n != 1 {
				t.Errorf("%d trial-ending mails, want 1", n)
			}
		})
	}
}

// TestTrialsAndPlanCodesInStripeMode is the main cases of trials and codes
// on plans against Stripe's API shape: shop B in Stripe mode uses shop A's
// sandbox as its Stripe. A trial without a card starts at A's Checkout, B
// mails its reminder when A's clock sends trial_will_end and ends access
// when A cancels it unpaid; a code for the Starter plan, made at A as a
// forever Coupon for Starter's Stripe Product, takes its share off the
// first payment and the renewal at A.
func TestTrialsAndPlanCodesInStripeMode(t *testing.T) {
	t.Parallel()
	p := newPair(t, true, nil)
	b := p.b
	b.Admin.SignInAdmin()
	starter := planBySlug(t, b, "starter")
	setPlan(t, b, "pro", func(pl *app.Plan) { pl.TrialDays, pl.TrialNoCard = 14, true })
	createCode(t, b, url.Values{"code": {"STARTER10"}, "name": {"Starter for less"}, "percent_off": {"10"}, "currency": {"usd"},
		"plans": {starter.ID}, "duration": {"forever"}})
	starter = planBySlug(t, b, "starter") // its Stripe Product, made for the coupon
	var d app.Discount
	b.Store.View(context.Background(), func(tx *store.Tx) (err error) { d, err = tx.DiscountByCode("STARTER10"); return err })
	pc, err := p.api.PromotionCodes.Get(d.StripePromotionCodeID, nil)
	if err != nil || pc.Coupon.Duration != "forever" || pc.Coupon.AppliesTo == nil || !slices.Equal(pc.Coupon.AppliesTo.Products, []string{starter.StripeProductID}) {
		t.Fatalf("the promotion code at A: %+v, %v", pc, err)
	}

	// The trial, without a card.
	trialist := "trialist@example.com"
	tc := subscriber(b, trialist)
	checkout := startTrial(t, tc, trialist, "pro", "")
	mustContain(t, checkout, "14 days free", "A card is optional")
	sub := currentSub(t, b, trialist, "B's trial", func(s app.Subscription) bool { return s.Fulfilled && s.Status == "trialing" })
	if st, err := p.api.Subscriptions.Get(sub.StripeID, nil); err != nil || st.Status != "trialing" || st.TrialEnd != sub.TrialEnd.Unix() ||
		st.TrialSettings == nil || st.TrialSettings.EndBehavior.MissingPaymentMethod != "cancel" || st.DefaultPaymentMethod != nil {
		t.Fatalf("the trial at A: %+v, %v", st, err)
	}

	// The code, shared as a link.
	coder := "coder@example.com"
	cc := subscriber(b, coder)
	_, plans := cc.Get("/plans?code=STARTER10")
	want := starter.Monthly.Price.Amount * 90 / 100
	mustContain(t, plans, "Code STARTER10", app.Money{Amount: want, Currency: "usd"}.String())
	resp, page := cc.Submit("/subscribe", url.Values{"plan": {"starter"}, "interval": {"month"}})
	if !strings.HasPrefix(resp.Request.URL.String(), p.a.URL+"/sandbox/stripe/checkout/") {
		t.Fatalf("subscribe landed on %s\n%.1000s", resp.Request.URL, page)
	}
	if resp, _ := cc.Pay(coder, "4242424242424242"); resp.Request.URL.Path != "/account" {
		t.Fatalf("pay: %s", resp.Request.URL)
	}
	coded := currentSub(t, b, coder, "B's discounted plan", func(s app.Subscription) bool { return s.Fulfilled })
	paid := func(what string, want int64) {
		t.Helper()
		vendotest.WaitFor(t, what, func() bool {
			st, err := p.api.Subscriptions.Get(coded.StripeID, nil)
			if err != nil || st.LatestInvoice == nil {
				return false
			}
			in, err := p.api.Invoices.Get(st.LatestInvoice.ID, nil)
			return err == nil && in.Paid && in.AmountPaid == want
		})
	}
	paid("the discounted first payment at A", want)

	// A's clock: the reminder, then the unpaid end; the renewal keeps
	// the code.
	p.a.AdvanceClock("11d")
	vendotest.WaitFor(t, "B's trial reminder", func() bool { return mailsTo(b, trialist, "trial_ending") == 1 })
	p.a.AdvanceClock("4d")
	sub = currentSub(t, b, trialist, "the end of B's unpaid trial", func(s app.Subscription) bool { return s.Terminated })
	if sub.Status != "canceled" || sub.Fulfilled {
		t.Fatalf("after the unpaid trial: %+v", sub)
	}
	p.a.AdvanceClock("17d")
	paid("the discounted renewal at A", want)
	if n := mailsTo(b, trialist, "trial_ending"); n != 1 {
		t.Errorf("%d trial reminders", n)
	}
}
