package shop

import (
	"context"

	"vendo/app"
	"vendo/app/store"
)

// Standing is what the shop's pages show of a signed-in customer besides
// the header: their library, their plan's credits, their current plan,
// whether they ever had one (no second trial) and their cart's count. The
// web layer keys its cached signed-in pages by it, so it is read fresh
// for every page, in one read transaction.
type Standing struct {
	Owned       map[string]bool // product ids with an active entitlement
	Credits     *CreditStatus   // nil without a current plan
	CurrentPlan string          // the current subscription's plan id, ""
	HadPlan     bool
	CartCount   int64
}

// Standing reads a customer's standing; it writes nothing.
func (s *Shop) Standing(ctx context.Context, customerID string) (Standing, error) {
	var st Standing
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		es, err := tx.EntitlementsOf(customerID, true)
		if err != nil {
			return err
		}
		st.Owned = make(map[string]bool, len(es))
		for _, e := range es {
			st.Owned[e.ProductID] = true
		}
		// The credits come from the current subscription, if any: its
		// plan is the current one, and a customer with one had a plan.
		if st.Credits, err = s.creditsIn(tx, customerID); err != nil {
			return err
		}
		if st.Credits != nil {
			st.CurrentPlan, st.HadPlan = st.Credits.Subscription.PlanID, true
		} else if st.HadPlan, err = hadPlan(tx, customerID); err != nil {
			return err
		}
		cart, err := tx.Cart(app.CustomerCartID(customerID))
		if err != nil {
			return err
		}
		if len(cart.Items) > 0 {
			v, err := viewCart(tx, cart)
			if err != nil {
				return err
			}
			st.CartCount = v.Count
		}
		return nil
	})
	return st, err
}
