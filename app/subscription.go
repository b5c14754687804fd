package app

import "time"

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
	// Fulfilled is true while Vendo's grants for it stand (activation ran,
	// termination has not).
	Fulfilled  bool      `json:"fulfilled"`
	Terminated bool      `json:"terminated"`
	LicenseID  string    `json:"license_id,omitempty"`
	Credits    int       `json:"credits"` // balance for the current period; Unlimited for no limit
	SnapshotAt time.Time `json:"snapshot_at"`
	// RefilledInvoices are the invoices whose period already refilled
	// credits: a refill happens once per invoice.
	RefilledInvoices []string `json:"refilled_invoices,omitempty"`
	// RefilledThrough is the end of the last period whose credits were
	// granted: an invoice refills only when it pays for a period ending
	// later (a proration invoice for a plan switch does not).
	RefilledThrough time.Time `json:"refilled_through,omitempty"`
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

// CreditEntry is one line of the credit ledger: a grant, a spend, or a
// reset at a new period.
type CreditEntry struct {
	ID             string    `json:"id"`
	CustomerID     string    `json:"customer_id"`
	SubscriptionID string    `json:"subscription_id"`
	Delta          int       `json:"delta"`
	Balance        int       `json:"balance"`
	Reason         string    `json:"reason"` // period_grant, unlock, plan_change, terminated
	Ref            string    `json:"ref,omitempty"`
	At             time.Time `json:"at"`
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
}
