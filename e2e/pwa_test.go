package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// Installed as an app, the shop keeps an offline page: when the network
// is gone, a page shows it instead of the browser's error.
func TestOfflinePage(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	b := newBrowser(t, s)

	b.Step("service-worker-ready", func() {
		b.Open("/")
		b.Until("the service worker to control the page", `navigator.serviceWorker.controller !== null`)
		b.Until("the offline page in the cache", `(caches.match("/offline").then(r => window.e2eOfflineKept = !!r), window.e2eOfflineKept === true)`)
	})

	b.Step("shop-unreachable", func() {
		// The shop goes away: to the browser, the network is gone.
		s.Stop()
		b.do("open a page without a network", chromedp.Navigate(s.url("/plans")))
		b.Sees("You are offline")
		if got := evalJS[string](b, `getComputedStyle(document.querySelector(".btn")).backgroundColor`); got == "" || got == "rgba(0, 0, 0, 0)" {
			b.fail("the offline page has no stylesheet (button background %q)", got)
		}
	})
	b.NoCSPViolations()
}
