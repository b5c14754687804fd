package search

import (
	"slices"
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
// bytes in occ (sorted by term, without duplicates), in byte order, with
// the fields of the heaviest such term (see Index.heads).
func eachHead(occ []occurrence, f func(c byte, fields uint8)) {
	var cur byte
	var best uint8
	for _, o := range occ {
		term, fields := o.term, o.fields
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
