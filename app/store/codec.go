package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Records are stored as one format byte followed by JSON, so a later
// format can be told apart without guessing.
const recordV1 = 1

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	out := make([]byte, 0, len(b)+1)
	out = append(out, recordV1)
	return append(out, b...), nil
}

func decode(data []byte, v any) error {
	if len(data) == 0 || data[0] != recordV1 {
		return fmt.Errorf("decode: unknown record format")
	}
	if err := json.Unmarshal(data[1:], v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// getRecord loads key from bucket into v; found is false when missing.
func getRecord(b *bolt.Bucket, key string, v any) (found bool, err error) {
	data := b.Get([]byte(key))
	if data == nil {
		return false, nil
	}
	return true, decode(data, v)
}

func putRecord(b *bolt.Bucket, key string, v any) error {
	data, err := encode(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

// deleteWhere removes the records of b that doomed reports true for, and
// any record that no longer decodes (an unreadable session, token or
// window is as good as expired), returning how many it removed: the one
// sweep behind expired sessions, sign-in tokens and rate-limit windows.
func deleteWhere[T any](b *bolt.Bucket, doomed func(*T) bool) (int, error) {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil // a nested bucket, not a record
		}
		var rec T
		if err := decode(v, &rec); err != nil || doomed(&rec) {
			keys = append(keys, append([]byte(nil), k...)) // k is only valid inside ForEach
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// index is a secondary-index bucket mapping a lookup key to a primary id.
type index struct{ b *bolt.Bucket }

func (i index) get(key string) string {
	if v := i.b.Get([]byte(key)); v != nil {
		return string(v)
	}
	return ""
}

// set points key at id, refusing when key already points elsewhere.
func (i index) set(key, id string) (clash string, err error) {
	if cur := i.get(key); cur != "" && cur != id {
		return cur, nil
	}
	return "", i.b.Put([]byte(key), []byte(id))
}

func (i index) del(key string) error { return i.b.Delete([]byte(key)) }
