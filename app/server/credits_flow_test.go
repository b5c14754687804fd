package server_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/blobs"
	"vendo/app/store"
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
	path, _ := srv.Files.(*blobs.Dir).Path(inbox.Files[0].SHA256)
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
	// The catalog cards say it too, each with the upgrade link.
	_, page = c.Get("/products")
	mustContain(t, page, "No credits left until "+refill, `<a href="/plans">Upgrade</a>`)
	if strings.Contains(page, "/unlock\"") {
		t.Fatal("the catalog offers an unlock with no credits left")
	}

	// The account's history says what happened, in words.
	_, page = c.Get("/account")
	mustContain(t, page, "0 credits left", "Spent on The Calm Inbox", "Spent on Sunrise Wallpapers", "Granted for the month from", "Your credits refill to 3 on "+refill)
	if regexp.MustCompile(`>\+0<`).MatchString(page) {
		t.Fatal("the credit history has a +0 row")
	}
}

// TestSubscribingWhileSignedOutGoesStraightToCheckout: a visitor picks a
// yearly plan, signs in with the emailed link and lands in Checkout for
// that plan, not back on the plans page.
func TestSubscribingWhileSignedOutGoesStraightToCheckout(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	v := srv.NewClient()
	v.Get("/plans?interval=year")
	resp, page := v.Submit("/subscribe", url.Values{"plan": {"pro"}, "interval": {"year"}})
	if resp.Request.URL.Path != "/login" || !strings.Contains(page, "you go straight to payment for the plan you chose") {
		t.Fatalf("subscribe signed out landed on %s", resp.Request.URL)
	}
	next := resp.Request.URL.Query().Get("next")
	if !strings.Contains(page, `name="next" value="`+html.EscapeString(next)+`"`) {
		t.Fatalf("the sign-in form does not carry next=%q", next)
	}
	v.RequestLink("late@example.com", next)
	resp = v.OpenSignInLink(srv.SignInLink("late@example.com"))
	resp, page = v.Get(resp.Header.Get("Location"))
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/cs_") {
		t.Fatalf("after the sign-in link: %s\n%.500s", resp.Request.URL, page)
	}
	mustContain(t, page, "Pro", "$190.00")
	// Paying there makes the yearly Pro subscription.
	v.Pay("late@example.com", "4242424242424242")
	sub := currentSub(t, srv, "late@example.com", "activation", func(s app.Subscription) bool { return s.Fulfilled })
	if sub.Interval != app.Yearly || sub.PlanID != planBySlug(t, srv, "pro").ID {
		t.Fatalf("subscribed to %s %s", sub.PlanID, sub.Interval)
	}
	// A signed-in visitor following such a link is not sent to Checkout
	// by a GET: the plans page, with the interval.
	if resp, _ := v.Get("/login?next=" + url.QueryEscape(next)); resp.Request.URL.String() != srv.URL+"/plans?interval=year" {
		t.Fatalf("signed in, /login?next=subscribe went to %s", resp.Request.URL)
	}
}

// TestThePlansPageTellsTheRules: "N credits a month" for both intervals,
// no roll-over, what happens to unlocks at the end (a setting), and the
// switch shows the chosen interval after an htmx swap.
func TestThePlansPageTellsTheRules(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	v := srv.NewClient()
	for _, iv := range []string{"month", "year"} {
		_, page := v.Get("/plans?interval=" + iv)
		mustContain(t, page, "10 credits a month", "unused credits do not roll over", "end with it")
		if strings.Contains(page, "seats") || strings.Contains(page, "per year") {
			t.Fatalf("%s: the plans page promises seats or credits per year", iv)
		}
	}
	_, part := v.HTMX("GET", "/plans?interval=year", nil)
	if strings.Contains(part, "<html") || !regexp.MustCompile(`aria-current="true">Yearly`).MatchString(part) || regexp.MustCompile(`aria-current="true">Monthly`).MatchString(part) {
		t.Fatalf("the htmx swap does not show Yearly selected:\n%.800s", part)
	}
	if _, err := srv.Store.UpdateSettings(context.Background(), func(s *app.Settings) error { s.UnlocksAtPlanEnd = app.UnlocksKept; return nil }); err != nil {
		t.Fatal(err)
	}
	_, page := v.Get("/plans")
	mustContain(t, page, "stay in your library after your plan ends")
}

// TestRightAfterSubscribingWithoutJavaScript: the account page never says
// "being activated" and "you have no plan" at once.
func TestRightAfterSubscribingWithoutJavaScript(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{NoBackground: true}) // no webhook arrives
	c := subscriber(srv, "eager@example.com")
	_, page := c.Get("/account?subscribed=1")
	mustContain(t, page, "being activated", `href="/account?subscribed=1"`)
	if strings.Contains(page, "You have no plan") {
		t.Fatal("the account says both \"being activated\" and \"You have no plan\"")
	}
	if _, page = c.Get("/account"); !strings.Contains(page, "You have no plan") {
		t.Fatal("without a subscription the account does not say there is no plan")
	}
}

// TestTheAdminSetsTheGraceAndTheUnlockRule: the two plan settings are on
// the settings page, saved, and a bad grace is refused with a sentence.
func TestTheAdminSetsTheGraceAndTheUnlockRule(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	_, page := srv.Admin.Get("/admin/settings")
	mustContain(t, page, "Grace after a failed payment (days)", `name="past_due_grace" value="7"`, `<option value="end" selected>end with the plan</option>`)
	form := url.Values{"shop_name": {"Vendo Demo Shop"}, "currency": {"usd"}, "download_expiry": {"24"}, "download_limit": {"10"},
		"past_due_grace": {"thirty"}, "unlocks_at_plan_end": {"keep"}}
	resp, page := srv.Admin.Submit("/admin/settings", form)
	if resp.StatusCode != 422 || !strings.Contains(page, "Enter a whole number of days, from 0 to 30.") {
		t.Fatalf("a bad grace: %d", resp.StatusCode)
	}
	if st, _ := srv.Store.Settings(context.Background()); st.KeepsUnlocks() || st.PastDueGrace != 7*24*time.Hour {
		t.Fatalf("a refused form changed the settings: %+v", st)
	}
	form.Set("past_due_grace", "3")
	srv.Admin.Get("/admin/settings")
	if resp, _ := srv.Admin.Submit("/admin/settings", form); resp.StatusCode != 200 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if st, _ := srv.Store.Settings(context.Background()); !st.KeepsUnlocks() || st.PastDueGrace != 3*24*time.Hour {
		t.Fatalf("saved settings: %+v", st)
	}
	_, page = srv.NewClient().Get("/plans")
	mustContain(t, page, "stay in your library after your plan ends")
}

// advanceTo moves the sandbox clock to t (a little after, as real time
// runs on).
func advanceTo(t *testing.T, srv *vendotest.Shop, to time.Time) {
	t.Helper()
	d := to.Sub(srv.Sandbox.Now())
	if d < 0 {
		t.Fatalf("the sandbox clock is already past %s", to)
	}
	srv.AdvanceClock(fmt.Sprintf("%ds", int64(d/time.Second)+1))
}

// unlockOn spends a credit on a product through its page's form and
// returns the answer's status.
func unlockOn(c *vendotest.Client, slug string) (int, string) {
	c.Get("/products/" + slug)
	resp, page := c.Submit("/library/"+slug+"/unlock", url.Values{})
	return resp.StatusCode, page
}

// TestAYearlyPlanFromJan31OnTheSandboxClock: a yearly Pro subscription
// started on Jan 31 gets 10 credits at every monthly anniversary (Feb 28,
// Mar 31, Apr 30…) for 13 months, across the sandbox's yearly renewal,
// as the account page and the unlock button see them.
func TestAYearlyPlanFromJan31OnTheSandboxClock(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	now := srv.Sandbox.Now().UTC()
	jan31 := time.Date(now.Year()+1, 1, 31, 10, 0, 0, 0, time.UTC)
	advanceTo(t, srv, jan31)

	email := "yearly@example.com"
	c := subscriber(srv, email)
	c.Subscribe("pro", "year", "4242424242424242")
	sub := currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	anchor := sub.CreditAnchor
	if anchor.Sub(jan31) > time.Hour || anchor.Before(jan31) {
		t.Fatalf("the subscription starts %s, want Jan 31", anchor)
	}
	for k := 0; k <= 13; k++ {
		p := app.Product{Slug: fmt.Sprintf("month-%d", k), Title: fmt.Sprintf("Month %d", k), Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
		if err := srv.Store.PutProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k <= 13; k++ {
		month := app.Anniversary(anchor, k)
		if k > 0 {
			advanceTo(t, srv, month.Add(time.Hour))
		}
		if k == 12 {
			currentSub(t, srv, email, "the yearly renewal", func(s app.Subscription) bool { return s.CurrentPeriodStart.Equal(month) })
		}
		_, page := c.Get("/account")
		mustContain(t, page, "10 credits left")
		if code, page := unlockOn(c, fmt.Sprintf("month-%d", k)); code != 200 || !strings.Contains(page, "In your library") {
			t.Fatalf("month %d (%s): unlock %d", k, month.Format("Jan 2 2006"), code)
		}
		if _, page = c.Get("/account"); !strings.Contains(page, "9 credits left") {
			t.Fatalf("month %d: the account does not say 9 credits left after an unlock", k)
		}
	}
	var froms []string
	srv.Store.View(ctx, func(tx *store.Tx) error {
		cs, _ := tx.CreditsOf(sub.CustomerID, 0)
		for i := len(cs) - 1; i >= 0; i-- {
			if cs[i].Reason == app.CreditGrant {
				froms = append(froms, cs[i].From.Format("Jan 2 2006"))
			}
		}
		return nil
	})
	y := jan31.Year()
	want := []string{fmt.Sprintf("Jan 31 %d", y)}
	for _, m := range []string{"Feb %d", "Mar 31", "Apr 30", "May 31", "Jun 30", "Jul 31", "Aug 31", "Sep 30", "Oct 31", "Nov 30", "Dec 31"} {
		if m == "Feb %d" {
			m = fmt.Sprintf(m, time.Date(y, 3, 0, 0, 0, 0, 0, time.UTC).Day())
		}
		want = append(want, fmt.Sprintf("%s %d", m, y))
	}
	want = append(want, fmt.Sprintf("Jan 31 %d", y+1), fmt.Sprintf("Feb %d %d", time.Date(y+1, 3, 0, 0, 0, 0, 0, time.UTC).Day(), y+1))
	if strings.Join(froms, ", ") != strings.Join(want, ", ") {
		t.Fatalf("grants:\n got %v\nwant %v", froms, want)
	}
}

// TestAFailedRenewalOnTheSandboxClock: a card that fails at renewal gives
// the subscriber the grace (credits work, the account says until when and
// links to the Billing Portal), then a hold; paying the invoice ends the
// hold without a second refill for the month.
func TestAFailedRenewalOnTheSandboxClock(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	email := "late-payer@example.com"
	c := subscriber(srv, email)
	c.Subscribe("pro", "month", "4000 0000 0000 0341") // attaches, fails on renewal
	sub := currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	if code, _ := unlockOn(c, "the-calm-inbox"); code != 200 {
		t.Fatalf("unlock: %d", code)
	}

	renewal := app.Anniversary(sub.CreditAnchor, 1)
	advanceTo(t, srv, renewal.Add(time.Hour))
	sub = currentSub(t, srv, email, "past due", func(s app.Subscription) bool { return s.Status == "past_due" && !s.PastDueSince.IsZero() })
	graceEnd := sub.PastDueSince.Add(7 * 24 * time.Hour)
	_, page := c.Get("/account")
	mustContain(t, page, "Your last payment failed", "keep working until <strong>"+graceEnd.Format("Jan 2, 2006")+"</strong>",
		`action="/account/billing-portal"`, "Update payment method", "payment failed", "10 credits left")
	if strings.Contains(page, "Renews on") || strings.Contains(page, ">past_due<") {
		t.Fatal("the account says \"Renews on\" or a raw status next to a failed payment")
	}
	if code, _ := unlockOn(c, "sunrise-wallpapers"); code != 200 {
		t.Fatalf("unlock inside the grace: %d", code)
	}

	// A day after the grace (the sandbox's retry on day 3 failed too, the
	// last comes on day 8): credits are on hold.
	advanceTo(t, srv, graceEnd.Add(6*time.Hour))
	_, page = c.Get("/account")
	mustContain(t, page, "your credits are on hold until the payment goes through", "Update payment method")
	code, page := unlockOn(c, "field-notes-icon-pack")
	if code != 403 || !strings.Contains(page, "Your credits are on hold because your last payment failed") {
		t.Fatalf("unlock after the grace: %d", code)
	}

	// Paying the open invoice on its hosted page ends the hold.
	sub = currentSub(t, srv, email, "still past due", func(s app.Subscription) bool { return s.Status == "past_due" })
	resp, _ := c.Post(srv.URL+"/sandbox/stripe/invoices/"+sub.LatestInvoiceID+"/pay",
		url.Values{"email": {email}, "name": {"Late Payer"}, "card_number": {"4242424242424242"}, "exp": {"12/34"}, "cvc": {"123"}})
	if resp.StatusCode != 200 {
		t.Fatalf("paying the invoice: %d", resp.StatusCode)
	}
	currentSub(t, srv, email, "active again", func(s app.Subscription) bool { return s.Status == "active" && s.PastDueSince.IsZero() })
	_, page = c.Get("/account")
	mustContain(t, page, "9 credits left") // the month's refill happened once, in the grace
	if code, _ := unlockOn(c, "field-notes-icon-pack"); code != 200 {
		t.Fatalf("unlock after paying: %d", code)
	}
}

// TestAnUnconfirmedRenewalStillOffersTheUnlock: past the stored period
// end (the renewal's webhook has not arrived), a subscriber who spent
// last month's credits is offered the unlock, not told their credits
// refill on a date that has passed; the unlock asks Stripe, finds the
// renewal, and spends from the new month.
func TestAnUnconfirmedRenewalStillOffersTheUnlock(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{Env: map[string]string{"VENDO_SYNC_INTERVAL": "0"}})
	ctx := context.Background()
	email := "renewing@example.com"
	c := subscriber(srv, email)
	c.Subscribe("starter", "month", "4242424242424242") // 3 credits a month
	sub := currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	for _, slug := range []string{"the-calm-inbox", "sunrise-wallpapers", "field-notes-icon-pack"} {
		if code, _ := unlockOn(c, slug); code != 200 {
			t.Fatalf("unlock %s: %d", slug, code)
		}
	}
	// The shop's copy says the period ended yesterday (a renewal it has
	// not heard of): its month began 40 days ago. (Once every event so
	// far is answered: a late one would refresh it from Stripe.)
	vendotest.WaitFor(t, "the sandbox's deliveries", func() bool { n, err := srv.Sandbox.Queued(); return err == nil && n == 0 })
	err := srv.Store.Update(ctx, func(tx *store.Tx) error {
		s, err := tx.Subscription(sub.ID)
		if err != nil {
			return err
		}
		old := srv.Sandbox.Now().Add(-40 * 24 * time.Hour)
		s.CurrentPeriodStart, s.CurrentPeriodEnd = old, srv.Sandbox.Now().Add(-24*time.Hour)
		s.CreditAnchor, s.CreditMonth, s.SnapshotAt = old, old, old
		return tx.PutSubscription(&s)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, page := c.Get("/products/cafe-budget-planner")
	mustContain(t, page, `action="/library/cafe-budget-planner/unlock"`, "Unlock with a credit", "being confirmed")
	if strings.Contains(page, "They refill on") || strings.Contains(page, "no credits left") || strings.Contains(page, "0 credits left") {
		t.Fatalf("past the stored period the buy box trusts last month's balance:\n%.1500s", page)
	}
	_, page = c.Get("/products")
	mustContain(t, page, `action="/library/cafe-budget-planner/unlock"`)
	_, page = c.Get("/account")
	mustContain(t, page, "The shop is confirming the payment with Stripe")
	if strings.Contains(page, "0 credits left") {
		t.Fatal("the account states last month's balance as this month's while the renewal is unconfirmed")
	}
	if code, page := unlockOn(c, "cafe-budget-planner"); code != 200 || !strings.Contains(page, "In your library") {
		t.Fatalf("unlock past the stored period: %d", code)
	}
	_, page = c.Get("/account")
	mustContain(t, page, "2 credits left")
}

// TestAFreeProductOffersNoUnlock: a subscriber is never asked to spend a
// credit on a free product, on its page or its card.
func TestAFreeProductOffersNoUnlock(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	free := app.Product{Slug: "free-sampler", Title: "Free Sampler", Summary: "A taste.", Price: app.Money{Amount: 0, Currency: "usd"}, Active: true}
	if err := srv.Store.PutProduct(context.Background(), &free); err != nil {
		t.Fatal(err)
	}
	if _, page := srv.NewClient().Get("/products/free-sampler"); strings.Contains(page, "unlock it with a credit") {
		t.Fatal("a visitor is told to subscribe to unlock a free product")
	}
	email := "sampler@example.com"
	c := subscriber(srv, email)
	c.Subscribe("starter", "month", "4242424242424242")
	currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	_, page := c.Get("/products/free-sampler")
	mustContain(t, page, "Get it free")
	if strings.Contains(page, "Unlock with a credit") {
		t.Fatal("the free product's page offers to spend a credit on it")
	}
	_, page = c.Get("/products")
	mustContain(t, page, "Free Sampler", `action="/library/the-calm-inbox/unlock"`)
	if strings.Contains(page, `action="/library/free-sampler/unlock"`) {
		t.Fatal("the free product's card offers to spend a credit on it")
	}
}

// TestTheBackgroundSyncStoresAYearlyPlansMonthlyRefillOnce: a month into
// a yearly plan no event arrives; the page computes the refill without
// storing it, and the background sync stores it, once.
func TestTheBackgroundSyncStoresAYearlyPlansMonthlyRefillOnce(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{Env: map[string]string{"VENDO_SYNC_INTERVAL": "0"}})
	ctx := context.Background()
	email := "yearly-sync@example.com"
	c := subscriber(srv, email)
	c.Subscribe("pro", "year", "4242424242424242")
	sub := currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	if code, _ := unlockOn(c, "the-calm-inbox"); code != 200 {
		t.Fatalf("unlock: %d", code)
	}
	grants := func() (n int) {
		srv.Store.View(ctx, func(tx *store.Tx) error {
			cs, _ := tx.CreditsOf(sub.CustomerID, 0)
			for _, e := range cs {
				if e.Reason == app.CreditGrant {
					n++
				}
			}
			return nil
		})
		return n
	}
	// Every event about the subscription has been answered: what follows
	// is the month turning with no event at all.
	vendotest.WaitFor(t, "the sandbox's deliveries", func() bool { n, err := srv.Sandbox.Queued(); return err == nil && n == 0 })
	advanceTo(t, srv, app.Anniversary(sub.CreditAnchor, 1).Add(time.Hour))
	_, page := c.Get("/account")
	mustContain(t, page, "10 credits left")
	if s := currentSub(t, srv, email, "read", func(app.Subscription) bool { return true }); s.Credits != 9 || grants() != 1 {
		t.Fatalf("a page read stored the refill: credits %d, %d grants", s.Credits, grants())
	}
	for i := 0; i < 2; i++ {
		if _, err := srv.Sync(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if s := currentSub(t, srv, email, "synced", func(app.Subscription) bool { return true }); s.Credits != 10 || grants() != 2 {
			t.Fatalf("after sync %d: credits %d, %d grants; want 10 and 2", i+1, s.Credits, grants())
		}
	}
}
