package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	bolt "go.etcd.io/bbolt"

	"vendo/app/store"
)

const (
	webhookSenders = 32
	eventType      = "customer.created" // no handler: recorded as "ignored", no API call
	repeatShare    = 0.05               // deliveries that repeat an earlier event
)

// webhookResult is scenario 2 on both sides.
type webhookResult struct {
	newEvents   int64 // distinct events acknowledged
	repeats     int64 // repeated deliveries acknowledged as duplicates
	errors      int64 // non-2xx answers and transport errors
	elapsed     time.Duration
	rate        float64 // distinct events committed per second
	baseRate    float64 // raw bbolt Batch records committed per second
	recordBytes int
	sent        map[string]bool // ids acknowledged (for the ledger check)
	check       ledgerCheck
}

// ledgerCheck is the count after the run: every acknowledged event is in
// the ledger exactly once.
type ledgerCheck struct {
	inLedger, lost, duplicated, unacked int
}

// eventPayload is a Stripe event of a realistic size (~1.3 KB), an object
// Vendo has no handler for.
func eventPayload(id string, n int, created time.Time) []byte {
	obj := map[string]any{
		"id": fmt.Sprintf("cus_bench%08d", n), "object": "customer", "address": nil, "balance": 0,
		"created": created.Unix(), "currency": "usd", "default_source": nil, "delinquent": false,
		"description": "Customer created by the Vendo webhook benchmark", "discount": nil,
		"email": fmt.Sprintf("webhook%08d@bench.example", n), "invoice_prefix": fmt.Sprintf("B%07X", n),
		"invoice_settings": map[string]any{"custom_fields": nil, "default_payment_method": nil, "footer": nil, "rendering_options": nil},
		"livemode":         false, "metadata": map[string]string{"vendo_customer_id": fmt.Sprintf("cust_bench%08d", n), "source": "bench"},
		"name": "Bench Customer", "next_invoice_sequence": 1, "phone": nil, "preferred_locales": []string{"en"},
		"shipping": nil, "tax_exempt": "none", "test_clock": nil,
	}
	ev := map[string]any{
		"id": id, "object": "event", "api_version": "2023-10-16", "created": created.Unix(),
		"data": map[string]any{"object": obj}, "livemode": false, "pending_webhooks": 1,
		"request": map[string]any{"id": fmt.Sprintf("req_bench%08d", n), "idempotency_key": fmt.Sprintf("bench-%08d-%s", n, strings.Repeat("k", 24))},
		"type":    eventType,
	}
	b, _ := json.Marshal(ev)
	return b
}

// recordSize is the size of the ledger record Vendo stores for a payload
// (one format byte and the JSON of store.EventRecord), so the baseline
// writes records of the same size.
func recordSize(id string, payload []byte) int {
	now := time.Now()
	b, _ := json.Marshal(store.EventRecord{ID: id, Type: eventType, ObjectID: "cus_bench00000000", Created: now, ReceivedAt: now,
		ProcessedAt: now, Outcome: store.EventIgnored, Attempts: 1, Source: "webhook", Payload: payload})
	return len(b) + 1
}

// runWebhooks sends signed events from 32 senders for d, about 5% of them
// repeats of an event the sender already delivered.
// Round numbers the ids, so rounds add to one ledger.
func runWebhooks(ctx context.Context, addr, secret string, d time.Duration, round int) (*webhookResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: webhookSenders, MaxConnsPerHost: webhookSenders}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	res := &webhookResult{sent: map[string]bool{}}
	var mu sync.Mutex
	var newEvents, repeats, errs atomic.Int64
	var firstErr atomic.Value
	url := "http://" + addr + "/webhooks/stripe"
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for s := 0; s < webhookSenders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(s), 77))
			var mine []string
			payloads := map[string][]byte{}
			for n := 0; time.Now().Before(end) && ctx.Err() == nil; n++ {
				var id string
				repeat := len(mine) > 0 && rng.Float64() < repeatShare
				if repeat {
					id = mine[rng.IntN(len(mine))]
				} else {
					id = fmt.Sprintf("evt_bench_%d_%02d_%07d", round, s, n)
					payloads[id] = eventPayload(id, s*10_000_000+n, time.Now())
				}
				payload := payloads[id]
				ans, err := deliver(ctx, client, url, secret, payload)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				switch {
				case repeat && ans.Duplicate:
					repeats.Add(1)
				case repeat || ans.Duplicate:
					// A repeat processed twice, or a new event seen as known.
					errs.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("event %s: repeat=%v but duplicate=%v", id, repeat, ans.Duplicate))
				default:
					newEvents.Add(1)
					mine = append(mine, id)
				}
			}
			mu.Lock()
			for _, id := range mine {
				res.sent[id] = true
			}
			mu.Unlock()
		}(s)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.newEvents, res.repeats, res.errors = newEvents.Load(), repeats.Load(), errs.Load()
	res.rate = float64(res.newEvents) / res.elapsed.Seconds()
	id := "evt_bench_0_00_0000000"
	res.recordBytes = recordSize(id, eventPayload(id, 0, time.Now()))
	if v := firstErr.Load(); v != nil {
		return res, fmt.Errorf("webhook deliveries failed (%d), first: %s", res.errors, v)
	}
	return res, nil
}

// answer is the shop's reply to a delivery.
type answer struct {
	Outcome   string `json:"outcome"`
	Duplicate bool   `json:"duplicate"`
}

// deliver posts one event to the shop's webhook, signed afresh as Stripe
// signs every delivery (a retry too), and reads the shop's answer; a
// non-200 answer is an error.
func deliver(ctx context.Context, client *http.Client, url, secret string, payload []byte) (answer, error) {
	var ans answer
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return ans, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", signed.Header)
	resp, err := client.Do(req)
	if err != nil {
		return ans, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &ans) != nil {
		return ans, fmt.Errorf("%s: %s", resp.Status, body)
	}
	return ans, nil
}

// baselineBatch is the webhook baseline: raw bbolt Batch writes of the
// ledger's record size and its time index entry, from 32 goroutines, on a
// temp file with fsync, for d. It returns records committed per second.
func baselineBatch(dir string, recordBytes int, d time.Duration, round int) (float64, error) {
	db, err := bolt.Open(filepath.Join(dir, fmt.Sprintf("baseline-%d.db", round)), 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	events, byTime := []byte("events"), []byte("events_by_time")
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(events); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(byTime)
		return err
	}); err != nil {
		return 0, err
	}
	var done atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for g := 0; g < webhookSenders; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 78))
			for n := 0; time.Now().Before(end); n++ {
				id := []byte(fmt.Sprintf("evt_base_%02d_%07d", g, n))
				rec := make([]byte, recordBytes)
				for i := range rec {
					rec[i] = byte(' ' + rng.IntN(90))
				}
				key := make([]byte, 8+len(id))
				binary.BigEndian.PutUint64(key, uint64(time.Now().UnixNano()))
				copy(key[8:], id)
				err := db.Batch(func(tx *bolt.Tx) error {
					b := tx.Bucket(events)
					if b.Get(id) != nil {
						return nil
					}
					if err := b.Put(id, rec); err != nil {
						return err
					}
					return tx.Bucket(byTime).Put(key, nil)
				})
				if err != nil {
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				done.Add(1)
			}
		}(g)
	}
	wg.Wait()
	if v := firstErr.Load(); v != nil {
		return 0, fmt.Errorf("baseline batch: %s", v)
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// checkLedger opens the stopped shop's database and counts the benchmark's
// events: each acknowledged one exactly once, with one attempt.
func checkLedger(ctx context.Context, dbPath string, sent map[string]bool) (ledgerCheck, error) {
	var c ledgerCheck
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		return c, err
	}
	defer st.Close()
	seen := map[string]int{}
	err = st.View(ctx, func(tx *store.Tx) error {
		evs, _, err := tx.Events(store.EventFilter{Limit: 1 << 30})
		if err != nil {
			return err
		}
		for _, e := range evs {
			if !strings.HasPrefix(e.ID, "evt_bench_") {
				continue
			}
			seen[e.ID]++
			if e.Attempts != 1 || e.Outcome != store.EventIgnored {
				c.duplicated++ // processed more than once, or not as expected
			}
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	for id, n := range seen {
		c.inLedger++
		if n > 1 {
			c.duplicated += n - 1
		}
		if !sent[id] {
			c.unacked++ // recorded although its answer was lost: not an error
		}
	}
	for id := range sent {
		if seen[id] == 0 {
			c.lost++
		}
	}
	return c, nil
}
