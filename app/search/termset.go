package search

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Fields a term can occur in; a term's weight is the sum over its fields,
// spaced so that one title occurrence, even as a prefix, outweighs a tag,
// summary and description occurrence together.
const (
	fieldDescription uint8 = 1 << iota
	fieldSummary
	fieldTag
	fieldTitle
)

// weights[fields] is the score of a term occurring in those fields.
var weights = func() (w [16]float64) {
	for fields := range w {
		for _, f := range []struct {
			field  uint8
			weight float64
		}{{fieldTitle, 64}, {fieldTag, 16}, {fieldSummary, 4}, {fieldDescription, 1}} {
			if uint8(fields)&f.field != 0 {
				w[fields] += f.weight
			}
		}
	}
	return w
}()

// posting records one document holding a term: the document's number in
// the high 28 bits and the fields the term occurs in in the low 4, so the
// lists stay sorted by document and cost 4 bytes an entry.
type posting uint32

// maxDocs bounds document numbers (compaction keeps them near the number
// of live products).
const maxDocs = 1 << 28

func newPosting(n uint32, fields uint8) posting { return posting(n<<4 | uint32(fields&15)) }

func (p posting) doc() uint32 { return uint32(p >> 4) }

func (p posting) weight() float64 { return weights[p&15] }

// occurrence is a folded term seen in a field while indexing a product.
type occurrence struct {
	term   string
	fields uint8
}

// termSet is one product's distinct folded terms, sorted, each with the
// fields it occurs in. They are packed into one string (term bytes then one
// field byte, back to back) with an end offset per term: about half the
// memory of a slice of strings, which matters at 10,000 products.
type termSet struct {
	data string
	ends []uint32 // ends[i] is the offset just past term i's field byte
}

// newTermSet packs occ, which must be sorted by term without duplicates.
func newTermSet(occ []occurrence) termSet {
	n := 0
	for _, o := range occ {
		n += len(o.term) + 1
	}
	var b strings.Builder
	b.Grow(n)
	ends := make([]uint32, len(occ))
	for i, o := range occ {
		b.WriteString(o.term)
		b.WriteByte(o.fields)
		ends[i] = uint32(b.Len())
	}
	return termSet{data: b.String(), ends: ends}
}

func (ts termSet) len() int { return len(ts.ends) }

// at returns term i and the fields it occurs in.
func (ts termSet) at(i int) (term string, fields uint8) {
	start := uint32(0)
	if i > 0 {
		start = ts.ends[i-1]
	}
	end := ts.ends[i]
	return ts.data[start : end-1], ts.data[end-1]
}

// best returns the score of the product's best term matching the query
// term t: an exact word scores its field weight, a longer word starting
// with t scores that times prefixFactor. Zero means no word matches.
func (ts termSet) best(t string, prefixFactor float64) float64 {
	n := ts.len()
	i := sort.Search(n, func(i int) bool {
		term, _ := ts.at(i)
		return term >= t
	})
	var best float64
	for ; i < n; i++ {
		term, fields := ts.at(i)
		if !strings.HasPrefix(term, t) {
			break
		}
		w := weights[fields&15]
		if len(term) != len(t) {
			w *= prefixFactor
		}
		best = max(best, w)
	}
	return best
}

// fields returns the fields the product has the word t in, if it has it.
func (ts termSet) fields(t string) (uint8, bool) {
	n := ts.len()
	i := sort.Search(n, func(i int) bool {
		term, _ := ts.at(i)
		return term >= t
	})
	if i < n {
		if term, fields := ts.at(i); term == t {
			return fields, true
		}
	}
	return 0, false
}

// mergeOccurrences sorts occ by term and folds duplicates into one entry
// with the union of their fields.
func mergeOccurrences(occ []occurrence) []occurrence {
	slices.SortFunc(occ, func(a, b occurrence) int { return strings.Compare(a.term, b.term) })
	out := occ[:0]
	for _, o := range occ {
		if k := len(out) - 1; k >= 0 && out[k].term == o.term {
			out[k].fields |= o.fields
			continue
		}
		out = append(out, o)
	}
	return out
}

// eachHead calls f once per ASCII byte that starts a term of two or more
// bytes in the set, in byte order, with the fields of the heaviest such
// term (see Index.heads).
func (ts termSet) eachHead(f func(c byte, fields uint8)) {
	var cur byte
	var best uint8
	for k := range ts.len() {
		term, fields := ts.at(k)
		if len(term) < 2 || term[0] >= utf8.RuneSelf {
			continue
		}
		if term[0] != cur {
			if best != 0 {
				f(cur, best)
			}
			cur, best = term[0], 0
		}
		if weights[fields&15] > weights[best&15] {
			best = fields & 15
		}
	}
	if best != 0 {
		f(cur, best)
	}
}
