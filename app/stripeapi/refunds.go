package stripeapi

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// CreateRefund refunds amount (0 = everything left) of a payment. key
// makes a retried admin click map to the same refund.
func (c *Client) CreateRefund(ctx context.Context, paymentIntentID string, amount int64, reason, key string) (string, error) {
	p := &stripe.RefundParams{PaymentIntent: stripe.String(paymentIntentID)}
	p.Context = ctx
	if amount > 0 {
		p.Amount = stripe.Int64(amount)
	}
	if reason != "" {
		p.Reason = stripe.String(reason)
	}
	p.SetIdempotencyKey("vendo-refund-" + key)
	r, err := c.api.Refunds.New(p)
	if err != nil {
		return "", wrap("create refund", err)
	}
	return r.ID, nil
}

// GetRefund re-fetches a refund (the shop reads which payment it is
// about; its state comes with the payment, GetPayment).
func (c *Client) GetRefund(ctx context.Context, id string) (RefundInfo, string, error) {
	p := &stripe.RefundParams{}
	p.Context = ctx
	r, err := c.api.Refunds.Get(id, p)
	if err != nil {
		return RefundInfo{}, "", wrap("retrieve refund", err)
	}
	pi := ""
	if r.PaymentIntent != nil {
		pi = r.PaymentIntent.ID
	}
	return RefundInfo{ID: r.ID, Amount: r.Amount, Status: string(r.Status), Reason: string(r.Reason), Created: time.Unix(r.Created, 0)}, pi, nil
}

// ListRefundedPayments returns the PaymentIntents of refunds created
// since a time (reconciliation).
func (c *Client) ListRefundedPayments(ctx context.Context, since time.Time) ([]string, error) {
	p := &stripe.RefundListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	p.Context = ctx
	p.Limit = stripe.Int64(100)
	it := c.api.Refunds.List(p)
	var ids []string
	for it.Next() {
		if r := it.Refund(); r.PaymentIntent != nil && r.PaymentIntent.ID != "" {
			ids = append(ids, r.PaymentIntent.ID)
		}
	}
	return ids, wrap("list refunds", it.Err())
}
