package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Lists page newest first with a cursor (the id of the previous page's last
// record), never loading a whole bucket to slice it. Ids sort by creation
// time (ids.go), so "newest first" is a reverse walk of the primary bucket
// and a time bound is a seek.

// clockSlack tolerates ids whose millisecond was borrowed by the id
// generator (many ids in one millisecond) when a time bound stops a walk.
const clockSlack = time.Minute

// newestFirst pages through a time-ordered bucket from the newest record
// back: records older than the cursor before, those keep accepts (nil
// keeps all), at most limit of them (0: no limit), and the cursor for the
// next page ("" at the end). stop, when not nil, ends the walk at the first
// record it is true for (a time bound passed). Nested buckets are skipped.
func newestFirst[T any](b *bolt.Bucket, before string, limit int, keep, stop func(*T) bool, id func(*T) string) ([]T, string, error) {
	var out []T
	c := b.Cursor()
	for k, v := reverseFrom(c, before); k != nil; k, v = c.Prev() {
		if v == nil {
			continue // a nested bucket, not a record
		}
		var rec T
		if err := decode(v, &rec); err != nil {
			return nil, "", fmt.Errorf("record %s: %w", k, err)
		}
		if stop != nil && stop(&rec) {
			break
		}
		if keep != nil && !keep(&rec) {
			continue
		}
		if limit > 0 && len(out) == limit {
			return out, id(&out[len(out)-1]), nil
		}
		out = append(out, rec)
	}
	return out, "", nil
}

// reverseFrom positions c on the newest key strictly before `before`, or
// on the last key when before is empty.
func reverseFrom(c *bolt.Cursor, before string) (k, v []byte) {
	if before == "" {
		return c.Last()
	}
	k, v = c.Seek([]byte(before))
	if k == nil {
		return c.Last()
	}
	for k != nil && string(k) >= before {
		k, v = c.Prev()
	}
	return k, v
}

// idAt is the smallest id with prefix made at t or later: a seek bound for
// time-ordered buckets.
func idAt(prefix string, t time.Time) string {
	return formatID(prefix, uint64(t.UnixMilli()), 0, 0)
}
