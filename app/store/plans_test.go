package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// planByPrice looks a Stripe price up in its own transaction.
func planByPrice(t *testing.T, st *store.Store, price string) (app.Plan, app.Interval, error) {
	t.Helper()
	var p app.Plan
	var iv app.Interval
	err := st.View(context.Background(), func(tx *store.Tx) (err error) { p, iv, err = tx.PlanByStripePrice(price); return })
	return p, iv, err
}

func planBySlug(t *testing.T, st *store.Store, slug string) (app.Plan, error) {
	t.Helper()
	var p app.Plan
	err := st.View(context.Background(), func(tx *store.Tx) (err error) { p, err = tx.PlanBySlug(slug); return })
	return p, err
}

func planByID(t *testing.T, st *store.Store, id string) (app.Plan, error) {
	t.Helper()
	var p app.Plan
	err := st.View(context.Background(), func(tx *store.Tx) (err error) { p, err = tx.Plan(id); return })
	return p, err
}

func deletePlan(st *store.Store, id string) error {
	return st.Update(context.Background(), func(tx *store.Tx) error { return tx.DeletePlan(id) })
}

func TestPlanLifecycle(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()

	pro := samplePlan("pro", 2, "price_pro_m", "price_pro_y")
	if err := st.PutPlan(ctx, &pro); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pro.ID, "plan_") || !pro.CreatedAt.Equal(clock.Now()) || !pro.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("new plan = %+v", pro)
	}
	created := pro.CreatedAt

	// Found by id, by key, and by either Stripe price with its interval.
	if got, err := planByID(t, st, pro.ID); err != nil || got.Slug != "pro" || got.Credits != 100 || got.Features[0] != "Downloads" {
		t.Errorf("Plan = %+v, %v", got, err)
	}
	if got, err := planBySlug(t, st, "pro"); err != nil || got.ID != pro.ID {
		t.Errorf("PlanBySlug = %+v, %v", got, err)
	}
	for price, wantIv := range map[string]app.Interval{"price_pro_m": app.Monthly, "price_pro_y": app.Yearly} {
		got, iv, err := planByPrice(t, st, price)
		if err != nil || got.ID != pro.ID || iv != wantIv {
			t.Errorf("PlanByStripePrice(%s) = %s %q, %v, want %s %q", price, got.ID, iv, err, pro.ID, wantIv)
		}
	}

	// Update: new key, new monthly price; CreatedAt kept even when the
	// edit does not carry it.
	clock.Advance(time.Hour)
	edit := pro
	edit.CreatedAt = time.Time{}
	edit.Slug = "professional"
	edit.Name = "Professional"
	edit.Monthly.StripePriceID = "price_pro_m2"
	if err := st.PutPlan(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	got, _ := planByID(t, st, pro.ID)
	if got.Name != "Professional" || !got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("after update: %+v", got)
	}
	if _, err := planBySlug(t, st, "pro"); !app.IsNotFound(err) {
		t.Errorf("old key still resolves: %v", err)
	}
	if got, err := planBySlug(t, st, "professional"); err != nil || got.ID != pro.ID {
		t.Errorf("new key = %+v, %v", got, err)
	}
	if got, iv, err := planByPrice(t, st, "price_pro_m2"); err != nil || got.ID != pro.ID || iv != app.Monthly {
		t.Errorf("new monthly price = %s %q, %v", got.ID, iv, err)
	}
	// A subscriber on the retired price is still on this plan.
	if got, _, err := planByPrice(t, st, "price_pro_m"); err != nil || got.ID != pro.ID {
		t.Errorf("retired price = %s, %v, want it to keep pointing at the plan", got.ID, err)
	}

	// Delete: the record and every index entry go, retired price included.
	if err := deletePlan(st, pro.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := planByID(t, st, pro.ID); !app.IsNotFound(err) {
		t.Errorf("Plan after delete: %v", err)
	}
	if _, err := planBySlug(t, st, "professional"); !app.IsNotFound(err) {
		t.Errorf("PlanBySlug after delete: %v", err)
	}
	for _, price := range []string{"price_pro_m", "price_pro_m2", "price_pro_y"} {
		if _, _, err := planByPrice(t, st, price); !app.IsNotFound(err) {
			t.Errorf("PlanByStripePrice(%s) after delete: %v", price, err)
		}
	}
	if ps, _ := st.Plans(ctx); len(ps) != 0 {
		t.Errorf("Plans after delete = %+v", ps)
	}
	if err := deletePlan(st, pro.ID); !app.IsNotFound(err) {
		t.Errorf("deleting twice: %v", err)
	}

	// The key and the prices are free for a new plan.
	again := samplePlan("pro", 1, "price_pro_m", "price_pro_y")
	if err := st.PutPlan(ctx, &again); err != nil {
		t.Errorf("reusing a deleted plan's key and prices: %v", err)
	}
}

func TestMissingPlansAreNotFound(t *testing.T) {
	st, _, _ := openTestStore(t)
	if _, err := planByID(t, st, "plan_nope"); !app.IsNotFound(err) || app.ErrorMessage(err) != "That plan does not exist." {
		t.Errorf("Plan = %v", err)
	}
	if _, err := planBySlug(t, st, "nope"); !app.IsNotFound(err) {
		t.Errorf("PlanBySlug = %v", err)
	}
	if _, iv, err := planByPrice(t, st, "price_nope"); !app.IsNotFound(err) || iv != "" {
		t.Errorf("PlanByStripePrice = %q, %v", iv, err)
	}
}

func TestPlansAreListedByPosition(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	// Created in another order than they are shown.
	for _, p := range []app.Plan{
		samplePlan("team", 3, "", ""),
		samplePlan("starter", 1, "", ""),
		samplePlan("pro", 2, "", ""),
	} {
		if err := st.PutPlan(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := st.Plans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Slug)
	}
	if strings.Join(got, ",") != "starter,pro,team" {
		t.Errorf("plans in order %v, want starter,pro,team", got)
	}

	// Moving one changes the order.
	team := ps[2]
	team.Position = 0
	if err := st.PutPlan(ctx, &team); err != nil {
		t.Fatal(err)
	}
	ps, _ = st.Plans(ctx)
	if ps[0].Slug != "team" || len(ps) != 3 {
		t.Errorf("after moving team first: %v", ps)
	}
}

func TestPlanClashesChangeNothing(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	starter := samplePlan("starter", 1, "price_s_m", "price_s_y")
	pro := samplePlan("pro", 2, "price_p_m", "price_p_y")
	for _, p := range []*app.Plan{&starter, &pro} {
		if err := st.PutPlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := planByID(t, st, pro.ID)

	tests := []struct {
		name   string
		change func(p *app.Plan)
	}{
		{"another plan's monthly price as yearly", func(p *app.Plan) { p.Yearly.StripePriceID = "price_s_m"; p.Name = "Changed" }},
		{"another plan's yearly price as monthly", func(p *app.Plan) { p.Monthly.StripePriceID = "price_s_y"; p.Name = "Changed" }},
		{"another plan's key", func(p *app.Plan) { p.Slug = "starter"; p.Name = "Changed" }},
		{"a new key and a taken price", func(p *app.Plan) { p.Slug = "premium"; p.Monthly.StripePriceID = "price_s_m" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edit := before
			tt.change(&edit)
			err := st.PutPlan(ctx, &edit)
			if app.ErrorCode(err) != app.ECONFLICT {
				t.Fatalf("PutPlan = %v, want a conflict", err)
			}
			got, _ := planByID(t, st, pro.ID)
			if got.Name != before.Name || got.Slug != "pro" || got.Monthly != before.Monthly || got.Yearly != before.Yearly || !got.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("pro changed: %+v", got)
			}
			if p, err := planBySlug(t, st, "pro"); err != nil || p.ID != pro.ID {
				t.Errorf("pro's key = %+v, %v", p, err)
			}
			if _, err := planBySlug(t, st, "premium"); !app.IsNotFound(err) {
				t.Errorf("a refused key was indexed: %v", err)
			}
			for price, want := range map[string]string{"price_s_m": starter.ID, "price_s_y": starter.ID, "price_p_m": pro.ID, "price_p_y": pro.ID} {
				if p, _, err := planByPrice(t, st, price); err != nil || p.ID != want {
					t.Errorf("%s = %s, %v, want %s", price, p.ID, err, want)
				}
			}
		})
	}

	// A new plan with a taken price is not stored at all.
	dup := samplePlan("team", 3, "price_p_y", "price_t_y")
	if err := st.PutPlan(ctx, &dup); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("new plan with a taken price: %v", err)
	}
	if _, err := planBySlug(t, st, "team"); !app.IsNotFound(err) {
		t.Errorf("the refused plan was stored: %v", err)
	}
	if _, _, err := planByPrice(t, st, "price_t_y"); !app.IsNotFound(err) {
		t.Errorf("the refused plan's other price was indexed: %v", err)
	}
	if ps, _ := st.Plans(ctx); len(ps) != 2 {
		t.Errorf("%d plans, want 2", len(ps))
	}
}

func TestAnInvalidPlanIsNotStored(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	p := samplePlan("pro", 1, "price_m", "price_y")
	p.Name = ""
	p.Monthly.Price.Amount = 10
	err := st.PutPlan(ctx, &p)
	var inv *app.InvalidForm
	if !errors.As(err, &inv) || inv.Fields["name"] == "" || inv.Fields["monthly"] == "" {
		t.Fatalf("PutPlan = %v, want name and monthly messages", err)
	}
	if _, _, err := planByPrice(t, st, "price_m"); !app.IsNotFound(err) {
		t.Errorf("an invalid plan's price was indexed: %v", err)
	}
	if ps, _ := st.Plans(ctx); len(ps) != 0 {
		t.Errorf("plans = %+v", ps)
	}
}
