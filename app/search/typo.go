package search

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Typo tolerance. A query term of 4 to 7 runes may match a word one edit
// away, a term of 8 or more runes a word two edits away; an edit inserts,
// deletes or replaces a rune, or swaps two neighbours ("sampel" →
// "sample"), the optimal-string-alignment form of Damerau–Levenshtein.
// Shorter terms get no edits: one edit away from a three-letter word is
// half the dictionary. A few English sound-alike spellings count as one
// edit each ("nite" → "night", "foto" → "photo"), since an edit distance
// cannot see them as close. Typo matches are whole words, never prefixes,
// and rank after every product that matches without one.
//
// The words within reach are found by walking the sorted term list as if
// it were a trie: terms sharing a prefix are a contiguous range, found by
// binary search, and one row of the edit-distance table per prefix rune is
// computed once for the whole range. A prefix whose row has no entry within
// the budget cannot lead to a match, so its range is skipped at once. The
// walk visits a few hundred prefixes for one edit and a few thousand for
// two, whatever the size of the catalog, and needs no memory beyond the
// term list the index keeps anyway.

// Typo budgets by the length of the query term, in runes.
const (
	oneTypoRunes  = 4 // from here a term may carry one edit
	twoTyposRunes = 8 // and from here two
)

// maxTypoWords bounds the words one term may reach through typos, the
// closest kept, so a short common term costs a bounded number of posting
// lists.
const maxTypoWords = 64

// typoBudget returns how many edits a query term may carry.
func typoBudget(term string) int {
	switch n := utf8.RuneCountInString(term); {
	case n >= twoTyposRunes:
		return 2
	case n >= oneTypoRunes:
		return 1
	}
	return 0
}

// typoWord is a dictionary term a query term reaches with edits.
type typoWord struct {
	term  int // index in the sorted term list
	edits int
}

// typoWordsLocked returns the terms within the query term's budget that it
// does not already match as a prefix (terms[skipLo:skipHi]), closest first,
// at most maxTypoWords.
func typoWordsLocked(terms []string, term string, skipLo, skipHi int) []typoWord {
	budget := typoBudget(term)
	if budget == 0 {
		return nil
	}
	w := newTypoWalker(terms, term, budget)
	w.skipLo, w.skipHi = skipLo, skipHi
	w.walk(0, len(terms), 0, 0)
	for _, alike := range soundAlikes(term) {
		// The respelling is one edit; what is left of the budget applies
		// to it as to any term.
		v := newTypoWalker(terms, alike, budget-1)
		v.skipLo, v.skipHi, v.extra, v.out = skipLo, skipHi, 1, w.out
		v.walk(0, len(terms), 0, 0)
		w.out = v.out
	}
	out := w.out
	if len(out) == 0 {
		return nil
	}
	// A term reached twice (by the word and a respelling) keeps its fewest
	// edits; then the closest come first.
	slices.SortFunc(out, func(a, b typoWord) int {
		if a.term != b.term {
			return a.term - b.term
		}
		return a.edits - b.edits
	})
	out = slices.CompactFunc(out, func(a, b typoWord) bool { return a.term == b.term })
	slices.SortStableFunc(out, func(a, b typoWord) int { return a.edits - b.edits })
	if len(out) > maxTypoWords {
		out = out[:maxTypoWords]
	}
	return out
}

// typoWalker walks the sorted terms as a trie, keeping one row of the edit
// distance table per rune of the current prefix.
type typoWalker struct {
	terms          []string
	q              []rune // the query term
	budget         int
	rows           []int  // row d (the prefix's first d runes) at rows[d*(len(q)+1):]
	runes          []rune // runes[d] is the prefix's rune d (1-based)
	skipLo, skipHi int    // terms the query already matches as a prefix
	extra          int    // edits already spent (a respelling)
	out            []typoWord
}

func newTypoWalker(terms []string, term string, budget int) *typoWalker {
	q := []rune(term)
	depth := len(q) + budget + 1
	w := &typoWalker{terms: terms, q: q, budget: budget,
		rows: make([]int, depth*(len(q)+1)), runes: make([]rune, depth)}
	for j := range q {
		w.rows[j+1] = j + 1 // row 0: the empty prefix is j deletions from q[:j]
	}
	return w
}

func (w *typoWalker) row(d int) []int {
	m := len(w.q) + 1
	return w.rows[d*m : (d+1)*m]
}

// walk visits terms[lo:hi], which all start with the same prefix of depth
// runes and off bytes, whose row is computed.
func (w *typoWalker) walk(lo, hi, depth, off int) {
	if lo < hi && len(w.terms[lo]) == off {
		// The prefix is a word itself (it sorts first among its range).
		if d := w.row(depth)[len(w.q)]; d <= w.budget && (lo < w.skipLo || lo >= w.skipHi) {
			w.out = append(w.out, typoWord{lo, d + w.extra})
		}
		lo++
	}
	if depth+1 >= len(w.runes) {
		return // a longer word is more than the budget away
	}
	for lo < hi {
		t := w.terms[lo]
		r, size := utf8.DecodeRuneInString(t[off:])
		prefix := t[:off+size]
		end := lo + 1
		if end < hi && strings.HasPrefix(w.terms[end], prefix) {
			end += sort.Search(hi-end, func(i int) bool { return !strings.HasPrefix(w.terms[end+i], prefix) })
		}
		if w.step(depth+1, r) <= w.budget {
			w.walk(lo, end, depth+1, off+size)
		}
		lo = end
	}
}

// step computes row d for a prefix whose rune d is r and returns its
// smallest entry: the fewest edits between the prefix and any start of q.
func (w *typoWalker) step(d int, r rune) int {
	w.runes[d] = r
	prev, cur := w.row(d-1), w.row(d)
	cur[0] = d
	best := d
	for j := 1; j <= len(w.q); j++ {
		cost := 1
		if w.q[j-1] == r {
			cost = 0
		}
		v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		if d > 1 && j > 1 && w.q[j-1] == w.runes[d-1] && w.q[j-2] == r {
			swapped := w.row(d - 2)
			v = min(v, swapped[j-2]+1) // two neighbours swapped
		}
		cur[j] = v
		best = min(best, v)
	}
	return best
}

// soundAlikes returns respellings of a folded term that English readers
// say alike but an edit distance puts far apart: "ite" for "ight" (nite,
// lite, brite) and "f" for "ph" (foto, grafic). Each replaces one place,
// so each is one edit; at most four are made.
func soundAlikes(term string) []string {
	if typoBudget(term) == 0 {
		return nil
	}
	var out []string
	for _, r := range []struct{ from, to string }{{"ite", "ight"}, {"f", "ph"}} {
		for i := 0; len(out) < 4; {
			k := strings.Index(term[i:], r.from)
			if k < 0 {
				break
			}
			at := i + k
			out = append(out, term[:at]+r.to+term[at+len(r.from):])
			i = at + len(r.from)
		}
	}
	return out
}
