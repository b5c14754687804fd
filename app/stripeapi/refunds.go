package stripeapi

import (
	"context"

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
