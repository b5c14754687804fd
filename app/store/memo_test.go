package store_test

import (
	"context"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Sessions, customers and entitlements are decoded once per stored
// version (memo.go):
// a change is read at once, a deleted session is gone, and a value one
// reader changes in memory is not what the next reader gets.
func TestSessionsAndCustomersReadTheirLatestBytes(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	c := app.Customer{Email: "ada@example.com", Name: "Ada", Identities: []app.Identity{{Provider: "github", Subject: "1", Email: "ada@example.com"}}}
	sess := app.Session{ID: "session-one", CSRF: "token-one", ExpiresAt: time.Now().Add(time.Hour)}
	err := st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		sess.CustomerID = c.ID
		return tx.PutSession(&sess)
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func() (app.Customer, app.Session, error) {
		var (
			gc app.Customer
			gs app.Session
		)
		err := st.View(ctx, func(tx *store.Tx) (err error) {
			if gc, err = tx.Customer(c.ID); err != nil {
				return err
			}
			gs, err = tx.Session(sess.ID)
			return err
		})
		return gc, gs, err
	}
	gc, gs, err := read()
	if err != nil || gc.Name != "Ada" || gs.CSRF != "token-one" || gs.ID != sess.ID {
		t.Fatalf("first read: %+v %+v %v", gc, gs, err)
	}
	gc.Identities[0].Email = "changed@example.com" // in memory only
	gc.Name = "Changed"
	if gc, _, _ = read(); gc.Name != "Ada" || gc.Identities[0].Email != "ada@example.com" {
		t.Fatalf("a reader's change in memory reached the next reader: %+v", gc)
	}

	c.Name, sess.CSRF = "Ada Lovelace", "token-two"
	if err := st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		return tx.PutSession(&sess)
	}); err != nil {
		t.Fatal(err)
	}
	if gc, gs, err = read(); err != nil || gc.Name != "Ada Lovelace" || gs.CSRF != "token-two" {
		t.Fatalf("after a change: %+v %+v %v", gc, gs, err)
	}
	// An entitlement's download counts change with every download.
	e := app.Entitlement{CustomerID: c.ID, ProductID: "prod_x", Source: app.SourceManual, SourceID: "test", Served: map[string]int64{"f": 1}}
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutEntitlement(&e) }); err != nil {
		t.Fatal(err)
	}
	readEnt := func() (got app.Entitlement) {
		st.View(ctx, func(tx *store.Tx) (err error) { got, err = tx.Entitlement(e.ID); return err })
		return got
	}
	got := readEnt()
	got.Served["f"] = 99 // in memory only
	if got = readEnt(); got.Served["f"] != 1 {
		t.Fatalf("a reader's change to an entitlement reached the next reader: %+v", got.Served)
	}
	e.Downloads, e.Served["f"] = 2, 2
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutEntitlement(&e) }); err != nil {
		t.Fatal(err)
	}
	if got = readEnt(); got.Downloads != 2 || got.Served["f"] != 2 {
		t.Fatalf("after a download: %+v", got)
	}

	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(sess.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, _, err = read(); !app.IsNotFound(err) {
		t.Fatalf("a deleted session: %v, want not found", err)
	}
}
