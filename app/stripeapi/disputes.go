package stripeapi

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// DisputeInfo is a dispute as Vendo reads it.
type DisputeInfo struct {
	ID              string
	ChargeID        string
	PaymentIntentID string
	Amount          int64
	Currency        string
	Reason          string
	// Status: warning_needs_response, warning_under_review, needs_response
	// and under_review are open; won, warning_closed and lost are closed.
	Status  string
	DueBy   time.Time // when evidence is due; zero when none is asked
	Created time.Time
}

func disputeInfo(d *stripe.Dispute) *DisputeInfo {
	out := &DisputeInfo{ID: d.ID, Amount: d.Amount, Currency: string(d.Currency), Reason: string(d.Reason), Status: string(d.Status),
		Created: time.Unix(d.Created, 0)}
	if d.EvidenceDetails != nil && d.EvidenceDetails.DueBy > 0 {
		out.DueBy = time.Unix(d.EvidenceDetails.DueBy, 0)
	}
	if d.Charge != nil {
		out.ChargeID = d.Charge.ID
	}
	if d.PaymentIntent != nil {
		out.PaymentIntentID = d.PaymentIntent.ID
	}
	return out
}

// GetDispute re-fetches a dispute (the shop reads which payment it is
// about; its state comes with the payment, GetPayment).
func (c *Client) GetDispute(ctx context.Context, id string) (DisputeInfo, error) {
	p := &stripe.DisputeParams{}
	p.Context = ctx
	d, err := c.api.Disputes.Get(id, p)
	if err != nil {
		return DisputeInfo{}, wrap("retrieve dispute", err)
	}
	return *disputeInfo(d), nil
}

// chargeDispute is the newest dispute of a charge (a charge has at most
// one), nil when it has none.
func (c *Client) chargeDispute(ctx context.Context, chargeID string) (*DisputeInfo, error) {
	p := &stripe.DisputeListParams{Charge: stripe.String(chargeID)}
	p.Context = ctx
	p.Limit = stripe.Int64(1)
	p.Single = true
	it := c.api.Disputes.List(p)
	if it.Next() {
		return disputeInfo(it.Dispute()), nil
	}
	return nil, wrap("list disputes", it.Err())
}

// ListDisputedPayments returns the PaymentIntents of disputes created
// since a time (reconciliation).
func (c *Client) ListDisputedPayments(ctx context.Context, since time.Time) ([]string, error) {
	p := &stripe.DisputeListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	p.Context = ctx
	p.Limit = stripe.Int64(100)
	it := c.api.Disputes.List(p)
	var ids []string
	for it.Next() {
		if d := it.Dispute(); d.PaymentIntent != nil && d.PaymentIntent.ID != "" {
			ids = append(ids, d.PaymentIntent.ID)
		}
	}
	return ids, wrap("list disputes", it.Err())
}
