package shop

import (
	"context"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Standing is what the shop's pages show of a signed-in customer besides
// the header: their library, their plan's credits, their current plan,
// whether they ever had one (no second trial) and their cart's count. The
// web layer keys its cached signed-in pages by it and keeps it while the
// customer's store version, the catalog and the clock (Until) leave it
// as read.
type Standing struct {
	Owned       map[string]bool // product ids with an active entitlement
	OwnedSlugs  map[string]bool // their slugs, for a product page's address
	Credits     *CreditStatus   // nil without a current plan
	CurrentPlan string          // the current subscription's plan id, ""
	HadPlan     bool
	CartCount   int64
	// Until is when the standing may have turned by the clock alone (a
	// credit month, a grace period, a paid period ends), at most
	// maxStandingKeep on; a change to the customer's records is seen
	// through the store's customer version instead.
	Until time.Time
}

// maxStandingKeep is the longest a standing is used as read.
const maxStandingKeep = time.Minute

// Standing reads a customer's standing; it writes nothing.
func (s *Shop) Standing(ctx context.Context, customerID string) (Standing, error) {
	var st Standing
	// The clock is read first: a moment that passes while the standing is
	// read bounds it too.
	now := s.now()
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		es, err := tx.EntitlementsOf(customerID, true)
		if err != nil {
			return err
		}
		st.Owned = make(map[string]bool, len(es))
		st.OwnedSlugs = make(map[string]bool, len(es))
		for _, e := range es {
			if st.Owned[e.ProductID] {
				continue
			}
			st.Owned[e.ProductID] = true
			switch p, err := tx.Product(e.ProductID); {
			case app.IsNotFound(err):
			case err != nil:
				return err
			default:
				st.OwnedSlugs[p.Slug] = true
			}
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
	st.Until = now.Add(maxStandingKeep)
	creditTurns(st.Credits, nil, func(t time.Time) {
		if t.After(now) && t.Before(st.Until) {
			st.Until = t
		}
	})
	return st, err
}
