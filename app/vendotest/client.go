package vendotest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Client is one person's browser on a shop: it keeps cookies, remembers
// the last page and its CSRF token, and follows redirects unless made
// with NoFollow. Its methods fail the test when the shop cannot be
// reached; the status is the test's to check.
type Client struct {
	// HTTP is the underlying client, with the cookie jar.
	HTTP *http.Client
	// Page is the body of the last response, and At the address it came
	// from after redirects: the page the browser is on.
	Page string
	At   *url.URL

	t    testing.TB
	shop *Shop
	// token is the newest CSRF token seen on a page: htmx sends it from
	// the page's hx-headers while partials come and go.
	token string
}

// NewClient is a new signed-out browser that follows redirects. A
// request may take two minutes: the bound only ends a failing test, and a
// 256 MiB upload under -race on a busy two-core machine has taken more
// than 30 seconds.
func (s *Shop) NewClient() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: s.t, shop: s, HTTP: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
}

// NoFollow is the same browser (the same cookies) seen one hop at a
// time: redirects come back as they are.
func (c *Client) NoFollow() *Client {
	hc := *c.HTTP
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{t: c.t, shop: c.shop, HTTP: &hc, token: c.token}
}

// URL makes a path on the shop absolute; absolute URLs are kept.
func (c *Client) URL(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.shop.URL + path
}

// Do sends req and reads the whole answer.
func (c *Client) Do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	c.Page, c.At = string(b), resp.Request.URL
	if m := tokenRE.FindStringSubmatch(c.Page); m != nil {
		c.token = m[1]
	}
	return resp, c.Page
}

// Get fetches a path (or an absolute URL); header holds name, value pairs.
func (c *Client) Get(path string, header ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.URL(path), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	setHeaders(req, header)
	return c.Do(req)
}

// Post sends exactly form, urlencoded; header holds name, value pairs.
// It adds no CSRF token: Submit does.
func (c *Client) Post(path string, form url.Values, header ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.URL(path), strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	setHeaders(req, header)
	return c.Do(req)
}

// Submit posts form as the last page's form would: with that page's CSRF
// token in _csrf, unless form has one or the page had none.
func (c *Client) Submit(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		if m := formTokenRE.FindStringSubmatch(c.Page); m != nil {
			form.Set("_csrf", m[1])
		}
	}
	return c.Post(path, form)
}

// HTMX sends a request as htmx does: HX-Request set, the newest CSRF
// token in X-CSRF-Token, the form urlencoded.
func (c *Client) HTMX(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.URL(path), strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	if c.token != "" {
		req.Header.Set("X-CSRF-Token", c.token)
	}
	return c.Do(req)
}

// CSRF is the token in the last page's forms; the test fails when the
// page has none.
func (c *Client) CSRF() string {
	c.t.Helper()
	m := formTokenRE.FindStringSubmatch(c.Page)
	if m == nil {
		c.t.Fatalf("the page has no CSRF field:\n%.600s", c.Page)
	}
	return m[1]
}

// Cookie is the value of the browser's cookie name for the shop, "" when
// it has none.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.shop.URL)
	for _, k := range c.HTTP.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// RequestLink asks for a sign-in link through the sign-in form; next is
// where the link leads after signing in ("" for the account page).
func (c *Client) RequestLink(email, next string) {
	c.t.Helper()
	c.Get("/login")
	resp, body := c.Post("/login/email", url.Values{"email": {email}, "next": {next}, "_csrf": {c.CSRF()}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Check your email") {
		c.t.Fatalf("POST /login/email for %s: %d\n%.600s", email, resp.StatusCode, body)
	}
}

// SignIn signs the browser in as email through the real email-link flow:
// the form, the mail in the outbox, the link. It ends on /account.
func (c *Client) SignIn(email string) {
	c.t.Helper()
	c.RequestLink(email, "")
	c.OpenSignInLink(c.shop.SignInLink(email))
	if got := c.SignedInAs(); got != email {
		c.t.Fatalf("signed in as %q, want %q", got, email)
	}
}

// OpenSignInLink follows an emailed sign-in link as a person does: the
// link opens a page with one button, and the button signs in. It fails
// the test unless the button answers with a redirect.
func (c *Client) OpenSignInLink(link string) *http.Response {
	c.t.Helper()
	nf := c.NoFollow()
	if resp, page := nf.Get(link); resp.StatusCode != http.StatusOK {
		c.t.Fatalf("the sign-in link %s: %d, want the confirmation page\n%.600s", link, resp.StatusCode, page)
	}
	resp, page := nf.Submit(link, nil)
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("the sign-in button: %d, want 303\n%.600s", resp.StatusCode, page)
	}
	return resp
}

// SignInAdmin signs the browser in through a one-time admin link, as the
// owner does with the link `vendo admin-link` prints. It ends on /admin.
func (c *Client) SignInAdmin() {
	c.t.Helper()
	link, err := c.shop.Auth.AdminLink()
	if err != nil {
		c.t.Fatal(err)
	}
	c.OpenSignInLink(link) // a page with one button, as an emailed link
	if resp, page := c.Get("/admin"); resp.StatusCode != 200 || !strings.Contains(page, "<h1>Admin</h1>") {
		c.t.Fatalf("admin link: %d\n%.500s", resp.StatusCode, page)
	}
}

var signedInRE = regexp.MustCompile(`Signed in as <strong>([^<]+)</strong>`)

// SignedInAs is the email /account shows, or "" when it sends the browser
// to sign in.
func (c *Client) SignedInAs() string {
	c.t.Helper()
	nf := c.NoFollow()
	resp, body := nf.Get("/account")
	c.Page, c.At = nf.Page, nf.At
	if nf.token != "" {
		c.token = nf.token
	}
	if resp.StatusCode != 200 {
		return ""
	}
	m := signedInRE.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("/account does not say who is signed in:\n%.800s", body)
	}
	return m[1]
}

var (
	formTokenRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	// tokenRE finds a token in a form field or in hx-headers.
	tokenRE = regexp.MustCompile(`(?:name="_csrf" value="|"X-CSRF-Token": ")([^"]+)"`)
)

func setHeaders(req *http.Request, header []string) {
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
}
