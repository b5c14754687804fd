package store_test

import (
	"context"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

func TestSessionsExpireAndAreSwept(t *testing.T) {
	st, clock, _ := openAcctStore(t)
	ctx := context.Background()
	now := clock.Now()
	err := st.Update(ctx, func(tx *store.Tx) error {
		for _, s := range []app.Session{
			{ID: "short", CSRF: "a", ExpiresAt: now.Add(time.Hour)},
			{ID: "long", CSRF: "b", CustomerID: "cust_1", ExpiresAt: now.Add(48 * time.Hour)},
		} {
			if err := tx.PutSession(&s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.View(ctx, func(tx *store.Tx) error {
		s, err := tx.Session("long")
		if err != nil || s.ID != "long" || s.CustomerID != "cust_1" || s.CSRF != "b" {
			t.Errorf("read back: %+v %v", s, err)
		}
		return nil
	})

	clock.Advance(2 * time.Hour)
	st.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Session("short"); !app.IsNotFound(err) {
			t.Errorf("an expired session is refused before the sweep: %v", err)
		}
		return nil
	})
	var swept int
	st.Update(ctx, func(tx *store.Tx) (err error) { swept, err = tx.SweepSessions(); return })
	if swept != 1 {
		t.Errorf("swept %d, want 1", swept)
	}
	st.View(ctx, func(tx *store.Tx) error {
		if n := tx.CountSessions(); n != 1 {
			t.Errorf("%d sessions left, want 1", n)
		}
		if _, err := tx.Session("long"); err != nil {
			t.Errorf("the live session was swept: %v", err)
		}
		return nil
	})
	st.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.DeleteCustomerSessions("cust_1")
		if n != 1 || err != nil {
			t.Errorf("sign out everywhere: %d %v", n, err)
		}
		return err
	})
}

func TestSessionIDIsNotStoredInTheClear(t *testing.T) {
	st, clock, path := openAcctStore(t)
	id := "a-very-secret-session-id-1234567890"
	st.Update(context.Background(), func(tx *store.Tx) error {
		return tx.PutSession(&app.Session{ID: id, CSRF: "x", ExpiresAt: clock.Now().Add(time.Hour)})
	})
	st.Close()
	if raw := readFile(t, path); contains(raw, id) {
		t.Fatal("the database holds the session id in the clear")
	}
}

func TestLoginTokensAreSingleUseAndExpire(t *testing.T) {
	st, clock, _ := openAcctStore(t)
	ctx := context.Background()
	put := func(key string, ttl time.Duration) {
		st.Update(ctx, func(tx *store.Tx) error {
			return tx.PutLoginToken(key, app.LoginToken{Purpose: app.PurposeEmailLogin, Email: "a@x.io", ExpiresAt: clock.Now().Add(ttl)})
		})
	}
	use := func(key, purpose string) error {
		return st.Update(ctx, func(tx *store.Tx) error { _, err := tx.UseLoginToken(key, purpose); return err })
	}
	put("k1", 15*time.Minute)
	put("k2", 15*time.Minute)
	if err := use("k1", app.PurposeAdminLink); app.ErrorCode(err) != app.EGONE {
		t.Errorf("wrong purpose: %v", err)
	}
	if err := use("k1", app.PurposeEmailLogin); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := use("k1", app.PurposeEmailLogin); app.ErrorCode(err) != app.EGONE {
		t.Errorf("second use: %v, want gone", err)
	}
	if err := use("nope", app.PurposeEmailLogin); app.ErrorCode(err) != app.EGONE {
		t.Errorf("unknown: %v, want gone", err)
	}
	clock.Advance(16 * time.Minute)
	if err := use("k2", app.PurposeEmailLogin); app.ErrorCode(err) != app.EGONE {
		t.Errorf("expired: %v, want gone", err)
	}
	clock.Advance(25 * time.Hour)
	st.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.SweepLoginTokens()
		if n != 2 || err != nil {
			t.Errorf("swept %d tokens (%v), want 2", n, err)
		}
		return err
	})
}

func TestRateLimitWindow(t *testing.T) {
	st, clock, _ := openAcctStore(t)
	ctx := context.Background()
	allow := func() bool {
		var ok bool
		st.Update(ctx, func(tx *store.Tx) (err error) { ok, err = tx.Allow("email:a@x.io", 3, time.Hour); return })
		return ok
	}
	for i := 0; i < 3; i++ {
		if !allow() {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if allow() {
		t.Fatal("the fourth attempt in the hour was allowed")
	}
	clock.Advance(61 * time.Minute)
	if !allow() {
		t.Fatal("a new window did not start")
	}
	clock.Advance(2 * time.Hour)
	st.Update(ctx, func(tx *store.Tx) error {
		if n, _ := tx.SweepRateLimits(); n != 1 {
			t.Errorf("swept %d windows, want 1", n)
		}
		return nil
	})
}

func TestAuditLogNewestFirst(t *testing.T) {
	st, clock, _ := openAcctStore(t)
	ctx := context.Background()
	for _, a := range []string{"one", "two", "three"} {
		st.Audit(ctx, app.AuditEntry{Actor: "system", Action: a})
		clock.Advance(time.Millisecond)
	}
	st.View(ctx, func(tx *store.Tx) error {
		page, next, _ := tx.AuditLog(store.AuditFilter{Limit: 2})
		if len(page) != 2 || page[0].Action != "three" || page[1].Action != "two" || next == "" {
			t.Fatalf("first page: %+v", page)
		}
		page, next, _ = tx.AuditLog(store.AuditFilter{Before: next, Limit: 2})
		if len(page) != 1 || page[0].Action != "one" || next != "" {
			t.Fatalf("second page: %+v %q", page, next)
		}
		return nil
	})
}
