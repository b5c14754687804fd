package vendotest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/demo"
	"vendo/app/store"
)

// A new sandbox-mode shop starts from a copy of the demo catalog made once
// per test process: generating the catalog's files takes half a second
// under -race, and a test package starts dozens of shops. server.Open
// then finds the catalog seeded, as at any later start; the e2e suite
// covers the binary's real first start.
var demoCopy struct {
	once  sync.Once
	files map[string][]byte // path under the data directory → content
	err   error
}

// copyDemo writes the seeded demo catalog (the database and its files)
// into the empty data directory of cfg.
func copyDemo(t testing.TB, cfg *config.Config) {
	t.Helper()
	demoCopy.once.Do(func() { demoCopy.files, demoCopy.err = seedDemo(t.TempDir()) })
	if demoCopy.err != nil {
		t.Fatalf("vendotest: seed the demo catalog: %v", demoCopy.err)
	}
	for rel, b := range demoCopy.files {
		path := filepath.Join(cfg.DataDir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// seedDemo seeds the demo catalog into dir, as server.Open does at a
// sandbox shop's first start, and reads back what it wrote.
func seedDemo(dir string) (map[string][]byte, error) {
	st, err := store.Open(filepath.Join(dir, "vendo.db"), store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	files, err := blobs.Open(filepath.Join(dir, "files"))
	if err == nil {
		_, err = demo.Seed(context.Background(), st, files)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if out[rel], err = os.ReadFile(path); err != nil {
			return fmt.Errorf("read %s: %w", rel, err)
		}
		return nil
	})
	return out, err
}
