package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/demo"
	"vendo/app/mail"
	"vendo/app/mail/mailtest"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/web"
	"vendo/static"
	"vendo/views"
)

// acctClock is the store's clock, moved by tests to expire links.
type acctClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *acctClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *acctClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// acctShop is the whole web app on a real listener (so an identity
// provider can redirect a browser back to it), with sign-in, mail and a
// settable clock.
type acctShop struct {
	base  string
	dir   string
	store *store.Store
	auth  *auth.Service
	mail  *mail.Mailer
	clock *acctClock
}

// newAcctShop starts a shop; env adds settings (VENDO_ADMIN_EMAILS,
// SMTP_URL, OIDC_…).
func newAcctShop(t *testing.T, env map[string]string) *acctShop {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "VENDO_BASE_URL" {
			return "http://" + ln.Addr().String()
		}
		return env[k]
	}
	cfg, err := config.Load([]string{"-data", dir}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	clock := &acctClock{t: time.Now()}
	st, err := store.Open(cfg.DBPath(), store.Options{NoSync: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	files, err := blobs.Open(cfg.FilesDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(context.Background(), st, files); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := mail.New(mail.Config{Store: st, Log: log, Views: views.FS, BaseURL: cfg.BaseURL, SMTPURL: cfg.SMTPURL})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := auth.LoadSecret(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.Deps{Store: st, Config: cfg, Mail: m, Secret: secret, Log: log})
	a.SkipOIDCUserInfo(true) // mockoidc's userinfo has no "sub"
	srv, err := web.New(web.Deps{Config: cfg, Store: st, Log: log, Views: views.FS, Static: static.FS, Files: files, Auth: a,
		Shop: &shop.Shop{Store: st, Files: files, Signer: shop.NewSigner([]byte("test-secret-test-secret-test-secret")), BaseURL: cfg.BaseURL, Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.App().Listener(ln)
	t.Cleanup(func() {
		srv.App().ShutdownWithTimeout(5 * time.Second)
		st.Close()
	})
	return &acctShop{base: cfg.BaseURL, dir: dir, store: st, auth: a, mail: m, clock: clock}
}

// browser is an http.Client with cookies that does not follow redirects
// by itself, so tests see every hop.
type browser struct {
	t    *testing.T
	shop *acctShop
	c    *http.Client
	page string // the last page's body
}

func (s *acctShop) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, shop: s, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.page = string(body)
	return resp, b.page
}

// get fetches a path on the shop, or an absolute URL.
func (b *browser) get(target string, header ...string) (*http.Response, string) {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.shop.base + target
	}
	req, _ := http.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// post sends a form; header pairs are added to the request.
func (b *browser) post(path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.shop.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var csrfFieldRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf is the token in the last page's forms.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfFieldRE.FindStringSubmatch(b.page)
	if m == nil {
		b.t.Fatalf("the page has no CSRF field:\n%.600s", b.page)
	}
	return m[1]
}

// sessionCookie is the browser's vendo_session value.
func (b *browser) sessionCookie() string {
	u, _ := url.Parse(b.shop.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "vendo_session" {
			return c.Value
		}
	}
	return ""
}

// signedInAs is the email /account shows, or "" when it sends to sign in.
func (b *browser) signedInAs() string {
	b.t.Helper()
	resp, body := b.get("/account")
	if resp.StatusCode != 200 {
		return ""
	}
	m := regexp.MustCompile(`Signed in as <strong>([^<]+)</strong>`).FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("/account does not say who is signed in:\n%.800s", body)
	}
	return m[1]
}

var linkRE = regexp.MustCompile(`http://[^\s]+/login/email/[A-Za-z0-9_-]+`)

// requestLink asks for a sign-in link through the form.
func (b *browser) requestLink(email, next string) {
	b.t.Helper()
	b.get("/login")
	resp, body := b.post("/login/email", url.Values{"email": {email}, "next": {next}, "_csrf": {b.csrf()}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Check your email") {
		b.t.Fatalf("POST /login/email: %d\n%.600s", resp.StatusCode, body)
	}
}

// lastLink reads the newest sign-in link queued for email from the outbox.
func (s *acctShop) lastLink(t *testing.T, email string) string {
	t.Helper()
	var link string
	s.store.View(context.Background(), func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		for _, m := range all {
			if m.To == email {
				link = linkRE.FindString(m.Text)
				return nil
			}
		}
		return nil
	})
	if link == "" {
		t.Fatalf("no sign-in link queued for %s", email)
	}
	return link
}

func (s *acctShop) outboxCount() int {
	var n int
	s.store.View(context.Background(), func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		n = len(all)
		return nil
	})
	return n
}

// signIn signs the browser in as email through an email link.
func (b *browser) signIn(email string) {
	b.t.Helper()
	b.requestLink(email, "")
	resp, _ := b.get(b.shop.lastLink(b.t, email))
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in link: %d", resp.StatusCode)
	}
	if got := b.signedInAs(); got != email {
		b.t.Fatalf("signed in as %q, want %q", got, email)
	}
}

func TestEmailSignInThroughARealSMTPServer(t *testing.T) {
	inbox := mailtest.Start(t)
	shop := newAcctShop(t, map[string]string{"SMTP_URL": inbox.URL})
	ctx := context.Background()
	b := shop.browser(t)

	b.requestLink("Ada@Example.com", "/products?q=calm")
	anonymous := b.sessionCookie()
	if anonymous == "" {
		t.Fatal("the sign-in page did not give the visitor a session")
	}
	if n, err := shop.mail.Flush(ctx); n != 1 || err != nil {
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

	// First use: signed in, with a new session id, and sent to next.
	resp, _ := b.get(link)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/products?q=calm" {
		t.Fatalf("first use: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if b.sessionCookie() == anonymous || b.sessionCookie() == "" {
		t.Error("the session id was not rotated at sign-in")
	}
	if who := b.signedInAs(); who != "ada@example.com" {
		t.Fatalf("signed in as %q", who)
	}
	shop.store.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Session(anonymous); !app.IsNotFound(err) {
			t.Errorf("the pre-sign-in session still works: %v", err)
		}
		c, err := tx.CustomerByEmail("ada@example.com")
		if err != nil || !c.EmailVerified || c.LastSignInAt.IsZero() {
			t.Errorf("customer: %+v %v", c, err)
		}
		return nil
	})

	// Second use, from another browser: refused.
	other := shop.browser(t)
	resp, body := other.get(link)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "This sign-in link has expired or was already used") ||
		!strings.Contains(body, `action="/login/email"`) {
		t.Fatalf("second use: %d\n%.600s", resp.StatusCode, body)
	}
	if other.signedInAs() != "" {
		t.Fatal("a used link signed someone in")
	}

	// After expiry: refused.
	other.requestLink("bob@example.com", "")
	shop.mail.Flush(ctx)
	got = inbox.Wait(2, 5*time.Second)
	text, _ = got[len(got)-1].Part("text/plain")
	shop.clock.Advance(auth.EmailLinkTTL + time.Second)
	resp, _ = other.get(linkRE.FindString(text))
	if resp.StatusCode != http.StatusGone || other.signedInAs() != "" {
		t.Fatalf("expired link: %d", resp.StatusCode)
	}
}

func TestEmailSignInAnswersAlikeAndIsRateLimited(t *testing.T) {
	shop := newAcctShop(t, nil)
	b := shop.browser(t)
	b.signIn("known@example.com")

	// Known and unknown addresses get the same page, apart from the address.
	anon := shop.browser(t)
	anon.requestLink("known@example.com", "")
	known := strings.ReplaceAll(anon.page, "known@example.com", "X")
	anon.requestLink("unknown@example.com", "")
	unknown := strings.ReplaceAll(anon.page, "unknown@example.com", "X")
	if known != unknown {
		t.Error("the answer differs for a known and an unknown address")
	}

	// Per address: the sixth request in an hour still shows the same page
	// but sends nothing.
	before := shop.outboxCount()
	for i := 0; i < 6; i++ {
		anon.requestLink("limit@example.com", "")
	}
	if n := shop.outboxCount() - before; n != 5 {
		t.Errorf("%d messages queued for 6 requests, want 5", n)
	}
	shop.clock.Advance(time.Hour + time.Minute)
	anon.requestLink("limit@example.com", "")
	if n := shop.outboxCount() - before; n != 6 {
		t.Errorf("after the window: %d messages, want 6", n)
	}

	// A bad address is a field error, and the owner account cannot be
	// reached by email.
	for _, bad := range []string{"not-an-email", app.OwnerEmail} {
		anon.get("/login")
		resp, body := anon.post("/login/email", url.Values{"email": {bad}, "_csrf": {anon.csrf()}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a valid email address") {
			t.Errorf("%q: %d", bad, resp.StatusCode)
		}
	}
}

func TestCSRFTokenIsRequiredForEveryChange(t *testing.T) {
	shop := newAcctShop(t, nil)

	// Signed in: a logout without the token is refused and changes nothing.
	b := shop.browser(t)
	b.signIn("ada@example.com")
	token := b.csrf()
	for _, tc := range []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"_csrf": {"x" + token[1:]}}, nil},
		{"wrong header", url.Values{}, []string{"X-CSRF-Token", "nope"}},
	} {
		resp, body := b.post("/logout", tc.form, tc.header...)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "nothing was changed") {
			t.Errorf("%s: %d", tc.name, resp.StatusCode)
		}
		if b.signedInAs() != "ada@example.com" {
			t.Fatalf("%s: a refused logout signed the customer out", tc.name)
		}
	}
	// With the token (as htmx sends it): signed out, session gone.
	old := b.sessionCookie()
	resp, _ := b.post("/logout", url.Values{}, "X-CSRF-Token", token)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout with the token: %d", resp.StatusCode)
	}
	if b.signedInAs() != "" {
		t.Fatal("still signed in after logout")
	}
	shop.store.View(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Session(old); !app.IsNotFound(err) {
			t.Error("the session survived logout")
		}
		return nil
	})

	// Anonymous: an email login without the token sends nothing.
	anon := shop.browser(t)
	anon.get("/login")
	before := shop.outboxCount()
	resp, _ = anon.post("/login/email", url.Values{"email": {"eve@example.com"}})
	if resp.StatusCode != http.StatusForbidden || shop.outboxCount() != before {
		t.Fatalf("email login without a token: %d, %d queued", resp.StatusCode, shop.outboxCount()-before)
	}
	// A token from another session does not work either.
	resp, _ = anon.post("/login/email", url.Values{"email": {"eve@example.com"}, "_csrf": {token}})
	if resp.StatusCode != http.StatusForbidden || shop.outboxCount() != before {
		t.Fatalf("email login with another session's token: %d", resp.StatusCode)
	}
	anon.get("/login")
	resp, _ = anon.post("/login/email", url.Values{"email": {"eve@example.com"}, "_csrf": {anon.csrf()}})
	if resp.StatusCode != 200 || shop.outboxCount() != before+1 {
		t.Fatalf("email login with the token: %d", resp.StatusCode)
	}

	// No session at all; and the API answers in JSON.
	fresh := shop.browser(t)
	if resp, _ := fresh.post("/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without a session: %d", resp.StatusCode)
	}
	resp, body := fresh.post("/api/anything", url.Values{})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("Content-Type"), "json") || !strings.Contains(body, `"forbidden"`) {
		t.Errorf("API without a token: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// The exempt endpoints are not refused for want of a token (nothing is
	// mounted there in this test, so they are 404s).
	for _, p := range []string{"/webhooks/stripe", "/api/licenses/validate", "/sandbox/stripe/v1/customers"} {
		if resp, _ := fresh.post(p, url.Values{}); resp.StatusCode == http.StatusForbidden {
			t.Errorf("%s needs a CSRF token", p)
		}
	}
}

func TestFormPagesGiveAnonymousVisitorsAToken(t *testing.T) {
	shop := newAcctShop(t, nil)
	b := shop.browser(t)
	resp, body := b.get("/")
	if b.sessionCookie() != "" || strings.Contains(body, "X-CSRF-Token") {
		t.Fatal("the home page (no form) made a session: it should stay cacheable")
	}
	resp, body = b.get("/products/the-calm-inbox")
	if !csrfFieldRE.MatchString(body) || !strings.Contains(body, `hx-headers='{"X-CSRF-Token": "`) {
		t.Fatalf("the product page's form has no token (%d)", resp.StatusCode)
	}
	if b.sessionCookie() != "" {
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
	token := b.csrf()
	b.get("/plans")
	if b.csrf() != token {
		t.Error("a second form page changed the token")
	}
	// The token works for a POST; a token for another cookie does not.
	product := regexp.MustCompile(`name="product" value="([^"]+)"`).FindStringSubmatch(body)[1]
	if resp, _ := b.post("/cart/items", url.Values{"product": {product}, "quantity": {"1"}, "_csrf": {token}}); resp.StatusCode >= 400 {
		t.Fatalf("add to cart with the anonymous token: %d", resp.StatusCode)
	}
	other := shop.browser(t)
	other.get("/products/the-calm-inbox")
	if resp, _ := other.post("/cart/items", url.Values{"product": {product}, "quantity": {"1"}, "_csrf": {token}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("someone else's anonymous token: %d, want 403", resp.StatusCode)
	}
}

func TestAdminPagesAreGuarded(t *testing.T) {
	shop := newAcctShop(t, map[string]string{"VENDO_ADMIN_EMAILS": "boss@example.com, second@example.com"})

	signedOut := shop.browser(t)
	for _, p := range []string{"/admin", "/admin/", "/admin/products?x=1"} {
		resp, _ := signedOut.get(p)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next="+url.QueryEscape(p) {
			t.Errorf("signed out %s: %d → %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := signedOut.get("/admin", "HX-Request", "true")
	if resp.Header.Get("HX-Redirect") == "" {
		t.Error("an htmx request is not redirected to sign in")
	}

	customer := shop.browser(t)
	customer.signIn("ada@example.com")
	resp, body := customer.get("/admin")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "is for the shop") {
		t.Errorf("non-admin: %d", resp.StatusCode)
	}
	if strings.Contains(body, `href="/admin"`) {
		t.Error("a non-admin sees the Admin link")
	}

	admin := shop.browser(t)
	admin.signIn("boss@example.com")
	resp, body = admin.get("/admin")
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Admin</h1>") || !strings.Contains(body, "boss@example.com") ||
		!strings.Contains(body, `href="/admin"`) {
		t.Errorf("admin: %d\n%.600s", resp.StatusCode, body)
	}

	// Sign in with next=/admin lands there.
	later := shop.browser(t)
	later.requestLink("second@example.com", "/admin")
	resp, _ = later.get(shop.lastLink(t, "second@example.com"))
	if resp.Header.Get("Location") != "/admin" {
		t.Errorf("next after sign-in: %q", resp.Header.Get("Location"))
	}
	if resp, _ := later.get("/admin"); resp.StatusCode != 200 {
		t.Errorf("second admin: %d", resp.StatusCode)
	}
}

func TestAdminLinkSignsInTheOwnerOnce(t *testing.T) {
	shop := newAcctShop(t, nil)
	ctx := context.Background()
	if need, _ := shop.auth.NeedsAdmin(ctx); !need {
		t.Fatal("a new shop without VENDO_ADMIN_EMAILS needs an admin")
	}
	// The link the CLI prints: made from data/secret alone.
	secret, err := auth.LoadSecret(shop.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	link, err := auth.NewAdminLink(secret, shop.base, shop.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := shop.browser(t)
	resp, _ := b.get(link)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("admin link: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.get("/admin")
	if resp.StatusCode != 200 || !strings.Contains(body, app.OwnerEmail) {
		t.Fatalf("owner on /admin: %d", resp.StatusCode)
	}
	if need, _ := shop.auth.NeedsAdmin(ctx); need {
		t.Error("the shop still needs an admin after the owner signed in")
	}
	shop.store.View(ctx, func(tx *store.Tx) error {
		entries, _, _ := tx.AuditLog("", 10)
		if len(entries) != 1 || entries[0].Action != "admin.link_used" {
			t.Errorf("audit: %+v", entries)
		}
		return nil
	})

	// Twice: refused.
	other := shop.browser(t)
	if resp, body := other.get(link); resp.StatusCode != http.StatusGone || !strings.Contains(body, "already used") {
		t.Errorf("second use: %d", resp.StatusCode)
	}
	// Tampered: refused.
	forged := link[:len(link)-3] + "AAA"
	if resp, _ := other.get(forged); resp.StatusCode != http.StatusGone {
		t.Errorf("tampered link: %d", resp.StatusCode)
	}
	// Expired: refused.
	late, _ := shop.auth.AdminLink()
	shop.clock.Advance(auth.AdminLinkTTL + time.Second)
	if resp, _ := other.get(late); resp.StatusCode != http.StatusGone {
		t.Errorf("expired link: %d", resp.StatusCode)
	}
	if resp, _ := other.get("/admin"); resp.StatusCode != http.StatusSeeOther {
		t.Error("a refused link signed someone in")
	}
}

func TestAdminLinkSignsInTheFirstAdminEmail(t *testing.T) {
	shop := newAcctShop(t, map[string]string{"VENDO_ADMIN_EMAILS": "boss@example.com"})
	if need, _ := shop.auth.NeedsAdmin(context.Background()); need {
		t.Error("VENDO_ADMIN_EMAILS is an admin")
	}
	link, _ := shop.auth.AdminLink()
	b := shop.browser(t)
	b.get(link)
	resp, body := b.get("/admin")
	if resp.StatusCode != 200 || !strings.Contains(body, "boss@example.com") {
		t.Fatalf("admin link with VENDO_ADMIN_EMAILS: %d", resp.StatusCode)
	}
}

func TestNextCannotLeaveTheSite(t *testing.T) {
	shop := newAcctShop(t, nil)
	b := shop.browser(t)
	b.requestLink("ada@example.com", "//evil.example/steal")
	resp, _ := b.get(shop.lastLink(t, "ada@example.com"))
	if loc := resp.Header.Get("Location"); loc != "/account" {
		t.Errorf("next=//evil.example: redirected to %q", loc)
	}
	if resp, _ := b.get("/login?next=https://evil.example"); resp.Header.Get("Location") != "/account" {
		t.Errorf("signed-in /login?next=https://evil.example: %q", resp.Header.Get("Location"))
	}
}

func TestSessionsExpireAndLogoutClearsTheCookie(t *testing.T) {
	shop := newAcctShop(t, nil)
	b := shop.browser(t)
	b.signIn("ada@example.com")
	// Within 30 days of the last visit the session lives on (sliding).
	shop.clock.Advance(20 * 24 * time.Hour)
	if b.signedInAs() != "ada@example.com" {
		t.Fatal("signed out after 20 days")
	}
	shop.clock.Advance(20 * 24 * time.Hour)
	if b.signedInAs() != "ada@example.com" {
		t.Fatal("the expiry did not slide with the visit")
	}
	shop.clock.Advance(31 * 24 * time.Hour)
	if b.signedInAs() != "" {
		t.Fatal("a session unused for 31 days still works")
	}
	if err := shop.auth.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	shop.store.View(context.Background(), func(tx *store.Tx) error {
		if n := tx.CountSessions(); n != 0 {
			t.Errorf("%d sessions after the sweep", n)
		}
		return nil
	})
}
