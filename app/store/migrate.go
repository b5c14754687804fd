package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"vendo/app"
)

// Bucket names. One bucket per entity, plus "by" buckets for indexes.
var (
	bMeta           = []byte("meta")
	bSettings       = []byte("settings")
	bProducts       = []byte("products")
	bProductsBySlug = []byte("products_by_slug")
	bPlans          = []byte("plans")
	bPlansBySlug    = []byte("plans_by_slug")
	bPlansByPrice   = []byte("plans_by_stripe_price")
	bFiles          = []byte("files")

	// Accounts (step 3).
	bCustomers         = []byte("customers")
	bCustomersByEmail  = []byte("customers_by_email")
	bCustomersByStripe = []byte("customers_by_stripe")
	bIdentities        = []byte("identities") // provider + ":" + user id → customer id
	bSessions          = []byte("sessions")
	bLoginTokens       = []byte("login_tokens") // sha256(token) → login token record
	bOutbox            = []byte("outbox")
	bRateLimits        = []byte("rate_limits")

	// Webhook ledger (step 4).
	bEvents          = []byte("stripe_events") // event id → ledger record
	bEventsByTime    = []byte("stripe_events_by_received")
	bStripeSnapshots = []byte("stripe_snapshots") // Stripe object id → snapshot time, for order safety

	// Store (step 5).
	bCarts               = []byte("carts")
	bOrders              = []byte("orders")
	bOrdersBySession     = []byte("orders_by_checkout_session")
	bOrdersByPayment     = []byte("orders_by_payment_intent")
	bOrdersByCustomer    = []byte("orders_by_customer") // customer id + "/" + order id → ""
	bOrdersDisputed      = []byte("orders_disputed")    // order id → "" while a dispute is open
	bEntitlements        = []byte("entitlements")
	bEntitlementsByOwner = []byte("entitlements_by_customer") // customer id + "/" + entitlement id → ""
	bDownloads           = []byte("downloads")

	// Subscriptions (step 6).
	bSubscriptions           = []byte("subscriptions")
	bSubscriptionsByStripe   = []byte("subscriptions_by_stripe")
	bSubscriptionsByCustomer = []byte("subscriptions_by_customer")
	bCredits                 = []byte("credit_ledger")
	bLicenses                = []byte("licenses")
	bLicensesByKey           = []byte("licenses_by_key")
	bLicensesByOwner         = []byte("licenses_by_customer") // customer id + "/" + license id → ""
	bInvoices                = []byte("invoices")

	// Admin (step 7).
	bAudit = []byte("audit")

	// Stripe product id → Vendo product id: line items name the Stripe
	// product, which survives price changes (Prices are immutable).
	bProductsByStripe = []byte("products_by_stripe_product")

	// License activations (step 17): instance id → instance, and license
	// id + "/" + instance id → "" to list and count a key's instances.
	bLicenseInstances   = []byte("license_instances")
	bInstancesByLicense = []byte("license_instances_by_license")

	// Discount codes (issue 19): id → discount, code → id.
	bDiscounts       = []byte("discounts")
	bDiscountsByCode = []byte("discounts_by_code")
	bCodeHolds       = []byte("discount_holds") // code + "/" + holder → app.CodeHold

	// Outgoing webhooks (issue 20): endpoints, events (their exact
	// bodies), deliveries (with a nested pending set, as the outbox has),
	// and each object's last event sequence number.
	bHookEndpoints  = []byte("hook_endpoints")
	bHookEvents     = []byte("hook_events")
	bHookDeliveries = []byte("hook_deliveries")
	bHookSequences  = []byte("hook_sequences")
)

var keySchema = []byte("schema_version")

// migration brings the schema from version i to i+1.
type migration func(tx *bolt.Tx) error

// migrations run in order inside one transaction at start-up; add to the
// end, never edit a released one.
var migrations = []migration{
	// 1: the foundation's buckets.
	func(tx *bolt.Tx) error {
		return createBuckets(tx, bSettings, bProducts, bProductsBySlug, bPlans, bPlansBySlug, bPlansByPrice, bFiles)
	},
	// 2: every entity bucket of the later steps, created together so the
	// steps can land in any order.
	func(tx *bolt.Tx) error {
		return createBuckets(tx, bCustomers, bCustomersByEmail, bCustomersByStripe, bIdentities, bSessions, bLoginTokens,
			bOutbox, bRateLimits, bEvents, bEventsByTime, bStripeSnapshots, bCarts, bOrders, bOrdersBySession,
			bOrdersByPayment, bOrdersByCustomer, bEntitlements, bEntitlementsByOwner, bDownloads, bSubscriptions,
			bSubscriptionsByStripe, bSubscriptionsByCustomer, bCredits, bLicenses, bLicensesByKey, bInvoices, bAudit)
	},
	// 3: products by their Stripe product id.
	func(tx *bolt.Tx) error { return createBuckets(tx, bProductsByStripe) },
	// 4: file names stored before PutProduct cleaned them lose their
	// format characters (issue 17, hole 12).
	cleanStoredFileNames,
	// 5: the download limit counts bytes per file (issue 17, hole 3): an
	// entitlement that counted n downloads has n copies of each of its
	// product's files spent.
	downloadsToBytes,
	// 6: the orders with an open dispute (the dashboard's "needs
	// attention", whatever the order's age).
	func(tx *bolt.Tx) error { return createBuckets(tx, bOrdersDisputed) },
	// 7: license activations.
	func(tx *bolt.Tx) error { return createBuckets(tx, bLicenseInstances, bInstancesByLicense) },
	// 8: discount codes.
	func(tx *bolt.Tx) error { return createBuckets(tx, bDiscounts, bDiscountsByCode) },
	// 9: outgoing webhooks.
	func(tx *bolt.Tx) error {
		return createBuckets(tx, bHookEndpoints, bHookEvents, bHookDeliveries, bHookSequences)
	},
	// 10: the dashboard's aggregates (stats.go), counted from the records
	// already there.
	rebuildStats,
	// 11: licenses by customer (fulfilment read them all for each order,
	// inside the webhook's write transaction).
	indexLicensesByOwner,
	// 12: uses of limited discount codes held by open Checkouts.
	func(tx *bolt.Tx) error { return createBuckets(tx, bCodeHolds) },
	// 13: the aggregates again, now with each discount code's uses
	// (counted from the orders and subscriptions already there).
	rebuildStats,
	// 14: the aggregates again, now with the failed webhook deliveries
	// (the dashboard's "needs attention").
	rebuildStats,
}

func indexLicensesByOwner(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists(bLicensesByOwner)
	if err != nil {
		return err
	}
	return tx.Bucket(bLicenses).ForEach(func(k, v []byte) error {
		var l app.License
		if err := decode(v, &l); err != nil {
			return fmt.Errorf("license %s: %w", k, err)
		}
		return idx.Put([]byte(l.CustomerID+"/"+l.ID), nil)
	})
}

func downloadsToBytes(tx *bolt.Tx) error {
	b := tx.Bucket(bEntitlements)
	var changed []app.Entitlement
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		var e app.Entitlement
		if err := decode(v, &e); err != nil {
			return fmt.Errorf("entitlement %s: %w", k, err)
		}
		if e.Downloads == 0 || e.Served != nil {
			return nil
		}
		var p app.Product
		found, err := getRecord(tx.Bucket(bProducts), e.ProductID, &p)
		if err != nil || !found {
			return err
		}
		e.Served = map[string]int64{}
		for _, f := range p.Files {
			e.Served[f.SHA256] = int64(e.Downloads) * f.Size
		}
		changed = append(changed, e)
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range changed {
		if err := putRecord(b, e.ID, &e); err != nil {
			return err
		}
	}
	return nil
}

func cleanStoredFileNames(tx *bolt.Tx) error {
	b := tx.Bucket(bProducts)
	var dirty []app.Product
	err := b.ForEach(func(k, v []byte) error {
		var p app.Product
		if err := decode(v, &p); err != nil {
			return fmt.Errorf("product %s: %w", k, err)
		}
		changed := false
		for i, f := range p.Files {
			if clean := app.CleanFileName(f.Name); clean != f.Name {
				p.Files[i].Name, changed = clean, true
			}
		}
		if changed {
			dirty = append(dirty, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range dirty {
		if err := putRecord(b, p.ID, &p); err != nil {
			return err
		}
	}
	return nil
}

func createBuckets(tx *bolt.Tx, names ...[]byte) error {
	for _, n := range names {
		if _, err := tx.CreateBucketIfNotExists(n); err != nil {
			return fmt.Errorf("create bucket %s: %w", n, err)
		}
	}
	return nil
}

// SchemaVersion is the number of migrations this build knows.
func SchemaVersion() int { return len(migrations) }

func (s *Store) migrate() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var have uint64
		if v := meta.Get(keySchema); len(v) == 8 {
			have = binary.BigEndian.Uint64(v)
		}
		if have > uint64(len(migrations)) {
			return fmt.Errorf("the database was written by a newer Vendo (schema %d, this build knows %d): run the newer version or restore a backup", have, len(migrations))
		}
		for i := have; i < uint64(len(migrations)); i++ {
			if err := migrations[i](tx); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(len(migrations)))
		return meta.Put(keySchema, v[:])
	})
}

// Schema returns the version recorded in the database.
func (s *Store) Schema() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(keySchema); len(v) == 8 {
			n = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return n, err
}
