package web

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// handlePlans shows the three plans; the monthly/yearly switch swaps the
// grid partial (the switch is part of it, so the chosen interval shows as
// selected after the swap) for htmx and is a plain link without
// JavaScript.
func (s *Server) handlePlans(c *fiber.Ctx) error {
	plans, err := s.store.Plans(c.UserContext())
	if err != nil {
		return err
	}
	iv := app.Monthly
	if c.Query("interval") == string(app.Yearly) {
		iv = app.Yearly
	}
	current, returning := "", false
	if st := s.signed(c); st != nil {
		current, returning = st.CurrentPlan, st.HadPlan // what the cached page is keyed by
	} else if id := s.viewerID(c); id != "" {
		// One free trial per customer: a returning one is told before
		// Checkout that the plan starts without it.
		var err error
		if returning, err = s.shop.HadPlan(c.UserContext(), id); err != nil {
			return err
		}
		err = s.store.View(c.UserContext(), func(tx *store.Tx) error {
			sub, err := tx.CurrentSubscription(id)
			if app.IsNotFound(err) {
				return nil
			}
			current = sub.PlanID
			return err
		})
		if err != nil {
			return err
		}
	}
	discounts, codeNote, err := s.planDiscounts(c, plans, iv)
	if err != nil {
		return err
	}
	settings, err := s.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	best := 0
	for i := range plans {
		if sv := plans[i].YearlySaving(); sv > best {
			best = sv
		}
	}
	return s.page(c, "pages/plans", "partials/plan_grid", fiber.Map{
		"Title": "Plans", "Nav": "plans", "Plans": plans, "Interval": iv, "BestSaving": best, "CurrentPlan": current, "Returning": returning,
		"Discounts": discounts, "CodeNote": codeNote,
		"Meta":         s.meta("/plans", "Plans", "Subscribe for credits every month that unlock any product. Change or cancel any time.", ""),
		"KeepsUnlocks": settings.KeepsUnlocks(),
	})
}

// planDiscounts applies the visitor's discount code (a shared
// /plans?code= link or one remembered from before) to each plan's price
// for the interval. note is the sentence about the code when no plan
// takes it: why it cannot be used, or that it is for none of the plans.
func (s *Server) planDiscounts(c *fiber.Ctx, plans []app.Plan, iv app.Interval) (map[string]shop.PlanDiscount, string, error) {
	code := s.currentCode(c)
	if code == "" {
		return nil, "", nil
	}
	out := map[string]shop.PlanDiscount{}
	note := ""
	for _, p := range plans {
		pd, err := s.shop.ApplyPlanCode(c.UserContext(), code, p, iv, s.viewerID(c))
		if err != nil {
			return nil, "", err
		}
		switch {
		case pd.Refused == "":
			out[p.ID] = pd
		case note == "" && pd.Discount.ID != "" && !pd.Discount.AppliesToPlan(p.ID):
			note = fmt.Sprintf("The code %s is not for any of the plans.", pd.Code)
		case note == "" || pd.Discount.ID == "" || pd.Discount.AppliesToPlan(p.ID):
			note = pd.Refused
		}
	}
	if len(out) > 0 {
		note = ""
	}
	return out, note, nil
}
