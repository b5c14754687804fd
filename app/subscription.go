package app

import (
	"fmt"
	"time"
)

// Subscription is Vendo's mirror of a Stripe subscription, plus what Vendo
// granted for it (DESIGN.md §5 rule 5).
type Subscription struct {
	ID               string   `json:"id"`
	StripeID         string   `json:"stripe_id"`
	CustomerID       string   `json:"customer_id"`
	StripeCustomerID string   `json:"stripe_customer_id"`
	PlanID           string   `json:"plan_id"`
	Interval         Interval `json:"interval"`
	PriceID          string   `json:"price_id"`
	// Status is Stripe's: active, trialing, past_due, canceled, unpaid,
	// incomplete, incomplete_expired, paused.
	Status             string    `json:"status"`
	CurrentPeriodStart time.Time `json:"current_period_start"`
	CurrentPeriodEnd   time.Time `json:"current_period_end"`
	CancelAtPeriodEnd  bool      `json:"cancel_at_period_end"`
	CanceledAt         time.Time `json:"canceled_at,omitempty"`
	EndedAt            time.Time `json:"ended_at,omitempty"`
	// CancelNotice keys the cancellation the customer was told about (its
	// CanceledAt from Stripe): a redelivered or reordered event of the
	// same cancellation finds it and mails nothing; a new cancellation
	// after a resume has another.
	CancelNotice time.Time `json:"cancel_notice,omitempty"`
	// TrialStart and TrialEnd bound the free trial, as Stripe has them
	// (zero without one). TrialNotice is the trial end the customer was
	// told about (trial_will_end), so the mail goes once per trial.
	TrialStart  time.Time `json:"trial_start,omitempty"`
	TrialEnd    time.Time `json:"trial_end,omitempty"`
	TrialNotice time.Time `json:"trial_notice,omitempty"`
	// Fulfilled is true while Vendo's grants for it stand (activation ran,
	// termination has not).
	Fulfilled  bool   `json:"fulfilled"`
	Terminated bool   `json:"terminated"`
	LicenseID  string `json:"license_id,omitempty"`
	// Credits is the balance of the current credit month; Unlimited for
	// no limit. Spent counts what was spent in that month (on unlimited
	// plans too), so a plan change leaves max(0, new allowance − Spent).
	Credits int `json:"credits"`
	Spent   int `json:"spent,omitempty"`
	// CreditAnchor is the day credit months are counted from: the start
	// of the billing period at activation, moved to the new period's
	// start by an interval change. CreditMonth is the start of the
	// credit month Credits belong to: a refill happens once per month,
	// when a later month has begun (DESIGN.md §5 rule 6).
	CreditAnchor time.Time `json:"credit_anchor,omitempty"`
	CreditMonth  time.Time `json:"credit_month,omitempty"`
	// PastDueSince is when the unpaid invoice of a past_due subscription
	// was issued: the grace period counts from it.
	PastDueSince time.Time `json:"past_due_since,omitempty"`
	// RenewalReminder is the period end the customer was reminded of
	// (yearly plans): one reminder per period, whatever the sweeps and
	// restarts.
	RenewalReminder time.Time `json:"renewal_reminder,omitempty"`
	// DiscountCode is the shop's code the subscription was started with
	// (its Checkout's vendo_discount metadata): one of the code's uses.
	DiscountCode    string    `json:"discount_code,omitempty"`
	SnapshotAt      time.Time `json:"snapshot_at"`
	LatestInvoiceID string    `json:"latest_invoice_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// ActiveStatus reports whether a Stripe status grants access (activation
// in the state machine): active and trialing do; past_due keeps access
// while Stripe retries.
func ActiveStatus(status string) bool {
	return status == "active" || status == "trialing" || status == "past_due"
}

// Credit ledger reasons.
const (
	CreditGrant      = "period_grant"    // a credit month's allowance
	CreditExpired    = "expired"         // unused credits at the end of a credit month
	CreditUnlock     = "unlock"          // spent on a product
	CreditPlanChange = "plan_change"     // balance adjusted for a plan change
	CreditInterval   = "interval_change" // credit month restarted by a billing-interval change
	CreditEnded      = "terminated"      // the plan ended
)

// CreditEntry is one line of the credit ledger: a grant, a spend, an
// adjustment, with what it was about so the history reads in words.
type CreditEntry struct {
	ID             string `json:"id"`
	CustomerID     string `json:"customer_id"`
	SubscriptionID string `json:"subscription_id"`
	Delta          int    `json:"delta"`
	Balance        int    `json:"balance"`
	Reason         string `json:"reason"`
	// Ref is the credit month's start date for a grant or an expiry
	// (2006-01-02), the product id for an unlock.
	Ref string `json:"ref,omitempty"`
	// Title is what the entry is about: the product's title for an
	// unlock, "from Pro to Starter" for a plan change, "from monthly to
	// yearly billing" for an interval change.
	Title string `json:"title,omitempty"`
	// From and Until bound the credit month of a grant or an expiry.
	From  time.Time `json:"from,omitempty"`
	Until time.Time `json:"until,omitempty"`
	At    time.Time `json:"at"`
}

// License key statuses.
const (
	LicenseActive  = "active"
	LicenseRevoked = "revoked"
)

// License is a key a customer pastes into software; it validates while
// its subscription (or purchase) stands.
type License struct {
	ID             string    `json:"id"`
	Key            string    `json:"key"`
	CustomerID     string    `json:"customer_id"`
	SubscriptionID string    `json:"subscription_id,omitempty"`
	OrderID        string    `json:"order_id,omitempty"`
	ProductID      string    `json:"product_id,omitempty"`
	PlanID         string    `json:"plan_id,omitempty"`
	Status         string    `json:"status"`
	ExpiresAt      time.Time `json:"expires_at,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	RevokedAt      time.Time `json:"revoked_at,omitempty"`
	RevokedReason  string    `json:"revoked_reason,omitempty"`
	// RevokedByOrder: a purchase's key revoked by its order's state (a
	// refund, a dispute), active again when the order gives access again.
	RevokedByOrder bool `json:"revoked_by_order,omitempty"`
	// LimitNotified: its owner was told its activation limit refused an
	// activation; cleared when an activation is removed, so the mail goes
	// once per time the key fills up.
	LimitNotified bool `json:"limit_notified,omitempty"`
}

// Anniversary is the k-th monthly anniversary of anchor (k = 0 is anchor
// itself), in UTC: the anchor's day of the month k months later, clamped
// to that month's last day, at the anchor's time of day. Each
// anniversary is counted from the anchor, never from the previous one,
// so a Jan 31 anchor gives Feb 28 (29 in a leap year), Mar 31, Apr 30,
// May 31… — the rule Stripe bills monthly periods by.
func Anniversary(anchor time.Time, k int) time.Time {
	a := anchor.UTC()
	y, m, d := a.Date()
	first := time.Date(y, m+time.Month(k), 1, a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// CreditMonthAt is the credit month counted from anchor that contains t:
// [Anniversary(anchor, k), Anniversary(anchor, k+1)). Before the anchor
// it is the first month.
func CreditMonthAt(anchor, t time.Time) (start, end time.Time) {
	a, u := anchor.UTC(), t.UTC()
	k := (u.Year()-a.Year())*12 + int(u.Month()) - int(a.Month())
	if k < 0 {
		k = 0
	}
	for k > 0 && Anniversary(anchor, k).After(t) {
		k--
	}
	for !Anniversary(anchor, k+1).After(t) {
		k++
	}
	return Anniversary(anchor, k), Anniversary(anchor, k+1)
}

// Words says what a credit entry was, for the customer's history.
func (e CreditEntry) Words() string {
	day := func(t time.Time) string { return t.UTC().Format("Jan 2, 2006") }
	switch e.Reason {
	case CreditGrant:
		if e.Balance == Unlimited {
			return fmt.Sprintf("Unlimited credits for the month from %s to %s", day(e.From), day(e.Until))
		}
		return fmt.Sprintf("Granted for the month from %s to %s", day(e.From), day(e.Until))
	case CreditExpired:
		return fmt.Sprintf("Unused credits of the month that ended %s expired (credits do not roll over)", day(e.Until))
	case CreditUnlock:
		if e.Title == "" {
			return "Spent on a product"
		}
		return "Spent on " + e.Title
	case CreditPlanChange:
		return "Adjusted for the plan change " + e.Title
	case CreditInterval:
		return fmt.Sprintf("Credit month restarted on %s for the change %s", day(e.From), e.Title)
	case CreditEnded:
		return "Your plan ended"
	}
	return e.Reason
}
