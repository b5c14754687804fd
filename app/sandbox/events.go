package sandbox

import (
	"encoding/json"
	"strings"
)

// emit records an event about obj as it is now and queues its webhook
// deliveries in the same transaction, so an event is never lost between
// the change that caused it and its delivery. prev, when not nil, is the
// object before the change: its changed fields become
// `data.previous_attributes`.
func (t *txn) emit(typ string, obj any, prev map[string]any) error {
	cur := mustMap(obj)
	ev := event{
		ID: t.newID("evt_"), Object: objEvent, APIVersion: apiVersion, Created: t.now.Unix(),
		Data: eventData{Object: cur}, Type: typ, Request: t.request,
	}
	if ev.Request == nil {
		ev.Request = &eventRequest{} // automatic: Stripe sends {"id":null,"idempotency_key":null}
	}
	if prev != nil {
		ev.Data.PreviousAttributes = diff(prev, cur)
	}
	copies := 1
	if t.s.cfg.DeliverTwice {
		copies = 2
	}
	targets := t.targets(typ)
	ev.PendingWebhooks = int64(copies * len(targets))
	if err := t.put(objEvent, ev.ID, ev); err != nil {
		return err
	}
	for _, to := range targets {
		for i := 0; i < copies; i++ {
			if err := t.enqueue(delivery{EventID: ev.ID, Endpoint: to.Endpoint, Copy: i + 1}, t.s.cfg.Now()); err != nil {
				return err
			}
		}
	}
	return nil
}

func eventFilter(p params) (func(raw []byte) bool, error) {
	types := p.strings("types")
	if typ := p.str("type"); typ != "" {
		types = append(types, typ)
	}
	created, err := rangeFilter(p, "created")
	if err != nil {
		return nil, err
	}
	return func(raw []byte) bool {
		var ev struct {
			Type    string `json:"type"`
			Created int64  `json:"created"`
		}
		if json.Unmarshal(raw, &ev) != nil {
			return false
		}
		if !created(ev.Created) {
			return false
		}
		if len(types) == 0 {
			return true
		}
		for _, want := range types {
			if matchEventType(want, ev.Type) {
				return true
			}
		}
		return false
	}, nil
}

// matchEventType understands Stripe's wildcard filters ("customer.*").
func matchEventType(pattern, typ string) bool {
	if pattern == "*" {
		return true
	}
	if strings.HasSuffix(pattern, ".*") {
		return strings.HasPrefix(typ, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == typ
}

// rangeFilter reads a timestamp filter: `created=N` or
// `created[gt|gte|lt|lte]=N`.
func rangeFilter(p params, key string) (func(int64) bool, error) {
	if exact, ok, err := p.int(key); err != nil {
		return nil, err
	} else if ok {
		return func(v int64) bool { return v == exact }, nil
	}
	r := p.sub(key)
	bound := func(k string) (int64, bool, error) {
		if r == nil {
			return 0, false, nil
		}
		n, ok, err := r.int(k)
		if err != nil {
			return 0, false, invalidParam(key+"["+k+"]", "Invalid timestamp: "+r.str(k))
		}
		return n, ok, nil
	}
	gt, hasGt, err := bound("gt")
	if err != nil {
		return nil, err
	}
	gte, hasGte, err := bound("gte")
	if err != nil {
		return nil, err
	}
	lt, hasLt, err := bound("lt")
	if err != nil {
		return nil, err
	}
	lte, hasLte, err := bound("lte")
	if err != nil {
		return nil, err
	}
	return func(v int64) bool {
		return (!hasGt || v > gt) && (!hasGte || v >= gte) && (!hasLt || v < lt) && (!hasLte || v <= lte)
	}, nil
}

// recentEvents lists the newest events for the events page.
func (t *txn) recentEvents(limit int) []event {
	var out []event
	t.eachNewest(objEvent, func(_ string, raw []byte) bool {
		var ev event
		if json.Unmarshal(raw, &ev) == nil {
			out = append(out, ev)
		}
		return len(out) < limit
	})
	return out
}

func apiListEvents(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	match, err := eventFilter(r.p)
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objEvent, q, match)
	return listMap("/v1/events", items, more), nil
}

func apiGetEvent(t *txn, r *request) (any, error) {
	raw := t.raw(objEvent, r.id)
	if raw == nil {
		return nil, noSuch("event", r.id, "id")
	}
	return raw, nil
}
