package search_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"vendo/app"
)

// shopWords are words a digital-goods shop uses, so typical queries hit.
var shopWords = []string{
	"icon", "icons", "pack", "bundle", "theme", "template", "font", "fonts", "café",
	"brush", "brushes", "preset", "presets", "texture", "mockup", "vector", "pixel",
	"retro", "minimal", "modern", "illustration", "photo", "sound", "loop", "course",
	"ebook", "guide", "plugin", "straße", "crème", "naïve", "résumé", "über", "garçon",
}

// generateCatalog returns n active products with made-up but shop-like
// text: a vocabulary of 8,000 words drawn with a Zipf law, so a
// few words are everywhere and most are rare, as in real catalogs. The
// same seed gives the same catalog.
func generateCatalog(n int, seed uint64) []app.Product {
	return generateCatalogVocab(n, seed, 8000)
}

// generateCatalogVocab is generateCatalog with a vocabulary of vocabSize
// words: a bigger catalog has more distinct words, and typo tolerance
// costs in proportion to the term dictionary.
func generateCatalogVocab(n int, seed uint64, vocabSize int) []app.Product {
	rng := rand.New(rand.NewPCG(seed, 42))
	syllables := []string{"ka", "lo", "mi", "ra", "ven", "do", "ti", "su", "pe", "nor",
		"gal", "bri", "zo", "fen", "qua", "lé", "ün", "ça", "mar", "tos", "el", "vi", "ax", "ron"}
	// The most frequent words are fillers found in almost every product;
	// the shop words are spread over ranks 60 to 400, so "icon" is in about
	// a quarter of the products and "straße" in a few percent (the rest is
	// syllable soup).
	fillers := []string{"the", "and", "for", "with", "a", "of", "to", "in", "your", "this"}
	vocab := append([]string(nil), fillers...)
	seen := map[string]bool{}
	for _, w := range append(fillers, shopWords...) {
		seen[w] = true
	}
	for len(vocab) < vocabSize {
		if k := len(vocab) - 60; k >= 0 && k%10 == 0 && k/10 < len(shopWords) {
			vocab = append(vocab, shopWords[k/10])
			continue
		}
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(vocab)-1))
	words := func(k int, capital bool) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			w := vocab[zipf.Uint64()]
			if capital {
				r, size := utf8.DecodeRuneInString(w)
				w = string(unicode.ToUpper(r)) + w[size:]
			}
			b.WriteString(w)
		}
		return b.String()
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ps := make([]app.Product, n)
	for i := range ps {
		var desc []string
		for range 2 + rng.IntN(3) {
			desc = append(desc, words(25+rng.IntN(30), false)+".")
		}
		tags := make([]string, 1+rng.IntN(3))
		for k := range tags {
			tags[k] = vocab[zipf.Uint64()]
		}
		ps[i] = app.Product{
			ID:          fmt.Sprintf("p%05d-%d", i, seed),
			Slug:        fmt.Sprintf("product-%d-%d", i, seed),
			Title:       words(2+rng.IntN(3), true),
			Summary:     words(8+rng.IntN(7), false) + ".",
			Description: strings.Join(desc, "\n\n"),
			Tags:        tags,
			Active:      true,
			CreatedAt:   base.Add(time.Duration(i) * time.Hour),
		}
	}
	return ps
}
