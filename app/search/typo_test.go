package search_test

import (
	"slices"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/search"
)

// demoCatalog has the titles of the demo shop, where customers mistype.
func demoCatalog() []app.Product {
	return []app.Product{
		{ID: "field-notes", Title: "Field Notes Icon Pack", Summary: "120 hand-tuned line icons in SVG.", Tags: []string{"icons", "design"}, Active: true},
		{ID: "calm-inbox", Title: "The Calm Inbox", Summary: "A short guide to email that does not eat your day.", Active: true},
		{ID: "sample-kit", Title: "Lo-fi Sample Kit", Summary: "Warm one-shot tones and chords for beat makers.", Tags: []string{"audio"}, Active: true},
		{ID: "night-owl", Title: "Night Owl Editor Theme", Summary: "A dark theme with calm contrast.", Tags: []string{"theme"}, Active: true},
		{ID: "poster", Title: "Type Specimen Poster", Summary: "A printable illustration of type anatomy.", Active: true},
		{ID: "photos", Title: "Photography Presets", Summary: "Warm film looks.", Active: true},
	}
}

// marked shows a hit's title with its matched spans in brackets.
func marked(spans []search.Span) string {
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

func TestSearchToleratesTypos(t *testing.T) {
	ix := search.New()
	ix.Build(demoCatalog())
	tests := []struct {
		name, query string
		want        []string // in any order
		title       string   // the first hit's title, marked
	}{
		// "film" is one edit from "fild" too, but in a summary.
		{"a missing letter", "fild", []string{"field-notes", "photos"}, "[Field] Notes Icon Pack"},
		{"two letters swapped", "sampel", []string{"sample-kit"}, "Lo-fi [Sample] Kit"},
		{"a sound-alike spelling", "nite owl", []string{"night-owl"}, "[Night] [Owl] Editor Theme"},
		{"a wrong letter", "caln inbox", []string{"calm-inbox"}, "The [Calm] [Inbox]"},
		{"a typo beside a prefix being typed", "icno pa", []string{"field-notes"}, "Field Notes [Icon] [Pa]ck"},
		{"ph for f", "fotography", []string{"photos"}, "[Photography] Presets"},
		{"two edits in a long word", "ilustraton", []string{"poster"}, ""},
		{"three edits in a long word are too many", "ilustratn", nil, ""},
		{"two edits in a short word are too many", "sampe1", nil, ""},
		{"no edits under four letters", "owk", nil, ""},
		{"every term still has to match", "fild zebra", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(tt.query, 10)
			got := ids(hits)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Search(%q) = %v, want %v", tt.query, got, tt.want)
			}
			if len(hits) > 0 && hits[0].Typos == 0 {
				t.Errorf("Search(%q): the hit says it took no typo", tt.query)
			}
			if tt.title != "" && marked(hits[0].Title) != tt.title {
				t.Errorf("Search(%q) marks the title %q, want %q", tt.query, marked(hits[0].Title), tt.title)
			}
		})
	}
}

func TestTypoMatchesRankBelowExactAndPrefixMatches(t *testing.T) {
	tests := []struct {
		name     string
		products []app.Product
		query    string
		want     []string // in this order
	}{
		{
			name: "an exact word in the description above a typo in the title",
			products: []app.Product{
				{ID: "typo", Title: "Field Guide"},
				{ID: "exact", Title: "Reports", Description: "Every report, filed by month."},
			},
			query: "filed",
			want:  []string{"exact", "typo"},
		},
		{
			name: "a prefix above a typo",
			products: []app.Product{
				{ID: "typo", Title: "Cart Icons"},
				{ID: "prefix", Title: "Cardigan Pattern"},
			},
			query: "card",
			want:  []string{"prefix", "typo"},
		},
		{
			name: "one edit above two",
			products: []app.Product{
				{ID: "two", Title: "Templates"},
				{ID: "one", Title: "Template"},
			},
			query: "tempalte",
			want:  []string{"one", "two"},
		},
		{
			name: "among typo matches the field still counts",
			products: []app.Product{
				{ID: "summary", Title: "Alpha", Summary: "A field kit."},
				{ID: "title", Title: "Field Kit"},
			},
			query: "fild",
			want:  []string{"title", "summary"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.products {
				tt.products[i].Active = true
			}
			ix := search.New()
			ix.Build(tt.products)
			hits := ix.Search(tt.query, 10)
			if got := ids(hits); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestTypoMatchesCountInTheTotal(t *testing.T) {
	ix := search.New()
	ix.Build([]app.Product{
		{ID: "a", Title: "Brush Set", Active: true},
		{ID: "b", Title: "Brash Colours", Active: true},
		{ID: "c", Title: "Crush Font", Active: true},
		{ID: "d", Title: "Paint", Active: true},
	})
	hits, total := ix.SearchQuery(search.ParseQuery("brush"), 10)
	if got := ids(hits); total != 3 || !slices.Equal(got, []string{"a", "b", "c"}) && !slices.Equal(got, []string{"a", "c", "b"}) {
		t.Errorf("brush: %v of %d, want a first, then b and c (one edit each), 3 in all", got, total)
	}
}

// TestTyposFollowCatalogChanges checks that words added by Upsert and
// dropped by Remove are reached through typos too.
func TestTyposFollowCatalogChanges(t *testing.T) {
	ix := search.New()
	ix.Build(demoCatalog())
	ix.Upsert(app.Product{ID: "new", Title: "Watercolour Brushes", Active: true})
	if got := ids(ix.Search("watercolor", 10)); !slices.Equal(got, []string{"new"}) {
		t.Errorf("after Upsert: watercolor = %v, want [new]", got)
	}
	ix.Remove("new")
	if got := ids(ix.Search("watercolor", 10)); len(got) != 0 {
		t.Errorf("after Remove: watercolor = %v, want nothing", got)
	}
}
