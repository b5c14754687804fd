package search

import (
	"cmp"
	"slices"
	"strings"

	"vendo/app"
)

// Order is how results are sorted. The catalog page offers them all; a
// search sorted by something else than relevance still keeps only the
// products that match, and breaks ties by relevance.
type Order uint8

const (
	Relevance Order = iota // best match first (newest first without words)
	Newest
	PriceLow  // cheapest first
	PriceHigh // dearest first
	Name      // by title, A to Z, ignoring case and accents
)

// orderNames are the orders as they appear in URLs (?sort=price).
var orderNames = [...]string{Relevance: "", Newest: "newest", PriceLow: "price", PriceHigh: "price-desc", Name: "name"}

// ParseOrder reads an order from its URL form; "" is Relevance. It
// reports false for a name it does not know.
func ParseOrder(s string) (Order, bool) {
	i := slices.Index(orderNames[:], s)
	if i < 0 {
		return Relevance, false
	}
	return Order(i), true
}

// String returns the order's URL form.
func (o Order) String() string {
	if int(o) < len(orderNames) {
		return orderNames[o]
	}
	return ""
}

// compare orders two documents by o's own key (0 for Relevance, whose key
// is the score).
func (o Order) compare(a, b *doc) int {
	switch o {
	case Newest:
		return cmp.Compare(b.created, a.created)
	case PriceLow:
		return cmp.Compare(a.price, b.price)
	case PriceHigh:
		return cmp.Compare(b.price, a.price)
	case Name:
		return strings.Compare(a.sortTitle, b.sortTitle)
	}
	return 0
}

// sortScored sorts candidates best first in order o.
func sortScored(top []scored, o Order) {
	slices.SortFunc(top, func(a, b scored) int {
		if better(a, b, o) {
			return -1
		}
		if better(b, a, o) {
			return 1
		}
		return 0
	})
}

// Tag is a tag the catalog's products carry: Key is its folded form (the
// filter's value), Name as the shop first wrote it, Count how many active
// products carry it.
type Tag struct {
	Key, Name string
	Count     int
}

type tagCount struct {
	name string
	n    int
}

// FoldTag returns a tag's key, the form Query.Tag takes.
func FoldTag(tag string) string {
	return app.Fold(strings.TrimSpace(tag))
}

// foldTags returns the distinct keys of tags.
func foldTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if k := FoldTag(t); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// countTags adds tags (once each) to the counts.
func countTags(counts map[string]*tagCount, tags []string, n int) {
	var seen []string
	for _, t := range tags {
		k := FoldTag(t)
		if k == "" || slices.Contains(seen, k) {
			continue
		}
		seen = append(seen, k)
		if c := counts[k]; c != nil {
			c.n += n
		} else {
			counts[k] = &tagCount{name: strings.TrimSpace(t), n: n}
		}
	}
}

// uncountTags takes a removed document's tag keys off the counts.
func uncountTags(counts map[string]*tagCount, keys []string) {
	for _, k := range keys {
		if c := counts[k]; c != nil {
			if c.n--; c.n <= 0 {
				delete(counts, k)
			}
		}
	}
}

// Tags returns the tags of the indexed products, by name.
func (ix *Index) Tags() []Tag {
	ix.wait()
	ix.mu.RLock()
	out := make([]Tag, 0, len(ix.tags))
	for k, c := range ix.tags {
		out = append(out, Tag{Key: k, Name: c.name, Count: c.n})
	}
	ix.mu.RUnlock()
	slices.SortFunc(out, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// listLocked returns the best limit products with q.Tag (all when it is
// empty) in q.Order, newest first for Relevance: browsing without words.
func (ix *Index) listLocked(q Query, limit int) []scored {
	o := q.Order
	if o == Relevance {
		o = Newest
	}
	var top []scored
	for _, d := range ix.docs {
		if d == nil || q.Tag != "" && !slices.Contains(d.tags, q.Tag) {
			continue
		}
		top = pushTop(top, limit, scored{d: d}, o)
	}
	sortScored(top, o)
	return top
}

// countLocked returns how many products carry tag, or all of them.
func (ix *Index) countLocked(tag string) int {
	if tag == "" {
		return len(ix.byID)
	}
	if c := ix.tags[tag]; c != nil {
		return c.n
	}
	return 0
}
