package e2e

import (
	"regexp"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// A customer signs in with the link from their email; the link works once.
func TestEmailSignIn(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)
	const email = "reader@example.com"
	var link string

	b.Step("ask-for-link", func() {
		b.Open("/")
		b.Press("Sign in")
		b.WaitPath(`^/login$`)
		b.Type("#email", email)
		skip := s.Output.Len()
		b.Press("Email me a sign-in link")
		b.Sees("Check your email")
		b.MustSee(email)
		link = s.loginLinkFor(email, skip)
	})

	b.Step("open-link", func() {
		b.openSignInLink(link)
		b.WaitPath(`^/account$`)
		b.MustSee("Your account", "Signed in as "+email, "You have no plan.", "No orders yet.")
		b.Until("the header to link the account", `[...document.querySelectorAll("header nav a")].some(a => a.textContent.trim() === "Account")`)
	})

	b.Step("link-used-up", func() {
		b.Open(link)
		b.Sees("This sign-in link has expired or was already used")
	})

	b.Step("sign-out", func() {
		b.Open("/account")
		b.Press("Sign out")
		b.WaitPath(`^/$`)
		b.Until("the header to offer sign-in", `[...document.querySelectorAll("header nav a")].some(a => a.textContent.trim() === "Sign in")`)
		b.Open("/account")
		b.WaitPath(`^/login`)
	})
	b.NoCSPViolations()
}

var licenseKeyRE = regexp.MustCompile(`^VENDO(-[23456789A-HJ-NP-Z]{4}){4}$`)

// A customer subscribes yearly, sees the plan in their account, unlocks a
// product with a credit from its page and downloads it, switches plan and
// cancels in the Billing Portal, and the plan ends when the
// sandbox clock passes the period.
func TestSubscribeSwitchCancel(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)
	const email = "subscriber@example.com"

	b.Step("sign-in", func() { signIn(b, email) })

	b.Step("plans-yearly", func() {
		b.Press("Plans")
		b.WaitPath(`^/plans`)
		b.WaitVisible("#plan-grid")
		b.MustSee("/ month")
		evalJS[bool](b, `window.e2eSamePage = true`)
		b.Press("Yearly…")
		b.Until("the URL to say yearly", `location.search === "?interval=year"`)
		b.Until("yearly prices", `document.getElementById("plan-grid").innerText.includes("/ year")`)
		b.Until("the switch to show Yearly selected", `document.querySelector('.interval-switch a[aria-current="true"]').textContent.trim().startsWith("Yearly")`)
		if !evalJS[bool](b, `window.e2eSamePage === true`) {
			b.fail("the monthly/yearly switch reloaded the page instead of swapping the plans")
		}
		b.MustSee("$190.00")
	})

	b.Step("subscribe", func() {
		b.PressIn("#plan-grid", "Choose Pro")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.MustSee("Pro", "$190.00", "per year")
		payOnSandbox(b, email, goodCard)
		b.WaitPath(`^/account`)
	})

	b.Step("account-shows-plan", func() {
		b.ReloadUntil("the Pro plan on the account", `document.querySelector("#subscription .plan-name").innerText.includes("Pro")`)
		b.MustSee("billed yearly", "10 credits left", "Renews on")
		b.Until("a license key", `document.querySelector("#licenses code.license-key")`)
		key := b.Text("#licenses code.license-key")
		if !licenseKeyRE.MatchString(key) {
			b.fail("license key %q is not VENDO-XXXX-XXXX-XXXX-XXXX", key)
		}
		b.copiesKey(key)
		b.ReloadUntil("an invoice row", `document.querySelectorAll("#invoices tbody tr").length > 0`)
		if row := b.Text("#invoices tbody tr"); !strings.Contains(row, "$190.00") {
			b.fail("invoice row %q lacks the amount $190.00", row)
		}
	})

	b.Step("unlock-and-download", func() {
		b.Open("/products/cafe-budget-planner")
		b.MustSee("Unlock with a credit", "10 credits left this month")
		evalJS[bool](b, `window.e2eSamePage = true`)
		b.Press("Unlock with a credit")
		b.Until("the buy box to show the product as owned", `document.getElementById("buy-box").innerText.includes("In your library")`)
		if !evalJS[bool](b, `window.e2eSamePage === true`) {
			b.fail("unlocking reloaded the page instead of swapping the buy box")
		}
		if evalJS[bool](b, `document.getElementById("buy-box").innerText.includes("Add to cart")`) {
			b.fail("the owned product is still offered for sale")
		}
		path, name := b.Download("#buy-box a[download]")
		if name != budgetFile {
			b.fail("the download is named %q, want %s", name, budgetFile)
		}
		checkStoredFile(b, path)
		b.Open("/account")
		b.MustSee("9 credits left", "Spent on "+budgetTitle)
	})

	b.Step("portal", func() {
		b.Press("Manage plan and billing")
		b.WaitPath(`^/sandbox/stripe/portal/`)
		b.MustSee("Billing", email, "Current plan", "Switch plan")
	})

	b.Step("switch-to-team", func() {
		b.ClickJS("the Switch button for Team, yearly",
			`[...document.querySelectorAll(".options li")].find(li => li.innerText.includes("Team") && li.innerText.includes("/ year")).querySelector("button")`)
		b.Until("Team to be the current plan", `[...document.querySelectorAll(".options li")].some(li => li.innerText.includes("Team") && li.innerText.includes("Current"))`)
		b.Press("Return to shop")
		b.WaitPath(`^/account`)
		b.ReloadUntil("the Team plan on the account", `document.querySelector("#subscription .plan-name").innerText.includes("Team")`)
		b.MustSee("Unlimited credits")
	})

	b.Step("cancel-at-period-end", func() {
		b.Press("Manage plan and billing")
		b.WaitPath(`^/sandbox/stripe/portal/`)
		b.Press("Cancel plan")
		b.Sees("Your plan will be canceled on")
		b.Press("Return to shop")
		b.WaitPath(`^/account`)
		b.ReloadUntil("the account to say when the plan ends", `document.getElementById("subscription").innerText.includes("Your plan ends on")`)
	})

	b.Step("clock-past-period", func() {
		b.Open("/sandbox/stripe/clock")
		b.Fill("#advance", "400d")
		b.Press("Advance")
		b.Sees("400d ahead of real time")
	})

	b.Step("plan-ended", func() {
		b.Open("/account")
		b.ReloadUntil("the account to say the plan ended", `document.getElementById("subscription").innerText.includes("plan has ended")`)
		b.MustSee("Choose a plan")
	})
	b.NoCSPViolations()
}

// copiesKey checks the account's licence key: on one line even on a
// 320 px phone (a key split mid-way is easy to mistype), and its Copy
// button puts exactly the key on the clipboard.
func (b *browser) copiesKey(key string) {
	b.t.Helper()
	const code = `document.querySelector("#licenses code.license-key")`
	run(b, "phone viewport", chromedp.EmulateViewport(320, 740))
	if !evalJS[bool](b, `(c => c.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(c).fontSize))(`+code+`)`) {
		b.fail("the licence key wraps onto a second line at 320 px")
	}
	b.fitsScreen()
	run(b, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(b.tab, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: b.shop.url(""),
			BrowserContextID: chromedp.FromContext(b.tab).BrowserContextID, // this browser's, in the shared Chromium
		}); err != nil {
			b.fail("grant %s: %v", name, err)
		}
	}
	b.ClickJS("the key's Copy button", `document.querySelector("#licenses button[data-copy]")`)
	b.Until("the button to say Copied", `document.querySelector("#licenses button[data-copy]").textContent.trim() === "Copied"`)
	evalJS[bool](b, `navigator.clipboard.readText().then(t => { window.e2eClipboard = t; }), true`)
	b.Until("the clipboard to hold the key", `window.e2eClipboard === "`+key+`"`)
}
