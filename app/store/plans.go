package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"vendo/app"
)

// Plan returns the plan with id.
func (t *Tx) Plan(id string) (app.Plan, error) {
	var p app.Plan
	found, err := getRecord(t.tx.Bucket(bPlans), id, &p)
	if err == nil && !found {
		err = notFound("plan")
	}
	return p, err
}

// PlanBySlug returns the plan with a slug ("pro").
func (t *Tx) PlanBySlug(slug string) (app.Plan, error) {
	id := index{t.tx.Bucket(bPlansBySlug)}.get(slug)
	if id == "" {
		return app.Plan{}, notFound("plan")
	}
	return t.Plan(id)
}

// PlanByStripePrice finds the plan and interval a Stripe Price belongs to,
// which is how subscription events are mapped to plans.
func (t *Tx) PlanByStripePrice(priceID string) (app.Plan, app.Interval, error) {
	v := index{t.tx.Bucket(bPlansByPrice)}.get(priceID)
	if v == "" {
		return app.Plan{}, "", notFound("plan")
	}
	// The interval is kept in the index: a retired price is no longer on
	// the plan record, but its subscribers keep their interval.
	id, iv, _ := strings.Cut(v, "|")
	p, err := t.Plan(id)
	if err != nil {
		return p, "", err
	}
	switch {
	case iv != "":
		return p, app.Interval(iv), nil
	case p.Yearly.StripePriceID == priceID:
		return p, app.Yearly, nil
	}
	return p, app.Monthly, nil
}

// PutPlan creates or updates a plan, keeping the slug and Stripe-price
// indexes in step with the record.
func (t *Tx) PutPlan(p *app.Plan) error {
	t.catalogChanged()
	if err := p.Validate(); err != nil {
		return err
	}
	b := t.tx.Bucket(bPlans)
	bySlug := index{t.tx.Bucket(bPlansBySlug)}
	byPrice := index{t.tx.Bucket(bPlansByPrice)}
	if p.ID == "" {
		p.ID = t.NewID("plan_")
		p.CreatedAt = t.now
	} else {
		var old app.Plan
		found, err := getRecord(b, p.ID, &old)
		if err != nil {
			return err
		}
		if found {
			p.CreatedAt = old.CreatedAt
			if old.Slug != p.Slug {
				if err := bySlug.del(old.Slug); err != nil {
					return err
				}
			}
			// Old prices keep pointing at the plan: subscribers on a retired
			// price are still on this plan.
		}
	}
	if clash, err := bySlug.set(p.Slug, p.ID); err != nil {
		return err
	} else if clash != "" {
		return &app.Error{Code: app.ECONFLICT, Field: "slug", Message: fmt.Sprintf("Another plan already uses the key %q.", p.Slug)}
	}
	for _, pp := range []struct {
		price string
		iv    app.Interval
	}{{p.Monthly.StripePriceID, app.Monthly}, {p.Yearly.StripePriceID, app.Yearly}} {
		if pp.price == "" {
			continue
		}
		if cur := byPrice.get(pp.price); cur != "" {
			if owner, _, _ := strings.Cut(cur, "|"); owner != p.ID {
				return app.Errorf(app.ECONFLICT, "The Stripe price %s already belongs to another plan.", pp.price)
			}
		}
		if err := byPrice.b.Put([]byte(pp.price), []byte(p.ID+"|"+string(pp.iv))); err != nil {
			return err
		}
	}
	p.UpdatedAt = t.now
	return putRecord(b, p.ID, p)
}

// DeletePlan removes a plan and every index entry pointing at it.
func (t *Tx) DeletePlan(id string) error {
	t.catalogChanged()
	p, err := t.Plan(id)
	if err != nil {
		return err
	}
	if err := (index{t.tx.Bucket(bPlansBySlug)}).del(p.Slug); err != nil {
		return err
	}
	byPrice := t.tx.Bucket(bPlansByPrice)
	var stale [][]byte
	if err := byPrice.ForEach(func(k, v []byte) error {
		if owner, _, _ := strings.Cut(string(v), "|"); owner == id {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range stale {
		if err := byPrice.Delete(k); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bPlans).Delete([]byte(id))
}

// Plans lists the plans in the order they appear on /plans.
func (t *Tx) Plans() ([]app.Plan, error) {
	var out []app.Plan
	err := t.tx.Bucket(bPlans).ForEach(func(k, v []byte) error {
		var p app.Plan
		if err := decode(v, &p); err != nil {
			return fmt.Errorf("plan %s: %w", k, err)
		}
		out = append(out, p)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out, err
}

// Plans lists the plans in their own transaction.
func (s *Store) Plans(ctx context.Context) (ps []app.Plan, err error) {
	err = s.View(ctx, func(tx *Tx) error { ps, err = tx.Plans(); return err })
	return
}

// PutPlan stores a plan in its own transaction.
func (s *Store) PutPlan(ctx context.Context, p *app.Plan) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.PutPlan(p) })
}
