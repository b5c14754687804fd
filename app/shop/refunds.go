package shop

import (
	"context"
	"fmt"
	"strconv"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/webhook"
)

// Refund asks Stripe to refund amount (0 = all that is left) of an order.
// The order changes when charge.refunded comes back (Stripe is the source
// of truth); the idempotency key makes a repeated click one refund, and a
// new refund after a failed one a new refund.
func (s *Shop) Refund(ctx context.Context, orderID string, amount int64, reason, actor string) (string, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return "", err
	}
	left := o.Total.Amount - o.AmountRefunded
	status, _ := o.State()
	switch {
	case status == app.OrderDisputed || status == app.OrderDisputeLost:
		return "", app.Errorf(app.EINVALID, "This order is disputed: the bank holds its money until the dispute is closed, so it cannot be refunded.")
	case o.PaymentIntentID == "" || (status != app.OrderPaid && status != app.OrderPartiallyRefunded):
		return "", app.Errorf(app.EINVALID, "Only paid orders can be refunded.")
	case amount < 0:
		return "", &app.Error{Code: app.EINVALID, Field: "amount", Message: "A refund cannot be negative."}
	case amount > left:
		return "", &app.Error{Code: app.EINVALID, Field: "amount", Message: fmt.Sprintf("At most %s is left to refund.", app.Money{Amount: left, Currency: o.Total.Currency})}
	case left <= 0:
		return "", app.Errorf(app.EINVALID, "This order is already fully refunded.")
	}
	if amount == 0 {
		amount = left
	}
	// The refunds so far (failed ones included) are in the key: after a
	// refund failed, the same amount again is a new refund.
	key := o.ID + "-" + strconv.Itoa(len(o.Refunds)) + "-" + strconv.FormatInt(o.AmountRefunded, 10) + "-" + strconv.FormatInt(amount, 10)
	id, err := s.Stripe.CreateRefund(ctx, o.PaymentIntentID, amount, reason, key)
	if err != nil {
		return "", err
	}
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "order.refund", Target: o.ID,
			Detail: fmt.Sprintf("refund %s of %s (%s)", app.Money{Amount: amount, Currency: o.Total.Currency}, o.Total, id)})
	})
	return id, err
}

// HandlePaymentEvent is the ledger handler for the events about an
// order's money: charge.refunded, charge.refund.updated (a refund that
// failed) and charge.dispute.created/updated/closed. It finds the order
// the object belongs to (ids that never change) and reconciles it; an
// event that comes before its order exists makes it from the session,
// in its true state (DESIGN.md §5 rule 7). A payment no Checkout of a
// purchase made (a subscription's invoice) is not an order's: nothing to
// do.
func (s *Shop) HandlePaymentEvent(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	pi, err := s.paymentOf(ctx, ev)
	if err != nil || pi == "" {
		return nil, err
	}
	sessionID, err := s.sessionOfPayment(ctx, pi)
	if err != nil || sessionID == "" {
		return nil, err
	}
	return s.HandleCheckoutEvent(ctx, webhook.Event{ID: ev.ID, Type: ev.Type, ObjectID: sessionID, Created: ev.Created})
}

// paymentOf names the PaymentIntent an event's object belongs to.
func (s *Shop) paymentOf(ctx context.Context, ev webhook.Event) (string, error) {
	switch ev.Type {
	case "charge.refund.updated":
		_, pi, err := s.Stripe.GetRefund(ctx, ev.ObjectID)
		return pi, err
	case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed":
		d, err := s.Stripe.GetDispute(ctx, ev.ObjectID)
		return d.PaymentIntentID, err
	}
	ch, err := s.Stripe.GetCharge(ctx, ev.ObjectID)
	return ch.PaymentIntentID, err
}

// sessionOfPayment is the Checkout Session that made a PaymentIntent:
// its order's, else Stripe's answer (the order may not exist yet).
func (s *Shop) sessionOfPayment(ctx context.Context, pi string) (string, error) {
	o, err := s.orderByPayment(ctx, pi)
	if err == nil {
		return o.CheckoutSessionID, nil
	}
	if !app.IsNotFound(err) {
		return "", err
	}
	return s.Stripe.SessionOfPayment(ctx, pi)
}

func (s *Shop) orderByPayment(ctx context.Context, pi string) (o app.Order, err error) {
	err = s.Store.View(ctx, func(tx *store.Tx) error { o, err = tx.OrderByPaymentIntent(pi); return err })
	return
}
