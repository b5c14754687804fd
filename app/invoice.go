package app

import "time"

// Invoice is a paid subscription invoice as Stripe reported it: what a
// subscriber paid and when, for the dashboard's sales next to one-time
// orders. Keyed by Stripe's invoice id, so a repeated invoice.paid
// changes nothing.
type Invoice struct {
	ID             string    `json:"id"` // Stripe's in_…
	SubscriptionID string    `json:"subscription_id"`
	CustomerID     string    `json:"customer_id"`
	Number         string    `json:"number,omitempty"`
	AmountPaid     Money     `json:"amount_paid"`
	PaidAt         time.Time `json:"paid_at"`
	SnapshotAt     time.Time `json:"snapshot_at"`
}
