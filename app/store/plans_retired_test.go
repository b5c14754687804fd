package store_test

import (
	"context"
	"testing"

	"vendo/app"
	"vendo/app/store"
)

// A subscriber on a yearly price that was since replaced keeps the yearly
// interval: the price→plan index remembers each price's interval.
func TestRetiredPriceKeepsItsInterval(t *testing.T) {
	st, err := store.Open(t.TempDir()+"/v.db", store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	p := app.Plan{Slug: "pro", Name: "Pro", Credits: 3, Monthly: app.PlanPrice{Price: usd(900), StripePriceID: "price_m1"},
		Yearly: app.PlanPrice{Price: usd(9000), StripePriceID: "price_y1"}}
	if err := st.PutPlan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	p.Yearly = app.PlanPrice{Price: usd(8000), StripePriceID: "price_y2"}
	if err := st.PutPlan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	for price, want := range map[string]app.Interval{"price_y1": app.Yearly, "price_y2": app.Yearly, "price_m1": app.Monthly} {
		st.View(ctx, func(tx *store.Tx) error {
			got, iv, err := tx.PlanByStripePrice(price)
			if err != nil || got.ID != p.ID || iv != want {
				t.Errorf("%s: plan %s interval %q err %v; want %s %q", price, got.ID, iv, err, p.ID, want)
			}
			return nil
		})
	}
}
