package search_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"vendo/app"
	"vendo/app/search"
)

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "Icon Pa", "café crème ", "Straße", "a b c d e f g h i", "\u0301x", "東京", "caf\xffe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := search.ParseQuery(q)
		if len(got.Terms) > search.MaxTerms {
			t.Errorf("%d terms, want at most %d", len(got.Terms), search.MaxTerms)
		}
		if got.Prefix && len(got.Terms) == 0 {
			t.Errorf("prefix without terms")
		}
		for _, term := range got.Terms {
			if term == "" || utf8.RuneCountInString(term) > search.MaxTermRunes {
				t.Errorf("term %q: want 1 to %d runes", term, search.MaxTermRunes)
			}
			if !utf8.ValidString(term) {
				t.Errorf("term %q is not valid UTF-8", term)
			}
		}
	})
}

// FuzzSearch indexes a product made of the fuzzed texts and checks that
// searching never panics, that spans always give back the original text,
// and that searching for a product's own title finds it.
func FuzzSearch(f *testing.F) {
	f.Add("Icon Pack", "Crisp icons.", "Every icon as SVG.", "ico pa")
	f.Add("Café Straße", "Œuvre ß", "e\u0301\u0301 naïve", "cafe stras")
	f.Add("<b>x</b>", "", strings.Repeat("word ", 100)+"needle"+strings.Repeat(" word", 100), "needle")
	f.Add("ǅemal İstanbul", "ﬁne", "Kelvin \u212a", "dz i k")
	f.Fuzz(func(t *testing.T, title, summary, description, query string) {
		ix := search.New()
		ix.Build([]app.Product{
			{ID: "fuzz", Title: title, Summary: summary, Description: description, Tags: []string{summary}, Active: true},
			{ID: "other", Title: "Icon Pack", Summary: "Crisp icons.", Active: true},
		})
		for _, q := range []string{query, title} {
			for _, h := range ix.Search(q, 10) {
				checkSpans(t, h.Title)
				checkSpans(t, h.Summary)
				if h.ID != "fuzz" {
					continue
				}
				if got := join(h.Title); got != title {
					t.Fatalf("title spans join to %q, want %q", got, title)
				}
				got := join(h.Summary)
				switch {
				case !h.FromDescription && got != summary:
					t.Fatalf("summary spans join to %q, want %q", got, summary)
				case h.FromDescription && !strings.Contains(description, got):
					t.Fatalf("excerpt %q is not in the description %q", got, description)
				case h.FromDescription && !h.ClippedStart && !strings.HasPrefix(description, got):
					t.Fatalf("excerpt %q not clipped at the start but the description is %q", got, description)
				case h.FromDescription && !h.ClippedEnd && !strings.HasSuffix(description, got):
					t.Fatalf("excerpt %q not clipped at the end but the description is %q", got, description)
				}
			}
		}
		if len(search.ParseQuery(title).Terms) > 0 && !contains(ix.Search(title, 10), "fuzz") {
			t.Fatalf("searching for the title %q does not find its product", title)
		}
	})
}

func checkSpans(t *testing.T, spans []search.Span) {
	t.Helper()
	for i, s := range spans {
		if s.Text == "" || i > 0 && spans[i-1].Match == s.Match {
			t.Fatalf("spans %+v: want non-empty, alternating spans", spans)
		}
	}
}

func contains(hits []search.Hit, id string) bool {
	for _, h := range hits {
		if h.ID == id {
			return true
		}
	}
	return false
}
