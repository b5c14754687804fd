package store

import (
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"vendo/app"
)

// The admin's lists: newest first, a page at a time, with a cursor (the
// last id of the previous page), never loading a whole bucket to slice it.
// Ids sort by creation time (ids.go), so "newest first" is a reverse walk
// of the primary bucket and a time bound is a seek.

// clockSlack tolerates ids whose millisecond was borrowed by the id
// generator (many ids in one millisecond) when a time bound stops a walk.
const clockSlack = time.Minute

// reverseFrom positions c on the newest key strictly before `before`, or
// on the last key when before is empty.
func reverseFrom(c *bolt.Cursor, before string) (k, v []byte) {
	if before == "" {
		return c.Last()
	}
	k, v = c.Seek([]byte(before))
	if k == nil {
		return c.Last()
	}
	for k != nil && string(k) >= before {
		k, v = c.Prev()
	}
	return k, v
}

// idAt is the smallest id with prefix made at t or later: a seek bound for
// time-ordered buckets.
func idAt(prefix string, t time.Time) string {
	return formatID(prefix, uint64(t.UnixMilli()), 0, 0)
}

// ProductQuery narrows AdminProducts.
type ProductQuery struct {
	Query  string // folded substring of the title or slug
	Status string // "", "active" or "archived"
	Before string // cursor: the last id of the previous page
	Limit  int
}

// AdminProducts lists products newest first, filtered by a fold-insensitive
// substring of title or slug and by status.
func (t *Tx) AdminProducts(f ProductQuery) ([]app.Product, string, error) {
	q := app.Fold(strings.TrimSpace(f.Query))
	return newestFirst(t.tx.Bucket(bProducts), f.Before, f.Limit, func(p *app.Product) bool {
		if (f.Status == "active" && !p.Active) || (f.Status == "archived" && p.Active) {
			return false
		}
		return q == "" || strings.Contains(app.Fold(p.Title), q) || strings.Contains(p.Slug, q)
	}, func(p *app.Product) string { return p.ID })
}

// ProductReferences counts the order lines and the entitlements (active or
// not) that name a product: a product that was ever sold or granted cannot
// be deleted, only archived, or its buyers' orders and libraries would
// point at nothing.
func (t *Tx) ProductReferences(productID string) (orderLines, entitlements int, err error) {
	err = t.tx.Bucket(bOrders).ForEach(func(k, v []byte) error {
		var o struct {
			Lines []struct {
				ProductID string `json:"product_id"`
			} `json:"lines"`
		}
		if err := decode(v, &o); err != nil {
			return fmt.Errorf("order %s: %w", k, err)
		}
		for _, l := range o.Lines {
			if l.ProductID == productID {
				orderLines++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	err = t.tx.Bucket(bEntitlements).ForEach(func(k, v []byte) error {
		var e struct {
			ProductID string `json:"product_id"`
		}
		if err := decode(v, &e); err != nil {
			return fmt.Errorf("entitlement %s: %w", k, err)
		}
		if e.ProductID == productID {
			entitlements++
		}
		return nil
	})
	return orderLines, entitlements, err
}

// AdminOrders lists orders newest first like Orders, but a date range is a
// seek to its end and the walk stops at its start, so a narrow range in a
// long history reads only that range.
func (t *Tx) AdminOrders(f OrderFilter) (out []app.Order, next string, err error) {
	if f.CustomerID != "" {
		return t.Orders(f)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	before := f.Before
	if !f.To.IsZero() {
		if bound := idAt("ord_", f.To.Add(clockSlack)); before == "" || bound < before {
			before = bound
		}
	}
	c := t.tx.Bucket(bOrders).Cursor()
	for k, v := reverseFrom(c, before); k != nil; k, v = c.Prev() {
		var o app.Order
		if err := decode(v, &o); err != nil {
			return nil, "", fmt.Errorf("order %s: %w", k, err)
		}
		if !f.From.IsZero() && o.CreatedAt.Before(f.From.Add(-clockSlack)) {
			break
		}
		if (f.Status != "" && o.Status != f.Status) ||
			(!f.From.IsZero() && o.CreatedAt.Before(f.From)) ||
			(!f.To.IsZero() && !o.CreatedAt.Before(f.To)) {
			continue
		}
		if len(out) == f.Limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, o)
	}
	return out, "", nil
}

// CustomerQuery narrows AdminCustomers.
type CustomerQuery struct {
	Query  string // substring of the email or (folded) name
	Before string
	Limit  int
}

// AdminCustomers lists customers newest first, optionally those whose
// email or name contains the query.
func (t *Tx) AdminCustomers(f CustomerQuery) (out []app.Customer, next string, err error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q := app.Fold(strings.TrimSpace(f.Query))
	c := t.tx.Bucket(bCustomers).Cursor()
	for k, v := reverseFrom(c, f.Before); k != nil; k, v = c.Prev() {
		var cu app.Customer
		if err := decode(v, &cu); err != nil {
			return nil, "", fmt.Errorf("customer %s: %w", k, err)
		}
		if q != "" && !strings.Contains(cu.Email, q) && !strings.Contains(app.Fold(cu.Name), q) {
			continue
		}
		if len(out) == f.Limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, cu)
	}
	return out, "", nil
}

// DownloadQuery narrows DownloadLog.
type DownloadQuery struct {
	CustomerID string
	Before     string
	Limit      int
}

// DownloadLog lists download records newest first, a page at a time.
func (t *Tx) DownloadLog(f DownloadQuery) (out []app.DownloadRecord, next string, err error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	c := t.tx.Bucket(bDownloads).Cursor()
	for k, v := reverseFrom(c, f.Before); k != nil; k, v = c.Prev() {
		var d app.DownloadRecord
		if err := decode(v, &d); err != nil {
			return nil, "", fmt.Errorf("download %s: %w", k, err)
		}
		if f.CustomerID != "" && d.CustomerID != f.CustomerID {
			continue
		}
		if len(out) == f.Limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, d)
	}
	return out, "", nil
}

// OrdersSince calls fn for every order created at or after from, newest
// first, reading only those (the dashboard's last 30 days).
func (t *Tx) OrdersSince(from time.Time, fn func(*app.Order) error) error {
	c := t.tx.Bucket(bOrders).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var o app.Order
		if err := decode(v, &o); err != nil {
			return fmt.Errorf("order %s: %w", k, err)
		}
		if o.CreatedAt.Before(from.Add(-clockSlack)) {
			return nil
		}
		if o.CreatedAt.Before(from) {
			continue
		}
		if err := fn(&o); err != nil {
			return err
		}
	}
	return nil
}

// CountCustomersSince counts customers created at or after from.
func (t *Tx) CountCustomersSince(from time.Time) (int, error) {
	n := 0
	c := t.tx.Bucket(bCustomers).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var cu struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := decode(v, &cu); err != nil {
			return 0, fmt.Errorf("customer %s: %w", k, err)
		}
		if cu.CreatedAt.Before(from.Add(-clockSlack)) {
			break
		}
		if !cu.CreatedAt.Before(from) {
			n++
		}
	}
	return n, nil
}

// ForEachSubscription calls fn for every subscription, oldest first.
func (t *Tx) ForEachSubscription(fn func(*app.Subscription) error) error {
	return t.tx.Bucket(bSubscriptions).ForEach(func(k, v []byte) error {
		var s app.Subscription
		if err := decode(v, &s); err != nil {
			return fmt.Errorf("subscription %s: %w", k, err)
		}
		return fn(&s)
	})
}

// EventsSince calls fn for every ledger record received at or after from,
// newest first, walking the received-time index.
func (t *Tx) EventsSince(from time.Time, fn func(*EventRecord) error) error {
	c := t.tx.Bucket(bEventsByTime).Cursor()
	bound := timeKey(from, "")
	events := t.tx.Bucket(bEvents)
	for k, _ := c.Last(); k != nil && string(k) >= string(bound); k, _ = c.Prev() {
		var e EventRecord
		found, err := getRecord(events, string(k[8:]), &e)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// AuditByAction returns up to limit newest audit entries with the action,
// looking at no more than the newest scan entries.
func (t *Tx) AuditByAction(action string, limit, scan int) ([]app.AuditEntry, error) {
	var out []app.AuditEntry
	c := t.tx.Bucket(bAudit).Cursor()
	seen := 0
	for k, v := c.Last(); k != nil && len(out) < limit && seen < scan; k, v = c.Prev() {
		seen++
		var e app.AuditEntry
		if err := decode(v, &e); err != nil {
			return nil, fmt.Errorf("audit %s: %w", k, err)
		}
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out, nil
}
