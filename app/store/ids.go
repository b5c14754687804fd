package store

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// Crockford's base32: sortable as text, no ambiguous letters.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns prefix + a 26-character id whose leading characters are the
// time in milliseconds, so ids sort by creation and bbolt keys iterate in
// time order. Ids made in the same millisecond by one store also sort in
// the order they were made (see idGen).
func NewID(prefix string, now time.Time) string {
	var r [8]byte
	rand.Read(r[:])
	return formatID(prefix, uint64(now.UnixMilli()), uint16(binary.BigEndian.Uint16(r[:2])&0x7fff), binary.BigEndian.Uint64(r[:]))
}

// formatID packs 48 bits of milliseconds, 16 bits of sequence and 64
// random bits into 26 base32 characters.
func formatID(prefix string, ms uint64, seq uint16, random uint64) string {
	hi := ms<<16 | uint64(seq)
	lo := random
	out := make([]byte, len(prefix)+26)
	copy(out, prefix)
	for i := 25; i >= 0; i-- {
		out[len(prefix)+i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out)
}

// idGen makes ids that are strictly increasing within one store, even when
// many are made in the same millisecond (a seed, a batch of webhooks).
type idGen struct {
	mu     sync.Mutex
	lastMs uint64
	seq    uint16
}

func (g *idGen) next(prefix string, now time.Time) string {
	ms := uint64(now.UnixMilli())
	g.mu.Lock()
	if ms <= g.lastMs {
		ms = g.lastMs
		g.seq++
		if g.seq == 0 { // 65,536 ids in one millisecond: borrow the next one
			ms++
		}
	} else {
		g.seq = 0
	}
	g.lastMs = ms
	seq := g.seq
	g.mu.Unlock()
	var r [8]byte
	rand.Read(r[:])
	return formatID(prefix, ms, seq, binary.BigEndian.Uint64(r[:]))
}
