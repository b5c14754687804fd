package store_test

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"vendo/app/store"
)

var idShape = regexp.MustCompile(`^prod_[0-9a-hjkmnp-tv-z]{26}$`)

func TestIDsMadeLaterSortLater(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 10000
	ids := make([]string, n)
	seen := make(map[string]bool, n)
	at := base
	for i := range ids {
		// Steps of a millisecond, and now and then a jump of days.
		at = at.Add(time.Millisecond)
		if i%1000 == 999 {
			at = at.Add(time.Duration(i) * 24 * time.Hour)
		}
		ids[i] = store.NewID("prod_", at)
		if !idShape.MatchString(ids[i]) {
			t.Fatalf("id %q is not prefix + 26 base32 characters", ids[i])
		}
		if seen[ids[i]] {
			t.Fatalf("id %q made twice", ids[i])
		}
		seen[ids[i]] = true
	}
	if !sort.StringsAreSorted(ids) {
		for i := 1; i < n; i++ {
			if ids[i-1] >= ids[i] {
				t.Fatalf("id %d %q sorts after id %d %q", i-1, ids[i-1], i, ids[i])
			}
		}
	}
	// Across decades, too.
	early, late := store.NewID("", base), store.NewID("", base.AddDate(30, 0, 0))
	if early >= late {
		t.Errorf("%q (2026) does not sort before %q (2056)", early, late)
	}
}

func TestIDsInTheSameMillisecondAreUnique(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for range 10000 {
		id := store.NewID("x_", at)
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
	}
}

func TestAStoreMakesStrictlyIncreasingIDsEvenOnAFrozenClock(t *testing.T) {
	st, clock, _ := openTestStore(t) // the clock does not move
	ctx := context.Background()
	var ids []string
	err := st.Update(ctx, func(tx *store.Tx) error {
		for range 10000 {
			ids = append(ids, tx.NewID("ord_"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second transaction at the same instant continues the sequence.
	st.Update(ctx, func(tx *store.Tx) error { ids = append(ids, tx.NewID("ord_")); return nil })
	for i, id := range ids {
		if !strings.HasPrefix(id, "ord_") || len(id) != len("ord_")+26 {
			t.Fatalf("id %q has the wrong shape", id)
		}
		if i > 0 && ids[i-1] >= id {
			t.Fatalf("id %d %q does not sort after id %d %q", i, id, i-1, ids[i-1])
		}
	}
	// And ids from the store still sort with ids made at later times.
	later := store.NewID("ord_", clock.Now().Add(time.Second))
	if ids[len(ids)-1] >= later {
		t.Errorf("store id %q sorts after an id made a second later %q", ids[len(ids)-1], later)
	}
}
