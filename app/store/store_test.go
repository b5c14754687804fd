package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// storeClock is a settable clock for the catalog tests.
type storeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *storeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *storeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openTestStore opens a store in a fresh temp dir with a settable clock and
// closes it when the test ends. It returns the file path for reopening.
func openTestStore(t *testing.T) (*store.Store, *storeClock, string) {
	t.Helper()
	clock := &storeClock{t: time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "vendo.db")
	return openAt(t, path, clock), clock, path
}

// openAt opens the store at path and closes it when the test ends (closing
// twice is harmless, so a test may close it earlier to reopen).
func openAt(t *testing.T, path string, clock *storeClock) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{NoSync: true, Now: clock.Now, LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestOpenCreatesTheDatabaseAndRecordsItsSchema(t *testing.T) {
	// The data directory does not exist yet: Open makes it.
	path := filepath.Join(t.TempDir(), "data", "nested", "vendo.db")
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Path() != path {
		t.Errorf("Path() = %q, want %q", st.Path(), path)
	}
	v, err := st.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if v != store.SchemaVersion() || v < 3 {
		t.Errorf("Schema() = %d, SchemaVersion() = %d", v, store.SchemaVersion())
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	// Every repository answers on the empty database: their buckets exist.
	ctx := context.Background()
	err = st.View(ctx, func(tx *store.Tx) error {
		if n, err := tx.CountProducts(false); err != nil || n != 0 {
			t.Errorf("CountProducts = %d, %v", n, err)
		}
		if ps, next, err := tx.Products(store.ProductFilter{}); err != nil || len(ps) != 0 || next != "" {
			t.Errorf("Products = %v, %q, %v", ps, next, err)
		}
		if ps, err := tx.Plans(); err != nil || len(ps) != 0 {
			t.Errorf("Plans = %v, %v", ps, err)
		}
		if _, err := tx.File("nope"); !app.IsNotFound(err) {
			t.Errorf("File = %v, want not found", err)
		}
		if s, err := tx.Settings(); err != nil || s != app.DefaultSettings() {
			t.Errorf("Settings = %+v, %v", s, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.BackupSize(); err != nil || n <= 0 {
		t.Errorf("BackupSize = %d, %v", n, err)
	}
}

func TestReopeningKeepsEverything(t *testing.T) {
	st, clock, path := openTestStore(t)
	ctx := context.Background()
	p := sampleProduct("field-guide")
	if err := st.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	plan := samplePlan("pro", 1, "price_pro_m", "price_pro_y")
	if err := st.PutPlan(ctx, &plan); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateSettings(ctx, func(s *app.Settings) error { s.ShopName = "Kept"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openAt(t, path, clock)
	if v, _ := st.Schema(); v != store.SchemaVersion() {
		t.Errorf("schema after reopen = %d", v)
	}
	got, err := st.ProductBySlug(ctx, "field-guide")
	if err != nil || got.ID != p.ID || got.Title != p.Title || !got.CreatedAt.Equal(p.CreatedAt) {
		t.Errorf("product after reopen = %+v, %v", got, err)
	}
	plans, err := st.Plans(ctx)
	if err != nil || len(plans) != 1 || plans[0].ID != plan.ID {
		t.Errorf("plans after reopen = %+v, %v", plans, err)
	}
	err = st.View(ctx, func(tx *store.Tx) error {
		_, iv, err := tx.PlanByStripePrice("price_pro_y")
		if err != nil || iv != app.Yearly {
			t.Errorf("price index after reopen: %v %v", iv, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Settings(ctx); s.ShopName != "Kept" {
		t.Errorf("settings after reopen = %+v", s)
	}
}

func TestASecondOpenGivesUpWithErrLocked(t *testing.T) {
	st, clock, path := openTestStore(t)

	start := time.Now()
	second, err := store.Open(path, store.Options{LockTimeout: 200 * time.Millisecond, Now: clock.Now})
	waited := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a database in use succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("err = %v, want it to wrap store.ErrLocked", err)
	}
	if waited < 150*time.Millisecond || waited > 2*time.Second {
		t.Errorf("gave up after %v, want about the 200ms lock timeout", waited)
	}

	// Once the first one closes, the file opens again.
	st.Close()
	again, err := store.Open(path, store.Options{LockTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	again.Close()
}

func TestOpenRefusesSomethingThatIsNotADatabase(t *testing.T) {
	dir := t.TempDir()
	// The path is a directory, not a file.
	if st, err := store.Open(dir, store.Options{LockTimeout: 200 * time.Millisecond}); err == nil {
		st.Close()
		t.Fatal("opened a directory as a database")
	} else if errors.Is(err, store.ErrLocked) {
		t.Errorf("err = %v, should not claim the file is locked", err)
	}
}

func TestUpdateRunsOnCommitHooksOnceAfterCommit(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()

	var ran int
	var sawProduct bool
	p := sampleProduct("hooked")
	err := st.Update(ctx, func(tx *store.Tx) error {
		tx.OnCommit(func() {
			ran++
			// The hook runs after the commit: a new transaction sees the write.
			_, err := st.ProductBySlug(ctx, "hooked")
			sawProduct = err == nil
		})
		if ran != 0 {
			t.Error("hook ran inside the transaction")
		}
		return tx.PutProduct(&p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ran != 1 || !sawProduct {
		t.Errorf("hook ran %d times, saw product: %v", ran, sawProduct)
	}

	// A failing transaction rolls back and runs no hook.
	ran = 0
	boom := errors.New("boom")
	q := sampleProduct("rolled-back")
	err = st.Update(ctx, func(tx *store.Tx) error {
		tx.OnCommit(func() { ran++ })
		if err := tx.PutProduct(&q); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if ran != 0 {
		t.Errorf("hook of a rolled-back transaction ran %d times", ran)
	}
	if _, err := st.ProductBySlug(ctx, "rolled-back"); !app.IsNotFound(err) {
		t.Errorf("rolled-back product is there: %v", err)
	}
}

func TestBatchRunsEachHookOnceAndSkipsTheFailedOnes(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()

	const n = 12
	var hooks [n]atomic.Int32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Batch(ctx, func(tx *store.Tx) error {
				tx.OnCommit(func() { hooks[i].Add(1) })
				p := sampleProduct("batch-" + string(rune('a'+i)))
				if err := tx.PutProduct(&p); err != nil {
					return err
				}
				if i%4 == 3 { // every fourth call fails after writing
					return app.Errorf(app.ECONFLICT, "refused %d", i)
				}
				return nil
			})
		}()
	}
	wg.Wait()

	for i := range n {
		fails := i%4 == 3
		_, err := st.ProductBySlug(ctx, "batch-"+string(rune('a'+i)))
		switch {
		case fails && app.ErrorCode(errs[i]) != app.ECONFLICT:
			t.Errorf("call %d: err = %v, want its conflict", i, errs[i])
		case fails && hooks[i].Load() != 0:
			t.Errorf("call %d failed but its hook ran %d times", i, hooks[i].Load())
		case fails && !app.IsNotFound(err):
			t.Errorf("call %d failed but its product was kept: %v", i, err)
		case !fails && errs[i] != nil:
			t.Errorf("call %d: %v", i, errs[i])
		case !fails && hooks[i].Load() != 1:
			t.Errorf("call %d: hook ran %d times, want once", i, hooks[i].Load())
		case !fails && err != nil:
			t.Errorf("call %d: product missing: %v", i, err)
		}
	}
	var count int
	st.View(ctx, func(tx *store.Tx) (err error) { count, err = tx.CountProducts(false); return })
	if count != n-n/4 {
		t.Errorf("%d products stored, want %d", count, n-n/4)
	}
}

func TestACancelledContextStartsNoTransaction(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	fn := func(*store.Tx) error { called = true; return nil }
	for name, run := range map[string]func() error{
		"View":   func() error { return st.View(ctx, fn) },
		"Update": func() error { return st.Update(ctx, fn) },
		"Batch":  func() error { return st.Batch(ctx, fn) },
	} {
		if err := run(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
	}
	if called {
		t.Error("a transaction ran with a cancelled context")
	}
}

func TestTransactionsShareOneTimeAndKnowTheirKind(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()
	st.View(ctx, func(tx *store.Tx) error {
		if tx.Writable() {
			t.Error("View is writable")
		}
		if !tx.Now().Equal(clock.Now()) {
			t.Errorf("tx.Now() = %v, want %v", tx.Now(), clock.Now())
		}
		return nil
	})
	st.Update(ctx, func(tx *store.Tx) error {
		if !tx.Writable() {
			t.Error("Update is read-only")
		}
		start := tx.Now()
		clock.Advance(time.Hour)
		if !tx.Now().Equal(start) {
			t.Error("tx.Now() moved during the transaction")
		}
		return nil
	})
	if !st.Now().Equal(clock.Now()) {
		t.Errorf("st.Now() = %v, want the clock's %v", st.Now(), clock.Now())
	}
}

func TestWriteBackupIsAnOpenableCopy(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()
	p := sampleProduct("backed-up")
	if err := st.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.WriteBackup(ctx, f)
	f.Close()
	if err != nil || n <= 0 {
		t.Fatalf("WriteBackup = %d, %v", n, err)
	}
	restored := openAt(t, copyPath, clock)
	if got, err := restored.ProductBySlug(ctx, "backed-up"); err != nil || got.ID != p.ID {
		t.Errorf("restored product = %+v, %v", got, err)
	}
}
