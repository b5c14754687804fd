package sandbox

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestPagesDoNotNestReadsWhileTheFileGrows: a hosted page renders inside a
// read transaction; if it opens a second one (s.Now reads the test
// clock's offset in its own transaction) while a writer is growing the
// file, bbolt's remap waits for the outer read and the inner read waits
// behind the remap: the page never answers and every later read hangs.
// Seen once in make test as a portal page that got no answer for two
// minutes. The test's clock starts such a writer at the moment a page
// first reads the time inside its transaction, and waits for it to block.
func TestPagesDoNotNestReadsWhileTheFileGrows(t *testing.T) {
	var armed atomic.Bool
	var sb atomic.Pointer[Sandbox]
	grown := make(chan error, 4)
	e := newEnv(t, withConfig(func(c *Config) {
		c.Now = func() time.Time {
			if s := sb.Load(); s != nil && armed.CompareAndSwap(true, false) {
				go func() {
					grown <- s.db.Update(func(tx *bolt.Tx) error {
						b, err := tx.CreateBucketIfNotExists([]byte("test-growth"))
						if err != nil {
							return err
						}
						return b.Put([]byte(time.Now().String()), make([]byte, 8<<20)) // more than the file maps
					})
				}()
				time.Sleep(300 * time.Millisecond) // the writer is now waiting for this read to end
			}
			return time.Now()
		}
	}))
	sb.Store(e.sb)
	c := e.catalog()
	sub := e.subscribe(c.monthly, "4242424242424242")
	portal := e.portal(c, sub.Customer.ID)
	inv := sub.LatestInvoice.ID
	for _, path := range []string{portal, mountPath + "/invoices/" + inv} {
		waitQuiet(t, e.sb) // no delivery reads the clock meanwhile
		armed.Store(true)
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get(e.reach(path))
		if err != nil {
			// The deadlock holds the sandbox: closing it in the test's
			// cleanup would hang until go test's timeout, so say why and
			// stop here.
			fmt.Fprintf(os.Stderr, "--- FAIL: %s: GET %s while the file grows: %v (a read transaction nested in another)\n", t.Name(), path, err)
			os.Exit(1)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if armed.Load() {
			t.Fatalf("GET %s never read the clock", path)
		}
		if err := <-grown; err != nil {
			t.Fatal(err)
		}
	}
}

func waitQuiet(t *testing.T, s *Sandbox) {
	t.Helper()
	for range 500 {
		if n, err := s.Queued(); err == nil && n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the sandbox's deliveries did not settle")
}
