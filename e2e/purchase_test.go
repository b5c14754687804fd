package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The demo catalog (seeded on first start in sandbox mode) has this
// product with one file; "budget" finds it and nothing else.
const (
	budgetTitle = "Café Budget Planner"
	budgetFile  = "cafe-budget-planner.csv"
	goodCard    = "4242 4242 4242 4242"
	badCard     = "4000 0000 0000 0002"
)

// A visitor browses, searches as they type, adds a product to the cart
// (twice: it stays once), pays on the sandbox's Checkout page and downloads
// the file they bought.
func TestBuyAndDownload(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)

	b.Step("home", func() {
		b.Open("/")
		b.MustSee("Sandbox — no real payments", "New and noteworthy")
		b.Press("Browse products")
		b.WaitPath(`^/products$`)
		b.WaitVisible("#q")
	})

	b.Step("search-as-you-type", func() {
		all := evalJS[int](b, `document.querySelectorAll("#product-results .product-card").length`)
		if all < 2 {
			b.fail("the catalog shows %d products; the demo has more", all)
		}
		// A page load would drop this marker: htmx must swap the results
		// in place.
		evalJS[bool](b, `window.e2eSamePage = true`)
		b.Type("#q", "budget")
		b.Until("the URL to carry the query", `location.search === "?q=budget"`)
		b.Until("highlighted results for “budget”",
			`[...document.querySelectorAll("#product-results mark")].some(m => m.textContent.toLowerCase() === "budget")`)
		b.Until("only the matching products", fmt.Sprintf(
			`document.querySelectorAll("#product-results .product-card").length < %d`, all))
		if !evalJS[bool](b, `window.e2eSamePage === true`) {
			b.fail("typing in the search box reloaded the page instead of swapping the results")
		}
		b.MustSee("for “budget”", budgetTitle)
	})

	b.Step("open-product", func() {
		b.PressIn("#product-results", budgetTitle)
		b.WaitPath(`^/products/cafe-budget-planner$`)
		b.MustSee(budgetTitle, "$7.00", budgetFile)
		if !evalJS[bool](b, `document.getElementById("cart-badge").hidden`) {
			b.fail("the cart badge shows for an empty cart")
		}
	})

	b.Step("add-to-cart", func() {
		evalJS[bool](b, `window.e2eSamePage = true`)
		b.Press("Add to cart")
		b.Until("the confirmation", `document.getElementById("add-result").innerText.includes("Added to your cart")`)
		b.Until("the header badge to count 1", `(b => !b.hidden && b.textContent.trim() === "1")(document.getElementById("cart-badge"))`)
		if !evalJS[bool](b, `window.e2eSamePage === true`) {
			b.fail("adding to the cart reloaded the page")
		}
	})

	b.Step("cart", func() {
		b.Click("header a.cart-link")
		b.WaitPath(`^/cart$`)
		b.WaitVisible("#cart .cart-total")
		b.MustSee(budgetTitle)
		if got := b.Text("#cart .cart-total"); got != "$7.00" {
			b.fail("cart total %q, want $7.00", got)
		}
		if evalJS[bool](b, `document.querySelector("#cart input[name=quantity]") !== null`) {
			b.fail("the cart has a quantity field: a file is one per customer")
		}
	})

	b.Step("add-again", func() {
		// Adding the same file again buys it once.
		b.Open("/products/cafe-budget-planner")
		b.Press("Add to cart")
		b.Until("the confirmation", `document.getElementById("add-result").innerText.includes("Added to your cart")`)
		b.Until("the badge to still count 1", `document.getElementById("cart-badge").textContent.trim() === "1"`)
		b.Click("header a.cart-link")
		b.WaitPath(`^/cart$`)
		if got := b.Text("#cart .cart-total"); got != "$7.00" {
			b.fail("cart total after adding again %q, want $7.00", got)
		}
	})

	b.Step("checkout", func() {
		b.Press("Checkout…")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.WaitVisible("#card_number")
		b.MustSee(budgetTitle, "$7.00")
	})

	const email = "buyer@example.com"
	b.Step("pay", func() {
		payOnSandbox(b, email, goodCard)
		b.WaitPath(`^/checkout/success\?session_id=cs_`)
		b.Sees("Thank you for your order!")
		b.MustSee("Order #", email, "$7.00", budgetTitle, budgetFile)
	})

	b.Step("download", func() {
		const link = "#checkout-status a[download]"
		if got := b.Text(link); got != budgetFile {
			b.fail("download link reads %q, want %s", got, budgetFile)
		}
		path, name := b.Download(link)
		if name != budgetFile {
			b.fail("the download is named %q, want %s", name, budgetFile)
		}
		checkStoredFile(b, path)
	})
	b.NoCSPViolations()
}

// A declined card shows its error on the sandbox page, and no order
// appears in the buyer's account.
func TestDeclinedCard(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)
	const email = "declined@example.com"

	b.Step("add-to-cart", func() {
		b.Open("/products/cafe-budget-planner")
		b.Press("Add to cart")
		b.Until("the header badge to count 1", `document.getElementById("cart-badge").textContent.trim() === "1"`)
	})

	b.Step("checkout", func() {
		b.Open("/cart")
		b.Press("Checkout…")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.WaitVisible("#card_number")
	})

	b.Step("declined", func() {
		payOnSandbox(b, email, badCard)
		b.Until("the decline message", `(a => a && /declined/i.test(a.innerText))(document.querySelector("[role=alert]"))`)
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.MustSee("Payment failed.")
	})

	b.Step("no-order", func() {
		signIn(b, email)
		b.MustSee("No orders yet.")
		if n := evalJS[int](b, `document.querySelectorAll("#library a[download]").length`); n != 0 {
			b.fail("%d downloads in the library after a declined card", n)
		}
	})

	b.Step("cart-kept", func() {
		// The cart survives the failed payment: the buyer can try again.
		b.Open("/cart")
		b.MustSee(budgetTitle)
	})
	b.NoCSPViolations()
}

// buyNow buys one of a product, from its page to the success page.
func buyNow(b *browser, slug, email string) {
	b.t.Helper()
	b.Open("/products/" + slug)
	b.Press("Add to cart")
	b.Until("the header badge to count 1", `document.getElementById("cart-badge").textContent.trim() === "1"`)
	b.Open("/cart")
	b.Press("Checkout…")
	b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
	payOnSandbox(b, email, goodCard)
	b.WaitPath(`^/checkout/success\?session_id=cs_`)
	b.Sees("Thank you for your order!")
}

// payOnSandbox fills the sandbox's hosted Checkout form and submits it.
func payOnSandbox(b *browser, email, card string) {
	b.t.Helper()
	b.WaitVisible("#card_number")
	b.Fill("#email", email)
	b.Fill("#name", "Test Buyer")
	b.Fill("#card_number", card)
	b.Fill("#exp", "12/34")
	b.Fill("#cvc", "123")
	b.Click(".pay form button[type=submit]")
}

// checkStoredFile checks that a downloaded file is byte for byte a file
// the shop stores: its SHA-256 names a file under data/files (content
// addressed), whose own bytes hash to that name.
func checkStoredFile(b *browser, path string) {
	b.t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		b.fail("read the download: %v", err)
	}
	if len(got) == 0 {
		b.fail("the download is empty")
	}
	sum := sha256.Sum256(got)
	hash := hex.EncodeToString(sum[:])
	stored, err := os.ReadFile(filepath.Join(b.shop.Dir, "files", hash[:2], hash))
	if err != nil {
		var names []string
		filepath.WalkDir(filepath.Join(b.shop.Dir, "files"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, strings.TrimPrefix(p, b.shop.Dir))
			}
			return nil
		})
		b.fail("the downloaded bytes (sha256 %s, %d bytes) are no file of the shop: %v; stored: %v", hash, len(got), err, names)
	}
	if storedSum := sha256.Sum256(stored); hex.EncodeToString(storedSum[:]) != hash {
		b.fail("the stored file %s does not hash to its name", hash)
	}
}

// openSignInLink follows an emailed sign-in link as a customer does: the
// link opens a page that says who it signs in, with one button (issue 17,
// hole 7: opening the link alone signs nobody in).
func (b *browser) openSignInLink(link string) {
	b.t.Helper()
	b.Open(link)
	b.Sees("Sign in to this shop as")
	b.Press("Yes, sign me in")
}

// signIn signs in with an emailed link: the shop has no SMTP_URL, so the
// link is read from its log, where it writes the mail it cannot send.
func signIn(b *browser, email string) {
	b.t.Helper()
	b.Open("/login")
	b.Type("#email", email)
	skip := b.shop.Output.Len()
	b.Press("Email me a sign-in link")
	b.Sees("Check your email")
	b.MustSee(email)
	b.openSignInLink(b.shop.loginLinkFor(email, skip))
	b.WaitPath(`^/account`)
	b.Sees("Signed in as " + email)
}
