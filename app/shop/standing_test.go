package shop_test

import (
	"testing"
	"time"
)

// A standing is kept by the web layer until Standing.Until: a credit
// month or paid period that ends sooner must bound it, or a page would
// offer the old month's credits past its end.
func TestStandingHoldsNoLongerThanItsCreditMonth(t *testing.T) {
	w := newCreditWorld(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	w.begin(w.pro.Monthly.StripePriceID, start, end)

	w.at(end.Add(-20 * time.Second))
	st, err := w.shop.Standing(w.ctx, w.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Credits == nil || st.CurrentPlan == "" {
		t.Fatalf("no current plan in the standing: %+v", st)
	}
	if st.Until.After(end) {
		t.Errorf("the standing holds until %v, past the month's end %v", st.Until, end)
	}
	if !st.Until.After(w.now) {
		t.Errorf("the standing holds until %v, not after now %v", st.Until, w.now)
	}

	// Mid-month it holds its full while.
	w.at(start.Add(24 * time.Hour))
	if st, err = w.shop.Standing(w.ctx, w.cust.ID); err != nil {
		t.Fatal(err)
	}
	if want := w.now.Add(time.Minute); !st.Until.Equal(want) {
		t.Errorf("mid-month the standing holds until %v, want %v", st.Until, want)
	}
}
