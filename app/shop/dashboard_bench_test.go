package shop_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// BenchmarkDashboard100k renders the dashboard's figures for a shop with
// 100,000 orders over a year (a tenth of them refunded in part), 10,000
// customers, 2,000 subscriptions and 10,000 subscription invoices. The
// promise is 50 ms: the figures come from the aggregates kept with the
// records, so the cost follows the month shown, not the history.
func BenchmarkDashboard100k(b *testing.B) {
	var clock atomic.Int64
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock.Store(now.UnixNano())
	st, err := store.Open(filepath.Join(b.TempDir(), "vendo.db"), store.Options{NoSync: true,
		Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var planIDs []string
	for i, slug := range []string{"starter", "pro", "team"} {
		p := app.Plan{Name: slug, Slug: slug, Credits: 10, Position: i,
			Monthly: app.PlanPrice{Price: app.Money{Amount: int64(900 * (i + 1)), Currency: "usd"}, StripePriceID: "price_m_" + slug},
			Yearly:  app.PlanPrice{Price: app.Money{Amount: int64(9000 * (i + 1)), Currency: "usd"}, StripePriceID: "price_y_" + slug}}
		if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutPlan(&p) }); err != nil {
			b.Fatal(err)
		}
		planIDs = append(planIDs, p.ID)
	}
	const txs, perTx = 1000, 100 // 100,000 orders, a transaction every 8.76 hours of the year
	for i := range txs {
		at := now.Add(-time.Duration(txs-i) * (365 * 24 * time.Hour / txs))
		clock.Store(at.UnixNano())
		err := st.Update(ctx, func(tx *store.Tx) error {
			for j := range perTx {
				n := i*perTx + j
				if n%10 == 0 {
					c := app.Customer{Email: fmt.Sprintf("c%d@example.com", n)}
					if err := tx.PutCustomer(&c); err != nil {
						return err
					}
				}
				o := app.Order{CheckoutSessionID: fmt.Sprintf("cs_%d", n), Status: app.OrderPaid, PaidAt: at,
					Total: app.Money{Amount: 1900, Currency: "usd"}}
				if n%10 == 1 {
					o.Status, o.AmountRefunded = app.OrderPartiallyRefunded, 400
				}
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
				if n%10 == 2 {
					in := app.Invoice{ID: fmt.Sprintf("in_%d", n), AmountPaid: app.Money{Amount: 900, Currency: "usd"}, PaidAt: at, SnapshotAt: at}
					if err := tx.PutInvoice(&in); err != nil {
						return err
					}
				}
				if n%50 == 3 {
					s := app.Subscription{StripeID: fmt.Sprintf("sub_%d", n), CustomerID: "cust", Status: "active",
						PlanID: planIDs[n%3], Interval: app.Monthly}
					if err := tx.PutSubscription(&s); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	clock.Store(now.UnixNano())
	s := &shop.Shop{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	var d shop.Dashboard
	for b.Loop() {
		if d, err = s.Dashboard(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if d.Orders < 7000 || d.Orders > 9000 || d.Active != 2000 || d.Invoices < 700 {
		b.Fatalf("the dashboard missed the data: %d orders, %d active, %d invoices", d.Orders, d.Active, d.Invoices)
	}
	b.ReportMetric(float64(d.Orders), "orders-in-month")
}
