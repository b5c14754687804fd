package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// toMap turns a stored object into the map the API answers with: the
// JSON Stripe would send, minus the sandbox's `_internal` bookkeeping.
func toMap(v any) (map[string]any, error) {
	var raw []byte
	switch x := v.(type) {
	case []byte:
		raw = x
	case map[string]any:
		return x, nil
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber() // amounts and timestamps stay exact
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	delete(m, "_internal")
	return m, nil
}

func mustMap(v any) map[string]any {
	m, err := toMap(v)
	if err != nil {
		panic(fmt.Sprintf("sandbox: render %T: %v", v, err)) // objects are our own structs
	}
	return m
}

// loadMap finds any stored object by its id.
func (t *txn) loadMap(id string) (map[string]any, bool) {
	object := objectTypeOf(id)
	if object == "" {
		return nil, false
	}
	raw := t.raw(object, id)
	if raw == nil {
		return nil, false
	}
	m, err := toMap(raw)
	if err != nil {
		return nil, false
	}
	return m, true
}

// virtualFields are fields Stripe leaves out of an object unless they are
// expanded; the sandbox builds them on demand.
func (t *txn) virtualField(object, id, field string) (any, bool) {
	switch object + "." + field {
	case objSession + ".line_items":
		items := t.sessionLineItems(id)
		l := map[string]any{"object": "list", "has_more": len(items) > 10, "url": "/v1/checkout/sessions/" + id + "/line_items"}
		if len(items) > 10 {
			items = items[:10]
		}
		data := make([]any, 0, len(items))
		for _, li := range items {
			data = append(data, mustMap(li))
		}
		l["data"] = data
		return l, true
	case objCharge + ".refunds":
		refunds := t.chargeRefunds(id)
		data := make([]any, 0, len(refunds))
		for _, r := range refunds {
			data = append(data, mustMap(r))
		}
		return map[string]any{"object": "list", "data": data, "has_more": false, "url": "/v1/charges/" + id + "/refunds"}, true
	}
	return nil, false
}

// expand applies Stripe's `expand[]` paths ("line_items.data.price.product")
// to a rendered object, replacing ids with the objects they name.
func (t *txn) expand(m map[string]any, paths []string) error {
	for _, p := range paths {
		parts := strings.Split(p, ".")
		if len(parts) > 4 {
			return invalidRequest("expand", fmt.Sprintf("You cannot expand more than 4 levels of a property. Property: %s", p))
		}
		if td, ok := m["total_details"].(map[string]any); ok && m["object"] == objSession && len(parts) >= 2 && parts[0] == "total_details" && parts[1] == "breakdown" {
			// An includable field of a session's total_details, built
			// from the session (Stripe leaves it out unless expanded).
			id, _ := m["id"].(string)
			bd, err := t.sessionBreakdown(id)
			if err != nil {
				return err
			}
			td["breakdown"] = bd
			if err := t.expandPath(bd, parts[2:], p); err != nil {
				return err
			}
			continue
		}
		if err := t.expandPath(m, parts, p); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) expandPath(v any, parts []string, full string) error {
	m, ok := v.(map[string]any)
	if !ok || len(parts) == 0 {
		return nil
	}
	field := parts[0]
	if m["object"] == "list" && field == "data" {
		data, _ := m["data"].([]any)
		for _, e := range data {
			if err := t.expandPath(e, parts[1:], full); err != nil {
				return err
			}
		}
		return nil
	}
	val, present := m[field]
	switch x := val.(type) {
	case string:
		if obj, found := t.loadMap(x); found {
			val = obj
		}
	case nil:
		object, _ := m["object"].(string)
		id, _ := m["id"].(string)
		if vf, ok := t.virtualField(object, id, field); ok {
			val, present = vf, true
		}
	}
	if !present {
		return invalidRequest("expand", fmt.Sprintf("This property cannot be expanded (%s).", full))
	}
	m[field] = val
	return t.expandPath(val, parts[1:], full)
}

// listQuery is Stripe's cursor paging.
type listQuery struct {
	limit         int
	startingAfter string
	endingBefore  string
}

func parseListQuery(p params) (listQuery, error) {
	q := listQuery{limit: 10, startingAfter: p.str("starting_after"), endingBefore: p.str("ending_before")}
	if s := p.str("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return q, invalidParam("limit", "Invalid value for limit: must be an integer between 1 and 100.")
		}
		q.limit = n
	}
	if q.startingAfter != "" && q.endingBefore != "" {
		return q, invalidRequest("starting_after", "You may only specify one of these parameters: ending_before, starting_after.")
	}
	return q, nil
}

// listNewest pages through one object bucket, newest first, keeping the
// records match accepts.
func (t *txn) listNewest(object string, q listQuery, match func(raw []byte) bool) (items [][]byte, hasMore bool) {
	c := t.tx.Bucket([]byte(object)).Cursor()
	if q.endingBefore != "" {
		// The page just newer than the cursor, still shown newest first.
		k, v := c.Seek([]byte(q.endingBefore))
		if k != nil && string(k) == q.endingBefore {
			k, v = c.Next()
		}
		for ; k != nil; k, v = c.Next() {
			if !match(v) {
				continue
			}
			if len(items) == q.limit {
				hasMore = true
				break
			}
			items = append(items, v)
		}
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
		return items, hasMore
	}
	var k, v []byte
	if q.startingAfter != "" {
		k, v = c.Seek([]byte(q.startingAfter))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Last()
	}
	for ; k != nil; k, v = c.Prev() {
		if !match(v) {
			continue
		}
		if len(items) == q.limit {
			hasMore = true
			break
		}
		items = append(items, v)
	}
	return items, hasMore
}

// listByPayment lists objects that hang off a charge (refunds, disputes),
// newest first, filtered as Stripe filters both lists: by charge, by
// payment_intent and by a created range.
func (t *txn) listByPayment(r *request, object, url string) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	chID, piID := r.p.str("charge"), r.p.str("payment_intent")
	created, err := rangeFilter(r.p, "created")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(object, q, func(raw []byte) bool {
		var o struct {
			Charge        string `json:"charge"`
			PaymentIntent nstr   `json:"payment_intent"`
			Created       int64  `json:"created"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return false
		}
		return (chID == "" || o.Charge == chID) && (piID == "" || string(o.PaymentIntent) == piID) && created(o.Created)
	})
	return listMap(url, items, more), nil
}

func listMap(url string, items [][]byte, hasMore bool) map[string]any {
	data := make([]any, 0, len(items))
	for _, raw := range items {
		data = append(data, mustMap(raw))
	}
	return map[string]any{"object": "list", "data": data, "has_more": hasMore, "url": url}
}

// diff returns the previous values of the fields that changed between two
// renderings of an object: an event's `data.previous_attributes`. Nested
// objects recurse, so only their changed keys are listed, as Stripe does.
func diff(old, cur map[string]any) map[string]any {
	out := map[string]any{}
	for k, ov := range old {
		nv := cur[k]
		om, oIsMap := ov.(map[string]any)
		nm, nIsMap := nv.(map[string]any)
		if oIsMap && nIsMap && om["object"] != "list" {
			if d := diff(om, nm); len(d) > 0 {
				out[k] = d
			}
			continue
		}
		if !jsonEqual(ov, nv) {
			out[k] = ov
		}
	}
	return out
}

func jsonEqual(a, b any) bool {
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	return bytes.Equal(ra, rb)
}
