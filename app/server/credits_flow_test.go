package server_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/vendotest"
)

var downloadLinkRE = regexp.MustCompile(`href="([^"]*/downloads/[^"]+)"`)

// htmxTo posts as htmx does from an element whose target is the element
// with id target.
func htmxTo(c *vendotest.Client, path, target string) (*http.Response, string) {
	req, _ := http.NewRequest("POST", c.URL(path), strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", target)
	_, page := c.Get("/products") // a page for the CSRF token
	if m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page); m != nil {
		req.Header.Set("X-CSRF-Token", m[1])
	}
	return c.Do(req)
}

// TestSpendingCreditsFromTheProductPageAndTheCatalog: a subscriber sees
// "Unlock with a credit" and what is left on the product page and on the
// catalog cards, unlocks with htmx and with plain forms, and then sees
// the product as theirs with its downloads, never "Add to cart"; the cart
// refuses what they own.
func TestSpendingCreditsFromTheProductPageAndTheCatalog(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()

	// Signed out: no unlock button, the plans are mentioned.
	anon := srv.NewClient()
	_, page := anon.Get("/products/the-calm-inbox")
	mustContain(t, page, "Add to cart", "unlock it with a credit")
	if strings.Contains(page, "/library/the-calm-inbox/unlock") {
		t.Fatal("a visitor sees the unlock button")
	}

	email := "reader@example.com"
	c := subscriber(srv, email)
	c.Subscribe("starter", "month", "4242424242424242") // 3 credits a month
	currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })

	// The product page: the button and what is left.
	_, page = c.Get("/products/the-calm-inbox")
	mustContain(t, page, `action="/library/the-calm-inbox/unlock"`, "Unlock with a credit", "3 credits left this month", "Add to cart")

	// htmx: the buy box comes back with the downloads.
	resp, box := htmxTo(c, "/library/the-calm-inbox/unlock", "buy-box")
	if resp.StatusCode != 200 || strings.Contains(box, "<html") || !strings.Contains(box, `id="buy-box"`) {
		t.Fatalf("htmx unlock: %d\n%.600s", resp.StatusCode, box)
	}
	mustContain(t, box, "In your library", "/downloads/")
	if strings.Contains(box, "Add to cart") || strings.Contains(box, "Unlock with a credit") {
		t.Fatalf("the unlocked buy box still sells:\n%s", box)
	}
	// The download link serves the product's file.
	inbox, _ := srv.Store.ProductBySlug(ctx, "the-calm-inbox")
	link := html.UnescapeString(downloadLinkRE.FindStringSubmatch(box)[1])
	resp, got := c.Get(link)
	path, _ := srv.Files.Path(inbox.Files[0].SHA256)
	want, _ := os.ReadFile(path)
	if resp.StatusCode != 200 || len(want) == 0 || !bytes.Equal([]byte(got), want) {
		t.Fatalf("download after unlocking: %d, %d bytes, want the file's %d", resp.StatusCode, len(got), len(want))
	}
	// The page itself now says it is theirs, and never "Add to cart".
	_, page = c.Get("/products/the-calm-inbox")
	mustContain(t, page, "In your library", "/downloads/")
	if strings.Contains(page, "Add to cart") || strings.Contains(page, "/library/the-calm-inbox/unlock") {
		t.Fatal("an owned product's page offers to sell or unlock it")
	}
	// The cart refuses it, with a sentence.
	c.Get("/plans") // a page with forms, for the token
	resp, page = c.Submit("/cart/items", url.Values{"product": {inbox.ID}})
	if resp.StatusCode != 422 || !strings.Contains(page, "You already own The Calm Inbox") {
		t.Fatalf("adding an owned product to the cart: %d\n%.400s", resp.StatusCode, page)
	}
	if _, cart := c.Get("/cart"); !strings.Contains(cart, "Your cart is empty") {
		t.Fatal("the refused product is in the cart")
	}

	// The catalog: the owned card says so, the others offer the unlock.
	_, page = c.Get("/products")
	mustContain(t, page, `href="/products/the-calm-inbox#buy-box"><strong>In your library</strong>`, `action="/library/sunrise-wallpapers/unlock"`, "2 left this month")
	resp, card := htmxTo(c, "/library/sunrise-wallpapers/unlock", "card-action-sunrise-wallpapers")
	if resp.StatusCode != 200 || !strings.Contains(card, `id="card-action-sunrise-wallpapers"`) || !strings.Contains(card, "In your library") || strings.Contains(card, "<html") {
		t.Fatalf("card unlock: %d\n%.500s", resp.StatusCode, card)
	}
	// A plain form (no JavaScript) lands on the product page, owned.
	c.Get("/products")
	resp, page = c.Submit("/library/field-notes-icon-pack/unlock", url.Values{})
	if resp.Request.URL.Path != "/products/field-notes-icon-pack" || !strings.Contains(page, "In your library") || !strings.Contains(page, "/downloads/") {
		t.Fatalf("plain unlock landed on %s", resp.Request.URL)
	}

	// No credits left: the button gives way to when they refill, and an
	// upgrade link.
	sub := currentSub(t, srv, email, "three spends", func(s app.Subscription) bool { return s.Credits == 0 })
	_, page = c.Get("/products/cafe-budget-planner")
	refill := app.Anniversary(sub.CreditAnchor, 1).Format("Jan 2, 2006")
	mustContain(t, page, "You have no credits left this month. They refill on "+refill, `href="/plans">Upgrade your plan</a>`, "Add to cart")
	if strings.Contains(page, "/library/cafe-budget-planner/unlock") {
		t.Fatal("the unlock button shows with no credits left")
	}
	resp, _ = c.Submit("/library/cafe-budget-planner/unlock", url.Values{})
	if resp.StatusCode != 422 {
		t.Fatalf("an unlock with no credits: %d, want 422", resp.StatusCode)
	}

	// The account's history says what happened, in words.
	_, page = c.Get("/account")
	mustContain(t, page, "0 credits left", "Spent on The Calm Inbox", "Spent on Sunrise Wallpapers", "Granted for the month from", "Your credits refill to 3 on "+refill)
	if regexp.MustCompile(`>\+0<`).MatchString(page) {
		t.Fatal("the credit history has a +0 row")
	}
}
