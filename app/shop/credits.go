package shop

import (
	"context"
	"slices"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// Plan credits (DESIGN.md §5 rule 6): a monthly allowance refilled by each
// paid period, moved to the new plan on a switch, and spent one at a time
// to unlock a product.

// Unlock spends one plan credit to add a product to the customer's
// library (DESIGN.md §5 rule 6). Inside the stored period it spends from
// the database; past the stored period end it first refreshes the
// subscription from Stripe and stores it, then spends in a second write,
// which may fail for lack of credits. It never spends below zero, and an
// owned product costs nothing.
func (s *Shop) Unlock(ctx context.Context, customerID, productSlug string) (app.Entitlement, error) {
	var sub app.Subscription
	var product app.Product
	var owned *app.Entitlement
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if product, err = tx.ProductBySlug(productSlug); err != nil {
			return err
		}
		if e, err := tx.ActiveEntitlement(customerID, product.ID); err == nil {
			owned = &e
			return nil
		} else if !app.IsNotFound(err) {
			return err
		}
		if sub, err = tx.CurrentSubscription(customerID); app.IsNotFound(err) {
			return app.Errorf(app.EFORBIDDEN, "Unlocking with credits needs an active plan. Choose one on the plans page.")
		}
		return err
	})
	if err != nil || owned != nil {
		if owned != nil {
			return *owned, nil
		}
		return app.Entitlement{}, err
	}
	if !product.Active {
		return app.Entitlement{}, app.Errorf(app.EINVALID, "%s is no longer available.", product.Title)
	}
	if !s.now().Before(sub.CurrentPeriodEnd) {
		// Past the stored period: the renewal may have happened without us
		// hearing of it yet. Ask Stripe, store the answer (first write).
		t, err := s.fetchSubscription(ctx, sub.StripeID)
		if err != nil {
			return app.Entitlement{}, err
		}
		if err := s.Store.Update(ctx, func(tx *store.Tx) error { _, err := s.applySubscription(tx, t); return err }); err != nil {
			return app.Entitlement{}, err
		}
	}
	// Second write: spend, deciding on what is stored now.
	var ent app.Entitlement
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Subscription(sub.ID)
		if err != nil {
			return err
		}
		if !cur.Fulfilled || cur.Terminated {
			return app.Errorf(app.EFORBIDDEN, "Your plan has ended. Choose a plan to unlock products.")
		}
		if !s.now().Before(cur.CurrentPeriodEnd) {
			return app.Errorf(app.EUNAVAILABLE, "Your plan's renewal is not confirmed yet. Try again in a few minutes.")
		}
		if e, err := tx.ActiveEntitlement(customerID, product.ID); !app.IsNotFound(err) {
			ent = e // already owned (err nil), or a failure
			return err
		}
		if cur.Credits == 0 {
			return app.Errorf(app.EINVALID, "You have no credits left this period. They refill on %s.", cur.CurrentPeriodEnd.Format("Jan 2"))
		}
		if cur.Credits != app.Unlimited {
			cur.Credits--
		}
		if err := tx.PutSubscription(&cur); err != nil {
			return err
		}
		if err := tx.AddCredit(&app.CreditEntry{CustomerID: customerID, SubscriptionID: cur.ID, Delta: -1, Balance: cur.Credits, Reason: "unlock", Ref: product.ID}); err != nil {
			return err
		}
		ent = app.Entitlement{CustomerID: customerID, ProductID: product.ID, Source: app.SourceCredit, SourceID: cur.ID}
		return tx.PutEntitlement(&ent)
	})
	return ent, err
}

// refill resets the credit balance for the period an invoice paid for,
// once per invoice.
func (s *Shop) refill(tx *store.Tx, sub *app.Subscription, in stripeapi.Invoice) error {
	if slices.Contains(sub.RefilledInvoices, in.ID) || !sub.Fulfilled || sub.Terminated {
		return nil
	}
	plan, err := tx.Plan(sub.PlanID)
	if err != nil {
		return err
	}
	sub.RefilledInvoices = append(sub.RefilledInvoices, in.ID)
	if len(sub.RefilledInvoices) > 50 {
		sub.RefilledInvoices = sub.RefilledInvoices[len(sub.RefilledInvoices)-50:]
	}
	if !in.PeriodEnd.After(sub.RefilledThrough) {
		// Not a new period (a proration for a plan switch): nothing to refill.
		return tx.PutSubscription(sub)
	}
	sub.RefilledThrough = in.PeriodEnd
	if in.PeriodEnd.After(sub.CurrentPeriodEnd) {
		sub.CurrentPeriodStart, sub.CurrentPeriodEnd = in.PeriodStart, in.PeriodEnd
	}
	prev := sub.Credits
	sub.Credits = plan.Credits
	if err := tx.PutSubscription(sub); err != nil {
		return err
	}
	return tx.AddCredit(&app.CreditEntry{CustomerID: sub.CustomerID, SubscriptionID: sub.ID, Delta: plan.Credits - max(prev, 0),
		Balance: sub.Credits, Reason: "period_grant", Ref: in.ID})
}

// moveAllowance moves the credit allowance to the new plan on a switch:
// what was spent this period stays spent, so no round trip gains credits.
func moveAllowance(tx *store.Tx, rec *app.Subscription, old, plan app.Plan) error {
	prev := rec.Credits
	switch {
	case plan.Credits == app.Unlimited:
		rec.Credits = app.Unlimited
	case old.Credits == app.Unlimited || prev == app.Unlimited:
		rec.Credits = plan.Credits
	default:
		// Keep what was spent this period: the allowance moves, the spending stays.
		rec.Credits = max(0, prev+plan.Credits-old.Credits)
	}
	return tx.AddCredit(&app.CreditEntry{CustomerID: rec.CustomerID, SubscriptionID: rec.ID, Delta: rec.Credits - max(prev, 0),
		Balance: rec.Credits, Reason: "plan_change", Ref: old.Slug + "→" + plan.Slug})
}
