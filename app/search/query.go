package search

import (
	"unicode"
	"unicode/utf8"

	"vendo/app"
)

// Limits on a parsed query, so a pasted novel costs no more than a word.
const (
	MaxTerms     = 8  // terms after the eighth are ignored
	MaxTermRunes = 64 // a folded term is cut to this many runes
)

// foldWindow bounds how much of one query word is folded: folding can only
// shrink a word by dropping combining marks, so four times the term cap is
// plenty and a megabyte-long word costs a scan, not a copy.
const foldWindow = 4 * MaxTermRunes

// Query is a parsed search: folded terms that must all match, and whether
// the last one is still being typed.
type Query struct {
	// Terms are folded (app.Fold) words, in the order typed.
	Terms []string
	// Prefix is true when the input ended inside the last term (the
	// customer is still typing it). Every term matches word prefixes
	// anyway (see Search); Prefix only softens the ranking penalty for the
	// last term matching a longer word.
	Prefix bool
	// Tag, when set, keeps only the products with this tag (its key, see
	// FoldTag).
	Tag string
	// Order sorts the results; Relevance by default.
	Order Order
	// typoWords are the folded words the terms reached through typos,
	// sorted: the search fills them in so highlighting marks them whole.
	typoWords []string
}

// ParseQuery splits q into words (runs of letters, digits and combining
// marks), folds each with app.Fold, drops the empty ones, keeps at most
// MaxTerms terms of at most MaxTermRunes runes each, and notes whether q
// ends inside the last term.
func ParseQuery(q string) Query {
	var out Query
	lastEnd := -1
	i := 0
	for i < len(q) && len(out.Terms) < MaxTerms {
		start, end := nextWord(q, i)
		if start < 0 {
			break
		}
		i = end
		term := capRunes(app.Fold(capRunes(q[start:end], foldWindow)), MaxTermRunes)
		if term == "" {
			continue // only combining marks
		}
		out.Terms = append(out.Terms, term)
		lastEnd = end
	}
	out.Prefix = lastEnd == len(q)
	return out
}

// isWordRune reports whether r belongs to a word: letters, digits and the
// combining marks that decorate them (so "e\u0301" stays one word).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// nextWord returns the byte range of the first word in s at or after i, or
// (-1, -1) when there is none. Invalid UTF-8 separates words.
func nextWord(s string, i int) (start, end int) {
	start = -1
	for i < len(s) {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			return start, i
		}
		i += size
	}
	if start < 0 {
		return -1, -1
	}
	return start, len(s)
}

// capRunes returns the first n runes of s.
func capRunes(s string, n int) string {
	if len(s) <= n {
		return s // n runes take at least n bytes
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
