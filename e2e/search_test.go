package e2e

import (
	"testing"
)

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
