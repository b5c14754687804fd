package store

import (
	"sync"

	"vendo/app"
)

// Customer versions (issue 21): a number per customer that moves after
// every commit that wrote one of the records the customer's pages show
// of them — their record, cart, orders, entitlements (a download counts
// into one), subscriptions, credits, licenses and their activations — so
// the web layer can keep a customer's account page while it still holds
// and drop it the moment one of them changed. A write that cannot tell
// whose record it touched (a sweep of old carts) moves every customer's.
//
// A reader takes the version before it opens the transaction it renders
// from and the writer moves it after its commit, so a page is never kept
// under a version newer than what it read.
type customerVersions struct {
	mu   sync.Mutex
	last uint64 // the last version handed out
	// floor is every customer's version that has none of its own: the
	// last at the latest "every customer" change or forgetting.
	floor uint64
	m     map[string]uint64
}

// maxCustomerVersions bounds the customers remembered; past it, every
// customer moves to a new floor (their kept pages are rendered again).
const maxCustomerVersions = 1 << 16

// CustomerVersion is the version of what a customer's pages show of them;
// it never goes back, and moves after every commit that changed it.
func (s *Store) CustomerVersion(customerID string) uint64 {
	v := s.versions
	v.mu.Lock()
	defer v.mu.Unlock()
	if n, ok := v.m[customerID]; ok {
		return n
	}
	return v.floor
}

// bump moves the versions of ids, or every customer's when all is set.
func (v *customerVersions) bump(ids []string, all bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.last++
	if all || v.m == nil || len(v.m)+len(ids) > maxCustomerVersions {
		v.floor, v.m = v.last, make(map[string]uint64)
		return
	}
	for _, id := range ids {
		v.m[id] = v.last
	}
}

// customerChanged moves the customer's version once the transaction
// commits; "" (a record whose owner is unknown) moves every customer's.
func (t *Tx) customerChanged(ids ...string) {
	if t.versions == nil {
		return
	}
	for _, id := range ids {
		if id == "" {
			t.versionsAll = true
		} else {
			t.versionIDs = append(t.versionIDs, id)
		}
	}
	if !t.versionsDirty {
		t.versionsDirty = true
		t.OnCommit(func() { t.versions.bump(t.versionIDs, t.versionsAll) })
	}
}

// cartChanged moves the version of a customer's cart's owner; anonymous
// carts belong to nobody's pages.
func (t *Tx) cartChanged(cartID string) {
	if owner := app.CartOwner(cartID); owner != "" {
		t.customerChanged(owner)
	}
}
