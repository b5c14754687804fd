package shop_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// The account page's invoice list is asked of Stripe once and kept until
// something may have changed it: a Stripe event (BillingChanged), the
// customer opening the Billing Portal; a failure is kept too, so an
// outage does not cost every view a call.
func TestInvoicesAreKeptUntilBillingChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cust := app.Customer{Email: "ada@example.com", StripeCustomerID: "cus_ada"}
	if err := f.store.Update(ctx, func(tx *store.Tx) error { return tx.PutCustomer(&cust) }); err != nil {
		t.Fatal(err)
	}
	f.stripe.invoiceLists = map[string][]stripeapi.Invoice{"cus_ada": {{ID: "in_1"}}}
	list := func(want int, calls int) {
		t.Helper()
		got, err := f.shop.Invoices(ctx, cust.ID)
		if err != nil || len(got) != want || f.stripe.listCalls != calls {
			t.Fatalf("Invoices: %d invoices, %v, after %d calls to Stripe; want %d after %d", len(got), err, f.stripe.listCalls, want, calls)
		}
	}
	list(1, 1)
	list(1, 1) // kept

	f.stripe.invoiceLists["cus_ada"] = []stripeapi.Invoice{{ID: "in_2"}, {ID: "in_1"}}
	list(1, 1) // Stripe changed without telling: the kept list stands (until its minute is up)
	f.shop.BillingChanged()
	list(2, 2)
	list(2, 2)

	// Opening the Billing Portal drops it: the customer comes back to a
	// fresh list.
	if _, err := f.shop.PortalURL(ctx, cust.ID); err != nil {
		t.Fatal(err)
	}
	f.stripe.invoiceLists["cus_ada"] = append(f.stripe.invoiceLists["cus_ada"], stripeapi.Invoice{ID: "in_3"})
	list(3, 3)

	// A failure is kept briefly: the page says so at once.
	f.stripe.listErr = errors.New("stripe is down")
	f.shop.BillingChanged()
	for range 2 {
		if _, err := f.shop.Invoices(ctx, cust.ID); err == nil || f.stripe.listCalls != 4 {
			t.Fatalf("Invoices while Stripe fails: %v after %d calls, want the failure after 4", err, f.stripe.listCalls)
		}
	}
	f.stripe.listErr = nil
	f.shop.BillingChanged()
	list(3, 5)

	// Views that miss together wait for one call.
	f.shop.BillingChanged()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := f.shop.Invoices(ctx, cust.ID); err != nil || len(got) != 3 {
				t.Errorf("Invoices from many views at once: %d, %v", len(got), err)
			}
		}()
	}
	wg.Wait()
	if f.stripe.listCalls != 6 {
		t.Fatalf("%d calls to Stripe after many views at once, want 6", f.stripe.listCalls)
	}
}

// InvoicesKept names the list a view would show without asking Stripe
// (the account page is kept under it): none before the first list and
// after a Stripe event, and a new name for each list fetched.
func TestInvoicesKeptNamesTheListShown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cust := app.Customer{Email: "ada@example.com", StripeCustomerID: "cus_ada"}
	if err := f.store.Update(ctx, func(tx *store.Tx) error { return tx.PutCustomer(&cust) }); err != nil {
		t.Fatal(err)
	}
	f.stripe.invoiceLists = map[string][]stripeapi.Invoice{"cus_ada": {{ID: "in_1"}}}
	if n := f.shop.InvoicesKept(ctx, cust.ID); n != 0 {
		t.Fatalf("a list named (%d) before any was fetched", n)
	}
	if _, err := f.shop.Invoices(ctx, cust.ID); err != nil {
		t.Fatal(err)
	}
	first := f.shop.InvoicesKept(ctx, cust.ID)
	if first == 0 || f.shop.InvoicesKept(ctx, cust.ID) != first || f.stripe.listCalls != 1 {
		t.Fatalf("kept list named %d, then %d, after %d calls to Stripe", first, f.shop.InvoicesKept(ctx, cust.ID), f.stripe.listCalls)
	}
	f.shop.BillingChanged()
	if n := f.shop.InvoicesKept(ctx, cust.ID); n != 0 {
		t.Fatalf("after a Stripe event the old list is still named (%d)", n)
	}
	if _, err := f.shop.Invoices(ctx, cust.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.shop.InvoicesKept(ctx, cust.ID); n == 0 || n == first {
		t.Fatalf("the list fetched after the event is named %d (the first was %d)", n, first)
	}
}
