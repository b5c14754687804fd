package shop

import (
	"context"
	"fmt"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/webhook"
)

// Plan credits (DESIGN.md §5 rule 6, seed 002). The rules, as the README
// states them:
//
//   - A credit allowance is per month, whatever the billing interval:
//     credit months start at every monthly anniversary of the credit
//     anchor (app.Anniversary), so a yearly subscriber gets the plan's
//     allowance twelve times a year, like a monthly one.
//   - A refill happens lazily and exactly once per credit month: when the
//     credits are spent, when a webhook or the background sync applies
//     the subscription, and (computed, never stored) when a page reads
//     them. Unused credits do not roll over.
//   - Past the stored period end the shop asks Stripe before trusting
//     the balance; inside it, it spends from the database.
//   - A plan change leaves max(0, new allowance − spent this credit
//     month); unlimited plans count spending too, so no round trip gains.
//   - An interval change restarts the credit month at the new period's
//     start; what was spent in the interrupted month still counts, so
//     switching back and forth never mints credits.
//   - past_due: credits work as usual for the grace period (a setting)
//     after the unpaid invoice; then they are on hold until it is paid,
//     and the missed refill happens once.

// Credit states, as CreditStatus.State reports them.
const (
	CreditsOK          = "ok"          // spend away
	CreditsGrace       = "grace"       // a renewal failed; credits work until GraceUntil
	CreditsFrozen      = "frozen"      // a renewal failed and the grace is over: on hold until paid
	CreditsUnconfirmed = "unconfirmed" // past the stored period end: the next spend asks Stripe first
	CreditsEnded       = "ended"       // the plan has ended
)

// standing is where a subscription's credits stand at now.
func standing(sub *app.Subscription, now time.Time, grace time.Duration) string {
	switch {
	case !sub.Fulfilled || sub.Terminated:
		return CreditsEnded
	case !now.Before(sub.CurrentPeriodEnd):
		return CreditsUnconfirmed
	case sub.Status == "past_due" && !sub.PastDueSince.IsZero():
		if now.Before(sub.PastDueSince.Add(grace)) {
			return CreditsGrace
		}
		return CreditsFrozen
	}
	return CreditsOK
}

// allowanceLeft is a plan's allowance less what was spent this month.
func allowanceLeft(allowance, spent int) int {
	if allowance == app.Unlimited {
		return app.Unlimited
	}
	return max(0, allowance-spent)
}

// creditDelta is the change between two balances, 0 when either is
// unlimited (the history says it in words).
func creditDelta(prev, next int) int {
	if prev == app.Unlimited || next == app.Unlimited {
		return 0
	}
	return next - prev
}

func monthRef(t time.Time) string { return t.UTC().Format("2006-01-02") }

// normalizeCredits fills in the credit anchor and month of a subscription
// stored before they existed: months count from its period start.
func normalizeCredits(sub *app.Subscription) {
	if sub.CreditAnchor.IsZero() {
		sub.CreditAnchor = sub.CurrentPeriodStart
	}
	if sub.CreditMonth.IsZero() {
		sub.CreditMonth, _ = app.CreditMonthAt(sub.CreditAnchor, sub.CurrentPeriodStart)
	}
}

// rollMonth brings a subscription's credits to the credit month that
// contains now: when a later month has begun and the subscription is in
// good standing, the unused balance expires and the plan's allowance is
// granted, once. It returns the ledger entries to store (none when
// nothing changed); the caller stores the subscription.
func rollMonth(sub *app.Subscription, plan app.Plan, now time.Time, grace time.Duration) []app.CreditEntry {
	normalizeCredits(sub)
	if st := standing(sub, now, grace); st != CreditsOK && st != CreditsGrace {
		return nil
	}
	start, end := app.CreditMonthAt(sub.CreditAnchor, now)
	if !start.After(sub.CreditMonth) {
		return nil
	}
	var out []app.CreditEntry
	if sub.Credits > 0 {
		_, oldEnd := app.CreditMonthAt(sub.CreditAnchor, sub.CreditMonth)
		out = append(out, app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: -sub.Credits, Balance: 0,
			Reason: app.CreditExpired, Ref: monthRef(sub.CreditMonth), From: sub.CreditMonth, Until: oldEnd})
	}
	a := allowance(sub, plan)
	sub.Credits, sub.Spent, sub.CreditMonth = a, 0, start
	if a != 0 {
		out = append(out, app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: max(a, 0), Balance: a,
			Reason: app.CreditGrant, Ref: monthRef(start), From: start, Until: end})
	}
	return out
}

// startCredits is a new activation's first credit month: months count
// from the period start, and the month is the one containing now (a
// subscription heard of late gets one grant, not one per month missed).
func startCredits(sub *app.Subscription, plan app.Plan, now time.Time) app.CreditEntry {
	sub.CreditAnchor = sub.CurrentPeriodStart
	at := now
	if !at.Before(sub.CurrentPeriodEnd) {
		at = sub.CurrentPeriodEnd.Add(-time.Second)
	}
	start, end := app.CreditMonthAt(sub.CreditAnchor, at)
	a := allowance(sub, plan)
	sub.Credits, sub.Spent, sub.CreditMonth = a, 0, start
	return app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: max(a, 0), Balance: a,
		Reason: app.CreditGrant, Ref: monthRef(start), From: start, Until: end}
}

// changePlanCredits moves the balance to a new plan inside the credit
// month: max(0, new allowance − spent this month), so Pro → Starter → Pro
// or Pro → Team → Pro ends where it began. It returns the entry to store,
// or nil when the balance did not change.
func changePlanCredits(sub *app.Subscription, old, plan app.Plan) *app.CreditEntry {
	prev := sub.Credits
	sub.Credits = allowanceLeft(allowance(sub, plan), sub.Spent)
	if prev == sub.Credits {
		return nil
	}
	from := old.Name
	if from == "" {
		from = "a retired plan"
	}
	return &app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: creditDelta(prev, sub.Credits), Balance: sub.Credits,
		Reason: app.CreditPlanChange, Title: "from " + from + " to " + plan.Name}
}

// restartCreditMonth is an interval change: the credit month restarts at
// the new period's start (monthly anniversaries count from there), and
// what was spent in the interrupted month still counts against it.
func restartCreditMonth(sub *app.Subscription, plan app.Plan, from, to app.Interval) app.CreditEntry {
	prev := sub.Credits
	sub.CreditAnchor, sub.CreditMonth = sub.CurrentPeriodStart, sub.CurrentPeriodStart
	sub.Credits = allowanceLeft(allowance(sub, plan), sub.Spent)
	return app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: creditDelta(prev, sub.Credits), Balance: sub.Credits,
		Reason: app.CreditInterval, Title: "from " + intervalWord(from) + " to " + intervalWord(to) + " billing",
		From: sub.CreditMonth, Until: app.Anniversary(sub.CreditAnchor, 1)}
}

func intervalWord(iv app.Interval) string {
	if iv == app.Yearly {
		return "yearly"
	}
	return "monthly"
}

// addCredits stores ledger entries.
func addCredits(tx *store.Tx, entries ...app.CreditEntry) error {
	for i := range entries {
		if err := tx.AddCredit(&entries[i]); err != nil {
			return err
		}
	}
	return nil
}

// settleCredits rolls a stored subscription's credit month to now and
// stores what changed, inside the caller's transaction.
func (s *Shop) settleCredits(tx *store.Tx, sub *app.Subscription) error {
	if !sub.Fulfilled || sub.Terminated {
		return nil
	}
	plan, err := tx.Plan(sub.PlanID)
	if err != nil {
		return err
	}
	settings, err := tx.Settings()
	if err != nil {
		return err
	}
	entries := rollMonth(sub, plan, s.now(), settings.PastDueGrace)
	if len(entries) == 0 {
		return nil
	}
	if err := tx.PutSubscription(sub); err != nil {
		return err
	}
	return addCredits(tx, entries...)
}

// CreditStatus is a subscriber's credits as the pages show them, computed
// for now from what is stored (a page writes nothing: a refill that is due
// shows here and is stored by the next spend, webhook or sync).
type CreditStatus struct {
	Subscription app.Subscription
	Plan         app.Plan
	// Balance is what can be spent this month (app.Unlimited for no
	// limit); Spent is what was spent in it.
	Balance, Spent       int
	MonthStart, MonthEnd time.Time
	// NextRefill is when the next credit month starts, zero when the
	// plan ends before it.
	NextRefill time.Time
	// State is one of CreditsOK, CreditsGrace, CreditsFrozen,
	// CreditsUnconfirmed, CreditsEnded; GraceUntil is when the grace
	// after a failed payment ends (or ended).
	State      string
	GraceUntil time.Time
	// Pending are the ledger entries a due refill will store.
	Pending []app.CreditEntry
}

// Unlimited reports a plan without a credit limit.
func (c *CreditStatus) Unlimited() bool { return c.Balance == app.Unlimited }

// CanSpend reports whether an unlock may go ahead now. Past the stored
// period end it may whatever the stored balance says: that balance is
// last month's, and the spend asks Stripe for the renewal first.
func (c *CreditStatus) CanSpend() bool {
	return c.State == CreditsUnconfirmed || (c.State == CreditsOK || c.State == CreditsGrace) && c.Balance != 0
}

// creditStatus computes a subscription's credit status at now.
func creditStatus(sub app.Subscription, plan app.Plan, now time.Time, grace time.Duration) CreditStatus {
	pending := rollMonth(&sub, plan, now, grace)
	st := CreditStatus{Subscription: sub, Plan: plan, Balance: sub.Credits, Spent: sub.Spent, State: standing(&sub, now, grace), Pending: pending}
	st.MonthStart, st.MonthEnd = app.CreditMonthAt(sub.CreditAnchor, sub.CreditMonth)
	if st.State == CreditsGrace || st.State == CreditsFrozen {
		st.GraceUntil = sub.PastDueSince.Add(grace)
	}
	// No refill is promised past the plan's end, nor while the renewal
	// is unconfirmed (the month that ended is the stored one: its end has
	// passed, and the next refill is Stripe's to confirm).
	if st.State != CreditsEnded && st.State != CreditsUnconfirmed && !(sub.CancelAtPeriodEnd && !st.MonthEnd.Before(sub.CurrentPeriodEnd)) {
		st.NextRefill = st.MonthEnd
	}
	return st
}

// Credits is the signed-in customer's credit status now, nil without a
// current plan. It writes nothing.
func (s *Shop) Credits(ctx context.Context, customerID string) (*CreditStatus, error) {
	var out *CreditStatus
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.creditsIn(tx, customerID)
		return err
	})
	return out, err
}

func (s *Shop) creditsIn(tx *store.Tx, customerID string) (*CreditStatus, error) {
	sub, err := tx.CurrentSubscription(customerID)
	if app.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	plan, err := tx.Plan(sub.PlanID)
	if err != nil {
		return nil, err
	}
	settings, err := tx.Settings()
	if err != nil {
		return nil, err
	}
	st := creditStatus(sub, plan, s.now(), settings.PastDueGrace)
	return &st, nil
}

// Unlock spends one plan credit to add a product to the customer's
// library (DESIGN.md §5 rule 6). Inside the stored period it spends from
// the database; past the stored period end (or with credits on hold) it
// first refreshes the subscription from Stripe and stores it, then spends
// in a second write, which may fail for lack of credits. It never spends
// below zero, and an owned product costs nothing.
func (s *Shop) Unlock(ctx context.Context, customerID, productSlug string) (app.Entitlement, error) {
	var sub app.Subscription
	var product app.Product
	var owned *app.Entitlement
	var grace time.Duration
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if product, err = tx.ProductBySlug(productSlug); err != nil {
			return err
		}
		if e, err := tx.ActiveEntitlement(customerID, product.ID); err == nil {
			owned = &e
			return nil
		} else if !app.IsNotFound(err) {
			return err
		}
		if sub, err = tx.CurrentSubscription(customerID); app.IsNotFound(err) {
			return app.Errorf(app.EFORBIDDEN, "Unlocking with credits needs an active plan. Choose one on the plans page.")
		} else if err != nil {
			return err
		}
		settings, err := tx.Settings()
		grace = settings.PastDueGrace
		return err
	})
	if err != nil || owned != nil {
		if owned != nil {
			return *owned, nil
		}
		return app.Entitlement{}, err
	}
	if !product.Active {
		return app.Entitlement{}, app.Errorf(app.EINVALID, "%s is no longer available.", product.Title)
	}
	if product.Price.Amount == 0 {
		// A credit bought nothing here (free.go adds it to the library).
		return app.Entitlement{}, app.Errorf(app.EINVALID, "%s is free: use Get it free on its page, and keep your credit.", product.Title)
	}
	if st := standing(&sub, s.now(), grace); st == CreditsUnconfirmed || st == CreditsFrozen {
		// Past the stored period, the renewal may have happened without
		// us hearing of it yet; on hold, the invoice may have been paid.
		// Ask Stripe and store the answer (first write).
		if err := s.refreshSubscription(ctx, sub.StripeID); err != nil {
			return app.Entitlement{}, err
		}
	}
	// Second write: spend, deciding on what is stored now.
	var ent app.Entitlement
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Subscription(sub.ID)
		if err != nil {
			return err
		}
		if e, err := tx.ActiveEntitlement(customerID, product.ID); !app.IsNotFound(err) {
			ent = e // already owned (err nil), or a failure
			return err
		}
		if err := s.settleCredits(tx, &cur); err != nil {
			return err
		}
		switch standing(&cur, s.now(), grace) {
		case CreditsEnded:
			return app.Errorf(app.EFORBIDDEN, "Your plan has ended. Choose a plan to unlock products.")
		case CreditsUnconfirmed:
			return app.Errorf(app.EUNAVAILABLE, "Your plan's renewal is not confirmed yet. Try again in a few minutes.")
		case CreditsFrozen:
			return app.Errorf(app.EFORBIDDEN, "Your credits are on hold because your last payment failed. Update your card from your account page and they come back.")
		}
		if cur.Credits == 0 {
			return app.Errorf(app.EINVALID, "You have no credits left this month. %s", refillSentence(cur))
		}
		delta := 0 // an unlimited plan counts the spend but has no balance to lower
		if cur.Credits != app.Unlimited {
			cur.Credits--
			delta = -1
		}
		cur.Spent++
		if err := tx.PutSubscription(&cur); err != nil {
			return err
		}
		if err := tx.AddCredit(&app.CreditEntry{CustomerID: customerID, SubscriptionID: cur.ID, Delta: delta,
			Balance: cur.Credits, Reason: app.CreditUnlock, Ref: product.ID, Title: product.Title}); err != nil {
			return err
		}
		ent = app.Entitlement{CustomerID: customerID, ProductID: product.ID, Source: app.SourceCredit, SourceID: cur.ID}
		return tx.PutEntitlement(&ent)
	})
	return ent, err
}

// refreshSubscription re-fetches a subscription from Stripe and applies
// it, as a webhook about it would, holding its lock from the read to the
// commit.
func (s *Shop) refreshSubscription(ctx context.Context, stripeID string) error {
	ctx, release := webhook.Scope(ctx)
	defer release()
	t, err := s.fetchSubscription(ctx, stripeID)
	if err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx *store.Tx) error { _, err := s.applySubscription(tx, t); return err })
}

// refillSentence says when a subscriber's credits come back.
func refillSentence(sub app.Subscription) string {
	_, end := app.CreditMonthAt(sub.CreditAnchor, sub.CreditMonth)
	if sub.CancelAtPeriodEnd && !end.Before(sub.CurrentPeriodEnd) {
		return fmt.Sprintf("Your plan ends on %s.", sub.CurrentPeriodEnd.Format("Jan 2, 2006"))
	}
	return fmt.Sprintf("They refill on %s.", end.Format("Jan 2, 2006"))
}
