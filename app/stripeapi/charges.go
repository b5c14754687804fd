package stripeapi

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// Charge is a charge as Vendo reads it (refunds).
type Charge struct {
	ID              string
	PaymentIntentID string
	Amount          int64
	AmountRefunded  int64
	Refunded        bool
	Currency        string
	Refunds         []RefundInfo
	FetchedAt       time.Time
}

// RefundInfo is one refund on a charge.
type RefundInfo struct {
	ID      string
	Amount  int64
	Status  string
	Reason  string
	Created time.Time
}

// GetCharge re-fetches a charge with its refunds.
func (c *Client) GetCharge(ctx context.Context, id string) (Charge, error) {
	p := &stripe.ChargeParams{}
	p.Context = ctx
	p.AddExpand("refunds")
	ch, err := c.api.Charges.Get(id, p)
	if err != nil {
		return Charge{}, wrap("retrieve charge", err)
	}
	out := Charge{ID: ch.ID, Amount: ch.Amount, AmountRefunded: ch.AmountRefunded, Refunded: ch.Refunded, Currency: string(ch.Currency), FetchedAt: time.Now()}
	if ch.PaymentIntent != nil {
		out.PaymentIntentID = ch.PaymentIntent.ID
	}
	if ch.Refunds != nil {
		for _, r := range ch.Refunds.Data {
			out.Refunds = append(out.Refunds, RefundInfo{ID: r.ID, Amount: r.Amount, Status: string(r.Status), Reason: string(r.Reason), Created: time.Unix(r.Created, 0)})
		}
	}
	return out, nil
}
