// Package store is the only importer of bbolt. It opens the database,
// migrates it, and offers typed repositories whose secondary indexes are
// written in the same transaction as their records (DESIGN.md §4), one
// file per entity.
//
// Every entity follows the same conventions:
//
//   - Not found is an error: a lookup of one record (Product, Order,
//     OrderByCheckoutSession, SubscriptionByStripeID, Event, …) returns it
//     or an app.Error with code ENOTFOUND, never a found flag. A caller to
//     whom absence is an answer rather than a failure uses app.Found or
//     app.IsNotFound. The cart and the settings never miss: a missing cart
//     is an empty one, missing settings are the defaults.
//   - A list takes its entity's one filter type (ProductFilter,
//     OrderFilter, CustomerFilter, …) and pages newest first: Before is
//     the cursor (the last id of the previous page), Limit 0 means no
//     limit, and next, the cursor of the following page, is "" at the end.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"vendo/app"
)

// ErrLocked is returned by Open when another process holds the database.
var ErrLocked = errors.New("database is in use by another process")

// Options tune Open.
type Options struct {
	// LockTimeout is how long to wait for the file lock held by another
	// Vendo before giving up (bbolt waits forever when it is 0).
	LockTimeout time.Duration
	// NoSync skips fsync; only for tests and benchmark baselines.
	NoSync bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OnCatalogChange runs after a commit that changed products, plans or
	// settings, saying what changed, so the search index and the page
	// cache follow the catalog without rebuilding what an edit left alone.
	OnCatalogChange func(CatalogChange)
}

// CatalogChange is what one commit changed in the catalog.
type CatalogChange struct {
	// Products are the ids of the products written or deleted; the hook
	// reads their state after the commit. Nil when All is set.
	Products []string
	// All says so many products changed (an import) that a rebuild is
	// cheaper than one update per product.
	All bool
	// Pages says plans or settings changed, which every page may show
	// but the products (and so the search index) do not.
	Pages bool
}

// maxProductChanges is how many products one commit may change before its
// CatalogChange asks for a rebuild instead (an import, the demo seed).
const maxProductChanges = 256

// Store is Vendo's database.
type Store struct {
	db              *bolt.DB
	now             func() time.Time
	ids             *idGen
	onCatalogChange func(CatalogChange)
	// hookQueued is signalled after a commit that queued a webhook
	// delivery (see HookQueued).
	hookQueued chan struct{}
	memos      *memos // decoded sessions and customers (memo.go)
	versions   *customerVersions
	batch      *groupCommit
}

// Open opens (creating when missing) the bbolt file at path and runs the
// migrations that are due, in one transaction.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, now: opts.Now, ids: &idGen{}, onCatalogChange: opts.OnCatalogChange, hookQueued: make(chan struct{}, 1), memos: newMemos(), versions: &customerVersions{},
		batch: &groupCommit{db: db}}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.db.Path() }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Tx is a transaction. Repository methods hang off it so a use case reads
// and writes one business fact in one transaction.
type Tx struct {
	tx  *bolt.Tx
	now time.Time
	ids *idGen
	// catalogHook is the store's OnCatalogChange; catalog collects what
	// the transaction changed and catalogDirty makes the hook run once per
	// commit however many records changed.
	catalogHook  func(CatalogChange)
	catalog      CatalogChange
	catalogDirty bool
	// hookWake is the store's hookQueued; hookDirty signals it once per
	// commit.
	hookWake  chan struct{}
	hookDirty bool
	// afterCommit runs once the transaction has committed (for example to
	// refresh the search index); never inside a Batch retry.
	afterCommit []func()
	memos       *memos
	// stats is the aggregate change of the records written so far, not
	// yet in the stats bucket (stats.go: recordChange).
	stats        statDelta
	statsPending bool
	// versions is the store's customer versions; the customers whose
	// records the transaction wrote move after its commit (versions.go).
	versions      *customerVersions
	versionIDs    []string
	versionsAll   bool
	versionsDirty bool
}

// OnCommit registers fn to run after the transaction commits.
func (t *Tx) OnCommit(fn func()) { t.afterCommit = append(t.afterCommit, fn) }

// catalogChanged registers the store's catalog hook to run after commit,
// for a change of plans or settings.
func (t *Tx) catalogChanged() {
	t.catalog.Pages = true
	t.registerCatalogHook()
}

// productChanged registers the catalog hook for a write or delete of the
// product with id.
func (t *Tx) productChanged(id string) {
	if !t.catalog.All {
		if len(t.catalog.Products) >= maxProductChanges {
			t.catalog.All, t.catalog.Products = true, nil
		} else {
			t.catalog.Products = append(t.catalog.Products, id)
		}
	}
	t.registerCatalogHook()
}

func (t *Tx) registerCatalogHook() {
	if t.catalogHook != nil && !t.catalogDirty {
		t.catalogDirty = true
		t.OnCommit(func() { t.catalogHook(t.catalog) })
	}
}

// NewID returns a new sortable id with prefix, increasing within the store.
func (t *Tx) NewID(prefix string) string { return t.ids.next(prefix, t.now) }

// Now is the time the transaction started, one value for all its records.
func (t *Tx) Now() time.Time { return t.now }

// Writable reports whether this is a read-write transaction.
func (t *Tx) Writable() bool { return t.tx.Writable() }

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&Tx{tx: btx, now: s.now(), ids: s.ids, catalogHook: s.onCatalogChange, hookWake: s.hookQueued, memos: s.memos})
	})
}

// Update runs fn in a read-write transaction; fn's error rolls it back.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.commit(s.db.Update, fn)
}

// Batch runs fn in a read-write transaction shared with other concurrent
// Batch calls, so they share one fsync (batch.go: without a timer's wait).
// fn may run more than once, so it must have no effect outside the
// transaction; OnCommit hooks run once, after the commit that kept fn's
// writes.
func (s *Store) Batch(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.commit(s.batch.do, fn)
}

// commit runs fn through bbolt's Update or Batch and, once committed, the
// hooks of the run that was kept (a Batch may run fn more than once).
func (s *Store) commit(run func(func(*bolt.Tx) error) error, fn func(*Tx) error) error {
	var t *Tx
	err := run(func(btx *bolt.Tx) error {
		t = &Tx{tx: btx, now: s.now(), ids: s.ids, catalogHook: s.onCatalogChange, hookWake: s.hookQueued, memos: s.memos, versions: s.versions}
		if err := fn(t); err != nil {
			return err
		}
		return t.flushStats()
	})
	if err == nil && t != nil {
		for _, f := range t.afterCommit {
			f()
		}
	}
	return err
}

// Ping checks that the database answers (for /healthz).
func (s *Store) Ping(ctx context.Context) error {
	return s.View(ctx, func(tx *Tx) error {
		if tx.tx.Bucket(bMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// WriteBackup writes a consistent snapshot of the database to w while the
// shop keeps running (a read transaction sees one point in time).
func (s *Store) WriteBackup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupSize is the size a backup written now would have.
func (s *Store) BackupSize() (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}

func notFound(what string) error {
	return app.Errorf(app.ENOTFOUND, "That %s does not exist.", what)
}

// CountRecords counts the records of every bucket (nested buckets count
// under their parent's name), so a test can tell what a batch of requests
// left in the database.
func (t *Tx) CountRecords() map[string]int {
	out := map[string]int{}
	var walk func(name string, b *bolt.Bucket)
	walk = func(name string, b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(name, b.Bucket(k))
			} else {
				out[name]++
			}
			return nil
		})
	}
	t.tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		walk(string(name), b)
		return nil
	})
	return out
}
