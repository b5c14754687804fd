// Package search is Vendo's catalog index: an in-memory full-text index of
// the active products, built at start-up and kept current as products
// change, answering the search box as the customer types.
//
// Text is split into words (runs of letters, digits and combining marks)
// and each word is folded with app.Fold, so case and accents do not matter
// ("café" finds "Cafe", "cafe" finds "Café", "strasse" finds "Straße").
// Each folded term has a posting list of the products containing it, and
// the terms are kept sorted so the words starting with a prefix are one
// binary search away.
//
// Matching: every query term must match (AND), and every term matches any
// word it is a prefix of, not only the last one being typed: "ico pa" finds
// "Icon Pack", and a customer who types a word and moves on is not punished
// for a plural. Ranking: a term scores by where its best word occurs
// (title > tag > summary > description, summed over fields), an exact word
// in full and a longer word by a factor (0.75 for the term being typed,
// 0.5 for a finished one); a product's score is the sum over the terms.
// Ties go to the shorter title, then the newer product.
//
// Memory: the index keeps, per product, its posting entries (4 bytes a
// distinct word), its id, slug, folded title and tags, and no text when
// it reads its hits' text from a Source (NewReading): a catalog of
// 100,000 products is about 60 MiB. A product's own word list is not
// kept; an edit or a removal marks its old document removed (no posting
// list is searched for it) and the lists drop removed documents in one
// pass once they are a quarter of the live ones (compactLocked).
package search

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"vendo/app"
)

// DefaultLimit is the number of hits Search returns when asked for none.
const DefaultLimit = 20

// Prefix factors: how much of a word's weight a term earns when it is only
// the start of the word.
const (
	typingPrefixFactor   = 0.75 // the last term, still being typed
	finishedPrefixFactor = 0.5  // a term followed by more input
)

// Index is an in-memory full-text index of the active products. It is safe
// for concurrent use: searches share a read lock and highlight after
// releasing it; Build prepares the new index outside the write lock and
// Upsert folds the product's text outside it.
type Index struct {
	mu    sync.RWMutex
	docs  []*doc               // by document number; nil once removed
	byID  map[string]uint32    // product id → document number
	holes int                  // nil entries in docs, whose postings compactLocked drops
	terms []string             // distinct folded terms, sorted
	lists [][]posting          // lists[i]: the docs holding terms[i], ascending
	tags  map[string]*tagCount // by folded tag: how many products carry it
	// heads[c] lists, ascending, the docs holding a word of two or more
	// bytes that starts with the ASCII byte c, with the fields of the
	// heaviest such word: what a one-letter query finds as a prefix, in
	// one posting per product instead of one per word (a letter starts
	// thousands of words; at 100,000 products "b" has half a million
	// postings and about 80,000 products).
	heads [utf8.RuneSelf][]posting
	pool  sync.Pool // of *scratch, so searches don't allocate per document
	// source reads the hits' text when set (NewReading); otherwise each
	// doc keeps its own.
	source Source
	// ready, when not nil, is closed by the first Build: until then every
	// other method waits (Building).
	ready     chan struct{}
	readyOnce sync.Once
}

// doc is one indexed product. It is never changed once built, so hits can
// be highlighted after the read lock is released.
type doc struct {
	id, slug   string
	sortTitle  string   // folded title, for sorting by name
	tags       []string // folded, for the tag filter
	created    int64    // Unix nanoseconds, for the newer-first tie-break
	price      int64    // in the currency's smallest unit, for sorting
	titleRunes int32
	text       *Text // nil when the index reads text from its source
}

// Text is what a hit's highlighting is cut from: a product's title,
// summary and description.
type Text struct {
	Title, Summary, Description string
}

// Source reads the text of the products with ids, in that order, for the
// hits of a search (a few dozen at most); a product it no longer has gets
// a zero Text.
type Source func(ids []string) ([]Text, error)

// Hit is one search result: the product's id and slug, its score, and its
// title and summary cut into spans for highlighting.
type Hit struct {
	ID    string
	Slug  string
	Score float64
	// Typos is how many edits the match took, summed over the terms: 0
	// when every term matched a word or the start of one.
	Typos int
	// Title is the whole original title in spans.
	Title []Span
	// Summary is the whole summary in spans, or, when the match is in the
	// description and not the summary (or there is no summary), about 160
	// characters of the description around its first match.
	Summary []Span
	// FromDescription says Summary holds a description excerpt;
	// ClippedStart and ClippedEnd say text was cut before or after it, so
	// the page can show an ellipsis.
	FromDescription, ClippedStart, ClippedEnd bool
}

// New returns an empty index that keeps each product's text for the
// hits' highlighting. (The zero Index is empty and ready too.)
func New() *Index {
	return &Index{byID: map[string]uint32{}}
}

// NewReading returns an empty index that keeps no text: the hits of a
// search have theirs read from src. A shop's descriptions are most of a
// catalog's bytes, and its store has them anyway.
func NewReading(src Source) *Index {
	return &Index{byID: map[string]uint32{}, source: src}
}

// Building makes the index's users wait until the first Build is done, so
// a shop can serve its other pages while the index is built. Call it
// before sharing the index.
func (ix *Index) Building() { ix.ready = make(chan struct{}) }

// wait blocks until the first Build is done, after Building.
func (ix *Index) wait() {
	if ix.ready != nil {
		<-ix.ready
	}
}

// Len returns the number of indexed products.
func (ix *Index) Len() int {
	ix.wait()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// Slug returns the slug the product with id is indexed under, if it is.
func (ix *Index) Slug(id string) (string, bool) {
	ix.wait()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n, ok := ix.byID[id]
	if !ok {
		return "", false
	}
	return ix.docs[n].slug, true
}

// Build replaces the whole index with the active products among products
// (the last one wins when ids repeat). Searches keep using the old index
// until the new one is ready.
func (ix *Index) Build(products []app.Product) { ix.BuildThen(products, nil) }

// BuildThen is Build, running then (when not nil) after the new index is in
// place and before the first Build lets waiting searches through, so a
// shop's start-up can tidy up after the build (hand back the memory the
// catalog was decoded into) before its search counts as ready.
func (ix *Index) BuildThen(products []app.Product, then func()) {
	ix.build(products)
	if then != nil {
		then()
	}
	if ix.ready != nil {
		ix.readyOnce.Do(func() { close(ix.ready) })
	}
}

// build replaces the index's contents.
func (ix *Index) build(products []app.Product) {
	last := make(map[string]int, len(products))
	for i, p := range products {
		last[p.ID] = i
	}
	docs := make([]*doc, 0, len(last))
	byID := make(map[string]uint32, len(last))

	// Give each distinct term an id in order of appearance; a document's
	// terms are kept as id<<4|fields until the ids can be replaced by
	// ranks in the sorted term list, so no strings are sorted per product.
	dict := map[string]uint32{}
	var terms []string
	var seenIn, slot []uint32 // by term id: 1 + the last doc holding it, its entry there
	var entries []uint32      // every document's entries, back to back
	ends := make([]int, 0, len(last))
	var occ []occurrence
	folds := folder{} // most words recur across a catalog: fold each once
	for i, p := range products {
		if !p.Active || last[p.ID] != i {
			continue
		}
		n := uint32(len(docs))
		docs = append(docs, ix.newDoc(p))
		byID[p.ID] = n
		occ = folds.appendOccurrences(occ[:0], p)
		for _, o := range occ {
			k, ok := dict[o.term]
			if !ok {
				k = uint32(len(terms))
				t := strings.Clone(o.term) // don't pin the product's text
				dict[t] = k
				terms = append(terms, t)
				seenIn, slot = append(seenIn, 0), append(slot, 0)
			}
			if seenIn[k] == n+1 {
				entries[slot[k]] |= uint32(o.fields)
				continue
			}
			seenIn[k], slot[k] = n+1, uint32(len(entries))
			entries = append(entries, k<<4|uint32(o.fields))
		}
		ends = append(ends, len(entries))
	}

	order := make([]uint32, len(terms)) // term ids in term order
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(terms[a], terms[b]) })
	rank := seenIn // reuse: rank[id] is the id's place in order
	sortedTerms := make([]string, len(terms))
	for i, k := range order {
		rank[k] = uint32(i)
		sortedTerms[i] = terms[k]
	}
	count := slot // reuse: postings per rank
	clear(count)
	var heads [utf8.RuneSelf][]posting
	var headCount [utf8.RuneSelf]int
	var headEntries []uint32 // each document's heads, c<<4|fields, back to back
	headEnds := make([]int, 0, len(ends))
	first := 0
	for _, end := range ends {
		own := entries[first:end]
		for i, e := range own {
			own[i] = rank[e>>4]<<4 | e&15
			count[rank[e>>4]]++
		}
		slices.Sort(own) // by rank, so by term
		occ = occ[:0]
		for _, e := range own {
			occ = append(occ, occurrence{sortedTerms[e>>4], uint8(e & 15)})
		}
		eachHead(occ, func(c byte, fields uint8) {
			headCount[c]++
			headEntries = append(headEntries, uint32(c)<<4|uint32(fields))
		})
		headEnds = append(headEnds, len(headEntries))
		first = end
	}
	// All posting lists share one array, in term order, each capped at its
	// length so an Upsert's append moves that list out instead of
	// overwriting its neighbour.
	arena := make([]posting, len(entries))
	sortedLists := make([][]posting, len(terms))
	off := 0
	for i, c := range count {
		sortedLists[i] = arena[off : off : int(c)+off]
		off += int(c)
	}
	first = 0
	for n, end := range ends {
		for _, e := range entries[first:end] {
			sortedLists[e>>4] = append(sortedLists[e>>4], newPosting(uint32(n), uint8(e&15)))
		}
		first = end
	}

	for c, k := range headCount {
		if k > 0 {
			heads[c] = make([]posting, 0, k)
		}
	}
	first = 0
	for n, end := range headEnds {
		for _, e := range headEntries[first:end] {
			heads[e>>4] = append(heads[e>>4], newPosting(uint32(n), uint8(e&15)))
		}
		first = end
	}

	tags := map[string]*tagCount{}
	for _, d := range docs { // in catalog order: the first spelling of a tag names it
		countTags(tags, products[last[d.id]].Tags, 1)
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.docs, ix.byID, ix.holes = docs, byID, 0
	ix.terms, ix.lists = sortedTerms, sortedLists
	ix.heads = heads
	ix.tags = tags
}

// Upsert adds p or replaces the product with its id. An inactive product is
// removed instead: the store only shows active ones.
func (ix *Index) Upsert(p app.Product) {
	if !p.Active {
		ix.Remove(p.ID)
		return
	}
	occ := mergeOccurrences(folder(nil).appendOccurrences(nil, p))
	d := ix.newDoc(p)

	ix.wait()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.byID == nil { // the zero Index is ready to use
		ix.byID = map[string]uint32{}
	}
	ix.removeLocked(p.ID)
	if len(ix.docs) >= maxDocs-1 {
		ix.compactLocked(true)
	}
	n := uint32(len(ix.docs))
	ix.docs = append(ix.docs, d)
	ix.byID[p.ID] = n
	if ix.tags == nil {
		ix.tags = map[string]*tagCount{}
	}
	countTags(ix.tags, p.Tags, 1)
	var fresh []occurrence
	for _, o := range occ {
		// n is the largest number, so appending keeps lists ascending.
		if i, ok := slices.BinarySearch(ix.terms, o.term); ok {
			ix.lists[i] = append(ix.lists[i], newPosting(n, o.fields))
		} else {
			o.term = strings.Clone(o.term) // don't pin the product's text
			fresh = append(fresh, o)       // occ is sorted, so fresh is too
		}
	}
	ix.insertTermsLocked(fresh, n)
	eachHead(occ, func(c byte, fields uint8) { ix.heads[c] = append(ix.heads[c], newPosting(n, fields)) })
	ix.compactLocked(false)
}

// Remove drops the product with id, if indexed.
func (ix *Index) Remove(id string) {
	ix.wait()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.removeLocked(id)
	ix.compactLocked(false)
}

// removeLocked marks id's document removed: its postings stay in their
// lists, never matching (rankLocked skips removed documents), until
// compactLocked drops them. An edit is a removal and an addition, so it
// costs the product's own words, whatever the catalog.
func (ix *Index) removeLocked(id string) {
	n, ok := ix.byID[id]
	if !ok {
		return
	}
	uncountTags(ix.tags, ix.docs[n].tags)
	ix.docs[n] = nil
	delete(ix.byID, id)
	ix.holes++
}

// insertTermsLocked inserts the sorted new terms, each held by document n
// only, into the sorted term list: a binary search each for its place,
// then the terms between two places move up as one block.
func (ix *Index) insertTermsLocked(fresh []occurrence, n uint32) {
	if len(fresh) == 0 {
		return
	}
	old := len(ix.terms)
	pos := make([]int, len(fresh)) // ascending, as fresh is sorted
	for j, o := range fresh {
		pos[j] = sort.SearchStrings(ix.terms, o.term)
	}
	ix.terms = slices.Grow(ix.terms, len(fresh))[:old+len(fresh)]
	ix.lists = slices.Grow(ix.lists, len(fresh))[:old+len(fresh)]
	end := old // the old terms from end on have moved
	for j := len(fresh) - 1; j >= 0; j-- {
		copy(ix.terms[pos[j]+j+1:], ix.terms[pos[j]:end])
		copy(ix.lists[pos[j]+j+1:], ix.lists[pos[j]:end])
		ix.terms[pos[j]+j] = fresh[j].term
		ix.lists[pos[j]+j] = []posting{newPosting(n, fresh[j].fields)}
		end = pos[j]
	}
}

// compactLocked renumbers the documents and drops the removed ones'
// postings, and the terms left without any, once removed documents are a
// quarter of the live ones (or when forced): a pass over every posting,
// after as many edits, so the lists a search walks stay within a quarter
// of their live length.
func (ix *Index) compactLocked(force bool) {
	if !force && (ix.holes < 64 || 4*ix.holes < len(ix.byID)) {
		return
	}
	const gone = ^uint32(0)
	renumber := make([]uint32, len(ix.docs))
	docs := make([]*doc, 0, len(ix.byID))
	for n, d := range ix.docs {
		if d == nil {
			renumber[n] = gone
			continue
		}
		renumber[n] = uint32(len(docs))
		ix.byID[d.id] = uint32(len(docs))
		docs = append(docs, d)
	}
	keep := func(list []posting) []posting {
		w := 0
		for _, post := range list {
			if m := renumber[post.doc()]; m != gone {
				list[w] = newPosting(m, uint8(post&15))
				w++
			}
		}
		return list[:w]
	}
	w := 0
	for i, list := range ix.lists {
		if list = keep(list); len(list) > 0 {
			ix.terms[w], ix.lists[w] = ix.terms[i], list
			w++
		}
	}
	clear(ix.terms[w:])
	clear(ix.lists[w:])
	ix.terms, ix.lists = ix.terms[:w], ix.lists[:w]
	for c := range ix.heads {
		ix.heads[c] = keep(ix.heads[c])
	}
	ix.docs, ix.holes = docs, 0
}

// newDoc holds what ranking, sorting and filtering need of p, and its
// text unless the index reads text from its source; its terms are added
// by the caller.
func (ix *Index) newDoc(p app.Product) *doc {
	var created int64
	if !p.CreatedAt.IsZero() {
		created = p.CreatedAt.UnixNano()
	}
	d := &doc{
		id:         strings.Clone(p.ID), // don't pin the decoded product
		slug:       strings.Clone(p.Slug),
		titleRunes: int32(utf8.RuneCountInString(p.Title)),
		created:    created,
		price:      p.Price.Amount,
		sortTitle:  app.Fold(p.Title),
		tags:       foldTags(p.Tags),
	}
	if ix.source == nil {
		d.text = &Text{Title: p.Title, Summary: p.Summary, Description: p.Description}
	}
	return d
}

// appendOccurrences adds the folded words of p's title, tags, summary and
// description, each with its field.
func (f folder) appendOccurrences(occ []occurrence, p app.Product) []occurrence {
	occ = f.appendTerms(occ, p.Title, fieldTitle)
	for _, tag := range p.Tags {
		occ = f.appendTerms(occ, tag, fieldTag)
	}
	occ = f.appendTerms(occ, p.Summary, fieldSummary)
	return f.appendTerms(occ, p.Description, fieldDescription)
}

// folder folds words with app.Fold, remembering the non-ASCII ones (whose
// Unicode normalisation is the costly part of indexing) when not nil.
type folder map[string]string

func (f folder) fold(word string) string {
	if f == nil {
		return app.Fold(word)
	}
	for i := 0; i < len(word); i++ {
		if word[i] >= utf8.RuneSelf {
			t, ok := f[word]
			if !ok {
				t = app.Fold(word)
				f[word] = t
			}
			return t
		}
	}
	return app.Fold(word) // ASCII: a lowercase copy at most
}

// appendTerms adds the folded words of text, found in field.
func (f folder) appendTerms(occ []occurrence, text string, field uint8) []occurrence {
	for i := 0; i < len(text); {
		start, end := nextWord(text, i)
		if start < 0 {
			break
		}
		i = end
		if t := f.fold(text[start:end]); t != "" {
			occ = append(occ, occurrence{t, field})
		}
	}
	return occ
}

// Search parses q and returns up to limit hits (DefaultLimit when limit is
// not positive), best first. A query without words finds nothing.
func (ix *Index) Search(q string, limit int) []Hit {
	hits, _ := ix.SearchQuery(ParseQuery(q), limit)
	return hits
}

// SearchQuery is Search for a parsed query; it also returns how many
// products match in all, for a "123 results" line. q.Terms must be folded,
// as ParseQuery leaves them.
func (ix *Index) SearchQuery(q Query, limit int) (hits []Hit, total int) {
	return ix.Find(q, 0, limit)
}

// Find is SearchQuery for a page of the results: up to limit hits after
// the first offset, in q.Order, among the products with q.Tag (if any). A
// query without words lists every product (with the tag) when it names a
// tag or an order, newest first for Relevance, and finds nothing
// otherwise.
func (ix *Index) Find(q Query, offset, limit int) (hits []Hit, total int) {
	if len(q.Terms) == 0 && q.Tag == "" && q.Order == Relevance {
		return nil, 0
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	offset = max(offset, 0)
	ix.wait()
	ix.mu.RLock()
	top, total, typoWords := ix.rankLocked(q, offset+limit)
	ix.mu.RUnlock()

	// Documents never change, so highlighting needs no lock.
	q.typoWords = typoWords
	if offset >= len(top) {
		return nil, total
	}
	top = top[offset:]
	texts := ix.texts(top)
	hits = make([]Hit, len(top))
	for i, s := range top {
		hits[i] = s.d.hit(q, s, texts[i])
	}
	return hits, total
}

// texts returns the text of each candidate: its own, or read from the
// source. A source that fails leaves the hits without highlighting (the
// page shows the product's own title and summary).
func (ix *Index) texts(top []scored) []Text {
	out := make([]Text, len(top))
	if ix.source == nil {
		for i, s := range top {
			out[i] = *s.d.text
		}
		return out
	}
	ids := make([]string, len(top))
	for i, s := range top {
		ids[i] = s.d.id
	}
	if read, err := ix.source(ids); err == nil && len(read) == len(out) {
		copy(out, read)
	}
	return out
}

// scored is a candidate document and its score.
type scored struct {
	d     *doc
	score float64
	typos uint8 // edits summed over the terms
}

// better reports whether a ranks before b in order o: by o's key first
// (nothing for Relevance), then fewer typos, then higher score, then
// shorter title, then newer, then id so the order is stable.
func better(a, b scored, o Order) bool {
	if o != Relevance {
		if c := o.compare(a.d, b.d); c != 0 {
			return c < 0
		}
	}
	if a.typos != b.typos {
		return a.typos < b.typos
	}
	if a.score != b.score {
		return a.score > b.score
	}
	if a.d.titleRunes != b.d.titleRunes {
		return a.d.titleRunes < b.d.titleRunes
	}
	if a.d.created != b.d.created {
		return a.d.created > b.d.created
	}
	return a.d.id < b.d.id
}

// scratch is per-search working memory indexed by document number, reused
// through the index's pool. Between searches every entry is zero.
type scratch struct {
	stamp   []uint8   // 1 + how many terms a document has matched so far
	score   []float64 // its score so far
	typos   []uint8   // its edits so far
	cur     []float64 // its best word's match value for the term being checked
	touched []uint32  // documents the first term reached
	alive   []uint32  // those still matching every term checked
}

func (ix *Index) getScratch() *scratch {
	sc, _ := ix.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	if n := len(ix.docs); len(sc.stamp) < n {
		n += n / 4
		sc.stamp, sc.score, sc.typos, sc.cur = make([]uint8, n), make([]float64, n), make([]uint8, n), make([]float64, n)
	}
	return sc
}

func (ix *Index) putScratch(sc *scratch) {
	for _, n := range sc.touched {
		sc.stamp[n], sc.score[n], sc.typos[n], sc.cur[n] = 0, 0, 0, 0
	}
	sc.touched, sc.alive = sc.touched[:0], sc.alive[:0]
	ix.pool.Put(sc)
}

// rankLocked finds the documents matching every term of q and returns the
// best limit of them in order, and how many matched.
//
// Terms are walked rarest first (fewest postings under their prefix): the
// rarest term's posting lists give the candidates, and each further term's
// lists keep those they reach. Removed documents still in the lists are
// dropped at the end, with the tag filter.
func (ix *Index) rankLocked(q Query, limit int) ([]scored, int, []string) {
	if len(q.Terms) == 0 {
		return ix.listLocked(q, limit), ix.countLocked(q.Tag), nil
	}
	type plan struct {
		term         string
		lo, hi, cost int
		factor       float64
		typos        []typoWord
		head         []posting // for a one-letter term: heads, walked instead of lo..hi
	}
	plans := make([]plan, len(q.Terms))
	var typoTerms []string
	for j, t := range q.Terms {
		lo := sort.SearchStrings(ix.terms, t)
		hi := lo + sort.Search(len(ix.terms)-lo, func(k int) bool {
			return !strings.HasPrefix(ix.terms[lo+k], t)
		})
		typos := typoWordsLocked(ix.terms, t, lo, hi)
		if lo == hi && len(typos) == 0 {
			return nil, 0, nil // a term no word starts with or comes close to: nothing matches
		}
		cost := 0
		var head []posting
		useHead := len(t) == 1 && t[0] < utf8.RuneSelf
		if useHead {
			head = ix.heads[t[0]]
			cost = len(head)
			if lo < hi && ix.terms[lo] == t {
				cost += len(ix.lists[lo])
			}
		} else {
			for i := lo; i < hi; i++ {
				cost += len(ix.lists[i])
			}
		}
		for _, tw := range typos {
			cost += len(ix.lists[tw.term])
			typoTerms = append(typoTerms, ix.terms[tw.term])
		}
		factor := finishedPrefixFactor
		if j == len(q.Terms)-1 && q.Prefix {
			factor = typingPrefixFactor
		}
		if useHead && lo < hi { // the word t itself, if any, then heads for the longer ones
			hi = lo + 1
			if ix.terms[lo] != t {
				hi = lo
			}
		}
		plans[j] = plan{t, lo, hi, cost, factor, typos, head}
	}
	slices.SortStableFunc(plans, func(a, b plan) int { return cmp.Compare(a.cost, b.cost) })

	sc := ix.getScratch()
	defer ix.putScratch(sc)
	for k, p := range plans {
		// Each candidate's best word for this term goes into sc.cur as a
		// match value (see matchValue), then is added to its score.
		switch {
		case k == 0:
			ix.walkFirstLocked(sc, p.lo, p.hi, len(p.term), p.factor, p.typos, p.head)
			sc.alive = append(sc.alive, sc.touched...)
			for _, n := range sc.alive {
				sc.add(n)
			}
		default:
			ix.walkNextLocked(sc, uint8(k), p.lo, p.hi, len(p.term), p.factor, p.typos, p.head)
			alive := sc.alive[:0]
			for _, n := range sc.alive {
				if sc.cur[n] > 0 {
					sc.add(n)
					sc.stamp[n]++
					alive = append(alive, n)
				}
			}
			sc.alive = alive
		}
		if len(sc.alive) == 0 {
			return nil, 0, nil
		}
	}

	top := make([]scored, 0, min(limit, len(sc.alive)))
	total := 0
	for _, n := range sc.alive {
		d := ix.docs[n]
		if d == nil || q.Tag != "" && !slices.Contains(d.tags, q.Tag) { // removed, or not tagged
			continue
		}
		total++
		top = pushTop(top, limit, scored{d, sc.score[n], sc.typos[n]}, q.Order)
	}
	sortScored(top, q.Order)
	slices.Sort(typoTerms)
	return top, total, slices.Compact(typoTerms)
}

// The walks below visit every posting of a query term's words: those
// starting with the term (terms lo..hi, exactly the term when termLen
// bytes long) and its typo words, keeping each document's best match
// value in sc.cur. A prefix of a 100,000-product catalog can have half a
// million postings, so the loops over a list are written out, with the
// match value of each combination of fields looked up in a table, rather
// than calling a visitor per posting.

// eachListLocked calls visit with each posting list of a query term's
// words (lo..hi, the one-letter head list, the typo words) and the match
// value of each combination of fields in it.
func (ix *Index) eachListLocked(lo, hi, termLen int, factor float64, typos []typoWord, head []posting,
	visit func(list []posting, values *[16]float64)) {
	var exact, prefix [16]float64
	for f := range exact {
		exact[f] = matchValue(weights[f], 0)
		prefix[f] = matchValue(weights[f]*factor, 0)
	}
	for i := lo; i < hi; i++ {
		if len(ix.terms[i]) == termLen {
			visit(ix.lists[i], &exact)
		} else {
			visit(ix.lists[i], &prefix)
		}
	}
	visit(head, &prefix)
	for _, tw := range typos {
		var values [16]float64
		for f := range values {
			values[f] = matchValue(weights[f], tw.edits)
		}
		visit(ix.lists[tw.term], &values)
	}
}

// walkFirstLocked walks the first (rarest) term: every document reached
// becomes a candidate (sc.touched).
func (ix *Index) walkFirstLocked(sc *scratch, lo, hi, termLen int, factor float64, typos []typoWord, head []posting) {
	cur, stamp := sc.cur, sc.stamp
	ix.eachListLocked(lo, hi, termLen, factor, typos, head, func(list []posting, values *[16]float64) {
		for _, post := range list {
			n := post.doc()
			v := values[post&15]
			if stamp[n] == 0 {
				stamp[n] = 1
				sc.touched = append(sc.touched, n)
			}
			if v > cur[n] {
				cur[n] = v
			}
		}
	})
}

// walkNextLocked walks a further term: only the documents still
// candidates (stamp k) take a value.
func (ix *Index) walkNextLocked(sc *scratch, k uint8, lo, hi, termLen int, factor float64, typos []typoWord, head []posting) {
	cur, stamp := sc.cur, sc.stamp
	ix.eachListLocked(lo, hi, termLen, factor, typos, head, func(list []posting, values *[16]float64) {
		for _, post := range list {
			n := post.doc()
			if v := values[post&15]; stamp[n] == k && v > cur[n] {
				cur[n] = v
			}
		}
	})
}

// A term's match in a document is one number, so the best of several
// words is a max: the fewer edits the higher the tier, and within a tier
// the word's weight (at most 85, the sum of the field weights).
const (
	tierScale = 1024
	maxEdits  = 2
)

func matchValue(weight float64, edits int) float64 {
	if weight == 0 {
		return 0
	}
	return float64(maxEdits+1-edits)*tierScale + weight
}

// add moves document n's match value for the current term into its score
// and typo count.
func (sc *scratch) add(n uint32) {
	v := sc.cur[n]
	tier := int(v / tierScale)
	sc.score[n] += v - float64(tier)*tierScale
	sc.typos[n] += uint8(maxEdits + 1 - tier)
	sc.cur[n] = 0
}

// pushTop keeps the best limit candidates in a heap whose root is the worst
// of them, so ranking 10,000 matches costs n·log(limit).
func pushTop(top []scored, limit int, s scored, o Order) []scored {
	if len(top) < limit {
		top = append(top, s)
		for i := len(top) - 1; i > 0; { // sift up
			parent := (i - 1) / 2
			if !better(top[parent], top[i], o) {
				break
			}
			top[parent], top[i] = top[i], top[parent]
			i = parent
		}
		return top
	}
	if !better(s, top[0], o) {
		return top
	}
	top[0] = s
	for i := 0; ; { // sift down
		worst, l, r := i, 2*i+1, 2*i+2
		if l < len(top) && better(top[worst], top[l], o) {
			worst = l
		}
		if r < len(top) && better(top[worst], top[r], o) {
			worst = r
		}
		if worst == i {
			break
		}
		top[i], top[worst] = top[worst], top[i]
		i = worst
	}
	return top
}

// hit builds the search result for d, with highlighting for q in its
// text t.
func (d *doc) hit(q Query, s scored, t Text) Hit {
	h := Hit{ID: d.id, Slug: d.slug, Score: s.score, Typos: int(s.typos)}
	h.Title, _ = highlight(t.Title, q)
	summary, matched := highlight(t.Summary, q)
	if matched {
		h.Summary = summary
		return h
	}
	if t.Description != "" {
		ex := snippet(t.Description, q)
		if ex.matched || t.Summary == "" {
			h.Summary, h.FromDescription = ex.spans, true
			h.ClippedStart, h.ClippedEnd = ex.start, ex.end
			return h
		}
	}
	h.Summary = summary
	return h
}
