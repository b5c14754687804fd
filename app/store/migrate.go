package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
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
