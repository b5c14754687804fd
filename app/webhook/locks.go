package webhook

import (
	"context"
	"errors"
	"sync"
)

// Locks make re-fetch and apply strictly ordered for one Stripe object
// (DESIGN.md §5 rule 3): two deliveries about one order (or one
// subscription) both re-fetch it, and without an order between them the
// older answer can arrive last and commit last, rolling the object back.
// A handler takes the object's lock before it fetches, and the lock is
// held until the transaction that applied what it fetched has committed,
// so the next fetch of that object starts after it and reads a newer
// truth. Objects of different keys run in parallel.
//
// The zero value is ready to use. Locks are taken with Hold inside a
// scope (Scope): the ledger opens one per event, and a caller outside
// the ledger (the success page, a test) opens its own.
type Locks struct {
	mu   sync.Mutex
	keys map[string]*keyLock
}

type keyLock struct {
	ch    chan struct{} // holds one token while the key is locked
	users int           // holders and waiters: the entry is freed at 0
}

// ErrNoScope is a programming error: Hold was called with a context that
// no Scope opened, so nothing would ever release the lock.
var ErrNoScope = errors.New("webhook.Locks.Hold outside a Scope")

// Hold takes key's lock until the scope that ctx carries ends, waiting
// while another scope holds it (or until ctx ends). Holding a key twice
// in one scope is one hold.
func (l *Locks) Hold(ctx context.Context, key string) error {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	if sc == nil {
		return ErrNoScope
	}
	sc.mu.Lock()
	if sc.held[key] {
		sc.mu.Unlock()
		return nil
	}
	sc.mu.Unlock()
	unlock, err := l.lock(ctx, key)
	if err != nil {
		return err
	}
	sc.mu.Lock()
	sc.held[key] = true
	sc.release = append(sc.release, unlock)
	sc.mu.Unlock()
	return nil
}

func (l *Locks) lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.keys == nil {
		l.keys = map[string]*keyLock{}
	}
	k := l.keys[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.keys[key] = k
	}
	k.users++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if k.users--; k.users == 0 {
			delete(l.keys, key)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

type scopeKey struct{}

type scope struct {
	mu      sync.Mutex
	held    map[string]bool
	release []func()
}

// Scope returns a context in which Hold may take locks, and the func that
// releases them all; call it once the work done under them has committed
// (or failed). A context that already carries a scope keeps it, and the
// returned func then releases nothing: the outer scope's owner does.
func Scope(ctx context.Context) (context.Context, func()) {
	if ctx.Value(scopeKey{}) != nil {
		return ctx, func() {}
	}
	sc := &scope{held: map[string]bool{}}
	return context.WithValue(ctx, scopeKey{}, sc), func() {
		sc.mu.Lock()
		rel := sc.release
		sc.release, sc.held = nil, map[string]bool{}
		sc.mu.Unlock()
		for i := len(rel) - 1; i >= 0; i-- {
			rel[i]()
		}
	}
}
