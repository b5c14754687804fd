package sandbox

import (
	"fmt"
	"time"
)

// Free trials, as Stripe runs them for Checkout in subscription mode:
// subscription_data[trial_period_days] starts the subscription trialing
// (trial_start, trial_end, the period ending with the trial) with a paid
// invoice of 0; payment_method_collection=if_required lets the customer
// start it without a card. Three days before the trial ends (at once for
// a shorter trial) customer.subscription.trial_will_end is sent. At its
// end, a subscription with a card starts its first paid period and is
// charged (active, or past_due on a decline); one without a card follows
// trial_settings.end_behavior.missing_payment_method: cancel ends it,
// pause pauses it, create_invoice (the default) leaves an open invoice
// and the subscription past_due.

// trialWillEndBefore is how long before a trial's end Stripe sends
// customer.subscription.trial_will_end.
const trialWillEndBefore = 3 * 24 * time.Hour

// sessionTrial reads a subscription-mode session's trial settings.
func sessionTrial(s *session, p params) error {
	sd := p.sub("subscription_data")
	if sd == nil {
		return nil
	}
	days, ok, err := sd.int("trial_period_days")
	if err != nil {
		return err
	}
	if ok && (days < 1 || days > 730) {
		return invalidParam("subscription_data[trial_period_days]", "The trial period must be between 1 and 730 days.")
	}
	s.Internal.TrialDays = days
	if tsp := sd.sub("trial_settings"); tsp != nil {
		if eb := tsp.sub("end_behavior"); eb != nil {
			switch v := eb.str("missing_payment_method"); v {
			case "cancel", "pause", "create_invoice":
				s.Internal.TrialMissingPM = v
			default:
				return invalidParam("subscription_data[trial_settings][end_behavior][missing_payment_method]",
					"Invalid missing_payment_method: must be one of cancel, create_invoice, or pause")
			}
		}
	}
	return nil
}

// onlyEmailErrors keeps the email's error of a card form submitted
// without a card.
func onlyEmailErrors(errs map[string]string) map[string]string {
	out := map[string]string{}
	if msg, ok := errs["email"]; ok {
		out["email"] = msg
	}
	return out
}

// CardOptional reports whether the hosted page may complete a session
// without a card: a trial with payment_method_collection=if_required.
func (s session) CardOptional() bool {
	return s.Mode == "subscription" && s.Internal.TrialDays > 0 && s.PaymentMethodCollect == "if_required"
}

// trialWillEndAt is when trial_will_end is due for a trialing
// subscription, and whether it still is.
func (s subscription) trialWillEndAt() (int64, bool) {
	if s.Status != "trialing" || s.TrialEnd == 0 || s.Internal.TrialWillEnd == int64(s.TrialEnd) {
		return 0, false
	}
	at := int64(s.TrialEnd) - int64(trialWillEndBefore/time.Second)
	return max(at, int64(s.TrialStart)), true
}

// trialWillEnd sends customer.subscription.trial_will_end, once per trial.
func (t *txn) trialWillEnd(sub subscription) error {
	sub.Internal.TrialWillEnd = int64(sub.TrialEnd)
	if err := t.put(objSubscription, sub.ID, sub); err != nil {
		return err
	}
	return t.emit("customer.subscription.trial_will_end", sub, nil)
}

// endTrial ends a trial at its end (the subscription's period end): with
// a card the first paid period starts and is charged; without one the
// trial settings decide.
func (t *txn) endTrial(sub subscription) error {
	prev := mustMap(sub)
	end := time.Unix(sub.CurrentPeriodEnd, 0)
	pm := t.defaultCard(sub)
	if pm == nil {
		switch sub.TrialSettings.EndBehavior.MissingPaymentMethod {
		case "cancel":
			_, err := t.endSubscription(sub, end, "cancellation_requested")
			return err
		case "pause":
			sub.Status = "paused"
			if err := t.put(objSubscription, sub.ID, sub); err != nil {
				return err
			}
			return t.emit("customer.subscription.updated", sub, prev)
		}
	}
	iv, n := sub.interval()
	sub.Status = "active"
	sub.BillingCycleAnchor = sub.CurrentPeriodEnd
	sub.CurrentPeriodStart, sub.CurrentPeriodEnd = sub.CurrentPeriodEnd, addInterval(end, iv, n).Unix()
	// The first paid invoice: a once coupon is spent on it, not on the
	// trial's 0 invoice.
	return t.billPeriod(sub, prev, int64(sub.TrialStart), int64(sub.TrialEnd), pm, true)
}

// trialLines are the first invoice's lines of a trial: each item free
// for the trial period, as Stripe words it.
func (t *txn) trialLines(sub subscription) []invoiceLine {
	lines := cycleLines(sub, sub.CurrentPeriodStart, sub.CurrentPeriodEnd)
	for i := range lines {
		lines[i].Amount = 0
		name := productName(*lines[i].Price)
		var pr product
		if t.get(objProduct, lines[i].Price.Product, &pr) == nil {
			name = pr.Name
		}
		lines[i].Description = fmt.Sprintf("Trial period for %s", name)
	}
	return lines
}
