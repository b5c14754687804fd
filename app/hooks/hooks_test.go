package hooks_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/hooks"
	"vendo/app/store"
)

func TestSignatureVerifies(t *testing.T) {
	at := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_1"}`)
	h := hooks.Sign("whsec_a", at, body)
	if !strings.HasPrefix(h, "t=1700000000,v1=") || len(h) != len("t=1700000000,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	for _, c := range []struct {
		name, header, secret, body string
		now                        time.Time
		ok                         bool
	}{
		{"good", h, "whsec_a", string(body), at.Add(time.Minute), true},
		{"other secret", h, "whsec_b", string(body), at, false},
		{"body changed", h, "whsec_a", `{"id":"evt_2"}`, at, false},
		{"too old", h, "whsec_a", string(body), at.Add(10 * time.Minute), false},
		{"no v1", "t=1700000000", "whsec_a", string(body), at, false},
		{"time changed", strings.Replace(h, "t=1700000000", "t=1700000001", 1), "whsec_a", string(body), at, false},
	} {
		err := hooks.Verify(c.header, c.secret, []byte(c.body), c.now, 5*time.Minute)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// queue stores an endpoint at url and one order.paid event for it.
func queue(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "v.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		e := app.HookEndpoint{URL: url, Events: []string{app.HookOrderPaid}, Enabled: true, Secret: "whsec_x"}
		if err := tx.PutHookEndpoint(&e); err != nil {
			return err
		}
		return tx.QueueHook(app.HookOrderPaid, "ord_1", map[string]any{"order": map[string]any{"id": "ord_1"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func onlyDelivery(t *testing.T, st *store.Store) app.HookDelivery {
	t.Helper()
	var ds []app.HookDelivery
	st.View(context.Background(), func(tx *store.Tx) (err error) { ds, _, err = tx.HookDeliveries(store.HookDeliveryFilter{}); return err })
	if len(ds) != 1 {
		t.Fatalf("%d deliveries", len(ds))
	}
	return ds[0]
}

// A redirect to another host is not followed (the signed body stays
// with the host the merchant named): the attempt fails and says why.
func TestRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	named := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer named.Close()
	st := queue(t, named.URL)
	if n, err := hooks.New(hooks.Config{Store: st}).Flush(context.Background()); err != nil || n != 0 {
		t.Fatalf("flush: %d %v", n, err)
	}
	d := onlyDelivery(t, st)
	if elsewhere.Load() != 0 || d.Status != app.HookPending || d.Attempts[0].Status != 307 || !strings.Contains(d.Attempts[0].Error, "same host") {
		t.Fatalf("elsewhere got %d requests; delivery %+v", elsewhere.Load(), d)
	}
}

// A huge answer is read only up to the cap, and the admin sees its start.
func TestHugeAnswerIsCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 1<<10))
		for range 10 << 10 { // 10 MB, or until the sender hangs up
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	st := queue(t, srv.URL)
	if n, _ := hooks.New(hooks.Config{Store: st}).Flush(context.Background()); n != 1 {
		t.Fatal("not delivered")
	}
	d := onlyDelivery(t, st)
	if r := d.Attempts[0].Response; d.Status != app.HookDelivered || len(r) > 310 || !strings.HasPrefix(r, "xxx") {
		t.Fatalf("delivery %+v", d)
	}
}

// A delivery still failing after three days is marked failed.
func TestGivesUpAfterThreeDays(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	st, err := store.Open(filepath.Join(t.TempDir(), "v.db"), store.Options{NoSync: true, Now: func() time.Time { return clock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Update(context.Background(), func(tx *store.Tx) error {
		e := app.HookEndpoint{URL: srv.URL, Events: []string{app.HookOrderPaid}, Enabled: true, Secret: "whsec_x"}
		tx.PutHookEndpoint(&e)
		return tx.QueueHook(app.HookOrderPaid, "ord_1", nil)
	})
	s := hooks.New(hooks.Config{Store: st})
	for i := 0; i < 100; i++ {
		s.Flush(context.Background())
		d := onlyDelivery(t, st)
		if d.Status == app.HookFailed {
			if n := len(d.Attempts); n < 15 || n > 30 || now.Sub(d.CreatedAt) > store.HookRetryWindow {
				t.Fatalf("gave up after %d attempts, %s", n, now.Sub(d.CreatedAt))
			}
			// When it failed is kept: the dashboard counts failures by it.
			if !d.FailedAt.Equal(now) {
				t.Fatalf("failed at %v, want the last attempt's time %v", d.FailedAt, now)
			}
			return
		}
		now = d.NextAttemptAt
	}
	t.Fatal("still retrying after 100 attempts")
}

// An endpoint that hangs until the timeout gets one attempt in a flush,
// not one per delivery queued for it: the others' deliveries are not held
// up behind five timeouts, and its remaining deliveries wait, untried,
// for the next flush. A deleted endpoint's deliveries all fail at once.
func TestAHangingEndpointHoldsUpOneAttempt(t *testing.T) {
	var hung, healthy atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		select { // until the sender gives up
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer hang.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { healthy.Add(1) }))
	defer ok.Close()
	st, err := store.Open(filepath.Join(t.TempDir(), "v.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var gone string
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		for _, u := range []string{hang.URL, "https://deleted.example.com", ok.URL} {
			e := app.HookEndpoint{URL: u, Events: []string{app.HookOrderPaid}, Enabled: true, Secret: "whsec_x"}
			if err := tx.PutHookEndpoint(&e); err != nil {
				return err
			}
			if strings.Contains(u, "deleted") {
				gone = e.ID
			}
		}
		for i := range 5 {
			if err := tx.QueueHook(app.HookOrderPaid, fmt.Sprintf("ord_%d", i), nil); err != nil {
				return err
			}
		}
		return tx.DeleteHookEndpoint(gone)
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := hooks.New(hooks.Config{Store: st, Timeout: 200 * time.Millisecond}).Flush(context.Background())
	if err != nil || n != 5 || healthy.Load() != 5 {
		t.Fatalf("flush delivered %d (%v); the healthy endpoint got %d, want 5", n, err, healthy.Load())
	}
	if hung.Load() != 1 {
		t.Fatalf("the hanging endpoint got %d attempts in one flush, want 1", hung.Load())
	}
	byStatus := map[string]int{}
	st.View(context.Background(), func(tx *store.Tx) error {
		ds, _, _ := tx.HookDeliveries(store.HookDeliveryFilter{})
		for _, d := range ds {
			key := fmt.Sprintf("%s %d attempts", d.Status, len(d.Attempts))
			if d.EndpointID == gone {
				key = "deleted: " + key
			}
			byStatus[key]++
		}
		return nil
	})
	want := map[string]int{"delivered 1 attempts": 5, "pending 1 attempts": 1, "pending 0 attempts": 4, "deleted: failed 1 attempts": 5}
	if !maps.Equal(byStatus, want) {
		t.Fatalf("deliveries %v, want %v", byStatus, want)
	}
}
