package shop

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"vendo/app/stripeapi"
)

// The account page lists a customer's invoices from Stripe (Invoices): a
// network call on every view made the page as slow as Stripe, and a
// Stripe outage made every view wait out the client's retries (issue 21).
// The list is kept per customer and reused until something may have
// changed it: any Stripe event received (BillingChanged, which the
// webhook route calls whatever the event, and a customer's start of a
// Checkout, a subscription or the Billing Portal), or at the latest
// invoiceTTL later (an invoice change whose event the endpoint does not
// subscribe to). A failed list is kept for a few seconds, so an outage
// answers at once with the page's sentence instead of a wait per view.
const (
	invoiceTTL       = time.Minute
	invoiceFailedTTL = 10 * time.Second
	maxInvoiceLists  = 10000 // customers remembered; past it, start over
)

type invoiceCache struct {
	gen     atomic.Uint64 // bumped by BillingChanged()
	lists   atomic.Uint64 // the last invoiceList.seq handed out
	mu      sync.Mutex
	entries map[string]*invoiceList // by customer id
}

// invoiceList is one customer's list, or its fetch while done is open:
// views that miss at the same time wait for one call.
type invoiceList struct {
	seq        uint64 // unique per list (InvoicesKept)
	gen        uint64
	done       chan struct{} // closed once list and err are set
	expires    time.Time
	list       []stripeapi.Invoice
	err        error
	refreshing bool // an expired list is being fetched again (under mu)
}

// BillingChanged drops every kept invoice list: a Stripe event arrived,
// or a customer is on their way to Checkout or the Billing Portal. (Every
// customer's, not one's: a list being fetched meanwhile is then kept as
// stale, whoever it is for.)
func (s *Shop) BillingChanged() { s.invoices.gen.Add(1) }

// Invoices lists the customer's invoices from Stripe, newest first. A
// list kept from an earlier view is reused while nothing changed it; past
// its time it is still shown once more while it is fetched again in the
// background, so only a change (or a first view) waits for Stripe.
func (s *Shop) Invoices(ctx context.Context, customerID string) ([]stripeapi.Invoice, error) {
	c := &s.invoices
	// The generation is read before Stripe is: an event arriving during
	// the call leaves the list kept under the older one, so it is stale.
	gen := c.gen.Load()
	c.mu.Lock()
	if e := c.entries[customerID]; e != nil && e.gen == gen {
		select {
		case <-e.done:
			s.refreshExpired(ctx, customerID, e)
			c.mu.Unlock()
			return e.list, e.err
		default: // another view is fetching it
			c.mu.Unlock()
			select {
			case <-e.done:
				return e.list, e.err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	e := &invoiceList{seq: c.lists.Add(1), gen: gen, done: make(chan struct{})}
	if c.entries == nil || len(c.entries) >= maxInvoiceLists {
		c.entries = map[string]*invoiceList{}
	}
	c.entries[customerID] = e
	c.mu.Unlock()
	s.fill(context.WithoutCancel(ctx), customerID, e)
	return e.list, e.err
}

// InvoicesKept names the list Invoices would answer for the customer now
// without waiting for Stripe: a page showing it may be kept while the
// name stays. Past its time the list is fetched again in the background,
// as Invoices does, and named until the new one replaces it. 0 when there
// is none (never listed, a Stripe event since, or being fetched).
func (s *Shop) InvoicesKept(ctx context.Context, customerID string) uint64 {
	c := &s.invoices
	gen := c.gen.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[customerID]
	if e == nil || e.gen != gen {
		return 0
	}
	select {
	case <-e.done:
		s.refreshExpired(ctx, customerID, e)
		return e.seq
	default:
		return 0
	}
}

// refreshExpired starts fetching e, a kept list, again once past its time
// (once: under the cache's lock).
func (s *Shop) refreshExpired(ctx context.Context, customerID string, e *invoiceList) {
	if time.Now().After(e.expires) && !e.refreshing {
		e.refreshing = true
		go s.fetchInvoices(context.WithoutCancel(ctx), customerID, e.gen, e)
	}
}

// fetchInvoices replaces old, an expired list, with a new one.
func (s *Shop) fetchInvoices(ctx context.Context, customerID string, gen uint64, old *invoiceList) {
	e := &invoiceList{seq: s.invoices.lists.Add(1), gen: gen, done: make(chan struct{})}
	s.fill(ctx, customerID, e)
	c := &s.invoices
	c.mu.Lock()
	if c.entries[customerID] == old {
		c.entries[customerID] = e
	}
	c.mu.Unlock()
}

// fill asks Stripe for the list (on a context no visitor's departure
// cancels: others may wait for it) and closes e.done.
func (s *Shop) fill(ctx context.Context, customerID string, e *invoiceList) {
	defer close(e.done)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ttl := invoiceTTL
	defer func() {
		if e.err != nil {
			ttl = invoiceFailedTTL
		}
		e.expires = time.Now().Add(ttl)
	}()
	cust, err := s.Store.Customer(ctx, customerID)
	if err != nil || cust.StripeCustomerID == "" {
		e.err = err
		return
	}
	e.list, e.err = s.Stripe.ListInvoices(ctx, cust.StripeCustomerID, 24)
}
