package store

import (
	"encoding/binary"
	"fmt"
	"maps"
	"time"

	bolt "go.etcd.io/bbolt"

	"vendo/app"
)

// The dashboard's figures are aggregates kept in the same transaction as
// the records they count, so the dashboard reads a month of them instead
// of every order, invoice, subscription and event.
//
// Sales and counts are kept per quarter hour (UTC), not per day: the day
// is the viewer's (the dashboard's clock and time zone), which the store
// does not know, and every time zone's midnight falls on a quarter hour.
// A month is at most 2,880 small records, however busy the shop.
//
// Each Put computes what the old and the new record count for and applies
// the difference, so the aggregates equal a recount whatever the order of
// the writes; RecountStats is that recount, run by the migration that
// introduced them and by the tests that compare.

// StatSpan is the length of one aggregate bucket.
const StatSpan = 15 * time.Minute

// Bucket of aggregates: "q" + 8-byte quarter-hour number → StatBucket, and
// "subscriptions" → SubscriptionStats.
var (
	bStats           = []byte("stats")
	keySubscriptions = []byte("subscriptions")
)

// StatBucket is what happened in one quarter hour.
type StatBucket struct {
	Orders       int `json:"orders,omitempty"`        // orders created
	FailedOrders int `json:"failed_orders,omitempty"` // of those, whose payment failed
	// Sales are paid orders (net of refunds, on the day paid) and paid
	// subscription invoices, by currency.
	Sales        map[string]Sales `json:"sales,omitempty"`
	NewCustomers int              `json:"new_customers,omitempty"`
	FailedEvents int              `json:"failed_events,omitempty"` // ledger records failed, by time received
	// FailedHooks is the outgoing webhook deliveries that failed (no 2xx
	// in three days) and were not resent since, by when they failed.
	FailedHooks int `json:"failed_hooks,omitempty"`
}

// Sales is one currency's sales in a bucket.
type Sales struct {
	Net      int64 `json:"net,omitempty"` // minor units
	Orders   int   `json:"orders,omitempty"`
	Invoices int   `json:"invoices,omitempty"`
}

// SubscriptionStats counts the subscriptions by state.
type SubscriptionStats struct {
	// Active counts the paying subscriptions (active or past due, not
	// trialing) by plan id and interval.
	Active  map[string]map[app.Interval]int `json:"active,omitempty"`
	PastDue int                             `json:"past_due,omitempty"`
}

// CodeUses is what a discount code was used for: the orders that give
// access (not failed), the subscriptions started with it, and, by
// currency, the orders' revenue (net of refunds) and what it took off.
// Kept under "c" + code, so a code's limit is checked without reading
// every order.
type CodeUses struct {
	Orders        int              `json:"orders,omitempty"`
	Subscriptions int              `json:"subscriptions,omitempty"`
	Revenue       map[string]int64 `json:"revenue,omitempty"`
	Off           map[string]int64 `json:"off,omitempty"`
}

func (u *CodeUses) add(d *CodeUses) {
	u.Orders += d.Orders
	u.Subscriptions += d.Subscriptions
	addAmounts(&u.Revenue, d.Revenue)
	addAmounts(&u.Off, d.Off)
}

func addAmounts(m *map[string]int64, d map[string]int64) {
	for cur, n := range d {
		if *m == nil {
			*m = map[string]int64{}
		}
		(*m)[cur] += n
		if (*m)[cur] == 0 {
			delete(*m, cur)
		}
	}
	if len(*m) == 0 {
		*m = nil
	}
}

func (u *CodeUses) zero() bool {
	return u.Orders == 0 && u.Subscriptions == 0 && len(u.Revenue) == 0 && len(u.Off) == 0
}

func codeKey(code string) []byte { return []byte("c" + code) }

// Stats is every aggregate: the buckets by their start, the subscription
// counts, and the discount codes' uses.
type Stats struct {
	Buckets       map[time.Time]StatBucket
	Subscriptions SubscriptionStats
	Codes         map[string]CodeUses
}

// statDelta is what one record counts for (sign +1) or no longer counts
// for (sign -1).
type statDelta struct {
	buckets map[int64]*StatBucket // by quarter-hour number
	subs    SubscriptionStats
	subsSet bool
	codes   map[string]*CodeUses
}

func (d *statDelta) code(code string) *CodeUses {
	if d.codes == nil {
		d.codes = map[string]*CodeUses{}
	}
	u := d.codes[code]
	if u == nil {
		u = &CodeUses{}
		d.codes[code] = u
	}
	return u
}

func quarter(at time.Time) int64 { return at.Unix() / int64(StatSpan/time.Second) }

func (d *statDelta) bucket(at time.Time) *StatBucket {
	if d.buckets == nil {
		d.buckets = map[int64]*StatBucket{}
	}
	q := quarter(at)
	b := d.buckets[q]
	if b == nil {
		b = &StatBucket{}
		d.buckets[q] = b
	}
	return b
}

func (d *statDelta) order(o *app.Order, sign int) {
	if o == nil {
		return
	}
	if o.DiscountCode != "" && o.PaymentStatus != app.PaymentFailed {
		u := d.code(o.DiscountCode)
		u.Orders += sign
		cur := o.Total.Currency
		addAmounts(&u.Revenue, map[string]int64{cur: int64(sign) * (o.Total.Amount - o.AmountRefunded)})
		addAmounts(&u.Off, map[string]int64{cur: int64(sign) * o.Discount.Amount})
	}
	b := d.bucket(o.CreatedAt)
	b.Orders += sign
	switch o.Status {
	case app.OrderFailed:
		b.FailedOrders += sign
		return
	case app.OrderPaid, app.OrderPartiallyRefunded, app.OrderRefunded:
	default:
		return
	}
	at := o.PaidAt
	if at.IsZero() {
		at = o.CreatedAt
	}
	d.sale(at, o.Total.Currency, int64(sign)*(o.Total.Amount-o.AmountRefunded), sign, 0)
}

func (d *statDelta) invoice(in *app.Invoice, sign int) {
	if in == nil || in.PaidAt.IsZero() || in.AmountPaid.Amount <= 0 {
		return
	}
	d.sale(in.PaidAt, in.AmountPaid.Currency, int64(sign)*in.AmountPaid.Amount, 0, sign)
}

func (d *statDelta) sale(at time.Time, currency string, net int64, orders, invoices int) {
	b := d.bucket(at)
	if b.Sales == nil {
		b.Sales = map[string]Sales{}
	}
	s := b.Sales[currency]
	s.Net += net
	s.Orders += orders
	s.Invoices += invoices
	b.Sales[currency] = s
}

func (d *statDelta) customer(c *app.Customer, sign int) {
	if c != nil {
		d.bucket(c.CreatedAt).NewCustomers += sign
	}
}

func (d *statDelta) event(e *EventRecord, sign int) {
	if e != nil && e.Outcome == EventFailed {
		d.bucket(e.ReceivedAt).FailedEvents += sign
	}
}

func (d *statDelta) hookDelivery(h *app.HookDelivery, sign int) {
	if h != nil && h.Status == app.HookFailed {
		d.bucket(h.FailedTime()).FailedHooks += sign
	}
}

func (d *statDelta) subscription(s *app.Subscription, sign int) {
	if s == nil {
		return
	}
	if s.DiscountCode != "" {
		d.code(s.DiscountCode).Subscriptions += sign
	}
	d.subsSet = true
	if s.Status == "past_due" {
		d.subs.PastDue += sign
	}
	if s.Terminated || !app.ActiveStatus(s.Status) || s.Status == "trialing" {
		return
	}
	if d.subs.Active == nil {
		d.subs.Active = map[string]map[app.Interval]int{}
	}
	if d.subs.Active[s.PlanID] == nil {
		d.subs.Active[s.PlanID] = map[app.Interval]int{}
	}
	d.subs.Active[s.PlanID][s.Interval] += sign
}

// apply adds the delta to the stored aggregates. Buckets and counts that
// come to zero are deleted, so a recount (which stores no zeros) and the
// kept aggregates are equal record for record.
func (d *statDelta) apply(tx *bolt.Tx) error {
	b := tx.Bucket(bStats)
	for code, delta := range d.codes {
		if err := addRecord(b, codeKey(code), delta); err != nil {
			return err
		}
	}
	for q, delta := range d.buckets {
		if err := addRecord(b, bucketKey(q), delta); err != nil {
			return err
		}
	}
	if !d.subsSet {
		return nil
	}
	var cur SubscriptionStats
	if _, err := getRecord(b, string(keySubscriptions), &cur); err != nil {
		return err
	}
	cur.PastDue += d.subs.PastDue
	for plan, ivs := range d.subs.Active {
		for iv, n := range ivs {
			if cur.Active == nil {
				cur.Active = map[string]map[app.Interval]int{}
			}
			if cur.Active[plan] == nil {
				cur.Active[plan] = map[app.Interval]int{}
			}
			cur.Active[plan][iv] += n
			if cur.Active[plan][iv] == 0 {
				delete(cur.Active[plan], iv)
			}
			if len(cur.Active[plan]) == 0 {
				delete(cur.Active, plan)
			}
		}
	}
	return putRecord(b, string(keySubscriptions), &cur)
}

// addRecord adds delta to the aggregate stored at key, deleting it when
// it comes to zero.
func addRecord[T any, P interface {
	*T
	add(*T)
	zero() bool
}](b *bolt.Bucket, key []byte, delta P) error {
	var cur T
	if _, err := getRecord(b, string(key), &cur); err != nil {
		return err
	}
	P(&cur).add(delta)
	if P(&cur).zero() {
		return b.Delete(key)
	}
	return putRecord(b, string(key), &cur)
}

func bucketKey(q int64) []byte {
	key := make([]byte, 9)
	key[0] = 'q'
	binary.BigEndian.PutUint64(key[1:], uint64(q))
	return key
}

func (s *StatBucket) add(d *StatBucket) {
	s.Orders += d.Orders
	s.FailedOrders += d.FailedOrders
	s.NewCustomers += d.NewCustomers
	s.FailedEvents += d.FailedEvents
	s.FailedHooks += d.FailedHooks
	for cur, ds := range d.Sales {
		if s.Sales == nil {
			s.Sales = map[string]Sales{}
		}
		v := s.Sales[cur]
		v.Net += ds.Net
		v.Orders += ds.Orders
		v.Invoices += ds.Invoices
		if v == (Sales{}) {
			delete(s.Sales, cur)
		} else {
			s.Sales[cur] = v
		}
	}
	if len(s.Sales) == 0 {
		s.Sales = nil
	}
}

func (s *StatBucket) zero() bool {
	return s.Orders == 0 && s.FailedOrders == 0 && s.NewCustomers == 0 && s.FailedEvents == 0 && s.FailedHooks == 0 && len(s.Sales) == 0
}

// recordChange applies what replacing old with new (either may be nil)
// changes in the aggregates, through count (one of the statDelta methods).
//
// The change joins the transaction's pending delta, written once when fn
// returns (or before the transaction reads the aggregates): a transaction
// that writes many records (a sync, an import) decoded and re-encoded the
// same quarter-hour's aggregate once per record — a third of the cost of
// putting an order.
func recordChange[T any](t *Tx, count func(*statDelta, *T, int), old, new *T) error {
	count(&t.stats, old, -1)
	count(&t.stats, new, +1)
	t.statsPending = true
	return nil
}

// flushStats writes the transaction's pending aggregate changes.
func (t *Tx) flushStats() error {
	if !t.statsPending {
		return nil
	}
	d := t.stats
	t.stats, t.statsPending = statDelta{}, false
	return d.apply(t.tx)
}

// StatsSince returns the aggregate buckets starting at or after from, by
// their start, and the subscription counts.
func (t *Tx) StatsSince(from time.Time) (Stats, error) {
	out := Stats{Buckets: map[time.Time]StatBucket{}}
	if err := t.flushStats(); err != nil {
		return out, err
	}
	if from.Unix() < 0 {
		from = time.Unix(0, 0) // the zero time: every bucket
	}
	b := t.tx.Bucket(bStats)
	c := b.Cursor()
	for k, v := c.Seek(bucketKey(quarter(from))); k != nil && k[0] == 'q'; k, v = c.Next() {
		var sb StatBucket
		if err := decode(v, &sb); err != nil {
			return out, fmt.Errorf("stats %x: %w", k, err)
		}
		q := int64(binary.BigEndian.Uint64(k[1:]))
		out.Buckets[time.Unix(q*int64(StatSpan/time.Second), 0).UTC()] = sb
	}
	if _, err := getRecord(b, string(keySubscriptions), &out.Subscriptions); err != nil {
		return out, err
	}
	var err error
	out.Codes, err = t.CodeUses()
	return out, err
}

// RecountStats computes every aggregate from the records, as the kept
// ones should be.
func (t *Tx) RecountStats() (Stats, error) {
	d, err := recount(t.tx)
	if err != nil {
		return Stats{}, err
	}
	out := Stats{Buckets: map[time.Time]StatBucket{}, Subscriptions: d.subs, Codes: map[string]CodeUses{}}
	for code, u := range d.codes {
		var tidy CodeUses
		tidy.add(u) // drops zero amounts, as apply does
		if !tidy.zero() {
			out.Codes[code] = tidy
		}
	}
	for q, sb := range d.buckets {
		sb.add(&StatBucket{}) // drops zero sales, as apply does
		if !sb.zero() {
			out.Buckets[time.Unix(q*int64(StatSpan/time.Second), 0).UTC()] = *sb
		}
	}
	var tidy statDelta // drop zero counts, as apply does
	tidy.subs.PastDue = d.subs.PastDue
	for plan, ivs := range d.subs.Active {
		for iv, n := range ivs {
			if n != 0 {
				if tidy.subs.Active == nil {
					tidy.subs.Active = map[string]map[app.Interval]int{}
				}
				if tidy.subs.Active[plan] == nil {
					tidy.subs.Active[plan] = map[app.Interval]int{}
				}
				tidy.subs.Active[plan][iv] = n
			}
		}
	}
	out.Subscriptions = tidy.subs
	return out, nil
}

// Equal reports whether two sets of aggregates are the same.
func (s Stats) Equal(o Stats) bool {
	if !maps.EqualFunc(s.Buckets, o.Buckets, func(a, b StatBucket) bool {
		return a.Orders == b.Orders && a.FailedOrders == b.FailedOrders && a.NewCustomers == b.NewCustomers &&
			a.FailedEvents == b.FailedEvents && a.FailedHooks == b.FailedHooks && maps.Equal(a.Sales, b.Sales)
	}) {
		return false
	}
	return s.Subscriptions.PastDue == o.Subscriptions.PastDue &&
		maps.EqualFunc(s.Subscriptions.Active, o.Subscriptions.Active, maps.Equal) &&
		maps.EqualFunc(s.Codes, o.Codes, func(a, b CodeUses) bool {
			return a.Orders == b.Orders && a.Subscriptions == b.Subscriptions && maps.Equal(a.Revenue, b.Revenue) && maps.Equal(a.Off, b.Off)
		})
}

// CodeUses returns every discount code's uses, by code.
func (t *Tx) CodeUses() (map[string]CodeUses, error) {
	out := map[string]CodeUses{}
	if err := t.flushStats(); err != nil {
		return out, err
	}
	c := t.tx.Bucket(bStats).Cursor()
	for k, v := c.Seek([]byte("c")); k != nil && k[0] == 'c'; k, v = c.Next() {
		var u CodeUses
		if err := decode(v, &u); err != nil {
			return out, fmt.Errorf("stats %s: %w", k, err)
		}
		out[string(k[1:])] = u
	}
	return out, nil
}

// CodeUsesOf returns one discount code's uses.
func (t *Tx) CodeUsesOf(code string) (CodeUses, error) {
	var u CodeUses
	if err := t.flushStats(); err != nil {
		return u, err
	}
	_, err := getRecord(t.tx.Bucket(bStats), string(codeKey(app.NormalizeCode(code))), &u)
	return u, err
}

// recount counts every record into one delta.
func recount(tx *bolt.Tx) (*statDelta, error) {
	d := &statDelta{subsSet: true}
	each := func(bucket []byte, fn func(v []byte) error) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			if v == nil {
				return nil // a nested bucket
			}
			if err := fn(v); err != nil {
				return fmt.Errorf("%s %s: %w", bucket, k, err)
			}
			return nil
		})
	}
	err := each(bOrders, func(v []byte) error {
		var o app.Order
		err := decode(v, &o)
		d.order(&o, 1)
		return err
	})
	if err == nil {
		err = each(bInvoices, func(v []byte) error {
			var in app.Invoice
			err := decode(v, &in)
			d.invoice(&in, 1)
			return err
		})
	}
	if err == nil {
		err = each(bCustomers, func(v []byte) error {
			var c app.Customer
			err := decode(v, &c)
			d.customer(&c, 1)
			return err
		})
	}
	if err == nil {
		err = each(bEvents, func(v []byte) error {
			var e struct {
				Outcome    string    `json:"outcome"`
				ReceivedAt time.Time `json:"received_at"`
			}
			err := decode(v, &e)
			d.event(&EventRecord{Outcome: e.Outcome, ReceivedAt: e.ReceivedAt}, 1)
			return err
		})
	}
	if err == nil {
		err = each(bHookDeliveries, func(v []byte) error {
			var h app.HookDelivery
			err := decode(v, &h)
			d.hookDelivery(&h, 1)
			return err
		})
	}
	if err == nil {
		err = each(bSubscriptions, func(v []byte) error {
			var s app.Subscription
			err := decode(v, &s)
			d.subscription(&s, 1)
			return err
		})
	}
	return d, err
}

// rebuildStats replaces the aggregates with a recount (the migration that
// introduced them; RebuildStats).
func rebuildStats(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bStats); err != nil && tx.Bucket(bStats) != nil {
		return err
	}
	if _, err := tx.CreateBucket(bStats); err != nil {
		return err
	}
	d, err := recount(tx)
	if err != nil {
		return err
	}
	return d.apply(tx)
}

// RebuildStats recounts the dashboard's aggregates from the records, for
// an operator who suspects them (they are kept in step with every write,
// and recounted once when a shop upgrades to them).
func (t *Tx) RebuildStats() error {
	t.stats, t.statsPending = statDelta{}, false // the recount counts them
	return rebuildStats(t.tx)
}
