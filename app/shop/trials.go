package shop

import (
	"context"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/webhook"
)

// Free trials (issue 19). A plan may start with a free trial of some days,
// with or without a card. Trialing is a state of the subscription machine
// (DESIGN.md §5 rule 5): the subscription is active from the trial's start
// (its plan's products, a license key and the trial's credits), Stripe
// sends customer.subscription.trial_will_end three days before it ends
// and the customer is mailed once, and at its end Stripe either charges
// the card (the subscription becomes active: a paid credit month starts)
// or, without a card, cancels it (trial_settings.end_behavior
// missing_payment_method=cancel), which terminates it like any other end.
//
// One trial per customer across the shop's plans: the plans are tiers of
// one offering (a subscriber switches between them in the Billing
// Portal), so a customer who had any of them before is not offered a
// second trial on another.

// HadPlan reports whether a customer ever had a subscription to one of
// the shop's plans, which rules out a free trial.
func (s *Shop) HadPlan(ctx context.Context, customerID string) (bool, error) {
	var had bool
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		had, err = hadPlan(tx, customerID)
		return err
	})
	return had, err
}

func hadPlan(tx *store.Tx, customerID string) (bool, error) {
	subs, err := tx.SubscriptionsOf(customerID)
	return len(subs) > 0, err
}

// trialDays is the trial a customer gets on a plan: none for a returning
// customer.
func trialDays(tx *store.Tx, customerID string, plan app.Plan) (int, error) {
	if plan.TrialDays == 0 {
		return 0, nil
	}
	had, err := hadPlan(tx, customerID)
	if err != nil || had {
		return 0, err
	}
	return plan.TrialDays, nil
}

// allowance is the credits a month of a subscription grants on a plan:
// the trial's (a plan setting) while it is trialing.
func allowance(sub *app.Subscription, plan app.Plan) int {
	if sub.Status == "trialing" {
		return plan.TrialAllowance()
	}
	return plan.Credits
}

// endTrialCredits is a trial that turned into a paid period: the credit
// month restarts at the paid period's start (Stripe's billing anchor moved
// there) with the plan's full allowance; what the trial's month left
// expires. It returns the ledger entries to store.
func endTrialCredits(sub *app.Subscription, plan app.Plan) []app.CreditEntry {
	normalizeCredits(sub)
	var out []app.CreditEntry
	if sub.Credits > 0 {
		out = append(out, app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: -sub.Credits, Balance: 0,
			Reason: app.CreditExpired, Ref: monthRef(sub.CreditMonth), From: sub.CreditMonth, Until: sub.CurrentPeriodStart})
	}
	start := sub.CurrentPeriodStart
	sub.CreditAnchor, sub.CreditMonth = start, start
	sub.Credits, sub.Spent = plan.Credits, 0
	if plan.Credits != 0 {
		out = append(out, app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: max(plan.Credits, 0), Balance: plan.Credits,
			Reason: app.CreditGrant, Ref: monthRef(start), From: start, Until: app.Anniversary(start, 1)})
	}
	return out
}

// HandleTrialWillEnd handles customer.subscription.trial_will_end: the
// subscription is re-fetched and applied like any subscription event, and
// when Stripe still has it trialing towards a trial end that is ahead, its
// customer is mailed once for that trial end (a redelivered event, or one
// for a trial that already ended or was canceled, mails nothing).
func (s *Shop) HandleTrialWillEnd(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	t, err := s.fetchSubscription(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	return func(tx *store.Tx) error {
		rec, err := s.applySubscription(tx, t)
		if err != nil || rec.ID == "" {
			return err
		}
		if rec.Status != "trialing" || !rec.Fulfilled || rec.TrialEnd.IsZero() || !rec.TrialEnd.After(s.now()) ||
			rec.TrialNotice.Equal(rec.TrialEnd) {
			return nil
		}
		plan, err := tx.Plan(rec.PlanID)
		if err != nil {
			return err
		}
		rec.TrialNotice = rec.TrialEnd
		if err := tx.PutSubscription(&rec); err != nil {
			return err
		}
		return s.mailSubscriber(tx, rec.CustomerID, "trial_ending", func(app.Settings) map[string]any {
			return map[string]any{"Plan": plan, "Subscription": rec, "HasCard": t.sub.HasCard, "Amount": plan.PriceFor(rec.Interval).Price,
				"Interval": string(rec.Interval), "AccountURL": s.BaseURL + "/account"}
		})
	}, nil
}
