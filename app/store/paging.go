package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// newestFirst pages through a time-ordered bucket from the newest record
// back: records older than the cursor `before`, those keep accepts, at most
// limit of them, and the cursor for the next page ("" at the end).
func newestFirst[T any](b *bolt.Bucket, before string, limit int, keep func(*T) bool, id func(*T) string) ([]T, string, error) {
	if limit <= 0 {
		limit = 50
	}
	var out []T
	c := b.Cursor()
	for k, v := reverseFrom(c, before); k != nil; k, v = c.Prev() {
		var rec T
		if err := decode(v, &rec); err != nil {
			return nil, "", fmt.Errorf("record %s: %w", k, err)
		}
		if keep != nil && !keep(&rec) {
			continue
		}
		if len(out) == limit {
			return out, id(&out[len(out)-1]), nil
		}
		out = append(out, rec)
	}
	return out, "", nil
}
