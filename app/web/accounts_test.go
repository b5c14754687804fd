package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/server"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// acctShop is a whole shop whose store clock the test moves, to expire
// sign-in links and sessions.
type acctShop struct {
	*vendotest.Shop
	clock *vendotest.Clock
}

// newAcctShop starts a shop on a settable clock; opts add settings
// (VENDO_ADMIN_EMAILS, OIDC_…) or a mail server.
func newAcctShop(t *testing.T, opts vendotest.Options) *acctShop {
	t.Helper()
	clock := vendotest.NewClock(time.Now())
	opts.Now = clock.Now
	// mockoidc's userinfo has no "sub": read the ID token's claims only.
	opts.Setup = func(srv *server.Server) { srv.Auth.SkipOIDCUserInfo(true) }
	return &acctShop{Shop: vendotest.Start(t, opts), clock: clock}
}

// browser is a signed-out browser that sees every redirect (it does not
// follow them), so tests check each hop.
func (s *acctShop) browser() *vendotest.Client { return s.NewClient().NoFollow() }

var (
	linkRE      = regexp.MustCompile(`http://[^\s]+/login/email/[A-Za-z0-9_.-]+`)
	csrfFieldRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
)

func TestEmailSignInThroughARealSMTPServer(t *testing.T) {
	t.Parallel()
	// No background work: the test flushes the outbox itself.
	shop := newAcctShop(t, vendotest.Options{SMTP: true, NoBackground: true})
	inbox := shop.Inbox
	ctx := context.Background()
	b := shop.browser()

	b.RequestLink("Ada@Example.com", "/products?q=calm")
	// No stored session before signing in (issue 17, hole 5): the forms
	// are protected by the anonymous cookie.
	if b.Cookie("vendo_session") != "" || b.Cookie("vendo_anon") == "" {
		t.Fatal("the sign-in page stored a session, or gave no anonymous cookie")
	}
	if n, err := shop.Mail.Flush(ctx); n != 1 || err != nil {
		t.Fatalf("flush: %d %v", n, err)
	}
	got := inbox.Wait(1, 5*time.Second)
	if len(got) != 1 || got[0].To[0] != "ada@example.com" {
		t.Fatalf("received %+v", got)
	}
	text, err := got[0].Part("text/plain")
	if err != nil {
		t.Fatal(err)
	}
	link := linkRE.FindString(text)
	if link == "" {
		t.Fatalf("no link in the message:\n%s", text)
	}

	// First use (the link's page, then its button): signed in, with a
	// session made at sign-in, and sent to next.
	resp := b.OpenSignInLink(link)
	if resp.Header.Get("Location") != "/products?q=calm" {
		t.Fatalf("first use: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if b.Cookie("vendo_session") == "" {
		t.Error("no session cookie after sign-in")
	}
	if who := b.SignedInAs(); who != "ada@example.com" {
		t.Fatalf("signed in as %q", who)
	}
	shop.Store.View(ctx, func(tx *store.Tx) error {
		c, err := tx.CustomerByEmail("ada@example.com")
		if err != nil || !c.EmailVerified || c.LastSignInAt.IsZero() {
			t.Errorf("customer: %+v %v", c, err)
		}
		return nil
	})

	// Second use, from another browser: refused.
	other := shop.browser()
	resp, body := other.Get(link)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "This sign-in link has expired or was already used") ||
		!strings.Contains(body, `action="/login/email"`) {
		t.Fatalf("second use: %d\n%.600s", resp.StatusCode, body)
	}
	if other.SignedInAs() != "" {
		t.Fatal("a used link signed someone in")
	}

	// After expiry: refused.
	other.RequestLink("bob@example.com", "")
	shop.Mail.Flush(ctx)
	got = inbox.Wait(2, 5*time.Second)
	text, _ = got[len(got)-1].Part("text/plain")
	shop.clock.Advance(auth.EmailLinkTTL + time.Second)
	resp, _ = other.Get(linkRE.FindString(text))
	if resp.StatusCode != http.StatusGone || other.SignedInAs() != "" {
		t.Fatalf("expired link: %d", resp.StatusCode)
	}
}

func TestEmailSignInAnswersAlikeAndIsRateLimited(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{})
	b := shop.browser()
	b.SignIn("known@example.com")

	// Known and unknown addresses get the same page, apart from the address.
	anon := shop.browser()
	anon.RequestLink("known@example.com", "")
	known := strings.ReplaceAll(anon.Page, "known@example.com", "X")
	anon.RequestLink("unknown@example.com", "")
	unknown := strings.ReplaceAll(anon.Page, "unknown@example.com", "X")
	if known != unknown {
		t.Error("the answer differs for a known and an unknown address")
	}

	// While a link is pending, asking again mails that same link, three
	// times at most, and counts against no limit (issue 17, hole 6).
	before := len(shop.Outbox())
	for i := 0; i < 6; i++ {
		anon.RequestLink("limit@example.com", "")
	}
	if n := len(shop.Outbox()) - before; n != 3 {
		t.Errorf("%d messages queued for 6 requests while a link is pending, want 3", n)
	}
	// New links: five per address and client address in an hour. A link
	// is new once the pending one is spent; the sixth new one in the hour
	// still shows the same page but sends nothing.
	spend := func() { shop.browser().OpenSignInLink(shop.SignInLink("limit@example.com")) }
	for i := 0; i < 5; i++ {
		spend()
		anon.RequestLink("limit@example.com", "")
	}
	if n := len(shop.Outbox()) - before; n != 7 {
		t.Errorf("%d messages after four more new links, want 7", n)
	}
	shop.clock.Advance(time.Hour + time.Minute)
	anon.RequestLink("limit@example.com", "")
	if n := len(shop.Outbox()) - before; n != 8 {
		t.Errorf("after the window: %d messages, want 8", n)
	}

	// A bad address is a field error, and the owner account cannot be
	// reached by email.
	for _, bad := range []string{"not-an-email", app.OwnerEmail} {
		anon.Get("/login")
		resp, body := anon.Post("/login/email", url.Values{"email": {bad}, "_csrf": {anon.CSRF()}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a valid email address") {
			t.Errorf("%q: %d", bad, resp.StatusCode)
		}
	}
}

func TestCSRFTokenIsRequiredForEveryChange(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{})

	// Signed in: a logout without the token is refused and changes nothing.
	b := shop.browser()
	b.SignIn("ada@example.com")
	token := b.CSRF()
	wrong := "x" + token[1:]
	if token[0] == 'x' { // one token in 64 starts with x
		wrong = "y" + token[1:]
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"_csrf": {wrong}}, nil},
		{"wrong header", url.Values{}, []string{"X-CSRF-Token", "nope"}},
	} {
		resp, body := b.Post("/logout", tc.form, tc.header...)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "nothing was changed") {
			t.Errorf("%s: %d", tc.name, resp.StatusCode)
		}
		if b.SignedInAs() != "ada@example.com" {
			t.Fatalf("%s: a refused logout signed the customer out", tc.name)
		}
	}
	// With the token (as htmx sends it): signed out, session gone.
	old := b.Cookie("vendo_session")
	resp, _ := b.Post("/logout", url.Values{}, "X-CSRF-Token", token)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout with the token: %d", resp.StatusCode)
	}
	if b.SignedInAs() != "" {
		t.Fatal("still signed in after logout")
	}
	shop.Store.View(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Session(old); !app.IsNotFound(err) {
			t.Error("the session survived logout")
		}
		return nil
	})

	// Anonymous: an email login without the token sends nothing.
	anon := shop.browser()
	anon.Get("/login")
	before := len(shop.Outbox())
	resp, _ = anon.Post("/login/email", url.Values{"email": {"eve@example.com"}})
	if resp.StatusCode != http.StatusForbidden || len(shop.Outbox()) != before {
		t.Fatalf("email login without a token: %d, %d queued", resp.StatusCode, len(shop.Outbox())-before)
	}
	// A token from another session does not work either.
	resp, _ = anon.Post("/login/email", url.Values{"email": {"eve@example.com"}, "_csrf": {token}})
	if resp.StatusCode != http.StatusForbidden || len(shop.Outbox()) != before {
		t.Fatalf("email login with another session's token: %d", resp.StatusCode)
	}
	anon.Get("/login")
	resp, _ = anon.Post("/login/email", url.Values{"email": {"eve@example.com"}, "_csrf": {anon.CSRF()}})
	if resp.StatusCode != 200 || len(shop.Outbox()) != before+1 {
		t.Fatalf("email login with the token: %d", resp.StatusCode)
	}

	// No session at all; and the API answers in JSON.
	fresh := shop.browser()
	if resp, _ := fresh.Post("/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without a session: %d", resp.StatusCode)
	}
	resp, body := fresh.Post("/api/anything", url.Values{})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("Content-Type"), "json") || !strings.Contains(body, `"forbidden"`) {
		t.Errorf("API without a token: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// The exempt endpoints are not refused for want of a token (nothing is
	// mounted there in this test, so they are 404s).
	for _, p := range []string{"/webhooks/stripe", "/api/licenses/validate", "/sandbox/stripe/v1/customers"} {
		if resp, _ := fresh.Post(p, url.Values{}); resp.StatusCode == http.StatusForbidden {
			t.Errorf("%s needs a CSRF token", p)
		}
	}
}

func TestFormPagesGiveAnonymousVisitorsAToken(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{})
	b := shop.browser()
	resp, body := b.Get("/")
	if b.Cookie("vendo_session") != "" || strings.Contains(body, "X-CSRF-Token") {
		t.Fatal("the home page (no form) made a session: it should stay cacheable")
	}
	resp, body = b.Get("/products/the-calm-inbox")
	if !csrfFieldRE.MatchString(body) || !strings.Contains(body, `hx-headers='{"X-CSRF-Token": "`) {
		t.Fatalf("the product page's form has no token (%d)", resp.StatusCode)
	}
	if b.Cookie("vendo_session") != "" {
		t.Error("an anonymous form page stored a session: it should only set the signed anonymous cookie")
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("a page with a token is cacheable by shared caches: %q", cc)
	}
	var set *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "vendo_anon" {
			set = c
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Path != "/" || len(set.Value) != 32 {
		t.Fatalf("anonymous cookie: %+v", set)
	}
	// The same cookie and token are reused on the next form page.
	token := b.CSRF()
	b.Get("/plans")
	if b.CSRF() != token {
		t.Error("a second form page changed the token")
	}
	// The token works for a POST; a token for another cookie does not.
	product := regexp.MustCompile(`name="product" value="([^"]+)"`).FindStringSubmatch(body)[1]
	if resp, _ := b.Post("/cart/items", url.Values{"product": {product}, "quantity": {"1"}, "_csrf": {token}}); resp.StatusCode >= 400 {
		t.Fatalf("add to cart with the anonymous token: %d", resp.StatusCode)
	}
	other := shop.browser()
	other.Get("/products/the-calm-inbox")
	if resp, _ := other.Post("/cart/items", url.Values{"product": {product}, "quantity": {"1"}, "_csrf": {token}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("someone else's anonymous token: %d, want 403", resp.StatusCode)
	}
}

func TestAdminPagesAreGuarded(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{Env: map[string]string{"VENDO_ADMIN_EMAILS": "boss@example.com, second@example.com"}})

	signedOut := shop.browser()
	for _, p := range []string{"/admin", "/admin/", "/admin/products?x=1"} {
		resp, _ := signedOut.Get(p)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next="+url.QueryEscape(p) {
			t.Errorf("signed out %s: %d → %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := signedOut.Get("/admin", "HX-Request", "true")
	if resp.Header.Get("HX-Redirect") == "" {
		t.Error("an htmx request is not redirected to sign in")
	}

	customer := shop.browser()
	customer.SignIn("ada@example.com")
	resp, body := customer.Get("/admin")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "is for the shop") {
		t.Errorf("non-admin: %d", resp.StatusCode)
	}
	if strings.Contains(body, `href="/admin"`) {
		t.Error("a non-admin sees the Admin link")
	}

	admin := shop.browser()
	admin.SignIn("boss@example.com")
	resp, body = admin.Get("/admin")
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Admin</h1>") || !strings.Contains(body, "boss@example.com") ||
		!strings.Contains(body, `href="/admin"`) {
		t.Errorf("admin: %d\n%.600s", resp.StatusCode, body)
	}

	// Sign in with next=/admin lands there.
	later := shop.browser()
	later.RequestLink("second@example.com", "/admin")
	resp = later.OpenSignInLink(shop.SignInLink("second@example.com"))
	if resp.Header.Get("Location") != "/admin" {
		t.Errorf("next after sign-in: %q", resp.Header.Get("Location"))
	}
	if resp, _ := later.Get("/admin"); resp.StatusCode != 200 {
		t.Errorf("second admin: %d", resp.StatusCode)
	}
}

func TestAdminLinkSignsInTheOwnerOnce(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{})
	ctx := context.Background()
	if need, _ := shop.Auth.NeedsAdmin(ctx); !need {
		t.Fatal("a new shop without VENDO_ADMIN_EMAILS needs an admin")
	}
	// The link the CLI prints: made from data/secret alone.
	secret, err := auth.LoadSecret(shop.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	link, err := auth.NewAdminLink(secret, shop.URL, shop.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := shop.browser()
	// Opening the link asks first, naming who it signs in; the button does.
	if _, page := b.Get(link); !strings.Contains(page, "<strong>"+app.OwnerEmail+"</strong>, its admin?") {
		t.Fatalf("the admin link's page does not say whom it signs in:\n%.600s", page)
	}
	resp := b.OpenSignInLink(link)
	if resp.Header.Get("Location") != "/admin" {
		t.Fatalf("admin link: → %q", resp.Header.Get("Location"))
	}
	resp, body := b.Get("/admin")
	if resp.StatusCode != 200 || !strings.Contains(body, app.OwnerEmail) {
		t.Fatalf("owner on /admin: %d", resp.StatusCode)
	}
	if need, _ := shop.Auth.NeedsAdmin(ctx); need {
		t.Error("the shop still needs an admin after the owner signed in")
	}
	shop.Store.View(ctx, func(tx *store.Tx) error {
		entries, _, _ := tx.AuditLog(store.AuditFilter{Limit: 10})
		if len(entries) != 1 || entries[0].Action != "admin.link_used" {
			t.Errorf("audit: %+v", entries)
		}
		return nil
	})

	// Twice: refused.
	other := shop.browser()
	if resp, body := other.Get(link); resp.StatusCode != http.StatusGone || !strings.Contains(body, "already used") {
		t.Errorf("second use: %d", resp.StatusCode)
	}
	// Tampered: refused.
	forged := link[:len(link)-3] + "AAA"
	if resp, _ := other.Get(forged); resp.StatusCode != http.StatusGone {
		t.Errorf("tampered link: %d", resp.StatusCode)
	}
	// Expired: refused.
	late, _ := shop.Auth.AdminLink()
	shop.clock.Advance(auth.AdminLinkTTL + time.Second)
	if resp, _ := other.Get(late); resp.StatusCode != http.StatusGone {
		t.Errorf("expired link: %d", resp.StatusCode)
	}
	if resp, _ := other.Get("/admin"); resp.StatusCode != http.StatusSeeOther {
		t.Error("a refused link signed someone in")
	}
}

func TestAdminLinkSignsInTheFirstAdminEmail(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{Env: map[string]string{"VENDO_ADMIN_EMAILS": "boss@example.com"}})
	if need, _ := shop.Auth.NeedsAdmin(context.Background()); need {
		t.Error("VENDO_ADMIN_EMAILS is an admin")
	}
	link, _ := shop.Auth.AdminLink()
	b := shop.browser()
	b.OpenSignInLink(link)
	resp, body := b.Get("/admin")
	if resp.StatusCode != 200 || !strings.Contains(body, "boss@example.com") {
		t.Fatalf("admin link with VENDO_ADMIN_EMAILS: %d", resp.StatusCode)
	}
}

func TestNextCannotLeaveTheSite(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{})
	b := shop.browser()
	b.RequestLink("ada@example.com", "//evil.example/steal")
	resp := b.OpenSignInLink(shop.SignInLink("ada@example.com"))
	if loc := resp.Header.Get("Location"); loc != "/account" {
		t.Errorf("next=//evil.example: redirected to %q", loc)
	}
	if resp, _ := b.Get("/login?next=https://evil.example"); resp.Header.Get("Location") != "/account" {
		t.Errorf("signed-in /login?next=https://evil.example: %q", resp.Header.Get("Location"))
	}
}

func TestSessionsExpireAndLogoutClearsTheCookie(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{})
	b := shop.browser()
	b.SignIn("ada@example.com")
	// Within 30 days of the last visit the session lives on (sliding).
	shop.clock.Advance(20 * 24 * time.Hour)
	if b.SignedInAs() != "ada@example.com" {
		t.Fatal("signed out after 20 days")
	}
	shop.clock.Advance(20 * 24 * time.Hour)
	if b.SignedInAs() != "ada@example.com" {
		t.Fatal("the expiry did not slide with the visit")
	}
	shop.clock.Advance(31 * 24 * time.Hour)
	if b.SignedInAs() != "" {
		t.Fatal("a session unused for 31 days still works")
	}
	if err := shop.Auth.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	shop.Store.View(context.Background(), func(tx *store.Tx) error {
		if n := tx.CountSessions(); n != 0 {
			t.Errorf("%d sessions after the sweep", n)
		}
		return nil
	})
}
