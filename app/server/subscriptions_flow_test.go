package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
	"vendo/app/webhook"
)

// subscriber signs in a new customer and returns their browser.
func subscriber(srv *vendotest.Shop, email string) *vendotest.Client {
	c := srv.NewClient()
	c.SignIn(email)
	return c
}

// currentSub waits until the customer's subscription satisfies cond.
func currentSub(t *testing.T, srv *vendotest.Shop, email, what string, cond func(app.Subscription) bool) app.Subscription {
	t.Helper()
	var sub app.Subscription
	vendotest.WaitFor(t, what, func() bool {
		ok := false
		srv.Store.View(context.Background(), func(tx *store.Tx) error {
			cust, err := tx.CustomerByEmail(email)
			if err != nil {
				return nil
			}
			subs, _ := tx.SubscriptionsOf(cust.ID)
			if len(subs) > 0 {
				sub = subs[0]
				ok = cond(sub)
			}
			return nil
		})
		return ok
	})
	return sub
}

func planBySlug(t *testing.T, srv *vendotest.Shop, slug string) app.Plan {
	var p app.Plan
	srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { p, err = tx.PlanBySlug(slug); return })
	return p
}

func validateLicense(t *testing.T, srv *vendotest.Shop, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/api/licenses/validate", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestSubscribeToEachPlanMonthlyAndYearly(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	for _, plan := range []string{"starter", "pro", "team"} {
		for _, iv := range []string{"month", "year"} {
			email := plan + "-" + iv + "@example.com"
			s := subscriber(srv, email)
			s.Subscribe(plan, iv, "4242424242424242")
			p := planBySlug(t, srv, plan)
			sub := currentSub(t, srv, email, "activation of "+email, func(s app.Subscription) bool { return s.Fulfilled })
			if sub.PlanID != p.ID || string(sub.Interval) != iv || sub.Credits != p.Credits || sub.LicenseID == "" || sub.Status != "active" {
				t.Fatalf("%s: %+v", email, sub)
			}
			_, page := s.Get("/account")
			mustContain(t, page, p.Name, "VENDO-", "Manage plan and billing")
			if !regexp.MustCompile(`status-paid">Paid`).MatchString(page) {
				t.Fatalf("%s: the account page shows no paid invoice", email)
			}
			// A second subscribe goes to the portal, not a second subscription.
			s.Get("/plans")
			resp, _ := s.Submit("/subscribe", url.Values{"plan": {"team"}, "interval": {"month"}})
			if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/portal/") {
				t.Fatalf("%s: a subscriber's second subscribe went to %s", email, resp.Request.URL)
			}
		}
	}
}

func TestPortalSwitchCancelAndClockEnd(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	email := "switcher@example.com"
	s := subscriber(srv, email)
	s.Subscribe("starter", "month", "4242 4242 4242 4242")
	sub := currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	var lic app.License
	srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { lic, err = tx.License(sub.LicenseID); return })
	if code, out := validateLicense(t, srv, `{"key":"`+lic.Key+`"}`); code != 200 || out["valid"] != true || out["plan"] != "starter" {
		t.Fatalf("license while active: %d %v", code, out)
	}
	if code, _ := validateLicense(t, srv, `{"key":"not a key"}`); code != 400 {
		t.Fatalf("malformed key: %d, want 400", code)
	}
	if code, out := validateLicense(t, srv, `{"key":"VENDO-2222-3333-4444-5555"}`); code != 200 || out["valid"] != false {
		t.Fatalf("unknown key: %d %v", code, out)
	}

	// Unlock a product with a credit.
	s.Get("/products/the-calm-inbox")
	if resp, page := s.Submit("/library/the-calm-inbox/unlock", url.Values{}); resp.Request.URL.Path != "/products/the-calm-inbox" ||
		!strings.Contains(page, "In your library") || !strings.Contains(page, `/downloads/`) || strings.Contains(page, "Add to cart") {
		t.Fatalf("unlock landed on %s, which does not show the product as owned with its downloads", resp.Request.URL)
	}
	_, page := s.Get("/account")
	mustContain(t, page, "unlocked with a credit", "2 credits left")

	// Switch to Pro (still monthly) in the portal: the allowance moves,
	// the spending stays.
	resp, page := s.Submit("/account/billing-portal", url.Values{})
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/portal/") {
		t.Fatalf("portal: %s", resp.Request.URL)
	}
	pro := planBySlug(t, srv, "pro")
	m := regexp.MustCompile(`action="([^"]+/switch)"><input type="hidden" name="subscription" value="([^"]+)"><input type="hidden" name="price" value="` + pro.Monthly.StripePriceID + `"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no switch to Pro monthly in the portal:\n%.2000s", page)
	}
	s.Submit(m[1], url.Values{"subscription": {m[2]}, "price": {pro.Monthly.StripePriceID}})
	sub = currentSub(t, srv, email, "the switch to Pro", func(s app.Subscription) bool { return s.PlanID == pro.ID })
	vendotest.WaitFor(t, "the proration invoice", func() bool { return ledgerCount(srv.Store, "invoice.paid") >= 2 })
	sub = currentSub(t, srv, email, "the switch to Pro", func(s app.Subscription) bool { return s.PlanID == pro.ID })
	if sub.Interval != app.Monthly || sub.Credits != pro.Credits-1 {
		t.Fatalf("after switch: interval %s credits %d (pro has %d, one was spent)", sub.Interval, sub.Credits, pro.Credits)
	}

	// Cancel at period end, resume, cancel again.
	_, page = s.Get(resp.Request.URL.String())
	cancel := regexp.MustCompile(`action="([^"]+/cancel)"><input type="hidden" name="subscription" value="([^"]+)"`).FindStringSubmatch(page)
	if cancel == nil {
		t.Fatal("no cancel form in the portal")
	}
	s.Submit(cancel[1], url.Values{"subscription": {cancel[2]}})
	currentSub(t, srv, email, "cancel at period end", func(s app.Subscription) bool { return s.CancelAtPeriodEnd })
	_, page = s.Get("/account")
	mustContain(t, page, "Your plan ends on", "Resume plan")
	_, page = s.Get(resp.Request.URL.String())
	resume := regexp.MustCompile(`action="([^"]+/resume)"><input type="hidden" name="subscription" value="([^"]+)"`).FindStringSubmatch(page)
	if resume == nil {
		t.Fatal("no resume form in the portal")
	}
	s.Submit(resume[1], url.Values{"subscription": {resume[2]}})
	currentSub(t, srv, email, "resume", func(s app.Subscription) bool { return !s.CancelAtPeriodEnd })
	if _, page = s.Get("/account"); strings.Contains(page, "Your plan ends on") {
		t.Fatal("the account still says the plan ends after resuming")
	}
	s.Get(resp.Request.URL.String())
	s.Submit(cancel[1], url.Values{"subscription": {cancel[2]}})
	currentSub(t, srv, email, "cancel again", func(s app.Subscription) bool { return s.CancelAtPeriodEnd })

	// The clock passes the period end: the plan ends, grants are revoked.
	srv.AdvanceClock("400d")
	sub = currentSub(t, srv, email, "termination", func(s app.Subscription) bool { return s.Terminated })
	if sub.Fulfilled || sub.Credits != 0 || sub.Status != "canceled" {
		t.Fatalf("after the end: %+v", sub)
	}
	_, page = s.Get("/account")
	mustContain(t, page, "plan has ended")
	if strings.Contains(page, "unlocked with a credit") {
		t.Fatal("a credit-unlocked product is still in the library after the plan ended")
	}
	if _, out := validateLicense(t, srv, `{"key":"`+lic.Key+`"}`); out["valid"] != false {
		t.Fatalf("license after termination: %v", out)
	}
}

func TestRenewalRefillsOnceAndFailingCardEndsThePlan(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	good := subscriber(srv, "renews@example.com")
	good.Subscribe("starter", "month", "4242424242424242")
	bad := subscriber(srv, "fails@example.com")
	bad.Subscribe("starter", "month", "4000 0000 0000 0341")
	first := currentSub(t, srv, "renews@example.com", "activation", func(s app.Subscription) bool { return s.Fulfilled })
	currentSub(t, srv, "fails@example.com", "activation", func(s app.Subscription) bool { return s.Fulfilled })

	good.Get("/products/the-calm-inbox")
	good.Submit("/library/the-calm-inbox/unlock", url.Values{})
	currentSub(t, srv, "renews@example.com", "the spend", func(s app.Subscription) bool { return s.Credits == 2 })

	srv.AdvanceClock("31d")
	renewed := currentSub(t, srv, "renews@example.com", "renewal", func(s app.Subscription) bool {
		return s.CurrentPeriodEnd.After(first.CurrentPeriodEnd) && s.Credits == 3
	})
	vendotest.WaitFor(t, "the renewal's invoice.paid", func() bool { return ledgerHas(srv.Store, "invoice.paid") })
	grants := 0
	srv.Store.View(context.Background(), func(tx *store.Tx) error {
		cs, _ := tx.CreditsOf(renewed.CustomerID, 0)
		for _, c := range cs {
			if c.Reason == "period_grant" && c.Ref == renewed.CurrentPeriodStart.UTC().Format("2006-01-02") {
				grants++
			}
		}
		return nil
	})
	if grants != 1 {
		t.Fatalf("the renewal refilled credits %d times, want once", grants)
	}

	failed := currentSub(t, srv, "fails@example.com", "past due", func(s app.Subscription) bool { return s.Status == "past_due" })
	if !failed.Fulfilled {
		t.Fatal("past due already revoked the plan")
	}
	vendotest.WaitFor(t, "the renewal-failed email", func() bool {
		found := false
		srv.Store.View(context.Background(), func(tx *store.Tx) error {
			ms, _, _ := tx.Outbox(store.MailFilter{})
			for _, m := range ms {
				if m.To == "fails@example.com" && strings.Contains(m.Subject, "could not renew") {
					found = true
				}
			}
			return nil
		})
		return found
	})
	_, page := bad.Get("/account")
	mustContain(t, page, "Your last payment failed", "Update payment method")

	srv.AdvanceClock("20d") // past Stripe's retries
	ended := currentSub(t, srv, "fails@example.com", "cancel after retries", func(s app.Subscription) bool { return s.Terminated })
	if ended.Status != "canceled" || ended.Credits != 0 {
		t.Fatalf("after failed retries: %+v", ended)
	}
}

func ledgerCount(st *store.Store, typ string) int {
	n := 0
	st.View(context.Background(), func(tx *store.Tx) error {
		es, _, _ := tx.Events(store.EventFilter{Type: typ, Outcome: store.EventApplied, Limit: 1000})
		n = len(es)
		return nil
	})
	return n
}

// TestSubscriptionLifecycleWithDuplicatedShuffledDeliveries runs a whole
// subscription — activation, renewal, cancel, end — while the sandbox
// delivers every event twice and out of order, and checks the grants,
// license and emails happened exactly once.
func TestSubscriptionLifecycleWithDuplicatedShuffledDeliveries(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{Env: map[string]string{"VENDO_SANDBOX_DELIVER_TWICE": "1", "VENDO_SANDBOX_SHUFFLE": "6"}})
	email := "chaos@example.com"
	s := subscriber(srv, email)
	s.Subscribe("pro", "month", "4242424242424242")
	first := currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	srv.AdvanceClock("31d")
	currentSub(t, srv, email, "renewal", func(s app.Subscription) bool { return s.CurrentPeriodEnd.After(first.CurrentPeriodEnd) })
	resp, _ := s.Submit("/account/billing-portal", url.Values{})
	_, page := s.Get(resp.Request.URL.String())
	cancel := regexp.MustCompile(`action="([^"]+/cancel)"><input type="hidden" name="subscription" value="([^"]+)"`).FindStringSubmatch(page)
	if cancel == nil {
		t.Fatal("no cancel form in the portal")
	}
	s.Submit(cancel[1], url.Values{"subscription": {cancel[2]}})
	srv.AdvanceClock("40d")
	end := currentSub(t, srv, email, "termination", func(s app.Subscription) bool { return s.Terminated })

	// Wait for the duplicates to drain, then count effects.
	vendotest.WaitFor(t, "duplicate deliveries", func() bool { return ledgerCount(srv.Store, "customer.subscription.deleted") >= 1 })
	srv.Store.View(context.Background(), func(tx *store.Tx) error {
		lics, _ := tx.LicensesOf(end.CustomerID)
		if len(lics) != 1 {
			t.Errorf("%d licenses, want 1", len(lics))
		}
		grants := map[string]int{}
		cs, _ := tx.CreditsOf(end.CustomerID, 0)
		for _, c := range cs {
			if c.Reason == "period_grant" {
				grants[c.Ref]++
			}
		}
		for ref, n := range grants {
			if n != 1 {
				t.Errorf("period %s granted %d times", ref, n)
			}
		}
		if len(grants) != 2 {
			t.Errorf("%d period grants, want 2 (activation and one renewal): %v", len(grants), grants)
		}
		ms, _, _ := tx.Outbox(store.MailFilter{})
		started, ended, canceled := 0, 0, 0
		for _, m := range ms {
			if m.To == email && m.Template == "subscription_canceled" {
				canceled++
			}
			if m.To == email && m.Template == "subscription_started" {
				started++
			}
			if m.To == email && m.Template == "subscription_ended" {
				ended++
			}
		}
		// The cancellation mail goes out only if some delivery re-fetched
		// the subscription before the clock ended it: at most once.
		if started != 1 || ended != 1 || canceled > 1 {
			t.Errorf("emails: %d started, %d canceled, %d ended; want one started and ended, at most one canceled", started, canceled, ended)
		}
		return nil
	})
}

// TestCancelInPortalMailsOnceUntilWhen cancels a plan at period end in the
// sandbox portal while every event is delivered twice, then applies the
// re-fetched subscription once more as a later event would: the outbox
// holds exactly one cancellation mail, naming the day the plan ends.
func TestCancelInPortalMailsOnceUntilWhen(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{Env: map[string]string{"VENDO_SANDBOX_DELIVER_TWICE": "1"}})
	email := "leaver@example.com"
	s := subscriber(srv, email)
	s.Subscribe("pro", "year", "4242424242424242")
	currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	resp, _ := s.Submit("/account/billing-portal", url.Values{})
	_, page := s.Get(resp.Request.URL.String())
	cancel := regexp.MustCompile(`action="([^"]+/cancel)"><input type="hidden" name="subscription" value="([^"]+)"`).FindStringSubmatch(page)
	if cancel == nil {
		t.Fatal("no cancel form in the portal")
	}
	s.Submit(cancel[1], url.Values{"subscription": {cancel[2]}})
	sub := currentSub(t, srv, email, "cancel at period end", func(s app.Subscription) bool { return s.CancelAtPeriodEnd })
	canceled := func() []app.Mail {
		var out []app.Mail
		srv.Store.View(context.Background(), func(tx *store.Tx) error {
			ms, _, _ := tx.Outbox(store.MailFilter{})
			for _, m := range ms {
				if m.To == email && m.Template == "subscription_canceled" {
					out = append(out, m)
				}
			}
			return nil
		})
		return out
	}
	vendotest.WaitFor(t, "the cancellation mail", func() bool { return len(canceled()) > 0 })

	// A later event about the same subscription re-fetches the same
	// cancellation: nothing more is mailed.
	ctx, release := webhook.Scope(context.Background())
	defer release()
	apply, err := srv.Shop.HandleSubscriptionEvent(ctx, webhook.Event{ID: "evt_again", Type: "customer.subscription.updated", ObjectID: sub.StripeID})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.Update(ctx, func(tx *store.Tx) error { return apply(tx) }); err != nil {
		t.Fatal(err)
	}

	ms := canceled()
	if len(ms) != 1 {
		t.Fatalf("%d cancellation mails, want 1", len(ms))
	}
	ends := sub.CurrentPeriodEnd.Format("January 2, 2006")
	if !strings.Contains(ms[0].Text, "You keep it until") || !strings.Contains(ms[0].Text, ends) {
		t.Fatalf("the cancellation mail does not say the plan lasts until %s:\n%s", ends, ms[0].Text)
	}
	if !strings.Contains(ms[0].HTML, ends) || !strings.Contains(ms[0].Text, srv.URL+"/account") {
		t.Fatalf("the mail's HTML part lacks the end date or the text lacks the account link:\n%s\n%s", ms[0].Text, ms[0].HTML)
	}
}
