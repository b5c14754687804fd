package search

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"vendo/app"
)

// osaDistance is the edit distance the typo walk computes, for one pair
// of words, written the textbook way.
func osaDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range y {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

func TestTypoBudget(t *testing.T) {
	for term, want := range map[string]int{
		"": 0, "owl": 0, "fild": 1, "café": 1, "sampel": 1, "templat": 1, "tempalte": 2, "illustration": 2, "東京タワー": 1,
	} {
		if got := typoBudget(term); got != want {
			t.Errorf("typoBudget(%q) = %d, want %d", term, got, want)
		}
	}
}

func TestSoundAlikes(t *testing.T) {
	for term, want := range map[string][]string{
		"nite":   {"night"},
		"lites":  {"lights"},
		"foto":   {"photo"},
		"grafic": {"graphic"},
		"fife":   {"phife", "fiphe"},
		"owl":    nil, // too short for any edit
		"icon":   nil,
	} {
		if got := soundAlikes(term); !slices.Equal(got, want) {
			t.Errorf("soundAlikes(%q) = %q, want %q", term, got, want)
		}
	}
}

// TestTypoWalkFindsExactlyTheWordsWithinBudget compares the trie walk with
// the plain distance over every term of random dictionaries, so pruning
// never loses a word and never admits one too far.
func TestTypoWalkFindsExactlyTheWordsWithinBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	alphabet := []rune("abcdeé東")
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := range 200 {
		var terms []string
		for range 1 + rng.IntN(300) {
			terms = append(terms, word(1+rng.IntN(9)))
		}
		slices.Sort(terms)
		terms = slices.Compact(terms)
		q := word(1 + rng.IntN(10))
		if round%3 == 0 {
			q = terms[rng.IntN(len(terms))] // a word of the dictionary
		}
		budget := typoBudget(q)
		w := newTypoWalker(terms, q, budget)
		w.skipLo, w.skipHi = -1, -1
		w.walk(0, len(terms), 0, 0)
		got := map[string]int{}
		for _, m := range w.out {
			got[terms[m.term]] = m.edits
		}
		for _, term := range terms {
			d := osaDistance(q, term)
			e, found := got[term]
			switch {
			case d <= budget && !found:
				t.Fatalf("query %q: %q is %d edits away (budget %d) but the walk missed it", q, term, d, budget)
			case found && e != d:
				t.Fatalf("query %q: %q reported %d edits, want %d", q, term, e, d)
			case found && d > budget:
				t.Fatalf("query %q: %q is %d edits away, over the budget %d", q, term, d, budget)
			}
		}
	}
}

func TestTypoWordsSkipPrefixMatchesAndPreferFewerEdits(t *testing.T) {
	terms := []string{"field", "fields", "fild", "filed", "find", "night", "nights", "note"}
	slices.Sort(terms)
	lo, _ := slices.BinarySearch(terms, "fild") // "fild" itself is a prefix match
	got := typoWordsLocked(terms, "fild", lo, lo+1)
	var names []string
	for _, m := range got {
		names = append(names, terms[m.term])
		if m.edits != 1 {
			t.Errorf("%q: %d edits, want 1", terms[m.term], m.edits)
		}
	}
	slices.Sort(names)
	if want := []string{"field", "filed", "find"}; !slices.Equal(names, want) {
		t.Errorf("fild reaches %q, want %q", names, want)
	}
	reached := map[string]int{}
	for _, m := range typoWordsLocked(terms, "nite", 0, 0) {
		reached[terms[m.term]] = m.edits
	}
	if want := map[string]int{"note": 1, "night": 1}; !maps.Equal(reached, want) {
		t.Errorf("nite reaches %v, want note (a letter) and night (a respelling), one edit each", reached)
	}
}

// FuzzTypoWalk checks the trie walk against the textbook distance on any
// dictionary (words split at spaces) and query: every word within the
// budget is found, with its distance, and no other.
func FuzzTypoWalk(f *testing.F) {
	f.Add("field fields filed find night note", "fild")
	f.Add("sample samples simple ample", "sampel")
	f.Add("café cafe caffè 東京 東京タワー", "cafè")
	f.Add("illustration illustrations ilustration", "ilustraton")
	f.Add("ab ba abc acb bac", "abcd")
	f.Fuzz(func(t *testing.T, dictionary, q string) {
		if !utf8.ValidString(dictionary) || !utf8.ValidString(q) || utf8.RuneCountInString(q) > MaxTermRunes {
			return
		}
		terms := strings.Fields(dictionary)
		slices.Sort(terms)
		terms = slices.Compact(terms)
		budget := typoBudget(q)
		w := newTypoWalker(terms, q, budget)
		w.skipLo, w.skipHi = -1, -1
		w.walk(0, len(terms), 0, 0)
		got := map[string]int{}
		for _, m := range w.out {
			if _, dup := got[terms[m.term]]; dup {
				t.Fatalf("query %q: %q reported twice", q, terms[m.term])
			}
			got[terms[m.term]] = m.edits
		}
		for _, term := range terms {
			d := osaDistance(q, term)
			e, found := got[term]
			if (d <= budget) != found || found && e != d {
				t.Fatalf("query %q, word %q: distance %d, budget %d; the walk found it: %v (edits %d)", q, term, d, budget, found, e)
			}
		}
	})
}

// TestASCIIMatchLenAsFolded: the in-place comparison of ASCII words marks
// exactly what folding the word first marks (the path taken when typo
// words are in play), whatever the case.
func TestASCIIMatchLenAsFolded(t *testing.T) {
	words := []string{"Icon", "ICONS", "icing", "ic", "I", "b", "Brush", "bRuShEs", "x2", "2024", "ico", "Straße", "cafe"}
	queries := [][]string{{"ic"}, {"icon"}, {"i"}, {"b", "br"}, {"brushes"}, {"x"}, {"20"}, {"caf"}, {"é"}, {"icons", "ico"}}
	for _, terms := range queries {
		for _, w := range words {
			fast := matchLen(w, Query{Terms: terms})
			// A typo word no word equals sends matchLen down the folding path.
			slow := matchLen(w, Query{Terms: terms, typoWords: []string{"\xff"}})
			if fast != slow {
				t.Errorf("matchLen(%q, %q) = %d in place, %d folded", w, terms, fast, slow)
			}
		}
	}
	if got := matchLen("ICONS", Query{Terms: []string{"ico"}}); got != 3 {
		t.Errorf(`"ICONS" for "ico" marks %d bytes, want 3`, got)
	}
}

// TestFoldWordAsFold: folding a word rune by rune from the table gives
// app.Fold's result for every rune of the table, alone and in words, and
// for words the table does not cover.
func TestFoldWordAsFold(t *testing.T) {
	var words []string
	for r := rune(0); r < latinEnd; r++ {
		words = append(words, string(r), "a"+string(r)+"Z", string(r)+"\u0301", string(r)+string(latinEnd-1-r))
	}
	words = append(words, "Straße", "ÆØÅœ", "naïve", "Ǖber", "e\u0301cole", "ﬁle", "Ωmega", "日本", "İstanbul", "")
	for _, w := range words {
		if got, want := foldWord(w), app.Fold(w); got != want {
			t.Errorf("foldWord(%q) = %q, app.Fold %q", w, got, want)
		}
	}
}
