package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// fitsScreen fails when the page scrolls sideways.
func (b *browser) fitsScreen() {
	b.t.Helper()
	if over := evalJS[string](b, overflowScript); over != "" {
		b.fail("the page scrolls sideways: %s", over)
	}
}

// A customer on a 390 px phone signs in through the header's menu, buys a
// product and finds it in their account; no page scrolls sideways.
func TestPhonePurchase(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)
	run(b, "phone viewport", chromedp.EmulateViewport(390, 844))
	const email = "phone@example.com"

	b.Step("menu", func() {
		b.Open("/")
		b.fitsScreen()
		if evalJS[bool](b, `[...document.querySelectorAll("header a")].some(a => a.textContent.trim() === "Sign in" && a.checkVisibility())`) {
			b.fail("Sign in shows in the header before the menu is opened")
		}
		if h := evalJS[float64](b, `document.querySelector(".brand-name").getBoundingClientRect().height`); h > 32 {
			b.fail("the shop's name takes %.0f px: it wraps onto a second line", h)
		}
		b.Click("header details.menu summary")
		b.Until("the menu to open", `document.querySelector("header details.menu").open`)
		b.Press("Sign in")
		b.WaitPath(`^/login$`)
		b.fitsScreen()
	})

	b.Step("sign-in", func() {
		b.Type("#email", email)
		skip := s.Output.Len()
		b.Press("Email me a sign-in link")
		b.Sees("Check your email")
		b.openSignInLink(s.loginLinkFor(email, skip))
		b.WaitPath(`^/account`)
		b.Sees("Signed in as " + email)
		b.fitsScreen()
	})

	b.Step("cart", func() {
		b.Open("/products/cafe-budget-planner")
		b.fitsScreen()
		b.Press("Add to cart")
		b.Until("the header badge to count 1", `document.getElementById("cart-badge").textContent.trim() === "1"`)
		if !evalJS[bool](b, `document.querySelector(".buy-box form[action='/cart/items'] [data-htmx-error]").hidden`) {
			b.fail("the session message stayed after the retry worked")
		}
		b.Click("header a.cart-link")
		b.WaitPath(`^/cart$`)
		b.fitsScreen()
		// Stacked: the line's total and its Remove button are on screen.
		for _, css := range []string{"#cart .cart-line-total", "#cart .cart-remove button", "#cart .cart-total"} {
			if !evalJS[bool](b, `(r => r.width > 0 && r.left >= 0 && r.right <= innerWidth)(document.querySelector("`+css+`").getBoundingClientRect())`) {
				b.fail("%s is not on screen at 390 px", css)
			}
		}
	})

	b.Step("pay", func() {
		b.Press("Checkout…")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.fitsScreen()
		payOnSandbox(b, email, goodCard)
		b.WaitPath(`^/checkout/success\?session_id=cs_`)
		b.Sees("Thank you for your order!")
		b.fitsScreen()
	})

	b.Step("account-through-menu", func() {
		b.Click("header details.menu summary")
		b.Until("the menu to open", `document.querySelector("header details.menu").open`)
		b.Press("Account")
		b.WaitPath(`^/account$`)
		b.MustSee(budgetTitle, "Paid")
		b.fitsScreen()
	})

	b.Step("receipt", func() {
		b.ClickJS("the order's receipt link", `document.querySelector("#orders a[href^='/account/orders/']")`)
		b.WaitPath(`^/account/orders/`)
		b.MustSee("Receipt for order #", budgetTitle, "$7.00", "Paid")
		b.fitsScreen()
	})
	b.NoCSPViolations()
}

// A tab opened before the visitor signed in (in another tab) still holds
// the anonymous token: its htmx request is refused, says so, and works on
// the next try with the fresh token the refusal carried.
func TestStaleTokenRecovers(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)
	const email = "twotabs@example.com"

	b.Step("product-page-signed-out", func() {
		b.Open("/products/cafe-budget-planner")
		b.WaitVisible("#add-result")
	})

	b.Step("sign-in-in-another-tab", func() {
		other, cancel := chromedp.NewContext(b.tab)
		defer cancel()
		if err := chromedp.Do(other); err != nil {
			b.fail("open a second tab: %v", err)
		}
		skip := s.Output.Len()
		ctx, cancelWait := context.WithTimeout(other, 3*waitTimeout) // two pages and a form, in a second tab
		defer cancelWait()
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.url("/login")),
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.Click(chromedp.CSS("form[action='/login/email'] button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("main .narrow")),
		)
		if err != nil {
			b.fail("sign in in the second tab: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(s.loginLinkFor(email, skip)),
			chromedp.Click(chromedp.CSS("form[action^='/login/email/'] button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#account-who"))); err != nil {
			b.fail("open the sign-in link in the second tab: %v", err)
		}
	})

	b.Step("stale-add-to-cart", func() {
		evalJS[bool](b, `window.e2eSamePage = true`)
		b.Press("Add to cart")
		// The message goes under the button that was pressed (the form's
		// [data-htmx-error], since b569730), where the visitor is looking
		// and where it stays until the next try; the toast at the top of
		// the page is for requests without a place of their own.
		b.Until("the message that the session changed, under the button", `(e => !!e && !e.hidden && e.getClientRects().length > 0 && e.textContent.includes("Your session changed — please try again"))(document.querySelector(".buy-box form[action='/cart/items'] [data-htmx-error]"))`)
		if evalJS[bool](b, `!document.getElementById("toast").hidden`) {
			b.fail("the refusal was shown twice: inline and in the toast")
		}
		if n := evalJS[string](b, `document.getElementById("cart-badge").textContent.trim()`); n != "0" {
			b.fail("the refused request changed the cart (badge %q)", n)
		}
	})

	b.Step("retry-works", func() {
		b.Press("Add to cart")
		b.Until("the confirmation", `document.getElementById("add-result").innerText.includes("Added to your cart")`)
		b.Until("the header badge to count 1", `document.getElementById("cart-badge").textContent.trim() === "1"`)
		if !evalJS[bool](b, `document.querySelector(".buy-box form[action='/cart/items'] [data-htmx-error]").hidden`) {
			b.fail("the session message stayed after the retry worked")
		}
		if !evalJS[bool](b, `window.e2eSamePage === true`) {
			b.fail("recovering reloaded the page")
		}
	})

	b.Step("plain-form-gets-a-page", func() {
		// Without htmx (a plain form post with a stale token), the answer
		// is a page that says what happened, with a way back.
		evalJS[bool](b, `(f => { f.querySelector("input[name=_csrf]").value = "stale"; f.submit(); return true; })(document.querySelector(".buy-box form"))`)
		b.WaitPath(`^/cart/items$`)
		b.Sees("Your session changed")
		b.MustSee("nothing was changed", "Back to the page")
	})
	b.NoCSPViolations()
}
