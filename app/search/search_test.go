package search_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/search"
)

var day0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// catalog is a small shop whose products each exercise one rule.
func catalog() []app.Product {
	return []app.Product{
		{ID: "icon-pack", Title: "Icon Pack", Summary: "Two hundred crisp icons for apps.", Tags: []string{"svg"},
			Description: "Every icon comes as SVG and PNG.", Active: true, CreatedAt: day0},
		{ID: "cafe-fonts", Title: "Café Fonts", Summary: "Hand-drawn typefaces.", Active: true, CreatedAt: day0},
		{ID: "cafe-menu", Title: "cafe menu template", Summary: "A menu for a small bistro.", Active: true, CreatedAt: day0},
		{ID: "strasse-maps", Title: "Straße Maps", Summary: "Street maps of Berlin.", Active: true, CreatedAt: day0},
		{ID: "pixel-brushes", Title: "Pixel Art Brushes", Summary: "Brushes for sprites.", Active: true, CreatedAt: day0},
		{ID: "photo-presets", Title: "Photo Presets", Summary: "Warm film looks.",
			Description: "Forty presets, tested on every pixel of a thousand photos.", Active: true, CreatedAt: day0},
		{ID: "secret-draft", Title: "Secret Draft", Summary: "Not for sale yet.", Active: false, CreatedAt: day0},
	}
}

func ids(hits []search.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

// exactIDs is ids of the hits that matched without a typo.
func exactIDs(hits []search.Hit) []string {
	var out []string
	for _, h := range hits {
		if h.Typos == 0 {
			out = append(out, h.ID)
		}
	}
	return out
}

func TestSearchFindsWhatMatchesEveryTerm(t *testing.T) {
	ix := search.New()
	ix.Build(catalog())
	tests := []struct {
		name  string
		query string
		want  []string // in any order
	}{
		{"whole word", "icon", []string{"icon-pack"}},
		{"prefix while typing", "ico", []string{"icon-pack"}},
		{"case does not matter", "ICON pack", []string{"icon-pack"}},
		{"accented query finds plain and accented", "café", []string{"cafe-fonts", "cafe-menu"}},
		{"plain query finds accented", "cafe", []string{"cafe-fonts", "cafe-menu"}},
		{"capital accented query", "CAFÉ", []string{"cafe-fonts", "cafe-menu"}},
		{"sharp s folds to ss", "strasse", []string{"strasse-maps"}},
		{"sharp s in the query", "Straße", []string{"strasse-maps"}},
		{"prefix ending inside ß", "stras", []string{"strasse-maps"}},
		{"two words, both must match", "cafe fonts", []string{"cafe-fonts"}},
		{"earlier words match as prefixes", "ico pa", []string{"icon-pack"}},
		{"words in any order", "pack icon", []string{"icon-pack"}},
		{"word from a tag", "svg", []string{"icon-pack"}},
		{"word from the description", "forty", []string{"photo-presets"}},
		{"punctuation is ignored", "  «icon», pack!! ", []string{"icon-pack"}},
		{"no product has the word", "zebra", nil},
		{"one of two words matches nowhere", "icon zebra", nil},
		{"a longer word is not a prefix of a shorter one", "icon packaging", nil},
		{"inactive products are not shown", "secret", nil},
		{"empty query", "", nil},
		{"only punctuation", " ?! ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(ix.Search(tt.query, 10))
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, got, want)
			}
		})
	}
}

func TestSearchRanksBetterMatchesFirst(t *testing.T) {
	tests := []struct {
		name     string
		products []app.Product
		query    string
		want     []string // in this order
	}{
		{
			name: "title above description",
			products: []app.Product{
				{ID: "desc", Title: "Photo Presets", Description: "Tested on every pixel."},
				{ID: "title", Title: "Pixel Art Brushes"},
			},
			query: "pixel",
			want:  []string{"title", "desc"},
		},
		{
			name: "tag above summary above description",
			products: []app.Product{
				{ID: "desc", Title: "Alpha", Description: "A retro look."},
				{ID: "summary", Title: "Beta", Summary: "A retro look."},
				{ID: "tag", Title: "Gamma", Tags: []string{"retro"}},
			},
			query: "retro",
			want:  []string{"tag", "summary", "desc"},
		},
		{
			name: "a title prefix still beats a description word",
			products: []app.Product{
				{ID: "desc", Title: "Alpha", Summary: "icon", Description: "icon", Tags: []string{"icon"}},
				{ID: "title", Title: "Icons"},
			},
			query: "icon",
			want:  []string{"title", "desc"},
		},
		{
			name: "exact word above prefix",
			products: []app.Product{
				{ID: "prefix", Title: "Artisan Set"},
				{ID: "exact", Title: "Pixel Art Brushes"},
			},
			query: "art",
			want:  []string{"exact", "prefix"},
		},
		{
			name: "shorter title breaks a tie",
			products: []app.Product{
				{ID: "long", Title: "Font Bundle Deluxe"},
				{ID: "short", Title: "Font Bundle"},
			},
			query: "bundle",
			want:  []string{"short", "long"},
		},
		{
			name: "newer product breaks a tie",
			products: []app.Product{
				{ID: "old", Title: "Font Bundle A", CreatedAt: day0},
				{ID: "new", Title: "Font Bundle B", CreatedAt: day0.Add(time.Hour)},
			},
			query: "bundle",
			want:  []string{"new", "old"},
		},
		{
			name: "limit keeps the best",
			products: []app.Product{
				{ID: "c", Title: "Bundle three words"},
				{ID: "a", Title: "Bundle"},
				{ID: "b", Title: "Bundle two"},
			},
			query: "bundle",
			want:  []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.products {
				tt.products[i].Active = true
			}
			ix := search.New()
			ix.Build(tt.products)
			got := ids(ix.Search(tt.query, len(tt.want)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestSearchQueryCountsAllMatches(t *testing.T) {
	ix := search.New()
	var ps []app.Product
	for i := range 30 {
		ps = append(ps, app.Product{ID: fmt.Sprint(i), Title: fmt.Sprintf("Bundle %d", i), Active: true})
	}
	ix.Build(ps)
	hits, total := ix.SearchQuery(search.ParseQuery("bund"), 5)
	if len(hits) != 5 || total != 30 {
		t.Errorf("got %d hits of %d, want 5 of 30", len(hits), total)
	}
	if got := len(ix.Search("bundle", 0)); got != search.DefaultLimit {
		t.Errorf("limit 0 gave %d hits, want the default %d", got, search.DefaultLimit)
	}
}

func TestIndexKeepsCurrentWithChanges(t *testing.T) {
	ix := search.New()
	ix.Build(catalog())
	if got, want := ix.Len(), 6; got != want {
		t.Fatalf("Len after Build = %d, want %d (inactive products left out)", got, want)
	}

	steps := []struct {
		name    string
		change  func()
		query   string
		want    []string
		wantLen int
	}{
		{"upsert replaces: the old title no longer matches",
			func() {
				ix.Upsert(app.Product{ID: "icon-pack", Title: "Vector Shapes", Active: true})
			}, "icon", nil, 6},
		{"upsert replaces: the new title matches",
			func() {}, "vector", []string{"icon-pack"}, 6},
		{"upsert adds a new product",
			func() {
				ix.Upsert(app.Product{ID: "zebra", Title: "Zebra Patterns", Active: true})
			}, "zeb", []string{"zebra"}, 7},
		{"a new word sorts among the old ones for prefix search",
			func() {
				ix.Upsert(app.Product{ID: "cafe-set", Title: "Cafeteria Signs", Active: true})
			}, "cafe", []string{"cafe-fonts", "cafe-menu", "cafe-set"}, 8},
		{"remove drops a product",
			func() { ix.Remove("zebra") }, "zebra", nil, 7},
		{"removing an unknown id changes nothing",
			func() { ix.Remove("nope") }, "vector", []string{"icon-pack"}, 7},
		{"upserting an inactive product removes it",
			func() {
				ix.Upsert(app.Product{ID: "cafe-menu", Title: "cafe menu template", Active: false})
			}, "cafe", []string{"cafe-fonts", "cafe-set"}, 6},
		{"an inactive product that was never indexed stays out",
			func() {
				ix.Upsert(app.Product{ID: "draft", Title: "Draft Zebra", Active: false})
			}, "draft", nil, 6},
		{"the same product upserted twice is found once",
			func() {
				p := app.Product{ID: "twice", Title: "Twice Told", Active: true}
				ix.Upsert(p)
				ix.Upsert(p)
			}, "twice", []string{"twice"}, 7},
		{"build replaces everything",
			func() { ix.Build([]app.Product{{ID: "only", Title: "Only One", Active: true}}) },
			"vector", nil, 1},
	}
	for _, s := range steps {
		s.change()
		got := ids(ix.Search(s.query, 10))
		slices.Sort(got)
		if !slices.Equal(got, s.want) {
			t.Errorf("%s: Search(%q) = %v, want %v", s.name, s.query, got, s.want)
		}
		if ix.Len() != s.wantLen {
			t.Errorf("%s: Len = %d, want %d", s.name, ix.Len(), s.wantLen)
		}
	}
}

func TestBuildKeepsTheLastOfRepeatedIDs(t *testing.T) {
	ix := search.New()
	ix.Build([]app.Product{
		{ID: "a", Title: "First Version", Active: true},
		{ID: "a", Title: "Second Version", Active: true},
		{ID: "b", Title: "Live Then Hidden", Active: true},
		{ID: "b", Title: "Live Then Hidden", Active: false},
	})
	if got := ids(ix.Search("version", 10)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("version: %v, want [a]", got)
	}
	if got := ids(ix.Search("first", 10)); len(got) != 0 {
		t.Errorf("first: %v, want nothing", got)
	}
	if got := ids(ix.Search("hidden", 10)); len(got) != 0 {
		t.Errorf("hidden: %v, want nothing", got)
	}
}

func TestManyRemovalsCompactTheIndex(t *testing.T) {
	ix := search.New()
	for round := range 5 {
		for i := range 100 {
			ix.Upsert(app.Product{ID: fmt.Sprint(i), Title: fmt.Sprintf("Round%d Item%d", round, i), Active: true})
		}
		for i := range 90 {
			ix.Remove(fmt.Sprint(i))
		}
	}
	if got := ix.Len(); got != 10 {
		t.Fatalf("Len = %d, want 10", got)
	}
	got := ids(ix.Search("round4", 100))
	slices.Sort(got)
	want := []string{"90", "91", "92", "93", "94", "95", "96", "97", "98", "99"}
	if !slices.Equal(got, want) {
		t.Errorf("round4 = %v, want %v", got, want)
	}
	// "round3" is one edit from "round4" and "item95" from "item90": only
	// matches without a typo say what the index still holds.
	if got := exactIDs(ix.Search("round3", 100)); len(got) != 0 {
		t.Errorf("round3 = %v, want nothing (replaced)", got)
	}
	if got := exactIDs(ix.Search("item95", 100)); !slices.Equal(got, []string{"95"}) {
		t.Errorf("item95 = %v, want [95]", got)
	}
}

// TestSearchDuringChanges is meant for -race: searches run while products
// are upserted and removed, and every hit must still be a whole product.
func TestSearchDuringChanges(t *testing.T) {
	ix := search.New()
	ps := generateCatalog(500, 1)
	ix.Build(ps)
	titles := map[string]bool{}
	for _, p := range ps {
		titles[p.Title] = true
	}
	changes := generateCatalog(200, 2) // their titles are known too
	for _, p := range changes {
		titles[p.Title] = true
	}

	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := range 2 {
		wg.Go(func() {
			for i, p := range changes {
				p.ID = ps[(i*2+w)%len(ps)].ID
				p.Active = i%5 != 0
				ix.Upsert(p)
				if i%7 == 0 {
					ix.Remove(ps[(i*3+w)%len(ps)].ID)
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for i := range 300 {
				q := []string{"icon", "ic", "icon pa", "café", "zzzz", "bundle theme"}[i%6]
				for _, h := range ix.Search(q, 10) {
					if got := join(h.Title); !titles[got] {
						select {
						case errs <- fmt.Sprintf("hit %s has title %q, not a product's", h.ID, got):
						default:
						}
					}
				}
				_ = ix.Len()
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func join(spans []search.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}
