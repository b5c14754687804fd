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
// of truth); the idempotency key makes a repeated click one refund.
func (s *Shop) Refund(ctx context.Context, orderID string, amount int64, reason, actor string) (string, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return "", err
	}
	left := o.Total.Amount - o.AmountRefunded
	switch {
	case o.PaymentIntentID == "" || (o.Status != app.OrderPaid && o.Status != app.OrderPartiallyRefunded):
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
	key := o.ID + "-" + strconv.FormatInt(o.AmountRefunded, 10) + "-" + strconv.FormatInt(amount, 10)
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

// HandleChargeRefunded is the ledger handler for charge.refunded: it
// re-fetches the charge, records its refunds on the order, and revokes
// the order's entitlements once everything is refunded (rule 7).
func (s *Shop) HandleChargeRefunded(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	ch, err := s.Stripe.GetCharge(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	return func(tx *store.Tx) error {
		if ch.PaymentIntentID == "" {
			return nil
		}
		o, err := tx.OrderByPaymentIntent(ch.PaymentIntentID)
		if app.IsNotFound(err) {
			return nil // a charge Vendo did not sell (a subscription invoice): nothing to do here
		}
		if err != nil {
			return err
		}
		if ok, err := tx.AcceptSnapshot(ch.ID, ch.FetchedAt); err != nil || !ok {
			return err
		}
		o.ChargeID = ch.ID
		o.AmountRefunded = ch.AmountRefunded
		o.Refunds = o.Refunds[:0]
		for _, r := range ch.Refunds {
			o.Refunds = append(o.Refunds, app.Refund{ID: r.ID, Amount: r.Amount, Status: r.Status, Reason: r.Reason, CreatedAt: r.Created})
		}
		switch {
		case ch.Refunded || o.Refunded():
			if o.Status != app.OrderRefunded {
				o.Status = app.OrderRefunded
				if _, err := tx.RevokeEntitlements(o.CustomerID, app.SourceOrder, o.ID, "refunded"); err != nil {
					return err
				}
				if err := revokeOrderLicenses(tx, o, "refunded"); err != nil {
					return err
				}
			}
		case ch.AmountRefunded > 0:
			o.Status = app.OrderPartiallyRefunded
		}
		return tx.PutOrder(&o)
	}, nil
}
