package app_test

import (
	"testing"

	"vendo/app"
)

// TestOrderStateFromFacts is the one rule from an order's facts (payment,
// refunds, dispute) to its status and its access (DESIGN.md §5 rule 7).
func TestOrderStateFromFacts(t *testing.T) {
	open := &app.OrderDispute{ID: "dp_1", Status: "needs_response"}
	for _, tc := range []struct {
		name   string
		o      app.Order
		status string
		access bool
	}{
		{"paid", app.Order{PaymentStatus: app.PaymentPaid}, app.OrderPaid, true},
		{"not paid yet (async)", app.Order{PaymentStatus: app.PaymentPending}, app.OrderPending, false},
		{"async payment failed", app.Order{PaymentStatus: app.PaymentFailed}, app.OrderFailed, false},
		{"partly refunded keeps access", app.Order{PaymentStatus: app.PaymentPaid, AmountRefunded: 500}, app.OrderPartiallyRefunded, true},
		{"fully refunded", app.Order{PaymentStatus: app.PaymentPaid, AmountRefunded: 1900}, app.OrderRefunded, false},
		{"a refund on a pending payment is not a payment", app.Order{PaymentStatus: app.PaymentPending, AmountRefunded: 500}, app.OrderPending, false},
		{"an open dispute suspends", app.Order{PaymentStatus: app.PaymentPaid, Dispute: open}, app.OrderDisputed, false},
		{"under review still suspends", app.Order{PaymentStatus: app.PaymentPaid, Dispute: &app.OrderDispute{Status: "under_review"}}, app.OrderDisputed, false},
		{"an inquiry suspends", app.Order{PaymentStatus: app.PaymentPaid, Dispute: &app.OrderDispute{Status: "warning_needs_response"}}, app.OrderDisputed, false},
		{"a won dispute gives access back", app.Order{PaymentStatus: app.PaymentPaid, Dispute: &app.OrderDispute{Status: app.DisputeWon}}, app.OrderPaid, true},
		{"a closed inquiry gives access back", app.Order{PaymentStatus: app.PaymentPaid, Dispute: &app.OrderDispute{Status: "warning_closed"}}, app.OrderPaid, true},
		{"a won dispute after a partial refund", app.Order{PaymentStatus: app.PaymentPaid, AmountRefunded: 300, Dispute: &app.OrderDispute{Status: app.DisputeWon}}, app.OrderPartiallyRefunded, true},
		{"a lost dispute revokes", app.Order{PaymentStatus: app.PaymentPaid, Dispute: &app.OrderDispute{Status: app.DisputeLost}}, app.OrderDisputeLost, false},
		{"a lost dispute after a partial refund", app.Order{PaymentStatus: app.PaymentPaid, AmountRefunded: 300, Dispute: &app.OrderDispute{Status: app.DisputeLost}}, app.OrderDisputeLost, false},
		{"a free order", app.Order{PaymentStatus: app.PaymentPaid, Total: app.Money{Currency: "usd"}}, app.OrderPaid, true},
		// Orders stored before the facts were kept read their status.
		{"legacy paid", app.Order{Status: app.OrderPaid}, app.OrderPaid, true},
		{"legacy refunded", app.Order{Status: app.OrderRefunded, AmountRefunded: 1900}, app.OrderRefunded, false},
		{"legacy partly refunded", app.Order{Status: app.OrderPartiallyRefunded, AmountRefunded: 500}, app.OrderPartiallyRefunded, true},
		{"legacy pending", app.Order{Status: app.OrderPending}, app.OrderPending, false},
		{"legacy failed", app.Order{Status: app.OrderFailed}, app.OrderFailed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.o.Total.Currency == "" {
				tc.o.Total = app.Money{Amount: 1900, Currency: "usd"}
			}
			status, access := tc.o.State()
			if status != tc.status || access != tc.access {
				t.Fatalf("State() = %s, %v; want %s, %v", status, access, tc.status, tc.access)
			}
		})
	}
}
