package search_test

import (
	"runtime"
	"testing"

	"vendo/app/search"
)

// benchQueries are what customers type: one word, two words, a word still
// being typed, a common prefix, an accented word and a miss.
var benchQueries = []struct{ name, q string }{
	{"one-word", "icon"},
	{"two-words", "icon pack"},
	{"typing-prefix", "ico"},
	{"typing-second-word", "icon pa"},
	{"short-prefix", "m"},
	{"accented", "café"},
	{"rare-word", "straße"},
	{"no-match", "zqxjv"},
	{"everywhere-word", "the"},
}

func BenchmarkSearch(b *testing.B) {
	ix := search.New()
	ix.Build(generateCatalog(10_000, 1))
	for _, bq := range benchQueries {
		b.Run(bq.name, func(b *testing.B) {
			matches := 0
			for b.Loop() {
				_, matches = ix.SearchQuery(search.ParseQuery(bq.q), 20)
			}
			b.ReportMetric(float64(matches), "matches")
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	ps := generateCatalog(10_000, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := search.New()
	ix.Build(ps)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ix)
	size := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)

	for b.Loop() {
		search.New().Build(ps)
	}
	b.ReportMetric(size, "MiB-index")
}

func BenchmarkUpsert(b *testing.B) {
	ps := generateCatalog(10_000, 1)
	ix := search.New()
	ix.Build(ps)
	changes := generateCatalog(1_000, 2)
	i := 0
	for b.Loop() {
		p := changes[i%len(changes)]
		p.ID = ps[i%len(ps)].ID
		ix.Upsert(p)
		i++
	}
}
