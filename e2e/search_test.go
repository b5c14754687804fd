package e2e

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

var itoa = strconv.Itoa

// A visitor who mistypes a product's name still finds it, with the word
// they meant highlighted.
func TestSearchWithTypo(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)

	b.Step("catalog", func() {
		b.Open("/products")
		b.WaitVisible("#q")
	})

	b.Step("type-with-a-typo", func() {
		b.Type("#q", "nite owl")
		b.Until("the Night Owl theme among the results",
			`[...document.querySelectorAll("#product-results .product-card")].some(c => c.textContent.includes("Night Owl Editor Theme"))`)
		b.Until("“Night” highlighted though “nite” was typed",
			`[...document.querySelectorAll("#product-results mark")].some(m => m.textContent === "Night")`)
		if n := evalJS[int](b, `document.querySelectorAll("#product-results .product-card").length`); n != 1 {
			b.fail("“nite owl” shows %d products, want only the Night Owl theme", n)
		}
	})

	b.Step("open-it", func() {
		b.PressIn("#product-results", "Night Owl Editor Theme")
		b.WaitPath(`^/products/night-owl-editor-theme$`)
		b.MustSee("Night Owl Editor Theme", "$9.00")
	})

	b.Step("without-javascript", func() {
		// The results are the server's, so a link with the typo (or a
		// browser without JavaScript) gets them too.
		b.Open("/products?q=sampel")
		b.MustSee("1 result for “sampel”", "Lo-fi Sample Kit")
	})
	b.NoCSPViolations()
}

// Typing in the search box replaces the address instead of adding a
// history entry per keystroke; submitting, sorting and choosing a tag add
// one each, combine with each other, and Back returns to the list before.
func TestCatalogHistorySortAndTag(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)
	var before int
	choose := func(id, value string) {
		b.t.Helper()
		evalJS[bool](b, `(s => { s.value = "`+value+`"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })(document.getElementById("`+id+`"))`)
	}
	prices := `[...document.querySelectorAll("#product-results .product-card .price")].map(p => Number(p.textContent.replace(/[^0-9]/g, "")))`

	b.Step("type", func() {
		b.Open("/products")
		b.WaitVisible("#q")
		before = evalJS[int](b, `history.length`)
		evalJS[bool](b, `window.e2eSamePage = true`)
		b.Type("#q", "design")
		b.Until("the URL to carry the query", `location.search === "?q=design"`)
		if n := evalJS[int](b, `history.length`); n != before {
			b.fail("typing added %d history entries, want none", n-before)
		}
	})

	b.Step("submit", func() {
		b.Type("#q", "\r")
		b.Until("one history entry for the submitted search", `history.length === `+itoa(before+1))
		if !evalJS[bool](b, `window.e2eSamePage === true && location.search === "?q=design"`) {
			b.fail("submitting reloaded the page or changed the query: %s", b.Path())
		}
	})

	b.Step("sort-by-price", func() {
		choose("sort", "price")
		b.Until("the URL to carry the sort", `location.search === "?q=design&sort=price"`)
		b.Until("the cheapest design product first", `(p => p.length === 2 && p[0] === 500 && p[1] === 1900)(`+prices+`)`)
		b.Until("a history entry for the sort", `history.length === `+itoa(before+2))
	})

	b.Step("tag-without-words", func() {
		b.Retype("#q", kb.Backspace)
		b.Until("the URL to drop the query", `location.search === "?sort=price"`)
		choose("tag", "design")
		b.Until("the URL to carry sort and tag", `location.search === "?sort=price&tag=design"`)
		b.Until("the design products by price", `(p => p.length === 2 && p[0] < p[1])(`+prices+`)`)
		b.MustSee("2 results tagged “design”")
	})

	b.Step("back", func() {
		evalJS[bool](b, `history.back(), true`)
		// Clearing the box replaced the sorted search's entry: Back goes to
		// every product by price.
		b.Until("Back to return to the list before the tag", `location.search === "?sort=price"`)
		b.Until("every product by price again", `(p => p.length > 2 && p.every((v, i) => i === 0 || p[i-1] <= v))(`+prices+`)`)
	})
	b.NoCSPViolations()
}
