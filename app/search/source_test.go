package search_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"vendo/app/search"
)

// TestAnIndexReadingItsTextFindsTheSame: an index that keeps no text and
// reads its hits' from a source (as the shop's reads the store) answers
// every query with the same hits, scores and highlights, description
// excerpts included, as one that keeps the text; what it shows is the
// source's text; and a source that fails leaves the hits, unhighlighted.
func TestAnIndexReadingItsTextFindsTheSame(t *testing.T) {
	cat := generateCatalog(300, 5)
	texts := map[string]search.Text{}
	for _, p := range cat {
		texts[p.ID] = search.Text{Title: p.Title, Summary: p.Summary, Description: p.Description}
	}
	var fail error
	reads := 0
	source := func(ids []string) ([]search.Text, error) {
		reads++
		if fail != nil {
			return nil, fail
		}
		out := make([]search.Text, len(ids))
		for i, id := range ids {
			out[i] = texts[id]
		}
		return out, nil
	}
	kept, read := search.New(), search.NewReading(source)
	kept.Build(cat)
	read.Build(cat)

	queries := append([]string{"a", "k", "icon", "the and", "lo mi", "rado", "tenplate"}, shopWords...)
	for _, p := range cat[:40] {
		words := strings.Fields(p.Description)
		queries = append(queries, p.Title, strings.Trim(words[len(words)-1], "."))
	}
	fromDescription := 0
	for _, q := range queries {
		got, want := read.Search(q, 30), kept.Search(q, 30)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: reading index %v, keeping index %v", q, ids(got), ids(want))
		}
		for _, h := range want {
			if h.FromDescription {
				fromDescription++
			}
		}
	}
	if fromDescription == 0 || reads == 0 {
		t.Fatalf("%d description excerpts compared, %d reads: the queries prove nothing", fromDescription, reads)
	}

	// The page shows the text the source has now.
	p := cat[0]
	edited := texts[p.ID]
	edited.Summary = "Now about " + strings.Fields(p.Title)[0] + " only."
	texts[p.ID] = edited
	hits := read.Search(p.Title, 30)
	if i := indexOf(hits, p.ID); i < 0 || plain(hits[i].Summary) != edited.Summary {
		t.Errorf("hit for %q: summary %q, want the source's %q", p.Title, summaryOf(hits, p.ID), edited.Summary)
	}

	fail = errors.New("store closed")
	hits = read.Search(p.Title, 30)
	if i := indexOf(hits, p.ID); i < 0 || hits[i].Title != nil || hits[i].Summary != nil {
		t.Errorf("a failing source: hit %q with title %v, want the hit without highlighting", p.ID, hits)
	}
}

func indexOf(hits []search.Hit, id string) int {
	for i, h := range hits {
		if h.ID == id {
			return i
		}
	}
	return -1
}

func summaryOf(hits []search.Hit, id string) string {
	if i := indexOf(hits, id); i >= 0 {
		return plain(hits[i].Summary)
	}
	return ""
}

// plain joins spans' text.
func plain(spans []search.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}
