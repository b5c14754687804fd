package sandbox

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	bolt "go.etcd.io/bbolt"
)

// delivery is one queued webhook POST. The queue is a bbolt bucket keyed
// by due time then sequence, so the worker reads it in due order and a
// restart resumes where it stopped.
type delivery struct {
	EventID  string `json:"event_id"`
	Endpoint string `json:"endpoint,omitempty"` // a webhook endpoint's id; empty for the shop's own
	Copy     int    `json:"copy"`               // 1, or 2 with DeliverTwice
	Attempt  int    `json:"attempt"`            // attempts already made
}

// attempt is one recorded delivery attempt, shown on the events page.
type attempt struct {
	Endpoint   string    `json:"endpoint,omitempty"`
	URL        string    `json:"url"`
	Copy       int       `json:"copy"`
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	Status     int       `json:"status"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

func (t *txn) enqueue(d delivery, due time.Time) error {
	b := t.tx.Bucket(bucketQueue)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	t.queued++
	return b.Put(append(u64(uint64(due.UnixNano())), u64(seq)...), raw)
}

func (t *txn) attempts(eventID string) []attempt {
	var out []attempt
	if raw := t.tx.Bucket(bucketAttempts).Get([]byte(eventID)); raw != nil {
		_ = json.Unmarshal(raw, &out)
	}
	return out
}

type queued struct {
	key []byte
	d   delivery
}

// dueDeliveries returns up to n deliveries due at real time now, and when
// the next one falls due otherwise.
func (s *Sandbox) dueDeliveries(now time.Time, n int) (batch []queued, next time.Time, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			due := time.Unix(0, int64(beUint64(k[:8])))
			if due.After(now) {
				next = due
				return nil
			}
			var d delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			batch = append(batch, queued{key: append([]byte(nil), k...), d: d})
			if len(batch) == n {
				return nil
			}
		}
		return nil
	})
	return batch, next, err
}

// Queued counts the deliveries still to send (due, in flight or waiting
// to retry): zero once every event so far has been answered by its
// endpoints or given up, which lets a test wait for a quiet shop.
func (s *Sandbox) Queued() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketQueue).Stats().KeyN
		return nil
	})
	return n, err
}

func (s *Sandbox) deliveryLoop(ctx context.Context) {
	window := max(s.cfg.ShuffleWindow, 1)
	for ctx.Err() == nil {
		batch, next, err := s.dueDeliveries(s.cfg.Now(), window)
		if err != nil {
			s.log.Error("read delivery queue", "err", err)
			next = s.cfg.Now().Add(time.Second)
		}
		if len(batch) == 0 {
			wait := time.Hour
			if !next.IsZero() {
				wait = max(next.Sub(s.cfg.Now()), time.Millisecond)
			}
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-s.wake:
			case <-timer.C:
			}
			timer.Stop()
			continue
		}
		if window > 1 {
			rand.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		}
		holding := s.hasHoldRules()
		for _, q := range batch {
			if ctx.Err() != nil {
				return
			}
			if holding && s.holdIfRuled(q) {
				continue
			}
			s.send(ctx, q.d, q.key)
		}
	}
}

// deliverNow sends a delivery that is in no queue (a released one).
func (s *Sandbox) deliverNow(ctx context.Context, d delivery) attempt { return s.send(ctx, d, nil) }

// send POSTs one event to its endpoint, signed with that endpoint's
// secret as Stripe signs it, and records the outcome: done on 2xx,
// otherwise retried after RetryBase·2^n until MaxAttempts. A delivery to
// an endpoint deleted or disabled since is dropped. key is the
// delivery's place in the queue (nil when it is in none), removed in the
// transaction that records the outcome.
func (s *Sandbox) send(ctx context.Context, d delivery, key []byte) attempt {
	var payload []byte
	var to target
	live := false
	err := s.view(func(t *txn) error {
		payload = bytes.Clone(t.raw(objEvent, d.EventID))
		to, live = t.target(d.Endpoint)
		return nil
	})
	if err != nil || len(payload) == 0 || !live {
		if len(payload) == 0 {
			s.log.Error("delivery of a missing event dropped", "event", d.EventID, "err", err)
		}
		_ = s.update(nil, func(t *txn) error {
			if key != nil {
				if err := t.tx.Bucket(bucketQueue).Delete(key); err != nil {
					return err
				}
			}
			return t.settle(d.EventID)
		})
		return attempt{Endpoint: d.Endpoint, Copy: d.Copy, Error: "dropped: the event or its endpoint is gone"}
	}
	start := s.cfg.Now()
	status, sendErr := s.post(ctx, to, payload, start)
	a := attempt{Endpoint: d.Endpoint, URL: to.URL, Copy: d.Copy, Attempt: d.Attempt + 1, At: start.UTC(), Status: status,
		DurationMS: s.cfg.Now().Sub(start).Milliseconds()}
	if sendErr != nil {
		a.Error = sendErr.Error()
	}
	if ctx.Err() != nil && key != nil {
		return a // shutting down: the delivery stays queued and runs after the next Start
	}
	ok := sendErr == nil && status >= 200 && status < 300
	err = s.update(nil, func(t *txn) error {
		if key != nil {
			if err := t.tx.Bucket(bucketQueue).Delete(key); err != nil {
				return err
			}
		}
		all := append(t.attempts(d.EventID), a)
		raw, err := json.Marshal(all)
		if err != nil {
			return err
		}
		if err := t.tx.Bucket(bucketAttempts).Put([]byte(d.EventID), raw); err != nil {
			return err
		}
		if !ok && a.Attempt < s.cfg.MaxAttempts {
			next := d
			next.Attempt = a.Attempt
			return t.enqueue(next, s.cfg.Now().Add(retryDelay(s.cfg.RetryBase, a.Attempt)))
		}
		return t.settle(d.EventID)
	})
	if err != nil {
		s.log.Error("record delivery attempt", "event", d.EventID, "err", err)
	}
	if !ok {
		s.log.Info("webhook delivery failed", "event", d.EventID, "endpoint", endpointLabel(d.Endpoint), "attempt", a.Attempt, "status", status, "err", sendErr)
	}
	return a
}

// settle counts one delivery of an event as finished (delivered, or
// given up): pending_webhooks counts those still to go.
func (t *txn) settle(eventID string) error {
	var ev event
	if err := t.get(objEvent, eventID, &ev); err != nil {
		return nil // the event is gone: nothing to count
	}
	if ev.PendingWebhooks > 0 {
		ev.PendingWebhooks--
	}
	return t.put(objEvent, ev.ID, ev)
}

func (s *Sandbox) post(ctx context.Context, to target, payload []byte, at time.Time) (int, error) {
	sig := webhook.ComputeSignature(at, payload, to.Secret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.URL, bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	req.Header.Set("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(sig)))
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

func (s *Sandbox) tickLoop(ctx context.Context) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		if _, err := s.Advance(ctx, 0); err != nil && ctx.Err() == nil {
			s.log.Error("apply due subscription work", "err", err)
		}
		if err := s.pruneIdempotency(); err != nil {
			s.log.Error("prune idempotency keys", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// retryDelay is RetryBase·2^(n-1), capped at an hour so a large
// MaxAttempts neither overflows nor parks an event for days.
func retryDelay(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func beUint64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}
