package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// pageAll follows a list's cursor to the end and returns every id seen.
func pageAll(t *testing.T, list func(cursor string) (ids []string, next string, err error)) []string {
	t.Helper()
	var all []string
	cursor := ""
	for i := 0; i < 1000; i++ {
		ids, next, err := list(cursor)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ids...)
		if next == "" {
			return all
		}
		cursor = next
	}
	t.Fatal("the cursor never ended")
	return nil
}

func TestListsPageNewestFirstWithFilters(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()
	var orderIDs, productIDs []string
	for i := 0; i < 25; i++ {
		err := st.Update(ctx, func(tx *store.Tx) error {
			status := app.OrderPaid
			if i%5 == 0 {
				status = app.OrderRefunded
			}
			o := app.Order{CheckoutSessionID: fmt.Sprintf("cs_%d", i), Status: status, Total: app.Money{Amount: 100, Currency: "usd"}}
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
			orderIDs = append(orderIDs, o.ID)
			p := sampleProduct(fmt.Sprintf("café-%d", i))
			p.Slug = fmt.Sprintf("cafe-%d", i)
			p.Title = fmt.Sprintf("Café Kit %d", i)
			p.Active = i%2 == 0
			if err := tx.PutProduct(&p); err != nil {
				return err
			}
			productIDs = append(productIDs, p.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(24 * time.Hour) // one a day
	}
	start := time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)

	// Every order once, newest first, seven at a time.
	got := pageAll(t, func(c string) (ids []string, next string, err error) {
		err = st.View(ctx, func(tx *store.Tx) error {
			os, n, err := tx.Orders(store.OrderFilter{Before: c, Limit: 7})
			for _, o := range os {
				ids = append(ids, o.ID)
			}
			next = n
			return err
		})
		return
	})
	if len(got) != 25 || got[0] != orderIDs[24] || got[24] != orderIDs[0] {
		t.Fatalf("all orders: %d, first %s last %s", len(got), got[0], got[len(got)-1])
	}
	// A date range [day 5, day 10) with a status, paged by 2.
	got = pageAll(t, func(c string) (ids []string, next string, err error) {
		err = st.View(ctx, func(tx *store.Tx) error {
			os, n, err := tx.Orders(store.OrderFilter{Status: app.OrderPaid, From: start.AddDate(0, 0, 5), To: start.AddDate(0, 0, 10), Before: c, Limit: 2})
			for _, o := range os {
				ids = append(ids, o.ID)
			}
			next = n
			return err
		})
		return
	})
	want := []string{orderIDs[9], orderIDs[8], orderIDs[7], orderIDs[6]} // day 5 was refunded
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("range: %v, want %v", got, want)
	}

	// Products: accent-folded search and status, paged.
	got = pageAll(t, func(c string) (ids []string, next string, err error) {
		err = st.View(ctx, func(tx *store.Tx) error {
			ps, n, err := tx.Products(store.ProductFilter{Query: "CAFE KIT 1", Status: "archived", Before: c, Limit: 2})
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			next = n
			return err
		})
		return
	})
	// "Café Kit 1", 11, 13, 15, 17, 19 are archived (odd) and match.
	want = []string{productIDs[19], productIDs[17], productIDs[15], productIDs[13], productIDs[11], productIDs[1]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("products: %v, want %v", got, want)
	}
}
