package search_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/search"
)

// TestEditsEqualARebuild: an index kept current by a long random sequence
// of creates, edits, drafts and deletes (enough removals to compact it
// several times) answers every query exactly as an index built from the
// final catalog: same hits, scores, highlights, totals and tags. An edit
// the incremental path mishandled shows up as a difference.
func TestEditsEqualARebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 21))
	start := generateCatalog(300, 1)
	changes := generateCatalog(400, 3) // other titles, words and tags
	ix := search.New()
	ix.Build(start)
	state := map[string]app.Product{}
	var order []string // ids in first-seen order, for a deterministic rebuild
	for _, p := range start {
		state[p.ID] = p
		order = append(order, p.ID)
	}
	for i := range 3000 {
		id := order[rng.IntN(len(order))]
		switch r := rng.IntN(10); {
		case r < 3: // delete
			ix.Remove(id)
			delete(state, id)
		case r < 4: // create
			p := changes[rng.IntN(len(changes))]
			p.ID, p.Slug = fmt.Sprintf("new-%d", i), fmt.Sprintf("new-%d", i)
			ix.Upsert(p)
			state[p.ID] = p
			order = append(order, p.ID)
		default: // edit an existing (or deleted) id: text, tags, price, draft
			p := changes[rng.IntN(len(changes))]
			p.ID, p.Slug = id, "slug-"+id
			p.Price.Amount = int64(rng.IntN(5000))
			p.Active = rng.IntN(6) != 0
			ix.Upsert(p)
			state[p.ID] = p
		}
	}
	var final []app.Product
	for _, id := range order {
		if p, ok := state[id]; ok {
			final = append(final, p)
			delete(state, id) // order may repeat an id
		}
	}
	fresh := search.New()
	fresh.Build(final)

	if ix.Len() != fresh.Len() {
		t.Fatalf("edited index holds %d products, a rebuild %d", ix.Len(), fresh.Len())
	}
	if got, want := ix.Tags(), fresh.Tags(); !reflect.DeepEqual(got, want) {
		t.Errorf("tags differ:\n edited  %v\n rebuilt %v", got, want)
	}
	// Every product, listed whole, and found by its own title and by the
	// last word of its description: a missed edit of any one shows.
	all := search.Query{Order: search.Name}
	if got, want := slicesOf(ix.Find(all, 0, 10000)), slicesOf(fresh.Find(all, 0, 10000)); !reflect.DeepEqual(got, want) {
		t.Errorf("the whole catalog differs:\n edited  %v\n rebuilt %v", got, want)
	}
	for _, p := range final {
		words := strings.Fields(p.Description)
		for _, q := range []string{p.Title, strings.Trim(words[len(words)-1], ".")} {
			if got, want := ix.Search(q, 100), fresh.Search(q, 100); !reflect.DeepEqual(got, want) {
				t.Errorf("%q: edited index %v, rebuild %v", q, ids(got), ids(want))
			}
		}
	}
	queries := append([]string{"", "a", "k", "m", "v", "t", "ka", "icon", "the and", "zzz", "lo mi", "ven", "rado", "tenplate"}, shopWords...)
	tags := []string{""}
	for _, tag := range fresh.Tags()[:min(3, len(fresh.Tags()))] {
		tags = append(tags, tag.Key)
	}
	compared := 0
	for _, q := range queries {
		for _, tag := range tags {
			for _, o := range []search.Order{search.Relevance, search.Newest, search.PriceLow, search.Name} {
				pq := search.ParseQuery(q)
				pq.Order, pq.Tag = o, tag
				for _, offset := range []int{0, 10} {
					got, gotTotal := ix.Find(pq, offset, 20)
					want, wantTotal := fresh.Find(pq, offset, 20)
					if gotTotal != wantTotal || !reflect.DeepEqual(got, want) {
						t.Errorf("%q tag %q order %v offset %d: edited index %d %v, rebuild %d %v",
							q, tag, o, offset, gotTotal, ids(got), wantTotal, ids(want))
					}
					compared += len(want)
				}
			}
		}
	}
	if compared < 1000 {
		t.Fatalf("only %d hits compared: the queries find too little to prove anything", compared)
	}
}

func slicesOf(hits []search.Hit, total int) []search.Hit { return hits }

// TestSearchesWaitForTheFirstBuild: an index marked Building answers no
// search (nor change) until its first Build, so a shop that builds its
// index in the background never shows an empty catalog search.
func TestSearchesWaitForTheFirstBuild(t *testing.T) {
	ix := search.New()
	ix.Building()
	found := make(chan []search.Hit)
	go func() { found <- ix.Search("icon", 10) }()
	select {
	case hits := <-found:
		t.Fatalf("a search answered %v before the index was built", ids(hits))
	case <-time.After(50 * time.Millisecond):
	}
	ix.Build(catalog())
	if hits := <-found; len(hits) == 0 {
		t.Fatal("the waiting search found nothing after the build")
	}
	ix.Build(nil) // later builds do not close twice
}
