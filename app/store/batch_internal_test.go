package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestBatchTakesEveryCallQueuedDuringACommit: while one commit runs, the
// calls that arrive queue up, and the next transaction takes all of them
// (up to maxBatchCalls): 1 + 1,500 calls commit in three transactions,
// whatever the timing, each call's write kept once.
func TestBatchTakesEveryCallQueuedDuringACommit(t *testing.T) {
	st, _ := openInternal(t)
	ctx := context.Background()
	const queued = 1500
	var mu sync.Mutex
	txs := map[*bolt.Tx]int{} // calls run per transaction, kept runs only
	put := func(tx *Tx, key string) error {
		b, err := tx.tx.CreateBucketIfNotExists([]byte("batch_test"))
		if err != nil {
			return err
		}
		mu.Lock()
		txs[tx.tx]++
		mu.Unlock()
		return b.Put([]byte(key), []byte("x"))
	}

	// The first call holds its transaction open until every other call
	// is queued behind it.
	started, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		var once sync.Once
		first <- st.Batch(ctx, func(tx *Tx) error {
			once.Do(func() { close(started) })
			<-release
			return put(tx, "first")
		})
	}()
	<-started
	var wg sync.WaitGroup
	errs := make([]error, queued)
	for i := range queued {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Batch(ctx, func(tx *Tx) error { return put(tx, fmt.Sprintf("k%05d", i)) })
		}()
	}
	for {
		st.batch.mu.Lock()
		n := len(st.batch.queue)
		st.batch.mu.Unlock()
		if n == queued {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}

	var sizes []int
	for _, n := range txs {
		sizes = append(sizes, n)
	}
	if len(txs) != 3 {
		t.Fatalf("%d calls ran in %d transactions %v, want 3 (1, then %d and %d)", queued+1, len(txs), sizes, maxBatchCalls, queued-maxBatchCalls)
	}
	st.View(ctx, func(tx *Tx) error {
		if n := tx.tx.Bucket([]byte("batch_test")).Stats().KeyN; n != queued+1 {
			t.Errorf("%d keys stored, want %d", n, queued+1)
		}
		return nil
	})
}

// TestABatchedCallThatPanicsPanicsInItsCaller: the others' writes commit,
// and the panic reaches the goroutine that made the call, not the
// committer.
func TestABatchedCallThatPanicsPanicsInItsCaller(t *testing.T) {
	st, _ := openInternal(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	recovered := make([]any, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { recovered[i] = recover() }()
			errs[i] = st.Batch(ctx, func(tx *Tx) error {
				if i == 3 {
					panic("call 3 broke")
				}
				b, err := tx.tx.CreateBucketIfNotExists([]byte("batch_test"))
				if err != nil {
					return err
				}
				return b.Put([]byte{byte(i)}, []byte("x"))
			})
		}()
	}
	wg.Wait()
	for i := range 8 {
		switch {
		case i == 3 && recovered[i] != "call 3 broke":
			t.Errorf("call 3 recovered %v, want its panic", recovered[i])
		case i != 3 && (recovered[i] != nil || errs[i] != nil):
			t.Errorf("call %d: panic %v, err %v", i, recovered[i], errs[i])
		}
	}
	st.View(ctx, func(tx *Tx) error {
		if n := tx.tx.Bucket([]byte("batch_test")).Stats().KeyN; n != 7 {
			t.Errorf("%d keys stored, want the 7 that did not panic", n)
		}
		return nil
	})
}
