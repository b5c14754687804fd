package search

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// marked renders spans as text with the matched parts in [brackets], for
// readable expectations.
func marked(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		if s.Match {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

func joined(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}

func TestHighlightMarksTheMatchedPartOfTheOriginal(t *testing.T) {
	tests := []struct {
		name, text, query, want string
	}{
		{"whole word", "Icon Pack", "icon ", "[Icon] Pack"},
		{"prefix of a word", "Icon Pack", "ic", "[Ic]on Pack"},
		{"two terms", "Icon Pack", "ico pa", "[Ico]n [Pa]ck"},
		{"every occurrence", "icon, Icon, ICONS", "icon", "[icon], [Icon], [ICON]S"},
		{"accent in the text", "Café Fonts", "cafe", "[Café] Fonts"},
		{"accent in the query", "Cafe Fonts", "café", "[Cafe] Fonts"},
		{"prefix before an accented letter", "Café Fonts", "caf", "[Caf]é Fonts"},
		{"decomposed accent stays with its letter", "Cafe\u0301s", "cafe", "[Cafe\u0301]s"},
		{"prefix ending inside ß takes the whole ß", "Straße", "stras", "[Straß]e"},
		{"prefix ending after ß", "Straßen", "strasse", "[Straße]n"},
		{"ligature-like letters", "Œuvre complète", "oeu compl", "[Œu]vre [compl]ète"},
		{"longest of overlapping terms wins", "Package", "pa packa", "[Packa]ge"},
		{"no match", "Icon Pack", "zebra", "Icon Pack"},
		{"markup stays plain text", "<b>Icons</b> & more", "icons", "<b>[Icons]</b> & more"},
		{"invalid UTF-8 kept byte for byte", "ic\xffon icon", "icon", "ic\xffon [icon]"},
		{"empty text", "", "icon", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans, matched := highlight(tt.text, ParseQuery(tt.query))
			if got := joined(spans); got != tt.text {
				t.Fatalf("spans join to %q, want the original %q", got, tt.text)
			}
			if got := marked(spans); got != tt.want {
				t.Errorf("highlight(%q, %q) = %q, want %q", tt.text, tt.query, got, tt.want)
			}
			if matched != strings.Contains(tt.want, "[") {
				t.Errorf("matched = %v", matched)
			}
			for i, s := range spans {
				if s.Text == "" || i > 0 && spans[i-1].Match == s.Match {
					t.Errorf("span %d %+v: spans must be non-empty and alternate", i, s)
				}
			}
		})
	}
}

func TestSnippetShowsTheDescriptionAroundTheFirstMatch(t *testing.T) {
	filler := strings.Repeat("lorem ipsum dolor ", 30) // 540 runes
	desc := filler + "The Café palette is warm. " + filler
	ex := snippet(desc, ParseQuery("cafe"))
	text := joined(ex.spans)
	if !strings.Contains(desc, text) {
		t.Fatalf("snippet %q is not a piece of the description", text)
	}
	if !ex.matched || !ex.start || !ex.end {
		t.Errorf("matched %v start %v end %v, want all true", ex.matched, ex.start, ex.end)
	}
	if !strings.Contains(marked(ex.spans), "The [Café] palette") {
		t.Errorf("snippet %q does not mark the match in its context", marked(ex.spans))
	}
	if n := utf8.RuneCountInString(text); n < 100 || n > 200 {
		t.Errorf("snippet is %d runes, want about %d", n, snippetRunes)
	}
	if first := strings.Fields(text)[0]; !slices.Contains([]string{"lorem", "ipsum", "dolor"}, first) {
		t.Errorf("snippet starts mid-word: %q", text)
	}

	short := "A short description with an icon."
	ex = snippet(short, ParseQuery("icon"))
	if got := marked(ex.spans); got != "A short description with an [icon]." || ex.start || ex.end {
		t.Errorf("short description: %q start %v end %v", got, ex.start, ex.end)
	}

	ex = snippet(desc, ParseQuery("zebra"))
	if ex.matched || ex.start || !ex.end || !strings.HasPrefix(desc, joined(ex.spans)) {
		t.Errorf("no match should give the unmarked opening, got %q", marked(ex.spans))
	}
}

func TestHitTakesTheSummaryOrADescriptionExcerpt(t *testing.T) {
	long := strings.Repeat("filler words here ", 20) + "a hidden gem. " + strings.Repeat("more ", 40)
	d := func(summary, description string) *doc {
		return &doc{id: "x", text: &Text{Title: "Title", Summary: summary, Description: description}}
	}
	tests := []struct {
		name     string
		doc      *doc
		query    string
		fromDesc bool
		contains string
	}{
		{"match in the summary", d("A hidden gem.", long), "gem", false, "A hidden [gem]."},
		{"match only in the description", d("Something else.", long), "gem", true, "a hidden [gem]."},
		{"no match in either keeps the summary", d("Something else.", long), "title", false, "Something else."},
		{"no summary: the description's opening", d("", long), "title", true, "filler words here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.doc.hit(ParseQuery(tt.query), scored{d: tt.doc, score: 1}, *tt.doc.text)
			if h.FromDescription != tt.fromDesc {
				t.Errorf("FromDescription = %v, want %v", h.FromDescription, tt.fromDesc)
			}
			if got := marked(h.Summary); !strings.Contains(got, tt.contains) {
				t.Errorf("summary %q does not contain %q", got, tt.contains)
			}
		})
	}
}
