package stripeapi

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// Charge is a charge as Vendo reads it: which payment it belongs to.
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
	Status  string // pending, requires_action, succeeded, failed, canceled
	Reason  string
	Created time.Time
}

// Counts reports whether the refund returns money: a failed or canceled
// one gives it back to the merchant.
func (r RefundInfo) Counts() bool { return r.Status != "failed" && r.Status != "canceled" }

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
		out.Refunds = refundInfos(ch.Refunds.Data)
	}
	return out, nil
}

func refundInfos(rs []*stripe.Refund) []RefundInfo {
	var out []RefundInfo
	for _, r := range rs {
		out = append(out, RefundInfo{ID: r.ID, Amount: r.Amount, Status: string(r.Status), Reason: string(r.Reason), Created: time.Unix(r.Created, 0)})
	}
	return out
}

// Payment is what Stripe says now about the money of one PaymentIntent:
// its status, and its latest charge's refunds and dispute. It is the
// order's truth beside its Checkout Session (DESIGN.md §5 rule 7).
type Payment struct {
	IntentID string
	Status   string // the PaymentIntent's: processing, succeeded, requires_payment_method, canceled…
	ChargeID string // the latest charge, "" before there is one
	Amount   int64
	Currency string
	// AmountRefunded is the charge's amount_refunded; Refunds lists every
	// refund (failed ones too).
	AmountRefunded int64
	Refunds        []RefundInfo
	// Dispute is the charge's dispute, nil when it has none.
	Dispute   *DisputeInfo
	FetchedAt time.Time
}

// Refunded is the money returned: the sum of the refunds that count (a
// failed refund returned nothing, whether or not amount_refunded has
// caught up), or the charge's amount_refunded when no refund is listed.
func (p Payment) Refunded() int64 {
	var n int64
	for _, r := range p.Refunds {
		if r.Counts() {
			n += r.Amount
		}
	}
	if len(p.Refunds) == 0 {
		return p.AmountRefunded
	}
	return n
}

// GetPayment re-fetches a PaymentIntent with its latest charge, every
// refund of that charge and its dispute.
func (c *Client) GetPayment(ctx context.Context, paymentIntentID string) (Payment, error) {
	p := &stripe.PaymentIntentParams{}
	p.Context = ctx
	p.AddExpand("latest_charge.refunds")
	pi, err := c.api.PaymentIntents.Get(paymentIntentID, p)
	if err != nil {
		return Payment{}, wrap("retrieve payment intent", err)
	}
	return c.payment(ctx, pi)
}

// payment reads a PaymentIntent fetched with latest_charge.refunds
// expanded (by GetPayment, or inside a session by GetCheckoutSession),
// listing the rest of its refunds and its dispute when it has them.
func (c *Client) payment(ctx context.Context, pi *stripe.PaymentIntent) (Payment, error) {
	out := Payment{IntentID: pi.ID, Status: string(pi.Status), Amount: pi.Amount, Currency: string(pi.Currency), FetchedAt: time.Now()}
	ch := pi.LatestCharge
	if ch == nil || ch.ID == "" {
		return out, nil
	}
	out.ChargeID, out.AmountRefunded = ch.ID, ch.AmountRefunded
	if ch.Refunds != nil {
		out.Refunds = refundInfos(ch.Refunds.Data)
		if ch.Refunds.HasMore {
			// More refunds than one page: list them all.
			lp := &stripe.RefundListParams{Charge: stripe.String(ch.ID)}
			lp.Context = ctx
			lp.Limit = stripe.Int64(100)
			var all []*stripe.Refund
			it := c.api.Refunds.List(lp)
			for it.Next() {
				all = append(all, it.Refund())
			}
			if err := it.Err(); err != nil {
				return Payment{}, wrap("list refunds", err)
			}
			out.Refunds = refundInfos(all)
		}
	}
	if ch.Disputed {
		d, err := c.chargeDispute(ctx, ch.ID)
		if err != nil {
			return Payment{}, err
		}
		out.Dispute = d
	}
	return out, nil
}
