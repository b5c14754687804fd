package sandbox

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// params is a decoded Stripe form body: `a[b][0][c]=v` becomes nested maps
// keyed by the bracket parts. Array parts stay string keys ("0", "1", or a
// running index for `a[]`) until list() orders them.
type params map[string]any

// parseForm decodes Stripe's form encoding (the body of a POST, the query
// of a GET or DELETE).
func parseForm(values url.Values) (params, error) {
	root := params{}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts, err := splitKey(k)
		if err != nil {
			return nil, err
		}
		for _, v := range values[k] {
			if err := root.set(parts, v); err != nil {
				return nil, err
			}
		}
	}
	return root, nil
}

func splitKey(k string) ([]string, error) {
	i := strings.IndexByte(k, '[')
	if i < 0 {
		return []string{k}, nil
	}
	parts := []string{k[:i]}
	rest := k[i:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("Invalid parameter name: %s", k)
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, fmt.Errorf("Invalid parameter name: %s", k)
		}
		parts = append(parts, rest[1:j])
		rest = rest[j+1:]
	}
	return parts, nil
}

func (p params) set(parts []string, v string) error {
	cur := p
	for i, part := range parts {
		last := i == len(parts)-1
		if part == "" { // a[]: append at the next free index
			part = strconv.Itoa(len(cur))
		}
		if last {
			if old, ok := cur[part].(params); ok && v == "" && len(old) == 0 {
				return nil
			}
			cur[part] = v
			return nil
		}
		next, ok := cur[part].(params)
		if !ok {
			next = params{}
			cur[part] = next
		}
		cur = next
	}
	return nil
}

func (p params) has(key string) bool { _, ok := p[key]; return ok }

func (p params) str(key string) string {
	s, _ := p[key].(string)
	return s
}

func (p params) sub(key string) params {
	m, _ := p[key].(params)
	return m
}

// list returns an array parameter in index order.
func (p params) list(key string) []any {
	switch v := p[key].(type) {
	case params:
		idx := make([]int, 0, len(v))
		byIdx := map[int]any{}
		for k, e := range v {
			n, err := strconv.Atoi(k)
			if err != nil {
				continue
			}
			idx = append(idx, n)
			byIdx[n] = e
		}
		sort.Ints(idx)
		out := make([]any, 0, len(idx))
		for _, n := range idx {
			out = append(out, byIdx[n])
		}
		return out
	case string:
		if v == "" {
			return nil
		}
		return []any{v}
	}
	return nil
}

func (p params) strings(key string) []string {
	var out []string
	for _, e := range p.list(key) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p params) maps(key string) []params {
	var out []params
	for _, e := range p.list(key) {
		if m, ok := e.(params); ok {
			out = append(out, m)
		}
	}
	return out
}

func (p params) int(key string) (int64, bool, error) {
	s, ok := p[key].(string)
	if !ok || s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, invalidParam(key, fmt.Sprintf("Invalid integer: %s", s))
	}
	return n, true, nil
}

func (p params) boolean(key string) (bool, bool, error) {
	s, ok := p[key].(string)
	if !ok || s == "" {
		return false, false, nil
	}
	switch s {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, true, invalidParam(key, fmt.Sprintf("Invalid boolean: %s", s))
}

// applyMetadata merges a metadata parameter the way Stripe does: a key
// set to "" is removed, and `metadata=` (empty) clears everything.
func applyMetadata(current map[string]string, p params) map[string]string {
	if current == nil {
		current = map[string]string{}
	}
	switch v := p["metadata"].(type) {
	case string:
		if v == "" {
			return map[string]string{}
		}
	case params:
		for k, e := range v {
			s, _ := e.(string)
			if s == "" {
				delete(current, k)
			} else {
				current[k] = s
			}
		}
	}
	return current
}

func metadataOf(p params) map[string]string { return applyMetadata(nil, p) }

// Parameter validation. stripe-go's *Params types carry the form names of
// every parameter API version 2023-10-16 accepts, so the sandbox checks
// request keys against them: a parameter Stripe would reject as unknown
// is rejected here too, and the shop finds such mistakes offline.

type formShape struct {
	fields map[string][]reflect.Type // form name -> candidate types
}

var shapeCache sync.Map // reflect.Type -> *formShape

func shapeOf(t reflect.Type) *formShape {
	if v, ok := shapeCache.Load(t); ok {
		return v.(*formShape)
	}
	s := &formShape{fields: map[string][]reflect.Type{}}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("form")
			name := strings.Split(tag, ",")[0]
			switch {
			case name == "-" || name == "":
				continue
			case name == "*":
				ft := f.Type
				if ft.Kind() == reflect.Struct && f.Anonymous {
					walk(ft)
				}
				continue
			}
			s.fields[name] = append(s.fields[name], f.Type)
		}
	}
	walk(t)
	shapeCache.Store(t, s)
	return s
}

// checkParams reports the first parameter in p that the stripe-go type
// sample (a *Params struct value) has no field for.
func checkParams(p params, sample any) error {
	return checkAgainst(p, reflect.TypeOf(sample), nil)
}

func checkAgainst(p params, t reflect.Type, path []string) error {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	shape := shapeOf(t)
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		full := append(append([]string{}, path...), k)
		cands, ok := shape.fields[k]
		if !ok {
			return unknownParam(full)
		}
		var lastErr error
		accepted := false
		for _, ct := range cands {
			if err := checkValue(p[k], ct, full); err != nil {
				lastErr = err
				continue
			}
			accepted = true
			break
		}
		if !accepted {
			return lastErr
		}
	}
	return nil
}

func checkValue(v any, t reflect.Type, path []string) error {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(params)
		if !ok {
			if s, isStr := v.(string); isStr && s == "" {
				return nil // `a=` unsets an object parameter
			}
			return invalidParam(formatKey(path), fmt.Sprintf("Invalid object: %s", formatKey(path)))
		}
		return checkAgainst(m, t, path)
	case reflect.Slice, reflect.Array:
		switch vv := v.(type) {
		case string:
			if vv == "" {
				return nil
			}
			return invalidParam(formatKey(path), fmt.Sprintf("Invalid array: %s", formatKey(path)))
		case params:
			for k, e := range vv {
				if _, err := strconv.Atoi(k); err != nil {
					return invalidParam(formatKey(path), fmt.Sprintf("Invalid array: %s", formatKey(path)))
				}
				if err := checkValue(e, t.Elem(), append(append([]string{}, path...), k)); err != nil {
					return err
				}
			}
		}
		return nil
	case reflect.Map:
		switch vv := v.(type) {
		case string:
			if vv == "" {
				return nil
			}
			return invalidParam(formatKey(path), fmt.Sprintf("Invalid hash: %s", formatKey(path)))
		case params:
			for _, e := range vv {
				if _, ok := e.(string); !ok {
					return invalidParam(formatKey(path), fmt.Sprintf("Invalid hash: %s", formatKey(path)))
				}
			}
		}
		return nil
	default:
		if _, ok := v.(string); !ok {
			return invalidParam(formatKey(path), fmt.Sprintf("Invalid value for %s", formatKey(path)))
		}
		return nil
	}
}

func formatKey(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		b.WriteString("[" + p + "]")
	}
	return b.String()
}

// canonical is a request's parameters in a stable form, to compare two
// requests made with the same Idempotency-Key.
func canonical(method, path string, values url.Values) string {
	return method + " " + path + "?" + values.Encode()
}
