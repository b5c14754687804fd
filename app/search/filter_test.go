package search_test

import (
	"slices"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/search"
)

// shelf is a catalog to sort and filter: prices, dates and tags differ,
// and every product has the word "kit".
func shelf() []app.Product {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	return []app.Product{
		{ID: "a", Title: "Zebra Icon Kit", Price: app.Money{Amount: 900, Currency: "usd"}, Tags: []string{"Icons", "design"}, CreatedAt: day(1), Active: true},
		{ID: "b", Title: "Émigré Font Kit", Price: app.Money{Amount: 2500, Currency: "usd"}, Tags: []string{"fonts", "Design"}, CreatedAt: day(3), Active: true},
		{ID: "c", Title: "Audio Kit", Price: app.Money{Amount: 500, Currency: "usd"}, Tags: []string{"audio"}, CreatedAt: day(2), Active: true},
		{ID: "d", Title: "Brush Kit", Summary: "Kit of kits.", Price: app.Money{Amount: 1500, Currency: "usd"}, Tags: []string{"design"}, CreatedAt: day(4), Active: true},
		{ID: "e", Title: "Hidden Kit", Price: app.Money{Amount: 100, Currency: "usd"}, Tags: []string{"design"}, CreatedAt: day(5)},
	}
}

func TestFindSortsAndFilters(t *testing.T) {
	ix := search.New()
	ix.Build(shelf())
	tests := []struct {
		name  string
		query string
		tag   string
		order search.Order
		want  []string // in this order
	}{
		{"browse newest first", "", "", search.Newest, []string{"d", "b", "c", "a"}},
		{"browse without an order is newest first", "", "design", search.Relevance, []string{"d", "b", "a"}},
		{"browse cheapest first", "", "", search.PriceLow, []string{"c", "a", "d", "b"}},
		{"browse dearest first", "", "", search.PriceHigh, []string{"b", "d", "a", "c"}},
		{"browse by name, accents ignored", "", "", search.Name, []string{"c", "d", "b", "a"}},
		{"a tag, whatever its case", "", "design", search.Name, []string{"d", "b", "a"}},
		{"a tag and a query", "kit", "design", search.PriceLow, []string{"a", "d", "b"}},
		{"a tag and a query with a typo", "kti", "audio", search.Relevance, nil}, // three letters: no typo allowed
		{"a tag and a mistyped word", "brsh", "design", search.Relevance, []string{"d"}},
		{"a tag no product has", "", "nope", search.Newest, nil},
		{"a query sorted by price", "kit", "", search.PriceHigh, []string{"b", "d", "a", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := search.ParseQuery(tt.query)
			q.Tag, q.Order = search.FoldTag(tt.tag), tt.order
			hits, total := ix.Find(q, 0, 10)
			got := ids(hits)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Find(%q, tag %q, %v) = %v, want %v", tt.query, tt.tag, tt.order, got, tt.want)
			}
			if total != len(tt.want) {
				t.Errorf("total = %d, want %d", total, len(tt.want))
			}
		})
	}
}

func TestFindPages(t *testing.T) {
	ix := search.New()
	ix.Build(shelf())
	q := search.Query{Order: search.PriceLow}
	var pages [][]string
	for offset := 0; offset < 6; offset += 2 {
		hits, total := ix.Find(q, offset, 2)
		if total != 4 {
			t.Fatalf("offset %d: total %d, want 4", offset, total)
		}
		pages = append(pages, ids(hits))
	}
	want := [][]string{{"c", "a"}, {"d", "b"}, nil}
	if !slices.EqualFunc(pages, want, slices.Equal) {
		t.Errorf("pages = %v, want %v", pages, want)
	}
}

func TestFindWithoutWordsTagOrOrderFindsNothing(t *testing.T) {
	ix := search.New()
	ix.Build(shelf())
	if hits, total := ix.Find(search.Query{}, 0, 10); len(hits) != 0 || total != 0 {
		t.Errorf("empty query: %v of %d, want nothing", ids(hits), total)
	}
}

func TestTagsFollowTheCatalog(t *testing.T) {
	ix := search.New()
	ix.Build(shelf())
	want := []search.Tag{{"audio", "audio", 1}, {"design", "design", 3}, {"fonts", "fonts", 1}, {"icons", "Icons", 1}}
	if got := ix.Tags(); !slices.Equal(got, want) {
		t.Errorf("Tags() = %v, want %v (the inactive product's tag not counted)", got, want)
	}
	ix.Remove("c")
	ix.Upsert(app.Product{ID: "a", Title: "Zebra Icon Kit", Tags: []string{"icons"}, Active: true}) // no longer "design"
	ix.Upsert(app.Product{ID: "f", Title: "Grain Textures", Tags: []string{"Textures", "textures "}, Active: true})
	want = []search.Tag{{"design", "design", 2}, {"fonts", "fonts", 1}, {"icons", "icons", 1}, {"textures", "Textures", 1}}
	if got := ix.Tags(); !slices.Equal(got, want) {
		t.Errorf("after changes: Tags() = %v, want %v", got, want)
	}
	q := search.Query{Tag: "design", Order: search.Name}
	if hits, _ := ix.Find(q, 0, 10); !slices.Equal(ids(hits), []string{"d", "b"}) {
		t.Errorf("design after changes = %v, want [d b]", ids(hits))
	}
}

func TestParseOrder(t *testing.T) {
	for _, o := range []search.Order{search.Relevance, search.Newest, search.PriceLow, search.PriceHigh, search.Name} {
		if got, ok := search.ParseOrder(o.String()); !ok || got != o {
			t.Errorf("ParseOrder(%q) = %v, %v; want %v", o.String(), got, ok, o)
		}
	}
	if _, ok := search.ParseOrder("cheapest"); ok {
		t.Error(`ParseOrder("cheapest") accepted an unknown order`)
	}
}
