package sandbox

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Advance moves the test clock forward by d and applies, in time order,
// what fell due in between: renewals (one per period passed), trial
// reminders and ends, payment
// retries, cancellations at period end, Checkout expiries and the
// failures of refunds made to the 5126 card. Each step
// runs at its own due time, so events carry the time Stripe would have
// fired them at. Advance(ctx, 0) applies what is due now.
func (s *Sandbox) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, errors.New("the sandbox clock only moves forward")
	}
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	if d > 0 {
		err := s.update(nil, func(t *txn) error {
			var off time.Duration
			if v := t.meta(metaClockOffset); len(v) == 8 {
				off = time.Duration(binary.BigEndian.Uint64(v))
			}
			return t.setMeta(metaClockOffset, u64(uint64(off+d)))
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("advance clock: %w", err)
		}
	}
	target := s.Now()
	// Every step moves some due time past target or ends something, so
	// this ends; the bound guards against a bug turning it into a spin.
	for range 100000 {
		if err := ctx.Err(); err != nil {
			return target, err
		}
		// Look first in a read transaction: the minute tick usually finds
		// nothing, and a write transaction would sync the file for nothing.
		due := false
		_ = s.view(func(t *txn) error { _, due = t.nextDue(target.Unix()); return nil })
		if !due {
			return target, nil
		}
		did := false
		err := s.update(nil, func(t *txn) error {
			var err error
			did, err = t.runNextDue(target)
			return err
		})
		if err != nil {
			return target, fmt.Errorf("apply due work: %w", err)
		}
		if !did {
			return target, nil
		}
	}
	return target, errors.New("sandbox clock: too many due steps")
}

// dueWork is the earliest thing to happen at or before some time.
type dueWork struct {
	at   int64
	kind string // renew, trial_will_end, retry, expire, refund_fail
	id   string
}

func (t *txn) nextDue(until int64) (dueWork, bool) {
	best := dueWork{at: until + 1}
	consider := func(w dueWork) {
		if w.at < best.at {
			best = w
		}
	}
	t.eachNewest(objSubscription, func(id string, raw []byte) bool {
		var sub subscription
		if json.Unmarshal(raw, &sub) != nil || !sub.live() {
			return true
		}
		consider(dueWork{at: sub.CurrentPeriodEnd, kind: "renew", id: id})
		if at, ok := sub.trialWillEndAt(); ok {
			consider(dueWork{at: at, kind: "trial_will_end", id: id})
		}
		if sub.Status == "past_due" && sub.LatestInvoice != "" {
			var inv invoice
			if t.get(objInvoice, string(sub.LatestInvoice), &inv) == nil && inv.Status == "open" && inv.NextPaymentAttempt > 0 {
				consider(dueWork{at: int64(inv.NextPaymentAttempt), kind: "retry", id: id})
			}
		}
		return true
	})
	t.eachNewest(objSession, func(id string, raw []byte) bool {
		var s session
		if json.Unmarshal(raw, &s) == nil && s.Status == "open" {
			consider(dueWork{at: s.ExpiresAt, kind: "expire", id: id})
		}
		return true
	})
	t.eachNewest(objRefund, func(id string, raw []byte) bool {
		var re refund
		if json.Unmarshal(raw, &re) == nil && re.Internal.FailAt > 0 && re.Status == "succeeded" {
			consider(dueWork{at: re.Internal.FailAt, kind: "refund_fail", id: id})
		}
		return true
	})
	return best, best.at <= until
}

// runNextDue applies the earliest due step, at its own time.
func (t *txn) runNextDue(until time.Time) (bool, error) {
	w, ok := t.nextDue(until.Unix())
	if !ok {
		return false, nil
	}
	t.now = time.Unix(w.at, 0)
	switch w.kind {
	case "expire":
		s, err := t.sessionByID(w.id, "session")
		if err != nil {
			return false, err
		}
		_, err = t.expireSession(s)
		return true, err
	case "renew":
		sub, err := t.subscriptionByID(w.id, "subscription")
		if err != nil {
			return false, err
		}
		return true, t.renew(sub)
	case "trial_will_end":
		sub, err := t.subscriptionByID(w.id, "subscription")
		if err != nil {
			return false, err
		}
		return true, t.trialWillEnd(sub)
	case "retry":
		sub, err := t.subscriptionByID(w.id, "subscription")
		if err != nil {
			return false, err
		}
		return true, t.retry(sub)
	case "refund_fail":
		var re refund
		if err := t.get(objRefund, w.id, &re); err != nil {
			return false, err
		}
		return true, t.failRefund(re)
	}
	return false, fmt.Errorf("unknown due work %q", w.kind)
}

// renew ends a period: a subscription set to cancel at period end is
// canceled; any other one starts its next period with a new invoice
// (subscription_cycle) charged to its card. A decline leaves the invoice
// open and the subscription past_due, to be retried.
func (t *txn) renew(sub subscription) error {
	end := time.Unix(sub.CurrentPeriodEnd, 0)
	if sub.CancelAtPeriodEnd {
		_, err := t.endSubscription(sub, end, "cancellation_requested")
		return err
	}
	if sub.Status == "trialing" {
		return t.endTrial(sub)
	}
	prev := mustMap(sub)
	iv, n := sub.interval()
	oldStart, oldEnd := sub.CurrentPeriodStart, sub.CurrentPeriodEnd
	sub.CurrentPeriodStart, sub.CurrentPeriodEnd = oldEnd, nextPeriodEnd(time.Unix(sub.BillingCycleAnchor, 0), end, iv, n).Unix()
	return t.billPeriod(sub, prev, oldStart, oldEnd, t.defaultCard(sub), false)
}

// billPeriod starts the subscription's new period (already set on sub):
// an invoice (subscription_cycle) for it, its discount taken off (first:
// the first paid invoice, which a once coupon covers), charged to pm; a
// decline leaves the subscription past_due. from and to are the period
// the invoice closes.
func (t *txn) billPeriod(sub subscription, prev map[string]any, from, to int64, pm *paymentMethod, first bool) error {
	cu, err := t.customerByID(sub.Customer, "customer")
	if err != nil {
		return err
	}
	lines := t.describe(cycleLines(sub, sub.CurrentPeriodStart, sub.CurrentPeriodEnd))
	inv, err := t.issueInvoice(invoiceSpec{Customer: cu, Sub: &sub, Reason: "subscription_cycle", Currency: sub.Currency,
		Lines: lines, PeriodStart: from, PeriodEnd: to, Off: t.subscriptionOff(sub, lines, first)})
	if err != nil {
		return err
	}
	sub.LatestInvoice = nstr(inv.ID)
	_, declined, _, err := t.collectInvoice(inv, pm, true)
	if err != nil {
		return err
	}
	if declined != nil {
		sub.Status = "past_due"
	}
	if err := t.put(objSubscription, sub.ID, sub); err != nil {
		return err
	}
	return t.emit("customer.subscription.updated", sub, prev)
}

// retry charges a past_due subscription's open invoice again; after the
// last retry fails the subscription is canceled.
func (t *txn) retry(sub subscription) error {
	inv, err := t.invoiceByID(string(sub.LatestInvoice), "invoice")
	if err != nil {
		return err
	}
	inv, declined, final, err := t.collectInvoice(inv, t.defaultCard(sub), true)
	if err != nil {
		return err
	}
	switch {
	case declined == nil:
		return t.reactivate(sub, inv)
	case final:
		_, err := t.endSubscription(sub, t.now, "payment_failed")
		return err
	}
	return nil
}

// parseAdvance reads the clock form's `advance`: a Go duration ("720h",
// "90m") or whole days ("31d").
func parseAdvance(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("advance %q: days must be a whole number, like 31d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("advance %q: use a duration like 720h or days like 31d", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("advance %q: the clock only moves forward", s)
	}
	return d, nil
}
