package server_test

import (
	"context"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestSyncHealsMissedWebhooks runs the shop without the sandbox's delivery
// worker, so no webhook ever arrives; a subscription made through Checkout
// is unknown to the shop until `vendo sync` reconciles it.
func TestSyncHealsMissedWebhooks(t *testing.T) {
	t.Parallel()
	// Serve pages and the sandbox, but start no background work: the
	// sandbox's deliveries stay queued, the outbox unsent.
	srv := vendotest.Start(t, vendotest.Options{NoBackground: true})
	s := srv.NewClient()
	s.SignIn("missed@example.com")
	s.Subscribe("pro", "year", "4242424242424242")

	var cust app.Customer
	srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { cust, err = tx.CustomerByEmail("missed@example.com"); return })
	count := func() (n int, fulfilled bool) {
		srv.Store.View(context.Background(), func(tx *store.Tx) error {
			subs, _ := tx.SubscriptionsOf(cust.ID)
			n = len(subs)
			fulfilled = n == 1 && subs[0].Fulfilled
			return nil
		})
		return
	}
	if n, _ := count(); n != 0 {
		t.Fatalf("the shop knows %d subscriptions without any webhook", n)
	}

	sum, err := srv.Sync(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := count(); n != 1 || !ok {
		t.Fatalf("after sync: %d subscriptions, fulfilled %v (%s)", n, ok, sum)
	}
	if sum.NewEvents == 0 || sum.Subscriptions == 0 {
		t.Fatalf("summary: %s", sum)
	}
	// A second sync finds nothing new and changes nothing.
	sum2, err := srv.Sync(context.Background(), nil)
	if err != nil || sum2.NewEvents != 0 {
		t.Fatalf("second sync: %s %v", sum2, err)
	}
	var licenses int
	srv.Store.View(context.Background(), func(tx *store.Tx) error { ls, _ := tx.LicensesOf(cust.ID); licenses = len(ls); return nil })
	if licenses != 1 {
		t.Fatalf("%d licenses after two syncs, want 1", licenses)
	}
}
