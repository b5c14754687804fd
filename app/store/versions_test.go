package store_test

import (
	"context"
	"errors"
	"testing"

	"vendo/app"
	"vendo/app/store"
)

// Every write of a record a customer's pages show moves that customer's
// version after the commit, and only theirs (versions.go): the account
// page is kept under it, so a path that forgot would show a refunded
// product, a revoked key or an old order state until something else
// changed. A rolled-back write and a read move nothing.
func TestCustomerVersionMovesOnEveryWriteOfTheirRecords(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	var ada, bob app.Customer
	var ent app.Entitlement
	var lic app.License
	var order app.Order
	var sub app.Subscription
	var inst app.LicenseInstance
	err := st.Update(ctx, func(tx *store.Tx) error {
		ada = app.Customer{Email: "ada@example.com"}
		bob = app.Customer{Email: "bob@example.com"}
		if err := tx.PutCustomer(&ada); err != nil {
			return err
		}
		if err := tx.PutCustomer(&bob); err != nil {
			return err
		}
		order = app.Order{CustomerID: ada.ID, CheckoutSessionID: "cs_1", Status: app.OrderPaid}
		if err := tx.PutOrder(&order); err != nil {
			return err
		}
		ent = app.Entitlement{CustomerID: ada.ID, ProductID: "prod_1", Source: app.SourceOrder, SourceID: order.ID}
		if err := tx.PutEntitlement(&ent); err != nil {
			return err
		}
		lic = app.License{Key: "KEY-1", CustomerID: ada.ID, Status: app.LicenseActive}
		if err := tx.PutLicense(&lic); err != nil {
			return err
		}
		inst = app.LicenseInstance{LicenseID: lic.ID, Name: "laptop"}
		if err := tx.AddLicenseInstance(&inst); err != nil {
			return err
		}
		sub = app.Subscription{StripeID: "sub_1", CustomerID: ada.ID, PlanID: "plan_1"}
		return tx.PutSubscription(&sub)
	})
	if err != nil {
		t.Fatal(err)
	}

	writes := []struct {
		name  string
		write func(tx *store.Tx) error
	}{
		{"customer record", func(tx *store.Tx) error { c := ada; c.Name = "Ada L"; return tx.PutCustomer(&c) }},
		{"order", func(tx *store.Tx) error { o := order; o.Status = app.OrderRefunded; return tx.PutOrder(&o) }},
		{"entitlement revoked", func(tx *store.Tx) error {
			n, err := tx.RevokeEntitlements(ada.ID, app.SourceOrder, order.ID, "refunded")
			if err == nil && n != 1 {
				err = errors.New("nothing revoked")
			}
			return err
		}},
		{"entitlement granted", func(tx *store.Tx) error {
			return tx.PutEntitlement(&app.Entitlement{CustomerID: ada.ID, ProductID: "prod_2", Source: app.SourceManual, SourceID: "x"})
		}},
		{"download counted", func(tx *store.Tx) error {
			return tx.RecordDownload(&app.DownloadRecord{CustomerID: ada.ID, EntitlementID: ent.ID, ProductID: "prod_1"})
		}},
		{"license revoked", func(tx *store.Tx) error { l := lic; l.Status = app.LicenseRevoked; return tx.PutLicense(&l) }},
		{"activation added", func(tx *store.Tx) error {
			return tx.AddLicenseInstance(&app.LicenseInstance{LicenseID: lic.ID, Name: "desktop"})
		}},
		{"activation removed", func(tx *store.Tx) error { return tx.DeleteLicenseInstance(inst) }},
		{"subscription", func(tx *store.Tx) error { s := sub; s.Status = "canceled"; return tx.PutSubscription(&s) }},
		{"credit", func(tx *store.Tx) error {
			return tx.AddCredit(&app.CreditEntry{CustomerID: ada.ID, SubscriptionID: sub.ID, Delta: -1})
		}},
		{"cart", func(tx *store.Tx) error {
			return tx.PutCart(&app.Cart{ID: app.CustomerCartID(ada.ID), Items: []app.CartItem{{ProductID: "prod_3", Quantity: 1}}})
		}},
		{"cart emptied", func(tx *store.Tx) error { return tx.DeleteCart(app.CustomerCartID(ada.ID)) }},
		{"invoice", func(tx *store.Tx) error { return tx.PutInvoice(&app.Invoice{ID: "in_1", CustomerID: ada.ID}) }},
	}
	for _, w := range writes {
		adaBefore, bobBefore := st.CustomerVersion(ada.ID), st.CustomerVersion(bob.ID)
		// Rolled back: nothing moves.
		boom := errors.New("roll back")
		if err := st.Update(ctx, func(tx *store.Tx) error {
			if err := w.write(tx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("%s: %v", w.name, err)
		}
		if got := st.CustomerVersion(ada.ID); got != adaBefore {
			t.Errorf("%s rolled back moved the version %d → %d", w.name, adaBefore, got)
		}
		if err := st.Update(ctx, w.write); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if got := st.CustomerVersion(ada.ID); got == adaBefore {
			t.Errorf("%s: the customer's version did not move (%d)", w.name, got)
		}
		if got := st.CustomerVersion(bob.ID); got != bobBefore {
			t.Errorf("%s moved another customer's version %d → %d", w.name, bobBefore, got)
		}
	}

	// A read moves nothing; an anonymous cart is nobody's page.
	before := st.CustomerVersion(ada.ID)
	err = st.View(ctx, func(tx *store.Tx) error { _, err := tx.EntitlementsOf(ada.ID, true); return err })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		return tx.PutCart(&app.Cart{ID: "cart_anon", Items: []app.CartItem{{ProductID: "prod_3", Quantity: 1}}})
	}); err != nil {
		t.Fatal(err)
	}
	if got := st.CustomerVersion(ada.ID); got != before {
		t.Errorf("a read or an anonymous cart moved the version %d → %d", before, got)
	}
}
