package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"vendo/app"
)

// TestMigrationCleansStoredFileNames: a file name stored with a
// right-to-left override before PutProduct cleaned names (issue 17, hole
// 12) is clean after the next start.
func TestMigrationCleansStoredFileNames(t *testing.T) {
	st, path := openInternal(t)
	p := app.Product{ID: "prod_old", Slug: "old", Title: "Old", Price: app.Money{Amount: 100, Currency: "usd"},
		Files: []app.FileRef{{SHA256: "ab", Name: "invoice\u202Efdp.exe"}, {SHA256: "cd", Name: "fine.pdf"}}}
	// Written raw, as an older build stored it, with the schema set back
	// to before the migration.
	err := st.db.Update(func(tx *bolt.Tx) error { return putRecord(tx.Bucket(bProducts), p.ID, &p) })
	if err != nil {
		t.Fatal(err)
	}
	setSchema(t, st, 3)
	st.Close()
	st, err = Open(path, Options{NoSync: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Product(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Files[0].Name != "invoicefdp.exe" || got.Files[1].Name != "fine.pdf" {
		t.Fatalf("names after the migration: %q, %q", got.Files[0].Name, got.Files[1].Name)
	}
}

// TestMigrationTurnsDownloadCountsIntoBytes: an entitlement that counted
// 3 downloads before the limit counted bytes (issue 17, hole 3) has 3
// copies of each of its product's files spent after the next start.
func TestMigrationTurnsDownloadCountsIntoBytes(t *testing.T) {
	st, path := openInternal(t)
	p := app.Product{ID: "prod_two", Slug: "two", Title: "Two", Price: app.Money{Amount: 100, Currency: "usd"},
		Files: []app.FileRef{{SHA256: "ab", Name: "a.pdf", Size: 1000}, {SHA256: "cd", Name: "b.zip", Size: 70}}}
	used := app.Entitlement{ID: "ent_used", CustomerID: "cust_1", ProductID: p.ID, Source: app.SourceManual, Downloads: 3}
	fresh := app.Entitlement{ID: "ent_fresh", CustomerID: "cust_1", ProductID: p.ID, Source: app.SourceManual}
	err := st.db.Update(func(tx *bolt.Tx) error {
		for _, e := range []app.Entitlement{used, fresh} {
			if err := putRecord(tx.Bucket(bEntitlements), e.ID, &e); err != nil {
				return err
			}
		}
		return putRecord(tx.Bucket(bProducts), p.ID, &p)
	})
	if err != nil {
		t.Fatal(err)
	}
	setSchema(t, st, 4)
	st.Close()
	st, err = Open(path, Options{NoSync: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.View(context.Background(), func(tx *Tx) error {
		e, _ := tx.Entitlement(used.ID)
		if e.Served["ab"] != 3000 || e.Served["cd"] != 210 || e.Downloads != 3 {
			t.Errorf("a used entitlement after the migration: %+v", e)
		}
		e, _ = tx.Entitlement(fresh.ID)
		if e.Served != nil || e.Downloads != 0 {
			t.Errorf("an unused entitlement after the migration: %+v", e)
		}
		return nil
	})
}

// TestMigrationIndexesLicensesByCustomer: licenses stored before they
// were indexed by customer are found by LicensesOf after the next start,
// newest first; a license moved to another customer leaves the first
// one's list.
func TestMigrationIndexesLicensesByCustomer(t *testing.T) {
	st, path := openInternal(t)
	old := []app.License{{ID: "lic_1", Key: "K-1", CustomerID: "cust_a"}, {ID: "lic_2", Key: "K-2", CustomerID: "cust_b"},
		{ID: "lic_3", Key: "K-3", CustomerID: "cust_a"}}
	err := st.db.Update(func(tx *bolt.Tx) error {
		for _, l := range old {
			if err := putRecord(tx.Bucket(bLicenses), l.ID, &l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	setSchema(t, st, 10, bLicensesByOwner)
	st.Close()
	st, err = Open(path, Options{NoSync: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := func(customerID string) (out []string) {
		t.Helper()
		st.View(context.Background(), func(tx *Tx) error {
			ls, err := tx.LicensesOf(customerID)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				out = append(out, l.ID)
			}
			return nil
		})
		return out
	}
	if got := fmt.Sprint(ids("cust_a"), ids("cust_b"), ids("cust_c")); got != "[lic_3 lic_1] [lic_2] []" {
		t.Fatalf("after the migration: %s", got)
	}
	err = st.Update(context.Background(), func(tx *Tx) error {
		l, err := tx.License("lic_1")
		if err != nil {
			return err
		}
		l.CustomerID = "cust_c"
		if err := tx.PutLicense(&l); err != nil {
			return err
		}
		return tx.PutLicense(&app.License{Key: "K-4", CustomerID: "cust_b"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids("cust_a"), len(ids("cust_b")), ids("cust_c")); got != "[lic_3] 2 [lic_1]" {
		t.Fatalf("after a move and a new license: %s", got)
	}
}
