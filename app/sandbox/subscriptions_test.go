package sandbox

import (
	"testing"
	"time"
)

func TestBillingPeriods(t *testing.T) {
	d := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		from, interval string
		count          int64
		want           string
	}{
		{"2025-01-15", "month", 1, "2025-02-15"},
		{"2025-01-31", "month", 1, "2025-02-28"},
		{"2024-01-31", "month", 1, "2024-02-29"},
		{"2025-03-31", "month", 1, "2025-04-30"},
		{"2024-02-29", "year", 1, "2025-02-28"},
		{"2025-12-15", "month", 3, "2026-03-15"},
		{"2025-01-01", "week", 2, "2025-01-15"},
		{"2025-01-01", "day", 1, "2025-01-02"},
	} {
		if got := addInterval(d(tc.from), tc.interval, tc.count); !got.Equal(d(tc.want)) {
			t.Errorf("%s + %d %s = %s, want %s", tc.from, tc.count, tc.interval, got.Format("2006-01-02"), tc.want)
		}
	}
	// Anchored on the 31st, February's short period comes back to the 31st.
	if got := nextPeriodEnd(d("2025-01-31"), d("2025-02-28"), "month", 1); !got.Equal(d("2025-03-31")) {
		t.Errorf("after Feb 28: %s", got.Format("2006-01-02"))
	}
}
