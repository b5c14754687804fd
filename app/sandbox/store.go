package sandbox

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets. Objects live in one bucket per Stripe object type, keyed by id;
// ids start with a per-type sequence so a cursor walks them in creation
// order (lists are newest first, like Stripe's).
var (
	bucketMeta       = []byte("meta")
	bucketIdem       = []byte("idempotency")
	bucketQueue      = []byte("delivery_queue")
	bucketAttempts   = []byte("delivery_attempts")
	bucketLineItems  = []byte("checkout.session.line_items")
	bucketSeq        = []byte("sequences")
	objectBucketsAll = []string{
		objCustomer, objProduct, objPrice, objSession, objPaymentIntent, objCharge,
		objRefund, objSubscription, objInvoice, objPortalConfig, objPortalSession,
		objEvent, objPaymentMethod, objWebhookEndpoint, objDispute, objCoupon, objPromotionCode, objTaxRate,
	}
)

// Object type names, as in the objects' "object" field.
const (
	objCustomer        = "customer"
	objProduct         = "product"
	objPrice           = "price"
	objSession         = "checkout.session"
	objPaymentIntent   = "payment_intent"
	objCharge          = "charge"
	objRefund          = "refund"
	objSubscription    = "subscription"
	objInvoice         = "invoice"
	objPortalConfig    = "billing_portal.configuration"
	objPortalSession   = "billing_portal.session"
	objEvent           = "event"
	objPaymentMethod   = "payment_method"
	objWebhookEndpoint = "webhook_endpoint"
	objDispute         = "dispute"
	objCoupon          = "coupon"
	objPromotionCode   = "promotion_code"
	objTaxRate         = "tax_rate"
)

// idPrefixes maps an id prefix to the object type it names, so an expand
// path can find any object from its id. Longer prefixes come first.
var idPrefixes = []struct{ prefix, object string }{
	{"cs_test_", objSession},
	{"price_", objPrice},
	{"prod_", objProduct},
	{"cus_", objCustomer},
	{"pi_", objPaymentIntent},
	{"ch_", objCharge},
	{"re_", objRefund},
	{"sub_", objSubscription},
	{"in_", objInvoice},
	{"bpc_", objPortalConfig},
	{"bps_", objPortalSession},
	{"evt_", objEvent},
	{"pm_", objPaymentMethod},
	{"we_", objWebhookEndpoint},
	{"dp_", objDispute},
	{"promo_", objPromotionCode},
	{"co_", objCoupon},
	{"txr_", objTaxRate},
}

func objectTypeOf(id string) string {
	for _, p := range idPrefixes {
		if len(id) > len(p.prefix) && id[:len(p.prefix)] == p.prefix {
			return p.object
		}
	}
	return ""
}

var errNotFound = errors.New("not found")

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID makes an id that sorts by creation within its prefix: a
// fixed-width base62 sequence number, then random characters so ids from
// two sandboxes never collide.
func (t *txn) newID(prefix string) string {
	b := t.tx.Bucket(bucketSeq)
	var n uint64
	if v := b.Get([]byte(prefix)); v != nil {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	if err := b.Put([]byte(prefix), buf[:]); err != nil {
		panic(err) // only fails on a read-only tx: a programming error
	}
	seq := make([]byte, 7)
	for i := len(seq) - 1; i >= 0; i-- {
		seq[i] = alphabet[n%62]
		n /= 62
	}
	return prefix + string(seq) + randomString(10)
}

// newSecretID is an id that is also the only key to a public page (a
// Checkout or portal session): newID plus 22 more random characters, 190
// random bits in all, so no one reaches a page by guessing.
func (t *txn) newSecretID(prefix string) string {
	return t.newID(prefix) + randomString(22)
}

// randomString draws n characters uniformly from the base62 alphabet
// (bytes of 248 and above are redrawn, so no character is likelier).
func randomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+1)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(err)
		}
		for _, c := range buf {
			if c < 248 && len(out) < n {
				out = append(out, alphabet[int(c)%62])
			}
		}
	}
	return string(out)
}

// txn is one bbolt transaction plus what the sandbox's logic needs while
// it runs: the sandbox time, the API request that caused it (events name
// it), and whether events were queued (to wake the delivery worker).
type txn struct {
	tx      *bolt.Tx
	s       *Sandbox
	now     time.Time
	request *eventRequest
	queued  int
}

func (t *txn) get(object, id string, v any) error {
	b := t.tx.Bucket([]byte(object))
	if b == nil {
		return errNotFound
	}
	raw := b.Get([]byte(id))
	if raw == nil {
		return errNotFound
	}
	return json.Unmarshal(raw, v)
}

func (t *txn) raw(object, id string) []byte {
	b := t.tx.Bucket([]byte(object))
	if b == nil {
		return nil
	}
	return b.Get([]byte(id))
}

func (t *txn) put(object, id string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", object, id, err)
	}
	return t.tx.Bucket([]byte(object)).Put([]byte(id), raw)
}

// eachNewest walks a bucket newest first, calling fn with each record's
// raw JSON until fn returns false.
func (t *txn) eachNewest(object string, fn func(id string, raw []byte) bool) {
	c := t.tx.Bucket([]byte(object)).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if !fn(string(k), v) {
			return
		}
	}
}

func (t *txn) meta(key string) []byte {
	return t.tx.Bucket(bucketMeta).Get([]byte(key))
}

func (t *txn) setMeta(key string, v []byte) error {
	return t.tx.Bucket(bucketMeta).Put([]byte(key), v)
}

func openDB(path string, noSync bool) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoSync: noSync})
	if err != nil {
		return nil, fmt.Errorf("open sandbox db %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketIdem, bucketQueue, bucketAttempts, bucketHeld, bucketLineItems, bucketSeq} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		for _, name := range objectBucketsAll {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create sandbox buckets: %w", err)
	}
	return db, nil
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}
