package store

// Internal tests: they read the index buckets directly, which the exported
// API cannot, to prove no index entry is ever left stale.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"vendo/app"
)

func openInternal(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vendo.db")
	st, err := Open(path, Options{NoSync: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// checkCatalogIndexes walks every catalog index bucket and returns one line
// per problem: an entry pointing at a missing record or at a record whose
// field no longer matches, or a record its index does not lead back to.
// retired lists the Stripe prices a plan has ever had (old prices keep
// pointing at their plan by design).
func checkCatalogIndexes(tx *bolt.Tx, retired map[string]map[string]bool) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	products := map[string]app.Product{}
	tx.Bucket(bProducts).ForEach(func(k, v []byte) error {
		var p app.Product
		if err := decode(v, &p); err != nil {
			bad("product %s: %v", k, err)
		} else if p.ID != string(k) {
			bad("product stored under %s has id %s", k, p.ID)
		}
		products[string(k)] = p
		return nil
	})
	plans := map[string]app.Plan{}
	tx.Bucket(bPlans).ForEach(func(k, v []byte) error {
		var p app.Plan
		if err := decode(v, &p); err != nil {
			bad("plan %s: %v", k, err)
		} else if p.ID != string(k) {
			bad("plan stored under %s has id %s", k, p.ID)
		}
		plans[string(k)] = p
		return nil
	})

	// Every entry points at an existing record whose field matches.
	walk := func(bucket []byte, check func(key, id string)) {
		tx.Bucket(bucket).ForEach(func(k, v []byte) error { check(string(k), string(v)); return nil })
	}
	walk(bProductsBySlug, func(slug, id string) {
		if p, ok := products[id]; !ok {
			bad("products_by_slug %q → %s, which does not exist", slug, id)
		} else if p.Slug != slug {
			bad("products_by_slug %q → %s, whose slug is %q", slug, id, p.Slug)
		}
	})
	walk(bProductsByStripe, func(sp, id string) {
		if p, ok := products[id]; !ok {
			bad("products_by_stripe_product %q → %s, which does not exist", sp, id)
		} else if p.StripeProductID != sp {
			bad("products_by_stripe_product %q → %s, whose Stripe product is %q", sp, id, p.StripeProductID)
		}
	})
	walk(bPlansBySlug, func(slug, id string) {
		if p, ok := plans[id]; !ok {
			bad("plans_by_slug %q → %s, which does not exist", slug, id)
		} else if p.Slug != slug {
			bad("plans_by_slug %q → %s, whose slug is %q", slug, id, p.Slug)
		}
	})
	walk(bPlansByPrice, func(price, v string) {
		id, iv, _ := strings.Cut(v, "|") // plan id | interval of that price
		if p, ok := plans[id]; !ok {
			bad("plans_by_stripe_price %q → %s, which does not exist", price, id)
		} else if p.Monthly.StripePriceID != price && p.Yearly.StripePriceID != price && !retired[id][price] {
			bad("plans_by_stripe_price %q → %s, which never had that price", price, id)
		} else if (p.Monthly.StripePriceID == price && iv != "month") || (p.Yearly.StripePriceID == price && iv != "year") {
			bad("plans_by_stripe_price %q → %s with interval %q, which is not the price's", price, id, iv)
		}
	})

	// Every record is found through each of its indexes.
	get := func(bucket []byte, key string) string { return string(tx.Bucket(bucket).Get([]byte(key))) }
	for id, p := range products {
		if got := get(bProductsBySlug, p.Slug); got != id {
			bad("product %s (slug %q) is not indexed by its slug (index says %q)", id, p.Slug, got)
		}
		if p.StripeProductID != "" {
			if got := get(bProductsByStripe, p.StripeProductID); got != id {
				bad("product %s is not indexed by its Stripe product %q (index says %q)", id, p.StripeProductID, got)
			}
		}
	}
	for id, p := range plans {
		if got := get(bPlansBySlug, p.Slug); got != id {
			bad("plan %s (slug %q) is not indexed by its slug (index says %q)", id, p.Slug, got)
		}
		for _, price := range []string{p.Monthly.StripePriceID, p.Yearly.StripePriceID} {
			if price == "" {
				continue
			}
			if got, _, _ := strings.Cut(get(bPlansByPrice, price), "|"); got != id {
				bad("plan %s is not indexed by its price %q (index says %q)", id, price, got)
			}
		}
	}
	return problems
}

func catalogProblems(t *testing.T, st *Store, retired map[string]map[string]bool) []string {
	t.Helper()
	var problems []string
	if err := st.db.View(func(tx *bolt.Tx) error { problems = checkCatalogIndexes(tx, retired); return nil }); err != nil {
		t.Fatal(err)
	}
	return problems
}

func TestTheIndexCheckFindsStaleEntries(t *testing.T) {
	st, _ := openInternal(t)
	ctx := context.Background()
	p := app.Product{Title: "Guide", Slug: "guide", Price: app.Money{Amount: 500, Currency: "usd"}, StripeProductID: "prod_S"}
	plan := app.Plan{Name: "Pro", Slug: "pro", Monthly: app.PlanPrice{Price: app.Money{Amount: 900, Currency: "usd"}, StripePriceID: "price_m"},
		Yearly: app.PlanPrice{Price: app.Money{Amount: 9000, Currency: "usd"}, StripePriceID: "price_y"}}
	if err := st.Update(ctx, func(tx *Tx) error {
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		return tx.PutPlan(&plan)
	}); err != nil {
		t.Fatal(err)
	}
	if problems := catalogProblems(t, st, nil); len(problems) != 0 {
		t.Fatalf("a clean store has problems: %v", problems)
	}

	// Break each index the way a buggy repository method would.
	err := st.db.Update(func(tx *bolt.Tx) error {
		tx.Bucket(bProductsBySlug).Put([]byte("old-guide"), []byte(p.ID))       // an old slug left behind
		tx.Bucket(bProductsBySlug).Put([]byte("ghost"), []byte("prod_missing")) // a deleted product's slug
		tx.Bucket(bProductsByStripe).Delete([]byte("prod_S"))                   // a missing entry
		tx.Bucket(bPlansByPrice).Put([]byte("price_other"), []byte(plan.ID))    // a price the plan never had
		tx.Bucket(bPlansBySlug).Put([]byte("gone"), []byte("plan_missing"))     // a deleted plan's key
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	problems := catalogProblems(t, st, nil)
	for _, want := range []string{`"old-guide"`, `"ghost"`, `"prod_S"`, `"price_other"`, `"gone"`} {
		found := false
		for _, pr := range problems {
			found = found || strings.Contains(pr, want)
		}
		if !found {
			t.Errorf("the check missed the broken entry %s; it found %v", want, problems)
		}
	}
}

// catalogRun drives random catalog changes against the store, as an admin
// would over months: creates, edits that move slugs, Stripe ids and prices,
// deletes, several changes in one transaction, and transactions that fail
// after writing.
type catalogRun struct {
	rng     *rand.Rand
	retired map[string]map[string]bool // plan id → every price it has had
	pending map[string][]string        // prices given in the current transaction
	counts  map[string]int
}

var (
	runSlugs    = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"}
	runStripe   = []string{"", "", "sp_1", "sp_2", "sp_3", "sp_4"}
	runPrices   = []string{"", "pr_1", "pr_2", "pr_3", "pr_4", "pr_5", "pr_6", "pr_7", "pr_8", "pr_9"}
	errRollBack = errors.New("roll back on purpose")
)

func (r *catalogRun) pick(list []string) string { return list[r.rng.IntN(len(list))] }

func (r *catalogRun) money(cents int64) app.Money { return app.Money{Amount: cents, Currency: "usd"} }

// step makes one random change inside tx and names it.
func (r *catalogRun) step(tx *Tx) (string, error) {
	products, _, err := tx.Products(ProductFilter{})
	if err != nil {
		return "", err
	}
	plans, err := tx.Plans()
	if err != nil {
		return "", err
	}
	switch op := r.rng.IntN(8); {
	case op == 0 || (op <= 2 && len(products) == 0):
		p := app.Product{Title: "P", Slug: r.pick(runSlugs), Price: r.money(500), Active: r.rng.IntN(2) == 0, StripeProductID: r.pick(runStripe)}
		return fmt.Sprintf("create product %s sp=%q", p.Slug, p.StripeProductID), tx.PutProduct(&p)
	case op == 1:
		p := products[r.rng.IntN(len(products))]
		desc := fmt.Sprintf("edit product %s", p.ID)
		if r.rng.IntN(2) == 0 {
			p.Slug = r.pick(runSlugs)
			desc += " slug=" + p.Slug
		}
		if r.rng.IntN(2) == 0 {
			p.StripeProductID = r.pick(runStripe)
			desc += fmt.Sprintf(" sp=%q", p.StripeProductID)
		}
		p.Title = fmt.Sprintf("P%d", r.rng.IntN(100))
		return desc, tx.PutProduct(&p)
	case op == 2:
		p := products[r.rng.IntN(len(products))]
		return "delete product " + p.ID, tx.DeleteProduct(p.ID)
	case op == 3 || (op <= 5 && len(plans) == 0):
		p := app.Plan{Name: "Plan", Slug: r.pick(runSlugs), Position: r.rng.IntN(5),
			Monthly: app.PlanPrice{Price: r.money(900), StripePriceID: r.pick(runPrices)},
			Yearly:  app.PlanPrice{Price: r.money(9000), StripePriceID: r.pick(runPrices)}}
		if p.Monthly.StripePriceID == p.Yearly.StripePriceID {
			p.Yearly.StripePriceID = ""
		}
		err := tx.PutPlan(&p)
		if err == nil {
			r.pending[p.ID] = append(r.pending[p.ID], p.Monthly.StripePriceID, p.Yearly.StripePriceID)
		}
		return fmt.Sprintf("create plan %s m=%q y=%q", p.Slug, p.Monthly.StripePriceID, p.Yearly.StripePriceID), err
	case op == 4:
		p := plans[r.rng.IntN(len(plans))]
		desc := "edit plan " + p.ID
		switch r.rng.IntN(3) {
		case 0:
			p.Slug = r.pick(runSlugs)
			desc += " slug=" + p.Slug
		case 1:
			p.Monthly.StripePriceID = r.pick(runPrices)
			desc += fmt.Sprintf(" m=%q", p.Monthly.StripePriceID)
		case 2:
			p.Yearly.StripePriceID = r.pick(runPrices)
			desc += fmt.Sprintf(" y=%q", p.Yearly.StripePriceID)
		}
		if p.Monthly.StripePriceID == p.Yearly.StripePriceID {
			p.Yearly.StripePriceID = ""
		}
		p.Position = r.rng.IntN(5)
		err := tx.PutPlan(&p)
		if err == nil {
			r.pending[p.ID] = append(r.pending[p.ID], p.Monthly.StripePriceID, p.Yearly.StripePriceID)
		}
		return desc, err
	case op == 5:
		p := plans[r.rng.IntN(len(plans))]
		return "delete plan " + p.ID, tx.DeletePlan(p.ID)
	default:
		// Two or three changes in one transaction, sometimes rolled back.
		var descs []string
		for range 2 + r.rng.IntN(2) {
			d, err := r.step(tx)
			descs = append(descs, d)
			if err != nil {
				return strings.Join(descs, "; "), err
			}
		}
		desc := "together: " + strings.Join(descs, "; ")
		if r.rng.IntN(3) == 0 {
			return desc + " (rolled back)", errRollBack
		}
		return desc, nil
	}
}

func TestIndexesStayConsistentThroughRandomChanges(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			st, _ := openInternal(t)
			ctx := context.Background()
			r := &catalogRun{rng: rand.New(rand.NewPCG(seed, 42)), retired: map[string]map[string]bool{}, counts: map[string]int{}}
			var history []string
			for i := range 400 {
				r.pending = map[string][]string{}
				var desc string
				err := st.Update(ctx, func(tx *Tx) (err error) { desc, err = r.step(tx); return })
				switch {
				case err == nil:
					r.counts["committed"]++
					for id, prices := range r.pending {
						if r.retired[id] == nil {
							r.retired[id] = map[string]bool{}
						}
						for _, pr := range prices {
							r.retired[id][pr] = true
						}
					}
				case errors.Is(err, errRollBack):
					r.counts["rolled back"]++
				case app.ErrorCode(err) == app.ECONFLICT:
					r.counts["conflict"]++
				default:
					t.Fatalf("step %d (%s): %v", i, desc, err)
				}
				history = append(history, fmt.Sprintf("%d: %s → %v", i, desc, err))
				if problems := catalogProblems(t, st, r.retired); len(problems) > 0 {
					tail := history[max(0, len(history)-8):]
					t.Fatalf("after step %d the indexes are stale:\n  %s\nlast steps:\n  %s",
						i, strings.Join(problems, "\n  "), strings.Join(tail, "\n  "))
				}
			}
			// The run exercised every path, or it proves little.
			for _, what := range []string{"committed", "rolled back", "conflict"} {
				if r.counts[what] < 10 {
					t.Errorf("only %d %s transactions: %v", r.counts[what], what, r.counts)
				}
			}
		})
	}
}

func TestIDsStayInOrderPastSixtyFiveThousandInOneMillisecond(t *testing.T) {
	g := &idGen{}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := g.next("", at)
	for i := range 70000 {
		id := g.next("", at)
		if id <= prev {
			t.Fatalf("id %d %q does not sort after %q", i, id, prev)
		}
		prev = id
	}
	// Borrowing the next millisecond does not make a later id sort earlier.
	if later := g.next("", at.Add(time.Millisecond)); later <= prev {
		t.Errorf("an id a millisecond later %q sorts before %q", later, prev)
	}
	// The clock stepping back (NTP) does not break the order either.
	if back := g.next("", at.Add(-time.Hour)); back <= prev {
		t.Errorf("an id after the clock stepped back %q sorts before %q", back, prev)
	}
}

func TestOpenCreatesEveryBucket(t *testing.T) {
	st, _ := openInternal(t)
	want := [][]byte{bMeta, bSettings, bProducts, bProductsBySlug, bPlans, bPlansBySlug, bPlansByPrice, bFiles,
		bCustomers, bCustomersByEmail, bCustomersByStripe, bIdentities, bSessions, bLoginTokens, bOutbox, bRateLimits,
		bEvents, bEventsByTime, bStripeSnapshots, bCarts, bOrders, bOrdersBySession, bOrdersByPayment, bOrdersByCustomer,
		bEntitlements, bEntitlementsByOwner, bDownloads, bSubscriptions, bSubscriptionsByStripe, bSubscriptionsByCustomer,
		bCredits, bLicenses, bLicensesByKey, bInvoices, bAudit, bProductsByStripe, bOrdersDisputed, bLicenseInstances, bInstancesByLicense, bLicensesByOwner}
	st.db.View(func(tx *bolt.Tx) error {
		for _, name := range want {
			if tx.Bucket(name) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
}

func setSchema(t *testing.T, st *Store, v uint64, drop ...[]byte) {
	t.Helper()
	err := st.db.Update(func(tx *bolt.Tx) error {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], v)
		for _, name := range drop {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(keySchema, b[:])
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRunsTheMigrationsThatAreDue(t *testing.T) {
	st, path := openInternal(t)
	// A database left at schema 2, before products were indexed by their
	// Stripe id.
	setSchema(t, st, 2, bProductsByStripe)
	st.Close()

	st, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.Schema(); v != SchemaVersion() {
		t.Errorf("schema = %d, want %d", v, SchemaVersion())
	}
	st.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bProductsByStripe) == nil {
			t.Error("migration 3 did not run")
		}
		return nil
	})
}

func TestOpenRefusesADatabaseFromANewerVendo(t *testing.T) {
	st, path := openInternal(t)
	setSchema(t, st, uint64(SchemaVersion()+1))
	st.Close()

	st, err := Open(path, Options{NoSync: true, LockTimeout: time.Second})
	if err == nil {
		st.Close()
		t.Fatal("opened a database written by a newer Vendo")
	}
	if !strings.Contains(err.Error(), "newer Vendo") {
		t.Errorf("err = %v, want it to say a newer Vendo wrote it", err)
	}
	// The refusal left the file closed: it opens again (and is still refused).
	if _, err := Open(path, Options{NoSync: true, LockTimeout: 200 * time.Millisecond}); errors.Is(err, ErrLocked) {
		t.Error("a refused open kept the file locked")
	}
}

func TestRecordsCarryTheirFormatByte(t *testing.T) {
	data, err := encode(app.Money{Amount: 1, Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	if data[0] != recordV1 {
		t.Errorf("first byte = %d, want %d", data[0], recordV1)
	}
	var m app.Money
	if err := decode(data, &m); err != nil || m.Amount != 1 {
		t.Errorf("decode = %+v, %v", m, err)
	}
	for _, bad := range [][]byte{nil, {}, {2, '{', '}'}, {recordV1, '{'}} {
		if err := decode(bad, &m); err == nil {
			t.Errorf("decode(%q) accepted it", bad)
		}
	}
}
