package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// TestPlansAndSettingsDropPagesWithoutARebuild: a plan or settings write
// tells the catalog hook that every page may show it (Pages), not that
// the products changed: the search index, built from the products only,
// was rebuilt from every product on each save of a plan or the settings
// (seconds and hundreds of MiB at 100,000 products). An import still asks
// for the rebuild (All), and single product writes name their products.
func TestPlansAndSettingsDropPagesWithoutARebuild(t *testing.T) {
	var mu sync.Mutex
	var got []store.CatalogChange
	st, err := store.Open(filepath.Join(t.TempDir(), "vendo.db"), store.Options{NoSync: true, LockTimeout: time.Second,
		OnCatalogChange: func(ch store.CatalogChange) { mu.Lock(); got = append(got, ch); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	last := func(what string) store.CatalogChange {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(got) == 0 {
			t.Fatalf("%s: no catalog change", what)
		}
		ch := got[len(got)-1]
		got = nil
		return ch
	}

	plan := samplePlan("pro", 1, "", "")
	if err := st.PutPlan(ctx, &plan); err != nil {
		t.Fatal(err)
	}
	if ch := last("a plan"); ch.All || !ch.Pages || len(ch.Products) != 0 {
		t.Errorf("a plan write: %+v; want every page dropped and no rebuild", ch)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutSettings(app.DefaultSettings()) }); err != nil {
		t.Fatal(err)
	}
	if ch := last("the settings"); ch.All || !ch.Pages || len(ch.Products) != 0 {
		t.Errorf("a settings write: %+v; want every page dropped and no rebuild", ch)
	}
	p := sampleProduct("one")
	err = st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		return tx.PutSettings(app.DefaultSettings())
	})
	if err != nil {
		t.Fatal(err)
	}
	if ch := last("a product and the settings"); ch.All || !ch.Pages || len(ch.Products) != 1 || ch.Products[0] != p.ID {
		t.Errorf("a product and the settings in one commit: %+v; want the product updated and every page dropped", ch)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i := range 300 {
			q := sampleProduct(fmt.Sprintf("imported-%d", i))
			if err := tx.PutProduct(&q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ch := last("an import"); !ch.All {
		t.Errorf("an import of 300 products: %+v; want a rebuild", ch)
	}
}
