package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"vendo/app"
)

// TestStatsEqualARecountAfterShuffledWrites: orders, invoices, customers,
// ledger events and subscriptions are written and rewritten in a shuffled
// order, through every status (paid, refunded in part and in full,
// disputed, failed; active, trialing, past due, canceled, switched plan),
// several to a transaction, some of those transactions rolled back; the
// kept aggregates equal a recount from the records after every step.
func TestStatsEqualARecountAfterShuffledWrites(t *testing.T) {
	st, _ := openInternal(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 9))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	at := func() time.Time { return base.Add(time.Duration(rng.IntN(40*24*60)) * time.Minute) }
	currencies := []string{"usd", "usd", "usd", "eur"}
	orderStatus := []string{app.OrderPaid, app.OrderPartiallyRefunded, app.OrderRefunded, app.OrderDisputed, app.OrderFailed, app.OrderPending}
	subStatus := []string{"active", "trialing", "past_due", "canceled", "incomplete"}
	codes := []string{"", "", "SPRING", "ONCE"} // discount codes' uses are aggregates too
	var orders []app.Order
	var subs []app.Subscription
	var invoices []app.Invoice
	var customers []app.Customer
	var events []EventRecord
	var hooks []app.HookDelivery
	check := func(step int) {
		t.Helper()
		if err := st.View(ctx, keptEqualsRecount); err != nil {
			t.Fatalf("after step %d: the aggregates differ from a recount: %v", step, err)
		}
	}
	for step := range 400 {
		rollback := step%17 == 16
		err := st.Update(ctx, func(tx *Tx) error {
			for range 1 + rng.IntN(4) {
				switch r := rng.IntN(11); {
				case r < 3 || len(orders) == 0:
					var o app.Order
					if len(orders) > 0 && rng.IntN(2) == 0 {
						o = orders[rng.IntN(len(orders))]
					} else {
						o = app.Order{CheckoutSessionID: fmt.Sprintf("cs_%d_%d", step, rng.IntN(1e9)),
							Total: app.Money{Amount: int64(100 + rng.IntN(5000)), Currency: currencies[rng.IntN(len(currencies))]}}
					}
					o.Status = orderStatus[rng.IntN(len(orderStatus))]
					o.PaymentStatus = []string{app.PaymentPaid, app.PaymentPaid, app.PaymentFailed, ""}[rng.IntN(4)]
					o.DiscountCode = codes[rng.IntN(len(codes))]
					o.Discount = app.Money{Amount: int64(rng.IntN(300)), Currency: o.Total.Currency}
					o.AmountRefunded = 0
					if o.Status != app.OrderPaid {
						o.AmountRefunded = int64(rng.IntN(int(o.Total.Amount) + 1))
					}
					o.PaidAt = time.Time{}
					if rng.IntN(3) > 0 {
						o.PaidAt = at()
					}
					if err := tx.PutOrder(&o); err != nil {
						return err
					}
					orders = append(orders, o)
				case r < 5:
					in := app.Invoice{ID: fmt.Sprintf("in_%d", rng.IntN(60)), SnapshotAt: at(),
						AmountPaid: app.Money{Amount: int64(rng.IntN(3000)), Currency: currencies[rng.IntN(len(currencies))]}}
					if rng.IntN(4) > 0 {
						in.PaidAt = at()
					}
					if err := tx.PutInvoice(&in); err != nil {
						return err
					}
					invoices = append(invoices, in)
				case r < 6:
					c := app.Customer{Email: fmt.Sprintf("c%d@example.com", rng.IntN(80))}
					if cur, err := tx.CustomerByEmail(c.Email); err == nil {
						c = cur
						c.Name = fmt.Sprint(step)
					}
					if err := tx.PutCustomer(&c); err != nil {
						return err
					}
					customers = append(customers, c)
				case r < 8:
					e := EventRecord{ID: fmt.Sprintf("evt_%d", rng.IntN(100)), Type: "x", ReceivedAt: at(),
						Outcome: []string{EventApplied, EventFailed, EventIgnored}[rng.IntN(3)]}
					if err := tx.PutEvent(&e); err != nil {
						return err
					}
					events = append(events, e)
				case r == 10:
					// An outgoing webhook delivery: pending, delivered, failed
					// (by when it failed), or failed and resent.
					var h app.HookDelivery
					if len(hooks) > 0 && rng.IntN(2) == 0 {
						h = hooks[rng.IntN(len(hooks))]
					} else {
						h = app.HookDelivery{ID: fmt.Sprintf("whd_%d_%d", step, rng.IntN(1e9)), EventType: app.HookOrderPaid, CreatedAt: at()}
					}
					h.Status = []app.HookDeliveryStatus{app.HookPending, app.HookDelivered, app.HookFailed, app.HookFailed}[rng.IntN(4)]
					h.FailedAt = time.Time{}
					if h.Status == app.HookFailed && rng.IntN(4) > 0 {
						h.FailedAt = at()
					}
					h.Attempts = append(h.Attempts, app.HookAttempt{At: at()})
					if err := tx.PutHookDelivery(&h); err != nil {
						return err
					}
					hooks = append(hooks, h)
				default:
					var s app.Subscription
					if len(subs) > 0 && rng.IntN(2) == 0 {
						s = subs[rng.IntN(len(subs))]
					} else {
						s = app.Subscription{StripeID: fmt.Sprintf("sub_%d_%d", step, rng.IntN(1e9)), CustomerID: "cust_x"}
					}
					s.Status = subStatus[rng.IntN(len(subStatus))]
					s.PlanID = []string{"plan_a", "plan_b"}[rng.IntN(2)]
					s.Interval = []app.Interval{app.Monthly, app.Yearly}[rng.IntN(2)]
					s.Terminated = rng.IntN(5) == 0
					s.DiscountCode = codes[rng.IntN(len(codes))]
					if err := tx.PutSubscription(&s); err != nil {
						return err
					}
					subs = append(subs, s)
				}
			}
			if rollback {
				return fmt.Errorf("rolled back")
			}
			return nil
		})
		if rollback != (err != nil) {
			t.Fatalf("step %d: %v", step, err)
		}
		if rollback { // the records the failed transaction made do not exist
			orders, subs, hooks = knownOrders(t, st, orders), knownSubs(t, st, subs), knownHooks(t, st, hooks)
		}
		check(step)
	}
	var kept Stats
	st.View(ctx, func(tx *Tx) (err error) { kept, err = tx.StatsSince(time.Time{}); return })
	var sales, failed, failedHooks, newCustomers int
	for _, b := range kept.Buckets {
		sales += len(b.Sales)
		failed += b.FailedEvents + b.FailedOrders
		failedHooks += b.FailedHooks
		newCustomers += b.NewCustomers
	}
	if sales < 50 || failed < 10 || failedHooks < 5 || newCustomers < 20 || kept.Subscriptions.PastDue == 0 || len(kept.Subscriptions.Active) == 0 ||
		kept.Codes["SPRING"].Orders == 0 || kept.Codes["ONCE"].Subscriptions == 0 || len(kept.Codes["SPRING"].Revenue) == 0 {
		t.Fatalf("the storm left too little to compare: %d sales buckets, %d failures, %d new customers, %+v, %+v",
			sales, failed, newCustomers, kept.Subscriptions, kept.Codes)
	}
}

func knownOrders(t *testing.T, st *Store, orders []app.Order) []app.Order {
	var out []app.Order
	for _, o := range orders {
		if got, err := st.Order(context.Background(), o.ID); err == nil {
			out = append(out, got)
		}
	}
	return out
}

func knownHooks(t *testing.T, st *Store, hooks []app.HookDelivery) []app.HookDelivery {
	var out []app.HookDelivery
	st.View(context.Background(), func(tx *Tx) error {
		for _, h := range hooks {
			if got, err := tx.HookDelivery(h.ID); err == nil {
				out = append(out, got)
			}
		}
		return nil
	})
	return out
}

func knownSubs(t *testing.T, st *Store, subs []app.Subscription) []app.Subscription {
	var out []app.Subscription
	st.View(context.Background(), func(tx *Tx) error {
		for _, s := range subs {
			if got, err := tx.Subscription(s.ID); err == nil {
				out = append(out, got)
			}
		}
		return nil
	})
	return out
}

// TestMigrationCountsTheStatsOfAnExistingShop: a shop whose records were
// written before the aggregates existed has them counted at its next
// start, equal to a recount.
func TestMigrationCountsTheStatsOfAnExistingShop(t *testing.T) {
	st, path := openInternal(t)
	paid := time.Date(2026, 11, 20, 10, 7, 0, 0, time.UTC)
	err := st.db.Update(func(tx *bolt.Tx) error {
		for i := range 5 {
			o := app.Order{ID: fmt.Sprintf("ord_%d", i), CheckoutSessionID: "cs", Status: app.OrderPaid, PaidAt: paid,
				CreatedAt: paid, Total: app.Money{Amount: 1000, Currency: "usd"}}
			if err := putRecord(tx.Bucket(bOrders), o.ID, &o); err != nil {
				return err
			}
		}
		s := app.Subscription{ID: "sub_1", Status: "active", PlanID: "plan_a", Interval: app.Yearly}
		if err := putRecord(tx.Bucket(bSubscriptions), s.ID, &s); err != nil {
			return err
		}
		return tx.DeleteBucket(bStats)
	})
	if err != nil {
		t.Fatal(err)
	}
	setSchema(t, st, 9)
	st.Close()
	st, err = Open(path, Options{NoSync: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var kept Stats
	st.View(context.Background(), func(tx *Tx) (err error) { kept, err = tx.StatsSince(time.Time{}); return })
	b := kept.Buckets[paid.Truncate(StatSpan)]
	if b.Orders != 5 || b.Sales["usd"] != (Sales{Net: 5000, Orders: 5}) || kept.Subscriptions.Active["plan_a"][app.Yearly] != 1 {
		t.Fatalf("after the migration: %+v, subscriptions %+v", kept.Buckets, kept.Subscriptions)
	}
}

// TestAggregatesReadInsideTheWritingTransaction: the aggregates a
// transaction writes are held until it ends, but a read of them in the
// same transaction (a dashboard after an import, a discount code's uses
// checked after an order took it) sees every record written before it,
// and a rebuild inside it counts them once.
func TestAggregatesReadInsideTheWritingTransaction(t *testing.T) {
	st, _ := openInternal(t)
	ctx := context.Background()
	err := st.Update(ctx, func(tx *Tx) error {
		for i := range 3 {
			o := app.Order{Email: "a@example.com", CheckoutSessionID: fmt.Sprintf("cs_in_tx_%d", i), PaymentStatus: app.PaymentPaid, Status: app.OrderPaid,
				Subtotal: app.Money{Amount: 1000, Currency: "usd"}, Total: app.Money{Amount: 800, Currency: "usd"},
				DiscountCode: "SPRING", Discount: app.Money{Amount: 200, Currency: "usd"}}
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
			uses, err := tx.CodeUsesOf("spring")
			if err != nil {
				return err
			}
			if uses.Orders != i+1 {
				t.Errorf("after order %d: the code's uses say %d orders", i+1, uses.Orders)
			}
			all, err := tx.CodeUses()
			if err != nil {
				return err
			}
			if all["SPRING"].Orders != i+1 {
				t.Errorf("after order %d: every code's uses say %+v", i+1, all)
			}
		}
		s, err := tx.StatsSince(time.Time{})
		if err != nil {
			return err
		}
		orders := 0
		for _, b := range s.Buckets {
			orders += b.Orders
		}
		if orders != 3 {
			t.Errorf("inside the transaction the aggregates count %d orders, want 3", orders)
		}
		o := app.Order{Email: "b@example.com", CheckoutSessionID: "cs_in_tx_rebuilt", PaymentStatus: app.PaymentPaid, Status: app.OrderPaid,
			Subtotal: app.Money{Amount: 500, Currency: "usd"}, Total: app.Money{Amount: 500, Currency: "usd"}}
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		return tx.RebuildStats()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.View(ctx, keptEqualsRecount); err != nil {
		t.Fatalf("after the commit: the aggregates differ from a recount: %v", err)
	}
}

// keptEqualsRecount fails when the kept aggregates differ from a recount
// of the records.
func keptEqualsRecount(tx *Tx) error {
	kept, err := tx.StatsSince(time.Time{})
	if err != nil {
		return err
	}
	recounted, err := tx.RecountStats()
	if err != nil {
		return err
	}
	if !kept.Equal(recounted) {
		return fmt.Errorf("kept %+v\nrecount %+v", kept, recounted)
	}
	return nil
}
