package store

import (
	"bytes"
	"maps"
	"slices"
	"sync"

	"vendo/app"
)

// memos keep the last decoded session, customer and entitlement records
// by their bytes: a signed-in page reads the session, the customer and
// the customer's library on every request, and decoding their JSON was
// the largest part of a page served from the cache (issue 21). A
// record is reused only while its stored bytes are exactly the ones it was
// decoded from, so a change is read at once, in any transaction; every
// value handed out is a copy of its own.
type memos struct {
	sessions     memo[app.Session]
	customers    memo[app.Customer]
	entitlements memo[app.Entitlement]
}

func newMemos() *memos {
	return &memos{
		sessions: memo[app.Session]{clone: func(s app.Session) app.Session { return s }},
		customers: memo[app.Customer]{clone: func(c app.Customer) app.Customer {
			c.Identities = slices.Clone(c.Identities)
			return c
		}},
		entitlements: memo[app.Entitlement]{clone: func(e app.Entitlement) app.Entitlement {
			e.Served = maps.Clone(e.Served)
			return e
		}},
	}
}

// maxMemo bounds the records remembered per kind; past it, start over.
const maxMemo = 10000

type memo[T any] struct {
	clone func(T) T // a copy sharing nothing mutable with its source
	mu    sync.Mutex
	m     map[string]memoEntry[T]
}

type memoEntry[T any] struct {
	raw []byte
	v   T
}

// get decodes data, the record stored at key, into v, or copies the value
// decoded from the same bytes before.
func (m *memo[T]) get(key string, data []byte, v *T) error {
	m.mu.Lock()
	e, ok := m.m[key]
	m.mu.Unlock()
	if ok && bytes.Equal(e.raw, data) {
		*v = m.clone(e.v)
		return nil
	}
	if err := decode(data, v); err != nil {
		return err
	}
	m.mu.Lock()
	if m.m == nil || len(m.m) >= maxMemo {
		m.m = make(map[string]memoEntry[T])
	}
	m.m[key] = memoEntry[T]{raw: bytes.Clone(data), v: m.clone(*v)}
	m.mu.Unlock()
	return nil
}
