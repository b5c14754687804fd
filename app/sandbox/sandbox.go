// Package sandbox is Vendo's offline stand-in for Stripe (DESIGN.md §2):
// the subset of Stripe's API the shop calls, in Stripe's wire format, the
// hosted Checkout, Billing Portal and invoice pages a customer sees, and
// signed webhook deliveries with retries. The shop talks to it through the
// real stripe-go client pointed at APIBase, so its code path is the one it
// takes with Stripe. A test clock moves sandbox time forward to renew,
// fail or end subscriptions.
//
// Stripe's test cards decide outcomes: 4242 4242 4242 4242 pays,
// 4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has insufficient
// funds, and 4000 0000 0000 0341 pays at Checkout but declines every later
// (off-session) charge, which drives a renewal into past_due, two retries
// (after 3 and 5 more days) and cancellation. 4000 0000 0000 0259 pays and
// is disputed right after; 4000 0000 0000 5126 pays, and a refund of it
// fails an hour (of sandbox time) after it was made. Disputes are ruled on
// from the events page, which can also open one on any charge.
//
// Beside the shuffle knob, holds.go holds deliveries back and releases
// them in a chosen order, so tests can stage any order of events.
//
// Every route is listed in routes.go. Objects are stored as the JSON the
// API answers with, one bbolt bucket per object type; an event and its
// queued deliveries are written in the transaction that caused them.
package sandbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76"
	bolt "go.etcd.io/bbolt"
)

// Config configures a sandbox.
type Config struct {
	// Path is the sandbox's own bbolt file, e.g. data/stripe-sandbox.db.
	Path string
	// BaseURL is the shop's public base URL without a trailing slash; the
	// hosted pages live at BaseURL+"/sandbox/stripe/...".
	BaseURL string
	// WebhookURL receives the events, normally BaseURL+"/webhooks/stripe".
	// Empty: events are recorded but not delivered.
	WebhookURL string
	Logger     *slog.Logger
	// Now is the real clock (default time.Now); sandbox time adds the
	// test clock's offset, kept in the sandbox db.
	Now func() time.Time
	// HTTPClient delivers webhooks (default: a client with a 10 s timeout).
	HTTPClient *http.Client
	// RetryBase is the delay before the first retry of a failed delivery
	// (default 1 s); it doubles each time. Stripe waits hours: the sandbox
	// compresses its schedule so a demo sees retries.
	RetryBase time.Duration
	// MaxAttempts bounds the deliveries of one event (default 8).
	MaxAttempts int
	// DeliverTwice delivers every event twice (tests of idempotent
	// receivers).
	DeliverTwice bool
	// ShuffleWindow, when above 1, shuffles delivery order within windows
	// of that many due events (tests of order-independent receivers).
	ShuffleWindow int
	// NoSync skips fsync on the sandbox's database: for in-process tests,
	// whose data never has to outlive the machine (see server.Options).
	NoSync bool
	// Admin says whether a request comes from one of the shop's admins
	// (the sandbox cannot read the shop's sessions itself). The events
	// page and the test clock are for admins, and for requests made on
	// this machine while the shop is served on a loopback address. Nil:
	// no one is an admin.
	Admin func(c *fiber.Ctx) bool
}

// Sandbox is an offline Stripe. It is safe for concurrent use.
type Sandbox struct {
	cfg    Config
	db     *bolt.DB
	log    *slog.Logger
	secret string // signs deliveries to the shop's own webhook
	apiKey string // the one secret key the API accepts
	// loopbackBase: the shop is served at a loopback URL, so a request
	// from this machine may use the events page and clock (access.go).
	loopbackBase bool
	pages        *template.Template

	clockMu sync.Mutex // one Advance at a time: renewals run in time order

	stallMu sync.Mutex // StallRead's reads to hold back
	stalls  []*stalledRead

	wake    chan struct{}
	stopMu  sync.Mutex
	stop    context.CancelFunc
	workers sync.WaitGroup
}

const (
	metaSecret      = "webhook_secret"
	metaAPIKey      = "api_key"
	metaClockOffset = "clock_offset_ns"
)

// Open opens (or creates) the sandbox db and parses the hosted pages'
// templates, so a broken template fails at start-up.
func Open(cfg Config) (*Sandbox, error) {
	if cfg.Path == "" {
		return nil, errors.New("sandbox: Config.Path is required")
	}
	if cfg.BaseURL == "" {
		return nil, errors.New("sandbox: Config.BaseURL is required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	db, err := openDB(cfg.Path, cfg.NoSync)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{cfg: cfg, db: db, log: cfg.Logger, pages: pages, wake: make(chan struct{}, 1), loopbackBase: isLoopbackURL(cfg.BaseURL)}
	// The webhook secret and the API key are made once and kept in the
	// sandbox db (a 0600 file in the data directory).
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		keep := func(key, prefix string, into *string) error {
			if v := meta.Get([]byte(key)); v != nil {
				*into = string(v)
				return nil
			}
			*into = prefix + randomString(32)
			return meta.Put([]byte(key), []byte(*into))
		}
		if err := keep(metaSecret, "whsec_", &s.secret); err != nil {
			return err
		}
		return keep(metaAPIKey, "sk_test_", &s.apiKey)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sandbox: webhook secret and API key: %w", err)
	}
	return s, nil
}

// APIBase is the URL stripe-go's backend points at (it appends /v1/...).
func (s *Sandbox) APIBase() string { return s.cfg.BaseURL + mountPath }

// WebhookSecret is the per-install signing secret ("whsec_...") the shop
// verifies deliveries with in sandbox mode.
func (s *Sandbox) WebhookSecret() string { return s.secret }

// SecretKey is the per-install API key ("sk_test_..."), the only one the
// API accepts: the shop's own Stripe client uses it, and admins see it on
// the settings page to call the API themselves (curl, a second shop).
func (s *Sandbox) SecretKey() string { return s.apiKey }

// Now is sandbox time: the real clock plus the test clock's offset.
func (s *Sandbox) Now() time.Time {
	return s.cfg.Now().Add(s.offset())
}

func (s *Sandbox) offset() time.Duration {
	var off time.Duration
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(metaClockOffset)); len(v) == 8 {
			off = time.Duration(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return off
}

// Start runs the webhook delivery worker and the minute tick that applies
// what falls due in real time (session expiry, renewals). It returns at
// once; Close stops both.
func (s *Sandbox) Start(ctx context.Context) {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	if s.stop != nil {
		return
	}
	ctx, s.stop = context.WithCancel(ctx)
	s.workers.Add(2)
	go func() {
		defer s.workers.Done()
		s.deliveryLoop(ctx)
	}()
	go func() {
		defer s.workers.Done()
		s.tickLoop(ctx)
	}()
}

// Close stops the workers and closes the db. Queued deliveries stay in
// the db and resume at the next Start.
func (s *Sandbox) Close() error {
	s.stopMu.Lock()
	if s.stop != nil {
		s.stop()
	}
	s.stopMu.Unlock()
	s.workers.Wait()
	return s.db.Close()
}

// update runs fn in one write transaction at sandbox time and wakes the
// delivery worker when it queued events.
func (s *Sandbox) update(req *eventRequest, fn func(t *txn) error) error {
	var queued int
	err := s.db.Update(func(tx *bolt.Tx) error {
		t := &txn{tx: tx, s: s, now: s.nowIn(tx), request: req}
		if err := fn(t); err != nil {
			return err
		}
		queued = t.queued
		return nil
	})
	if err == nil && queued > 0 {
		s.kick()
	}
	return err
}

func (s *Sandbox) view(fn func(t *txn) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return fn(&txn{tx: tx, s: s, now: s.nowIn(tx)})
	})
}

func (s *Sandbox) nowIn(tx *bolt.Tx) time.Time {
	now := s.cfg.Now()
	if v := tx.Bucket(bucketMeta).Get([]byte(metaClockOffset)); len(v) == 8 {
		now = now.Add(time.Duration(binary.BigEndian.Uint64(v)))
	}
	return now
}

func (s *Sandbox) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// apiVersion is the version events are rendered in: stripe-go v76's
// webhook.ConstructEvent refuses any other.
const apiVersion = stripe.APIVersion
