package store

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// Crockford's base32: sortable as text, no ambiguous letters.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix + a 26-character id whose first 10 characters are
// the time in milliseconds, so ids sort by creation and bbolt keys iterate
// in time order.
func NewID(prefix string, now time.Time) string {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(now.UnixMilli())<<16)
	rand.Read(raw[6:])
	// 128 bits → 26 base32 characters (the top 2 bits are zero).
	out := make([]byte, len(prefix)+26)
	copy(out, prefix)
	hi := binary.BigEndian.Uint64(raw[:8])
	lo := binary.BigEndian.Uint64(raw[8:])
	for i := 25; i >= 0; i-- {
		out[len(prefix)+i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out)
}
