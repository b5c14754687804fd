package search_test

import (
	"sync/atomic"
	"testing"

	"vendo/app/search"
)

// BenchmarkSearchParallel runs the catalog's searches from every CPU at
// once, as the web server does: searches share the index under a read
// lock, so the time per search should stay close to BenchmarkSearch's.
func BenchmarkSearchParallel(b *testing.B) {
	ix := search.New()
	ix.Build(generateCatalog(10_000, 1))
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q := benchQueries[next.Add(1)%int64(len(benchQueries))].q
			ix.Search(q, 48) // the catalog page's limit
		}
	})
}
