package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	bolt "go.etcd.io/bbolt"
)

// The ordering knob, beside the shuffle knob: a test (or a curious
// merchant on the events page's machine) holds the deliveries of some
// events back, looks at what is held, and releases them in the order it
// chooses, so "the refund arrives before the purchase" is a scenario
// rather than a race. Rules and held deliveries live in the sandbox db, so
// a restart keeps them.

// HoldRule says which deliveries to hold: every non-empty field must
// match. Type may end in ".*" ("charge.*"); Object is the id of the
// event's data.object; Endpoint is a webhook endpoint's id ("" in a rule
// matches every destination, the shop's own included).
type HoldRule struct {
	Type     string `json:"type,omitempty"`
	Object   string `json:"object,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
}

func (r HoldRule) matches(typ, object, endpoint string) bool {
	return (r.Type == "" || matchEventType(r.Type, typ)) && (r.Object == "" || r.Object == object) &&
		(r.Endpoint == "" || r.Endpoint == endpoint)
}

// HeldDelivery is one delivery held back: an event's copy for one
// destination, in the order it was held.
type HeldDelivery struct {
	ID       string `json:"id"`
	Event    string `json:"event"`
	Type     string `json:"type"`
	Object   string `json:"object"`
	Endpoint string `json:"endpoint,omitempty"` // "" for the shop's own webhook
	Copy     int    `json:"copy"`
}

// Released is what releasing one held delivery did.
type Released struct {
	ID     string `json:"id"`
	Event  string `json:"event"`
	Type   string `json:"type"`
	Status int    `json:"status"` // the receiver's answer; 0 when it could not be reached
	Error  string `json:"error,omitempty"`
}

var (
	bucketHeld = []byte("delivery_held")
	metaHolds  = "hold_rules"
)

type heldRecord struct {
	D      delivery `json:"d"`
	Type   string   `json:"type"`
	Object string   `json:"object"`
}

func (t *txn) holdRules() []HoldRule {
	var rules []HoldRule
	if raw := t.meta(metaHolds); raw != nil {
		_ = json.Unmarshal(raw, &rules)
	}
	return rules
}

// Hold adds a rule: deliveries it matches wait until Release.
func (s *Sandbox) Hold(r HoldRule) ([]HoldRule, error) {
	if r == (HoldRule{}) {
		return nil, fmt.Errorf("a hold needs an event type, an object or an endpoint: an empty rule would hold everything")
	}
	var rules []HoldRule
	err := s.update(nil, func(t *txn) error {
		rules = append(t.holdRules(), r)
		raw, err := json.Marshal(rules)
		if err != nil {
			return err
		}
		return t.setMeta(metaHolds, raw)
	})
	return rules, err
}

// Unhold removes every rule; what is already held stays held until
// released.
func (s *Sandbox) Unhold() error {
	return s.update(nil, func(t *txn) error { return t.tx.Bucket(bucketMeta).Delete([]byte(metaHolds)) })
}

// Held lists the held deliveries in the order they were held.
func (s *Sandbox) Held() ([]HeldDelivery, error) {
	var out []HeldDelivery
	err := s.view(func(t *txn) error {
		return t.tx.Bucket(bucketHeld).ForEach(func(k, v []byte) error {
			var h heldRecord
			if err := json.Unmarshal(v, &h); err != nil {
				return err
			}
			out = append(out, HeldDelivery{ID: heldID(k), Event: h.D.EventID, Type: h.Type, Object: h.Object, Endpoint: h.D.Endpoint, Copy: h.D.Copy})
			return nil
		})
	})
	return out, err
}

// Release delivers held deliveries now, one after the other in the order
// given (every held one, in held order, when ids is empty), and returns
// after the last answer. A delivery the receiver refuses goes back to the
// queue and is retried as usual.
func (s *Sandbox) Release(ctx context.Context, ids ...string) ([]Released, error) {
	if len(ids) == 0 {
		held, err := s.Held()
		if err != nil {
			return nil, err
		}
		for _, h := range held {
			ids = append(ids, h.ID)
		}
	}
	var out []Released
	for _, id := range ids {
		var h heldRecord
		key, ok := heldKey(id)
		err := s.update(nil, func(t *txn) error {
			raw := t.tx.Bucket(bucketHeld).Get(key)
			if !ok || raw == nil {
				return fmt.Errorf("no held delivery %q (already released?)", id)
			}
			if err := json.Unmarshal(raw, &h); err != nil {
				return err
			}
			return t.tx.Bucket(bucketHeld).Delete(key)
		})
		if err != nil {
			return out, err
		}
		a := s.deliverNow(ctx, h.D)
		out = append(out, Released{ID: id, Event: h.D.EventID, Type: h.Type, Status: a.Status, Error: a.Error})
	}
	return out, nil
}

// holdIfRuled moves a due delivery that a rule matches from the queue to
// the held bucket, reporting whether it did.
func (s *Sandbox) holdIfRuled(q queued) bool {
	held := false
	err := s.update(nil, func(t *txn) error {
		rules := t.holdRules()
		if len(rules) == 0 {
			return nil
		}
		var ev event
		if err := t.get(objEvent, q.d.EventID, &ev); err != nil {
			return nil // deliver drops it
		}
		object, _ := ev.Data.Object["id"].(string)
		for _, r := range rules {
			if !r.matches(ev.Type, object, q.d.Endpoint) {
				continue
			}
			if t.tx.Bucket(bucketQueue).Get(q.key) == nil {
				return nil // taken meanwhile
			}
			b := t.tx.Bucket(bucketHeld)
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			raw, err := json.Marshal(heldRecord{D: q.d, Type: ev.Type, Object: object})
			if err != nil {
				return err
			}
			if err := b.Put(u64(seq), raw); err != nil {
				return err
			}
			held = true
			return t.tx.Bucket(bucketQueue).Delete(q.key)
		}
		return nil
	})
	if err != nil {
		s.log.Error("hold delivery", "event", q.d.EventID, "err", err)
	}
	return held
}

// hasHoldRules is the delivery loop's cheap check.
func (s *Sandbox) hasHoldRules() bool {
	has := false
	_ = s.db.View(func(tx *bolt.Tx) error {
		has = tx.Bucket(bucketMeta).Get([]byte(metaHolds)) != nil
		return nil
	})
	return has
}

func heldID(k []byte) string { return fmt.Sprintf("held_%d", beUint64(k)) }

func heldKey(id string) ([]byte, bool) {
	var n uint64
	if _, err := fmt.Sscanf(id, "held_%d", &n); err != nil || n == 0 {
		return nil, false
	}
	return u64(n), true
}

// The HTTP face of the knob, for tests in other processes and for curl:
// admins and this machine only, like the events page and the clock.

func (s *Sandbox) holdsAPI(fn func(c *fiber.Ctx) (any, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		page := c.FormValue("return") == "page"
		if !s.staff(c) {
			if page {
				return s.forbidden(c)
			}
			return c.Status(http.StatusForbidden).JSON(fiber.Map{"error": staffOnly})
		}
		v, err := fn(c)
		switch {
		case err != nil && page:
			return s.message(c, http.StatusBadRequest, "Deliveries", err.Error())
		case err != nil:
			return c.Status(http.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
		case page:
			return c.Redirect(mountPath+"/events", http.StatusSeeOther)
		}
		return c.JSON(v)
	}
}

func (s *Sandbox) deliveriesHold(c *fiber.Ctx) (any, error) {
	r := HoldRule{Type: strings.TrimSpace(c.FormValue("type")), Object: strings.TrimSpace(c.FormValue("object")), Endpoint: strings.TrimSpace(c.FormValue("endpoint"))}
	rules, err := s.Hold(r)
	return fiber.Map{"holds": rules}, err
}

func (s *Sandbox) deliveriesUnhold(c *fiber.Ctx) (any, error) {
	return fiber.Map{"holds": []HoldRule{}}, s.Unhold()
}

func (s *Sandbox) deliveriesHeld(c *fiber.Ctx) (any, error) {
	held, err := s.Held()
	if held == nil {
		held = []HeldDelivery{}
	}
	var rules []HoldRule
	_ = s.view(func(t *txn) error { rules = t.holdRules(); return nil })
	if rules == nil {
		rules = []HoldRule{}
	}
	return fiber.Map{"object": "list", "data": held, "holds": rules}, err
}

func (s *Sandbox) deliveriesRelease(c *fiber.Ctx) (any, error) {
	var ids []string
	for _, v := range c.Request().PostArgs().PeekMulti("id") {
		ids = append(ids, string(v))
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Minute)
	defer cancel()
	out, err := s.Release(ctx, ids...)
	if out == nil {
		out = []Released{}
	}
	return fiber.Map{"released": out}, err
}

// stalledRead is one answer StallRead holds back.
type stalledRead struct {
	id      string
	taken   bool
	waiting chan struct{} // closed once a read is held
	release chan struct{} // closed to let it go
}

// StallRead makes the next API read of the object id (GET …/{id}) take
// its answer from the data at once and then wait, until release is
// called, before sending it: the old answer a slow network delivers late,
// after newer ones. stalled is closed once such a read is waiting. For
// Go tests of stale reads (issue 15); release may be called more than
// once.
func (s *Sandbox) StallRead(id string) (stalled <-chan struct{}, release func()) {
	st := &stalledRead{id: id, waiting: make(chan struct{}), release: make(chan struct{})}
	s.stallMu.Lock()
	s.stalls = append(s.stalls, st)
	s.stallMu.Unlock()
	var once sync.Once
	return st.waiting, func() { once.Do(func() { close(st.release) }) }
}

// stallRead holds an answer about id back if StallRead asked for it.
func (s *Sandbox) stallRead(ctx context.Context, id string) {
	if id == "" {
		return
	}
	s.stallMu.Lock()
	var st *stalledRead
	for _, x := range s.stalls {
		if x.id == id && !x.taken {
			x.taken, st = true, x
			break
		}
	}
	s.stallMu.Unlock()
	if st == nil {
		return
	}
	close(st.waiting)
	select {
	case <-st.release:
	case <-ctx.Done():
	}
}
