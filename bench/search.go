package main

import (
	"slices"
	"strings"
	"time"

	"vendo/app"
	"vendo/app/search"
)

// searchQueries are what customers type into the catalog's search box:
// one word, two words, a word being typed, an accented word, a miss.
var searchQueries = []string{"icon", "retro font", "ico", "brush se", "minimal template", "texture pack", "café",
	"straße", "pixel sprite kit", "zqxjv", "the", "b"}

// searchResult is scenario 4: the index against a plain scan.
type searchResult struct {
	build                   time.Duration // median index build
	p50, p99                time.Duration // index, per query
	scanP50, scanP99        time.Duration // baseline: substring scan over the products
	queries, docs, searches int
}

const searchLimit = 48 // what the catalog page asks for (app/web/catalog.go)

// runSearch builds the index over the seeded products and times typical
// queries; the baseline is the naive search a shop starts with, a
// case-insensitive substring scan of title, summary and description.
func runSearch(products []app.Product, rounds int) searchResult {
	r := searchResult{queries: len(searchQueries), docs: len(products)}
	var builds []time.Duration
	var ix *search.Index
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		ix = search.New()
		ix.Build(products)
		builds = append(builds, time.Since(t0))
	}
	slices.Sort(builds)
	r.build = builds[len(builds)/2]

	var lat []time.Duration
	for i := 0; i < rounds; i++ {
		for _, q := range searchQueries {
			t0 := time.Now()
			ix.Search(q, searchLimit)
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	r.p50, r.p99, r.searches = percentile(lat, 0.5), percentile(lat, 0.99), len(lat)

	// The scan, on pre-lowered text (the best case for it).
	texts := make([]string, len(products))
	for i, p := range products {
		texts[i] = strings.ToLower(p.Title + "\n" + p.Summary + "\n" + p.Description)
	}
	var scan []time.Duration
	for i := 0; i < max(1, rounds/20); i++ {
		for _, q := range searchQueries {
			t0 := time.Now()
			words := strings.Fields(strings.ToLower(q))
			var hits []int
			for d, t := range texts {
				ok := true
				for _, w := range words {
					if !strings.Contains(t, w) {
						ok = false
						break
					}
				}
				if ok && len(hits) < searchLimit {
					hits = append(hits, d)
				}
			}
			scan = append(scan, time.Since(t0))
		}
	}
	slices.Sort(scan)
	r.scanP50, r.scanP99 = percentile(scan, 0.5), percentile(scan, 0.99)
	return r
}
