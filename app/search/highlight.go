package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"vendo/app"
)

// Span is a piece of a product's original text, matched by the query or
// not. Spans are plain text: the template escapes them like any string.
type Span struct {
	Text  string
	Match bool
}

// Snippet sizes for a description excerpt, in runes.
const (
	snippetRunes  = 160 // about this long
	snippetBefore = 60  // context kept before the first match
)

// highlight cuts text into spans, marking the part of each word that a
// query term matches. Spans are computed on the original words and runes
// (never on offsets into folded text), so their texts concatenate back to
// text exactly even when folding changes lengths ("ß" → "ss"). matched
// reports whether any span is marked.
func highlight(text string, q Query) (spans []Span, matched bool) {
	pos := 0
	for i := 0; i < len(text); {
		start, end := nextWord(text, i)
		if start < 0 {
			break
		}
		i = end
		cut := matchLen(text[start:end], q)
		if cut == 0 {
			continue
		}
		spans = appendSpan(spans, text[pos:start], false)
		spans = appendSpan(spans, text[start:start+cut], true)
		pos = start + cut
		matched = true
	}
	return appendSpan(spans, text[pos:], false), matched
}

// appendSpan adds s to spans, joining it to the last span when both are
// marked alike so matched and unmatched spans alternate.
func appendSpan(spans []Span, s string, match bool) []Span {
	if s == "" {
		return spans
	}
	if k := len(spans) - 1; k >= 0 && spans[k].Match == match {
		spans[k].Text += s
		return spans
	}
	return append(spans, Span{Text: s, Match: match})
}

// matchLen returns how many leading bytes of the original word the query
// marks: the whole word when a term reached it through a typo, else the
// longest part covered by a term that prefixes the folded word, or 0 when
// no term matches.
func matchLen(word string, q Query) int {
	// Most words match no term: rule them out on their first letter alone
	// before folding the whole word. (A leading mark could be reordered by
	// normalisation, so such words take the long way.)
	if first, _ := utf8.DecodeRuneInString(word); !unicode.IsMark(first) {
		head, possible := foldRune(first), false
		for _, words := range [2][]string{q.Terms, q.typoWords} {
			for _, t := range words {
				if strings.HasPrefix(t, head) || strings.HasPrefix(head, t) {
					possible = true
					break
				}
			}
		}
		if !possible {
			return 0
		}
	}
	if len(q.typoWords) == 0 && isASCII(word) {
		// Folding an ASCII word only lowercases it: compare in place
		// instead of building the folded copy (a one-letter query passes
		// the test above with a word in every few).
		best := 0
		for _, t := range q.Terms {
			if hasPrefixLower(word, t) {
				best = max(best, len(t)) // originalPrefix of an ASCII word
			}
		}
		return best
	}
	folded := foldWord(word)
	if _, typo := slices.BinarySearch(q.typoWords, folded); typo {
		return len(word)
	}
	best := 0
	for _, t := range q.Terms {
		if strings.HasPrefix(folded, t) {
			best = max(best, originalPrefix(word, folded, len(t)))
		}
	}
	return best
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasPrefixLower reports whether the ASCII word, lowercased, starts with
// prefix.
func hasPrefixLower(word, prefix string) bool {
	if len(prefix) > len(word) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := word[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// originalPrefix maps the first n bytes of folded (= app.Fold(word)) back
// onto word, rune by rune: it returns the byte length of the shortest
// prefix of word whose runes fold to at least n bytes, extended over any
// combining marks that follow so a letter and its accent stay together.
// Where folding rune by rune disagrees with folding the whole word (exotic
// mark reordering), the whole word is marked rather than a wrong part.
func originalPrefix(word, folded string, n int) int {
	if n >= len(folded) {
		return len(word)
	}
	acc := 0
	for i, r := range word {
		piece := foldRune(r)
		if !strings.HasPrefix(folded[acc:], piece) {
			return len(word)
		}
		acc += len(piece)
		if acc < n {
			continue
		}
		end := i + utf8.RuneLen(r)
		for end < len(word) {
			next, size := utf8.DecodeRuneInString(word[end:])
			if foldRune(next) != "" {
				break
			}
			end += size
		}
		return end
	}
	return len(word)
}

// foldWord is app.Fold(word), from the table when every rune of word is
// in it: those runes are all starters (no combining mark is below
// latinEnd), so the word's decomposition is its runes' decompositions
// side by side and it folds rune by rune, without normalising the whole
// word (a fifth of a broad search's time went to that).
func foldWord(word string) string {
	var buf [64]byte
	b := buf[:0]
	for _, r := range word {
		if r < 0 || r >= latinEnd {
			return app.Fold(word)
		}
		b = append(b, latinFolds[r]...)
	}
	return string(b)
}

// foldRune folds one rune the way app.Fold folds it inside a word.
func foldRune(r rune) string {
	if 0 <= r && r < latinEnd {
		return latinFolds[r]
	}
	return app.Fold(string(r))
}

// latinFolds caches app.Fold of ASCII, Latin-1 and Latin Extended, the
// letters most shops write, so highlighting rarely allocates or normalises.
const latinEnd = 0x250

var latinFolds = func() (t [latinEnd]string) {
	for r := range t {
		t[r] = app.Fold(string(rune(r)))
	}
	return t
}()

// excerpt is a stretch of a description chosen for a hit.
type excerpt struct {
	spans      []Span
	start, end bool // text was cut before / after the excerpt
	matched    bool
}

// snippet returns about snippetRunes runes of text around its first word a
// query term matches, cut at word boundaries; with no match it returns the
// opening of text, unmarked.
func snippet(text string, q Query) excerpt {
	matchStart, matchEnd := -1, -1
	for i := 0; i < len(text); {
		start, end := nextWord(text, i)
		if start < 0 {
			break
		}
		i = end
		if matchLen(text[start:end], q) > 0 {
			matchStart, matchEnd = start, end
			break
		}
	}
	from := 0
	if matchStart > 0 {
		from = wordStartAfter(text, runesBack(text, matchStart, snippetBefore), matchStart)
	}
	to := wordEndBefore(text, from, runesForward(text, from, snippetRunes))
	to = max(to, matchEnd)
	spans, matched := highlight(text[from:to], q)
	return excerpt{spans: spans, start: from > 0, end: to < len(text), matched: matched}
}

// runesBack returns the byte offset n runes before offset i (or 0).
func runesBack(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return i
}

// runesForward returns the byte offset n runes after offset i (or len(s)).
func runesForward(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// wordStartAfter returns the first word start in s[at:limit], or limit
// (a word start itself). Offset 0 counts as a start so a snippet near the
// top keeps its opening.
func wordStartAfter(s string, at, limit int) int {
	if at == 0 {
		return 0
	}
	if prev, _ := utf8.DecodeLastRuneInString(s[:at]); isWordRune(prev) {
		// at is inside a word: skip the rest of it.
		for at < limit {
			r, size := utf8.DecodeRuneInString(s[at:])
			if !isWordRune(r) {
				break
			}
			at += size
		}
	}
	if start, _ := nextWord(s[:limit], at); start >= 0 {
		return start
	}
	return limit
}

// wordEndBefore returns the end of the last word of s that starts at or
// after from and ends by limit; s's end when limit reaches it; and the end
// of the first word when even that one is longer than the window.
func wordEndBefore(s string, from, limit int) int {
	if limit >= len(s) {
		return len(s)
	}
	last := -1
	for i := from; i < limit; {
		start, end := nextWord(s, i)
		if start < 0 {
			break
		}
		if end > limit {
			if last < 0 {
				last = end
			}
			break
		}
		last, i = end, end
	}
	if last < 0 {
		return limit // only separators up to the limit
	}
	return last
}
