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
