package store

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// groupCommit is Store.Batch's engine: concurrent calls share one write
// transaction, so one fsync, without waiting for a timer. bbolt's own
// DB.Batch closes a batch 10 ms after its first call and only then queues
// it for the writer; every webhook paid that wait on top of its commit,
// and a batch closed while the previous one was still committing could
// not take the calls that arrived meanwhile. Here one committer drains
// the queue: an idle store commits a lone call at once, and under load
// every call that arrived during a commit goes into the next one, so the
// batch grows with the load and the fsyncs per second stay bounded by the
// disk, not by the callers.
type groupCommit struct {
	db      *bolt.DB
	mu      sync.Mutex
	queue   []batchCall
	running bool // a committer goroutine is draining the queue
}

type batchCall struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// maxBatchCalls caps one transaction's calls (bbolt's DB.Batch default):
// a commit's dirty pages, and the work redone when one call fails, stay
// bounded.
const maxBatchCalls = 1000

// errSolo tells a caller that its fn failed in a shared transaction: it
// runs again alone, so its error (or its panic) is its own and the
// others' writes are not rolled back with it.
var errSolo = errors.New("store: run the batched call alone")

// do runs fn in a write transaction shared with the calls queued with it.
// fn may run more than once (each time the shared transaction is retried
// without a failed call, and alone when it failed itself).
func (g *groupCommit) do(fn func(*bolt.Tx) error) error {
	c := batchCall{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if !g.running {
		g.running = true
		go g.drain()
	}
	g.mu.Unlock()
	err := <-c.done
	if err == errSolo {
		return g.db.Update(fn)
	}
	return err
}

// drain commits what is queued, one transaction at a time, until the
// queue is empty.
func (g *groupCommit) drain() {
	for {
		g.mu.Lock()
		calls := g.queue
		if len(calls) > maxBatchCalls {
			calls = calls[:maxBatchCalls:maxBatchCalls]
		}
		g.queue = g.queue[len(calls):]
		if len(calls) == 0 {
			g.queue, g.running = nil, false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.commit(calls)
	}
}

// commit runs calls in one transaction. A call that fails is taken out
// and told to run alone, and the rest are run again without it, as
// bbolt's DB.Batch does.
func (g *groupCommit) commit(calls []batchCall) {
	for len(calls) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := safeCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].done <- errSolo
			calls = append(calls[:failed:failed], calls[failed+1:]...)
			continue
		}
		// Success, or bbolt's own failure to commit: every call shares it.
		for _, c := range calls {
			c.done <- err
		}
		return
	}
}

// safeCall turns a panic in fn into an error, so one call cannot take the
// committer down; the call then runs alone and panics in its caller.
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a batched transaction: %v", p)
		}
	}()
	return fn(tx)
}
