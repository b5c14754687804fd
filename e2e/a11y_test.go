package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Every page a customer or the owner can reach is checked with axe-core in
// the light and the dark colour scheme, and every customer page must fit a
// 320 px phone without scrolling sideways. axe-core comes from npm, pinned
// in e2e/package-lock.json; `make deps` installs it into .bin/npm.

// axePath finds axe.min.js: $AXE_PATH, or where `make deps` puts it.
func axePath() string {
	if p := os.Getenv("AXE_PATH"); p != "" {
		return p
	}
	return filepath.Join("..", ".bin", "npm", "node_modules", "axe-core", "axe.min.js")
}

// axeScript reads axe-core, or skips the test without it (fails in CI).
func axeScript(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(axePath())
	if err == nil {
		return string(src)
	}
	msg := fmt.Sprintf("axe-core is not installed (%v); run `make deps`", err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " — CI is set, so the accessibility checks must run")
	}
	t.Skip(msg)
	return ""
}

// audit is one page to check: a path on the shop (or a full URL) and
// whether it is a customer page (checked at 320 px) or an admin page
// (checked at 1280 px).
type audit struct {
	path  string
	phone bool
}

// auditScript runs axe on the document with its default rules (WCAG 2.x A
// and AA and best practices), or with runOnly's, and lists each violation
// with its elements.
const auditScript = `axe.run(document, Object.assign({resultTypes: ["violations"]}, window.e2eAxeOnly ? {runOnly: window.e2eAxeOnly} : {})).then(r => r.violations.map(v =>
  v.id + " (" + v.impact + "): " + v.help + " — " + v.nodes.slice(0, 4).map(n => n.target.join(" ") + (n.failureSummary ? " [" + n.failureSummary.replace(/\s+/g, " ").slice(0, 160) + "]" : "")).join("; ")))`

// overflowScript says how far a page scrolls sideways, 0 when it fits.
const overflowScript = `(() => {
  const over = document.documentElement.scrollWidth - innerWidth;
  if (over <= 0) return "";
  const clipped = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) { if (getComputedStyle(p).overflowX !== "visible") return true; } return false; };
  const wide = [...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !clipped(e))
    .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && e.className.baseVal === undefined ? "." + String(e.className).trim().replace(/\s+/g, ".") : ""));
  return over + " px too wide (" + wide.join(", ") + ")";
})()`

// checkPage audits the page open in a tab: sideways scrolling on phones,
// then axe in the light and the dark scheme. It returns the problems.
func checkPage(ctx context.Context, axe string, phone bool) []string {
	var problems []string
	if phone {
		over, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowScript))
		if err != nil {
			return []string{"measure the width: " + err.Error()}
		}
		if over != "" {
			problems = append(problems, "scrolls sideways at 320 px: "+over)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
		return append(problems, "inject axe-core: "+err.Error())
	}
	for _, scheme := range []string{"light", "dark"} {
		if err := chromedp.Do(ctx, colorScheme(scheme)); err != nil {
			return append(problems, "emulate "+scheme+": "+err.Error())
		}
		// The dark scheme changes colours only: it is checked with the
		// rules about colour, which halves the suite's time.
		only := `window.e2eAxeOnly = null`
		if scheme == "dark" {
			only = `window.e2eAxeOnly = {type: "rule", values: ["color-contrast", "link-in-text-block"]}`
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](only)); err != nil {
			return append(problems, "choose the rules: "+err.Error())
		}
		found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](auditScript, chromedp.EvalAwaitPromise))
		if err != nil {
			return append(problems, "run axe ("+scheme+"): "+err.Error())
		}
		for _, f := range found {
			problems = append(problems, scheme+": "+f)
		}
	}
	if !phone {
		// Admin pages are checked on a desktop, and must fit a 390 px
		// phone too: wide tables scroll inside their own box.
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
			return append(problems, "phone viewport: "+err.Error())
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowScript))
		if err != nil {
			return append(problems, "measure the width: "+err.Error())
		}
		if over != "" {
			problems = append(problems, "scrolls sideways at 390 px: "+over)
		}
	}
	return problems
}

// colorScheme emulates prefers-color-scheme.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		// Reduced motion turns the stylesheet's transitions off, so axe
		// reads the scheme's colours, not a transition's first frame.
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}, {Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	})
}

// viewport sizes a tab: a 320 px phone or a 1280 px desktop.
func viewport(phone bool) chromedp.Action[chromedp.Void] {
	if phone {
		return chromedp.EmulateViewport(320, 740)
	}
	return chromedp.EmulateViewport(1280, 900)
}

// auditHere checks the page the browser is on now (one reached by a form,
// like the sandbox's Checkout).
func (b *browser) auditHere(axe string, phone bool) {
	b.t.Helper()
	path := b.Path()
	if phone {
		run(b, "phone viewport", viewport(true))
		defer run(b, "desktop viewport", viewport(false))
	}
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	for _, p := range checkPage(ctx, axe, phone) {
		b.t.Errorf("%s: %s", path, p)
	}
	if err := chromedp.Do(ctx, colorScheme("light")); err != nil {
		b.fail("reset the colour scheme: %v", err)
	}
}

// auditPages opens the pages in two parallel tabs of the browser (same
// cookies) and reports every problem as a test error.
func (b *browser) auditPages(axe string, pages []audit) {
	b.t.Helper()
	work := make(chan audit)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		tab, cancel := chromedp.NewContext(b.tab)
		defer cancel()
		if err := chromedp.Do(tab); err != nil { // opens the tab, with no deadline
			b.fail("open a tab: %v", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				problems := func() []string {
					ctx, cancel := context.WithTimeout(tab, 90*time.Second) // axe is slow on a loaded machine
					defer cancel()
					if err := chromedp.Do(ctx, viewport(p.phone), colorScheme("light"), chromedp.Navigate(b.shop.url(p.path))); err != nil {
						return []string{"open: " + err.Error()}
					}
					return checkPage(ctx, axe, p.phone)
				}()
				mu.Lock()
				for _, pr := range problems {
					b.t.Errorf("%s: %s", p.path, pr)
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range pages {
		work <- p
	}
	close(work)
	wg.Wait()
}

// TestEveryPageAccessible audits every customer page (signed out and
// signed in), the sandbox's Checkout and every admin page.
func TestEveryPageAccessible(t *testing.T) {
	t.Parallel()
	axe := axeScript(t)
	// More pages than a flow: a longer deadline than testTimeout.
	deadlines.Store(t, time.Now().Add(8*time.Minute))
	t.Cleanup(func() { deadlines.Delete(t) })
	s := startShop(t)
	b := newBrowser(t, s)

	b.Step("signed-out-pages", func() {
		b.auditPages(axe, []audit{
			{"/", true}, {"/products", true}, {"/products?q=budget", true}, {"/products?q=zzzz", true},
			{"/products/cafe-budget-planner", true}, {"/plans", true}, {"/plans?interval=year", true},
			{"/cart", true}, {"/login", true}, {"/checkout/cancel", true}, {"/no-such-page", true}, {"/offline", true},
		})
	})

	b.Step("sign-in-email-sent", func() {
		b.Open("/login")
		b.Type("#email", "owner-buys@example.com")
		b.Press("Email me a sign-in link")
		b.Sees("Check your email")
		b.auditHere(axe, true)
	})

	b.Step("owner-signs-in", func() {
		s.signInAdmin(b)
	})

	b.Step("buy", func() {
		b.Open("/products/cafe-budget-planner")
		b.Press("Add to cart")
		b.Until("the header badge to count 1", `document.getElementById("cart-badge").textContent.trim() === "1"`)
		b.Open("/cart")
		b.auditHere(axe, true)
		b.Press("Checkout…")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.WaitVisible("#card_number")
		b.auditHere(axe, true)
		payOnSandbox(b, "owner-buys@example.com", goodCard)
		b.WaitPath(`^/checkout/success\?session_id=cs_`)
		b.Sees("Thank you for your order!")
		b.auditHere(axe, true)
	})

	b.Step("subscribe", func() {
		b.Open("/plans")
		b.PressIn("#plan-grid", "Choose Pro")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		payOnSandbox(b, "owner-buys@example.com", goodCard)
		b.WaitPath(`^/account`)
		b.ReloadUntil("a license key", `document.querySelector("#licenses code.license-key")`)
		b.ReloadUntil("an invoice row", `document.querySelectorAll("#invoices tbody tr").length > 0`)
	})

	// Detail pages are reached through their lists.
	link := func(list, css string) string {
		b.t.Helper()
		b.Open(list)
		return evalJS[string](b, fmt.Sprintf(`(a => a ? a.getAttribute("href") : "")(document.querySelector(%q))`, css))
	}
	var details []audit
	b.Step("find-detail-pages", func() {
		for _, l := range [][2]string{
			{"/account", "#orders a[href^='/account/orders/']"},
			{"/admin/orders", "#orders-table a[href^='/admin/orders/']"},
			{"/admin/customers", "#customers-table a[href^='/admin/customers/']"},
			{"/admin/products", "#products-table a[href^='/admin/products/prod']"},
			{"/admin/events", "#events-table a[href^='/admin/events/']"},
			{"/admin/outbox", "#outbox-table a[href^='/admin/outbox/']"},
		} {
			href := link(l[0], l[1])
			if href == "" {
				b.fail("no link %s on %s", l[1], l[0])
			}
			details = append(details, audit{href, strings.HasPrefix(href, "/account")})
		}
		order := details[1].path
		details = append(details, audit{order + "/refund?amount=&reason=requested_by_customer", false})
	})

	b.Step("signed-in-pages", func() {
		pages := []audit{
			{"/", true}, {"/account", true},
			{"/admin", false}, {"/admin/products", false}, {"/admin/products/new", false}, {"/admin/plans", false},
			{"/admin/orders", false}, {"/admin/customers", false}, {"/admin/subscriptions", false},
			{"/admin/licenses", false}, {"/admin/events", false}, {"/admin/downloads", false}, {"/admin/outbox", false},
			{"/admin/audit", false}, {"/admin/webhooks", false}, {"/admin/settings", false}, {"/admin/backups", false},
		}
		b.auditPages(axe, append(pages, details...))
	})
	b.NoCSPViolations()
}
