package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// On a desktop the product page's buy box stays in view while the
// description scrolls past, keeps its own height, and points to the plans
// that include the product; on a phone it scrolls with the page.
func TestProductBuyBoxStaysInView(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)
	const box = `document.getElementById("buy-box")`

	b.Step("desktop", func() {
		// A short window, so the description is longer than the screen.
		run(b, "short desktop viewport", chromedp.EmulateViewport(1280, 560))
		b.Open("/products/field-notes-icon-pack")
		b.WaitVisible("#buy-box")
		if !evalJS[bool](b, `[...`+box+`.querySelectorAll("a[href='/plans']")].some(a => a.checkVisibility())`) {
			b.fail("the buy box does not link to the plans that include the product")
		}
		column := evalJS[float64](b, `document.querySelector(".product-page > div").getBoundingClientRect().height`)
		height := evalJS[float64](b, box+`.getBoundingClientRect().height`)
		if height > column-100 {
			b.fail("the buy box is %.0f px tall beside a %.0f px column: it stretches", height, column)
		}
		evalJS[bool](b, `window.scrollTo(0, 300), true`)
		b.Until("the page to scroll", `window.scrollY >= 250`)
		if top := evalJS[float64](b, `document.querySelector(".product-page > div").getBoundingClientRect().top`); top > -100 {
			b.fail("the description's column is at %.0f px: the page did not scroll", top)
		}
		if top := evalJS[float64](b, box+`.getBoundingClientRect().top`); top < 0 || top > 120 {
			b.fail("after scrolling the buy box is at %.0f px from the top: it did not stay in view", top)
		}
	})

	b.Step("phone", func() {
		run(b, "phone viewport", chromedp.EmulateViewport(390, 844))
		b.Reload()
		b.WaitVisible("#buy-box")
		if pos := evalJS[string](b, `getComputedStyle(`+box+`).position`); pos == "sticky" {
			b.fail("on a phone the buy box sticks (it would cover the description)")
		}
		b.fitsScreen()
	})
	b.NoCSPViolations()
}
