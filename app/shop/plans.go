package shop

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// The subscription plans: the admin's edits and order on /plans, and the
// plans' Stripe Products, recurring Prices and the Billing Portal
// configuration that offers them (new Prices follow catalog.go's rule:
// created before the write, the old one deactivated after it).

// EnsurePlanPrices creates the plans' Stripe Products and monthly/yearly
// Prices when missing, and the Billing Portal configuration that lists
// them. It runs lazily (first subscribe, first portal visit, a plan edit),
// so start-up never depends on Stripe. The portal configuration is written
// when something was created here, or always with refreshPortal (a plan
// edit made a new Price elsewhere).
func (s *Shop) EnsurePlanPrices(ctx context.Context) error { return s.ensurePlanPrices(ctx, false) }

func (s *Shop) ensurePlanPrices(ctx context.Context, refreshPortal bool) error {
	plans, err := s.Store.Plans(ctx)
	if err != nil {
		return err
	}
	var portal []stripeapi.PortalProduct
	changed := false
	for i := range plans {
		p := &plans[i]
		before := *p
		if p.StripeProductID, err = s.Stripe.EnsureProduct(ctx, p.StripeProductID, p.ID, p.Name); err != nil {
			return err
		}
		for _, iv := range []app.Interval{app.Monthly, app.Yearly} {
			pp := &p.Monthly
			if iv == app.Yearly {
				pp = &p.Yearly
			}
			if pp.StripePriceID == "" {
				tb := stripeapi.TaxBehavior(p.TaxInclusive)
				key := fmt.Sprintf("%s-%s-%d-%s-%s", p.ID, iv, pp.Price.Amount, pp.Price.Currency, tb)
				if pp.StripePriceID, err = s.Stripe.CreatePrice(ctx, p.StripeProductID, stripeapi.PriceSpec{Amount: pp.Price.Amount, Currency: pp.Price.Currency, Interval: string(iv), TaxBehavior: tb}, p.ID, key); err != nil {
					return err
				}
			}
		}
		portal = append(portal, stripeapi.PortalProduct{ProductID: p.StripeProductID, PriceIDs: []string{p.Monthly.StripePriceID, p.Yearly.StripePriceID}})
		if before.StripeProductID != p.StripeProductID || before.Monthly.StripePriceID != p.Monthly.StripePriceID || before.Yearly.StripePriceID != p.Yearly.StripePriceID {
			changed = true
			// Fill in only the ids, on the plan as stored now: an admin's
			// edit made meanwhile is kept.
			err := s.Store.Update(ctx, func(tx *store.Tx) error {
				cur, err := tx.Plan(p.ID)
				if err != nil {
					return err
				}
				cur.StripeProductID = p.StripeProductID
				sameTax := cur.TaxInclusive == p.TaxInclusive
				if cur.Monthly.StripePriceID == "" && cur.Monthly.Price == p.Monthly.Price && sameTax {
					cur.Monthly.StripePriceID = p.Monthly.StripePriceID
				}
				if cur.Yearly.StripePriceID == "" && cur.Yearly.Price == p.Yearly.Price && sameTax {
					cur.Yearly.StripePriceID = p.Yearly.StripePriceID
				}
				return tx.PutPlan(&cur)
			})
			if err != nil {
				return err
			}
		}
	}
	settings, err := s.Store.Settings(ctx)
	if err != nil {
		return err
	}
	if settings.PortalConfigID != "" && !changed && !refreshPortal {
		return nil
	}
	id, err := s.Stripe.EnsurePortalConfiguration(ctx, settings.PortalConfigID, portal, s.BaseURL+"/account")
	if err != nil {
		return err
	}
	if id == settings.PortalConfigID {
		return nil
	}
	_, err = s.Store.UpdateSettings(ctx, func(st *app.Settings) error { st.PortalConfigID = id; return nil })
	return err
}

// SavePlan stores the admin's edit of a plan: name, tagline, features,
// credits, highlight and the monthly and yearly prices. A changed price
// of a plan already in Stripe becomes a new recurring Price; the old one
// is deactivated (existing subscribers keep it, and the store's plan
// index keeps resolving it to this plan), and the Billing Portal is
// updated to offer the new prices.
func (s *Shop) SavePlan(ctx context.Context, p *app.Plan, actor string) error {
	cur, err := s.planByID(ctx, p.ID)
	if err != nil {
		return err
	}
	want := cur
	copyPlanForm(&want, p)
	if err := want.Validate(); err != nil {
		return err
	}
	type change struct {
		iv       app.Interval
		old, new string
	}
	var changes []change
	for _, iv := range []app.Interval{app.Monthly, app.Yearly} {
		was, is := cur.PriceFor(iv), want.PriceFor(iv)
		// Including tax or not is a new Price too (tax_behavior is
		// immutable).
		if was.StripePriceID == "" || was.Price == is.Price && cur.TaxInclusive == want.TaxInclusive {
			continue
		}
		tb := stripeapi.TaxBehavior(want.TaxInclusive)
		key := fmt.Sprintf("%s-%s-%d-%s-%s-from-%s", cur.ID, iv, is.Price.Amount, is.Price.Currency, tb, was.StripePriceID)
		id, err := s.Stripe.CreatePrice(ctx, cur.StripeProductID, stripeapi.PriceSpec{Amount: is.Price.Amount, Currency: is.Price.Currency, Interval: string(iv), TaxBehavior: tb}, cur.ID, key)
		if err != nil {
			return fmt.Errorf("create the new %sly Stripe price: %w", iv, err)
		}
		changes = append(changes, change{iv, was.StripePriceID, id})
	}
	var saved app.Plan
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		now, err := tx.Plan(p.ID)
		if err != nil {
			return err
		}
		if now.Monthly.StripePriceID != cur.Monthly.StripePriceID || now.Yearly.StripePriceID != cur.Yearly.StripePriceID {
			return app.Errorf(app.ECONFLICT, "The plan's prices changed while you were editing it. Reload the page and try again.")
		}
		before := now
		copyPlanForm(&now, p)
		for _, c := range changes {
			if c.iv == app.Yearly {
				now.Yearly.StripePriceID = c.new
			} else {
				now.Monthly.StripePriceID = c.new
			}
		}
		if err := tx.PutPlan(&now); err != nil {
			return err
		}
		saved = now
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "plan.update", Target: now.ID, Detail: planDiff(before, now)})
	})
	if err != nil {
		return err
	}
	*p = saved
	for _, c := range changes {
		if err := s.Stripe.DeactivatePrice(ctx, c.old); err != nil {
			s.Log.Warn("deactivate the old plan price", "plan", p.ID, "price", c.old, "err", err)
		}
	}
	if saved.StripeProductID != "" {
		// Refreshed on every save of a plan in Stripe, so saving again
		// retries a portal update that failed.
		if err := s.refreshPortal(ctx); err != nil {
			return app.Errorf(app.EUNAVAILABLE, "The plan was saved, but Stripe's Billing Portal could not be updated to offer its prices (%s). Save the plan again to retry.", app.ErrorMessage(err))
		}
	}
	return nil
}

// refreshPortal makes sure every plan has its Prices and writes the
// Billing Portal configuration with the current ones.
func (s *Shop) refreshPortal(ctx context.Context) error { return s.ensurePlanPrices(ctx, true) }

func (s *Shop) planByID(ctx context.Context, id string) (p app.Plan, err error) {
	err = s.Store.View(ctx, func(tx *store.Tx) error { p, err = tx.Plan(id); return err })
	return p, err
}

// copyPlanForm copies the fields the admin's plan form edits.
func copyPlanForm(dst, src *app.Plan) {
	dst.Name = strings.TrimSpace(src.Name)
	dst.Tagline = strings.TrimSpace(src.Tagline)
	dst.Features = src.Features
	dst.Credits = src.Credits
	dst.Monthly.Price = src.Monthly.Price
	dst.Yearly.Price = src.Yearly.Price
	dst.Highlight = src.Highlight
	dst.TrialDays, dst.TrialNoCard = src.TrialDays, src.TrialNoCard
	dst.TrialCreditsLimited, dst.TrialCredits = src.TrialCreditsLimited, src.TrialCredits
	dst.TaxInclusive = src.TaxInclusive
}

func planDiff(a, b app.Plan) string {
	var d diff
	d.quoted("name", a.Name, b.Name)
	d.quoted("tagline", a.Tagline, b.Tagline)
	if !slices.Equal(a.Features, b.Features) {
		d.add("features edited (%d → %d)", len(a.Features), len(b.Features))
	}
	if a.Credits != b.Credits {
		d.add("credits %s → %s", credits(a.Credits), credits(b.Credits))
	}
	if a.Monthly.Price != b.Monthly.Price {
		d.add("monthly %s → %s (Stripe price %s → %s)", a.Monthly.Price, b.Monthly.Price, orNone(a.Monthly.StripePriceID), orNone(b.Monthly.StripePriceID))
	}
	if a.Yearly.Price != b.Yearly.Price {
		d.add("yearly %s → %s (Stripe price %s → %s)", a.Yearly.Price, b.Yearly.Price, orNone(a.Yearly.StripePriceID), orNone(b.Yearly.StripePriceID))
	}
	d.flag("highlighted", a.Highlight, b.Highlight)
	if a.TrialDays != b.TrialDays {
		d.add("trial %d → %d days", a.TrialDays, b.TrialDays)
	}
	d.flag("trial without a card", a.TrialNoCard, b.TrialNoCard)
	if a.TrialAllowance() != b.TrialAllowance() || a.TrialCreditsLimited != b.TrialCreditsLimited {
		d.add("trial credits %s → %s", trialCreditsWord(a), trialCreditsWord(b))
	}
	d.flag("prices include tax", a.TaxInclusive, b.TaxInclusive)
	return d.String()
}

func trialCreditsWord(p app.Plan) string {
	if !p.TrialCreditsLimited {
		return "the plan's"
	}
	return fmt.Sprint(p.TrialCredits)
}

func credits(n int) string {
	if n == app.Unlimited {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

func orNone(s string) string {
	if s == "" {
		return "none yet"
	}
	return s
}

// MovePlan moves a plan one place up (delta -1) or down (+1) on /plans,
// renumbering the positions 0, 1, 2… in one transaction.
func (s *Shop) MovePlan(ctx context.Context, id string, delta int, actor string) error {
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		plans, err := tx.Plans()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(plans, func(p app.Plan) bool { return p.ID == id })
		if i < 0 {
			return app.Errorf(app.ENOTFOUND, "That plan does not exist.")
		}
		j := i + delta
		if j < 0 || j >= len(plans) || delta == 0 {
			return nil // already first or last
		}
		plans[i], plans[j] = plans[j], plans[i]
		for k := range plans {
			if plans[k].Position == k {
				continue
			}
			plans[k].Position = k
			if err := tx.PutPlan(&plans[k]); err != nil {
				return err
			}
		}
		dir := "down"
		if delta < 0 {
			dir = "up"
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "plan.move", Target: id,
			Detail: fmt.Sprintf("moved %s %s (place %d → %d)", plans[j].Name, dir, i+1, j+1)})
	})
	return err
}
