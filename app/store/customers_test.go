package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// testClock is a settable clock shared by the accounts tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openAcctStore opens a store on a temp dir with a settable clock.
func openAcctStore(t *testing.T) (*store.Store, *testClock, string) {
	t.Helper()
	clock := newTestClock()
	path := filepath.Join(t.TempDir(), "vendo.db")
	st, err := store.Open(path, store.Options{NoSync: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, clock, path
}

func TestCustomerIndexesFollowTheRecord(t *testing.T) {
	st, _, _ := openAcctStore(t)
	ctx := context.Background()

	var id string
	err := st.Update(ctx, func(tx *store.Tx) error {
		c := app.Customer{Email: "  Ada@Example.com ", StripeCustomerID: "cus_1",
			Identities: []app.Identity{{Provider: "github", Subject: "42"}}}
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		id = c.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lookups := func(t *testing.T, email, stripe, provider, subject string) {
		t.Helper()
		st.View(ctx, func(tx *store.Tx) error {
			for name, get := range map[string]func() (app.Customer, error){
				"email":    func() (app.Customer, error) { return tx.CustomerByEmail(email) },
				"stripe":   func() (app.Customer, error) { return tx.CustomerByStripeID(stripe) },
				"identity": func() (app.Customer, error) { return tx.CustomerByIdentity(provider, subject) },
			} {
				c, err := get()
				if err != nil || c.ID != id {
					t.Errorf("by %s: %v %q, want %s", name, err, c.ID, id)
				}
			}
			return nil
		})
	}
	lookups(t, "ada@example.com", "cus_1", "github", "42")

	// Changing every key frees the old ones and indexes the new ones.
	err = st.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Customer(id)
		if err != nil {
			return err
		}
		if c.Email != "ada@example.com" {
			t.Errorf("email stored as %q, want normalized", c.Email)
		}
		c.Email, c.StripeCustomerID = "ada@new.example", "cus_2"
		c.Identities = []app.Identity{{Provider: "oidc", Subject: "x"}}
		return tx.PutCustomer(&c)
	})
	if err != nil {
		t.Fatal(err)
	}
	lookups(t, "ada@new.example", "cus_2", "oidc", "x")
	st.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.CustomerByEmail("ada@example.com"); !app.IsNotFound(err) {
			t.Errorf("old email still indexed: %v", err)
		}
		if _, err := tx.CustomerByStripeID("cus_1"); !app.IsNotFound(err) {
			t.Errorf("old Stripe id still indexed: %v", err)
		}
		if _, err := tx.CustomerByIdentity("github", "42"); !app.IsNotFound(err) {
			t.Errorf("old identity still indexed: %v", err)
		}
		return nil
	})
}

func TestCustomerKeysAreUniqueAndAClashChangesNothing(t *testing.T) {
	st, _, _ := openAcctStore(t)
	ctx := context.Background()
	var bob app.Customer
	err := st.Update(ctx, func(tx *store.Tx) error {
		ada := app.Customer{Email: "ada@example.com", Identities: []app.Identity{{Provider: "github", Subject: "1"}}}
		if err := tx.PutCustomer(&ada); err != nil {
			return err
		}
		bob = app.Customer{Email: "bob@example.com", StripeCustomerID: "cus_bob"}
		return tx.PutCustomer(&bob)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(c *app.Customer)
	}{
		{"email", func(c *app.Customer) { c.Email = "ADA@example.com" }},
		{"identity", func(c *app.Customer) {
			c.Identities = append(c.Identities, app.Identity{Provider: "github", Subject: "1"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Update(ctx, func(tx *store.Tx) error {
				c, err := tx.Customer(bob.ID)
				if err != nil {
					return err
				}
				c.StripeCustomerID = "cus_changed" // must roll back with the clash
				tc.change(&c)
				return tx.PutCustomer(&c)
			})
			if app.ErrorCode(err) != app.ECONFLICT {
				t.Fatalf("err = %v, want conflict", err)
			}
			st.View(ctx, func(tx *store.Tx) error {
				if c, err := tx.CustomerByStripeID("cus_bob"); err != nil || c.ID != bob.ID {
					t.Errorf("bob's Stripe index changed: %v", err)
				}
				if _, err := tx.CustomerByStripeID("cus_changed"); !app.IsNotFound(err) {
					t.Errorf("a rolled-back key is indexed: %v", err)
				}
				if c, _ := tx.CustomerByEmail("ada@example.com"); c.Email != "ada@example.com" {
					t.Errorf("ada lost her email index")
				}
				return nil
			})
		})
	}
	// An email is required.
	err = st.Update(ctx, func(tx *store.Tx) error { return tx.PutCustomer(&app.Customer{}) })
	if app.ErrorCode(err) != app.EINVALID {
		t.Errorf("customer without email: %v", err)
	}
}

func TestCustomersPageAndAdminFlag(t *testing.T) {
	st, _, _ := openAcctStore(t)
	ctx := context.Background()
	st.Update(ctx, func(tx *store.Tx) error {
		for _, e := range []string{"a@x.io", "b@x.io", "c@x.io"} {
			if err := tx.PutCustomer(&app.Customer{Email: e}); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	st.View(ctx, func(tx *store.Tx) error {
		page, next, err := tx.Customers(store.CustomerFilter{Limit: 2})
		if err != nil || len(page) != 2 || next == "" || page[0].Email != "c@x.io" {
			t.Fatalf("first page: %v %d %q", err, len(page), next)
		}
		page, next, _ = tx.Customers(store.CustomerFilter{Before: next, Limit: 2})
		if len(page) != 1 || page[0].Email != "a@x.io" || next != "" {
			t.Fatalf("second page: %+v %q", page, next)
		}
		if has, _ := tx.HasAdminCustomer(); has {
			t.Error("no customer is marked admin yet")
		}
		return nil
	})
	st.Update(ctx, func(tx *store.Tx) error {
		return tx.PutCustomer(&app.Customer{Email: app.OwnerEmail, Admin: true})
	})
	st.View(ctx, func(tx *store.Tx) error {
		if has, _ := tx.HasAdminCustomer(); !has {
			t.Error("the owner is marked admin")
		}
		return nil
	})
}
