package webhook_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vendo/app/store"
	"vendo/app/webhook"
)

func TestHoldWaitsForTheScopeThatHoldsTheKey(t *testing.T) {
	var locks webhook.Locks
	ctx1, release1 := webhook.Scope(context.Background())
	if err := locks.Hold(ctx1, "order:1"); err != nil {
		t.Fatal(err)
	}
	if err := locks.Hold(ctx1, "order:1"); err != nil {
		t.Fatalf("holding a key twice in one scope: %v", err)
	}
	// Another key is free.
	ctx2, release2 := webhook.Scope(context.Background())
	if err := locks.Hold(ctx2, "order:2"); err != nil {
		t.Fatal(err)
	}
	release2()
	// The same key waits until the first scope ends.
	got := make(chan error, 1)
	go func() {
		ctx3, release3 := webhook.Scope(context.Background())
		defer release3()
		got <- locks.Hold(ctx3, "order:1")
	}()
	select {
	case err := <-got:
		t.Fatalf("a second scope took a held key: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	release1()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// A wait ends with its context, and the key stays usable.
	ctx4, release4 := webhook.Scope(context.Background())
	defer release4()
	if err := locks.Hold(ctx4, "order:9"); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ctx5, release5 := webhook.Scope(waitCtx)
	if err := locks.Hold(ctx5, "order:9"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait past its deadline: %v", err)
	}
	release5()
	release4()
	ctx6, release6 := webhook.Scope(context.Background())
	defer release6()
	if err := locks.Hold(ctx6, "order:9"); err != nil {
		t.Fatalf("the key after a given-up wait: %v", err)
	}
	// Outside a scope nothing would release it: refused.
	if err := locks.Hold(context.Background(), "order:3"); !errors.Is(err, webhook.ErrNoScope) {
		t.Fatalf("Hold outside a scope: %v", err)
	}
}

// TestLedgerKeepsTheObjectLockedUntilTheCommit: two events about one
// object; the first one's read is answered with the old state and slowly.
// Without the lock the second reads the new state and commits it first,
// and the first's old answer, committed last, rolls the object back. With
// it the second reads only after the first committed.
func TestLedgerKeepsTheObjectLockedUntilTheCommit(t *testing.T) {
	f := newFixture(t)
	var locks webhook.Locks
	var reads atomic.Int64
	secondRead := make(chan struct{})
	var once sync.Once
	f.ledger.Handle(func(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
		if err := locks.Hold(ctx, ev.ObjectID); err != nil {
			return nil, err
		}
		state := "new"
		if reads.Add(1) == 1 {
			// The first read sees the old state; its answer is slow, held
			// up until another read starts or a while has passed.
			state = "old"
			select {
			case <-secondRead:
			case <-time.After(300 * time.Millisecond):
			}
		} else {
			once.Do(func() { close(secondRead) })
		}
		fetched := time.Now()
		return func(tx *store.Tx) error {
			if ok, err := tx.AcceptSnapshot(ev.ObjectID, fetched); err != nil || !ok {
				return err
			}
			return tx.PutSettings(withTagline(tx, state))
		}, nil
	}, "test.locked")
	var wg sync.WaitGroup
	for i, id := range []string{"evt_l1", "evt_l2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				for reads.Load() == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			if _, err := f.ledger.Process(context.Background(), webhook.Event{ID: id, Type: "test.locked", ObjectID: "sub_1", Created: time.Now()}, "test"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s, err := f.store.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Tagline != "new" {
		t.Fatalf("the object ended %q: the older read won", s.Tagline)
	}
	if n := f.ledgerSize(t); n != 2 {
		t.Fatalf("%d ledger records", n)
	}
}
