package store

import (
	"context"
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
