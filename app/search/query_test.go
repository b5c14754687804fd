package search_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"vendo/app/search"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantTerms  []string
		wantPrefix bool
	}{
		{"two words, the last being typed", "Icon Pa", []string{"icon", "pa"}, true},
		{"a trailing space finishes the last word", "icon pack ", []string{"icon", "pack"}, false},
		{"punctuation separates and is dropped", "  «Café»,   CRÈME!!", []string{"cafe", "creme"}, false},
		{"symbols only", "C++ / C#", []string{"c", "c"}, false},
		{"hyphen splits", "e-book", []string{"e", "book"}, true},
		{"apostrophe splits", "l'été", []string{"l", "ete"}, true},
		{"digits are words", "v2 2024", []string{"v2", "2024"}, true},
		{"sharp s", "Straße", []string{"strasse"}, true},
		{"decomposed accent stays in its word", "cafe\u0301 noir", []string{"cafe", "noir"}, true},
		{"a word of combining marks only is dropped", "\u0301\u0301 cafe", []string{"cafe"}, true},
		{"trailing marks-only word leaves the last term finished", "cafe \u0301", []string{"cafe"}, false},
		{"scripts without case", "東京 タワー", []string{"東京", "タワー"}, true},
		{"invalid UTF-8 separates", "caf\xffe", []string{"caf", "e"}, true},
		{"tabs and newlines", "icon\tpack\n", []string{"icon", "pack"}, false},
		{"empty", "", nil, false},
		{"only spaces", "   ", nil, false},
		{"only punctuation", "?!…—", nil, false},
		{"eight terms, still typing the eighth", "a b c d e f g h", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, true},
		{"more than eight terms: the rest is dropped", "a b c d e f g h i j",
			[]string{"a", "b", "c", "d", "e", "f", "g", "h"}, false},
		{"a long word is cut to 64 runes", strings.Repeat("x", 1000), []string{strings.Repeat("x", 64)}, true},
		{"cut counts folded runes", strings.Repeat("É", 100), []string{strings.Repeat("e", 64)}, true},
		{"cut inside a multi-byte rune's word", strings.Repeat("東", 70), []string{strings.Repeat("東", 64)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := search.ParseQuery(tt.in)
			if !slices.Equal(got.Terms, tt.wantTerms) || got.Prefix != tt.wantPrefix {
				t.Errorf("ParseQuery(%q) = %q prefix %v, want %q prefix %v",
					tt.in, got.Terms, got.Prefix, tt.wantTerms, tt.wantPrefix)
			}
		})
	}
}

func TestParseQueryHugeInput(t *testing.T) {
	huge := strings.Repeat("word ", 1<<20) + strings.Repeat("y", 1<<20)
	got := search.ParseQuery(huge)
	if len(got.Terms) != search.MaxTerms || got.Prefix {
		t.Errorf("got %d terms prefix %v, want %d finished terms", len(got.Terms), got.Prefix, search.MaxTerms)
	}
	got = search.ParseQuery(strings.Repeat("é", 1<<20))
	if len(got.Terms) != 1 || utf8.RuneCountInString(got.Terms[0]) != search.MaxTermRunes {
		t.Errorf("a megabyte word gave %d terms, want one of %d runes", len(got.Terms), search.MaxTermRunes)
	}
}
