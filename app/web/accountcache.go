package web

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"vendo/app"
)

// The account page (issue 21) rendered per view read and decoded every
// record the customer has and ran the largest template of the shop: 30
// times the cost of a cached page. It is kept per customer instead, under
// a key naming everything it was rendered from, each read before the
// render so a change made meanwhile leaves the kept page stale, never a
// stale page current:
//
//   - the customer's version (store.CustomerVersion), which moves after
//     every commit writing their orders, entitlements, licenses and
//     activations, subscriptions, credits, cart or record: a refund, a
//     revocation or a download is seen on the next view;
//   - the catalog's versions (a product's title, a plan, the settings);
//   - the invoice list shown (shop.InvoicesKept): none kept yet or a
//     Stripe event since, and the page is rendered without being kept
//     (which fetches the list); past the list's time it is fetched again
//     in the background and the page follows when it lands;
//   - the address (a flash after an action) and what the header shows of
//     the customer.
//
// The page is kept at most until shop.AccountView.Until: its download
// links keep nine tenths of their life and nothing on it turns by the
// clock before. The CSRF token is spliced in per view, as on cached
// pages. Nothing is written to the database by a view.
type accountCache struct {
	mu      sync.Mutex
	entries map[string]*accountPage // by customer id: their last page
	// placeholder stands for the customer's token in kept bytes.
	placeholder []byte
}

type accountPage struct {
	key   string
	until time.Time
	page  *cachedPage
}

// maxAccountPages bounds the customers whose page is kept; past it, start
// over.
const maxAccountPages = 4096

func newAccountCache() *accountCache {
	return &accountCache{entries: map[string]*accountPage{}, placeholder: newPlaceholder()}
}

// get returns the customer's page kept under key, if it still holds at now.
func (a *accountCache) get(customerID, key string, now time.Time) *cachedPage {
	a.mu.Lock()
	e := a.entries[customerID]
	a.mu.Unlock()
	if e == nil || e.key != key || !now.Before(e.until) {
		return nil
	}
	return e.page
}

func (a *accountCache) put(customerID, key string, until time.Time, page *cachedPage) {
	a.mu.Lock()
	if len(a.entries) >= maxAccountPages {
		a.entries = make(map[string]*accountPage, maxAccountPages)
	}
	a.entries[customerID] = &accountPage{key: key, until: until, page: page}
	a.mu.Unlock()
}

// accountKey names what the customer's account page at this request is
// rendered from; ok is false when it must not be kept (no invoice list
// to show without asking Stripe).
func (s *Server) accountKey(ctx context.Context, customerID string, cust *app.Customer, uri string, htmx bool) (key string, ok bool) {
	invoices := s.shop.InvoicesKept(ctx, customerID)
	if invoices == 0 {
		return "", false
	}
	var k strings.Builder
	k.WriteString(uri)
	k.WriteString("\x00")
	k.WriteString(strconv.FormatBool(htmx))
	for _, n := range []uint64{s.store.CustomerVersion(customerID), s.signedPages.version.Load(), s.signedPages.lists.Load(), invoices} {
		k.WriteByte(' ')
		k.WriteString(strconv.FormatUint(n, 10))
	}
	// What the page and the header show of the record the session
	// middleware read (before the version above).
	k.WriteString("\x00")
	k.WriteString(cust.Email)
	k.WriteString("\x00")
	k.WriteString(cust.DisplayName())
	k.WriteString("\x00")
	k.WriteString(cust.CreatedAt.String())
	k.WriteString("\x00")
	k.WriteString(strconv.FormatBool(s.auth.IsAdmin(cust)))
	return k.String(), true
}
