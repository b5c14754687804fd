package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app/vendotest"
)

var (
	liveSignInRE  = regexp.MustCompile(`https?://[^\s"<>]+/login/email/[A-Za-z0-9_.-]{20,}`)
	confirmFormRE = regexp.MustCompile(`<form[^>]+method="post"[^>]+action="(/login/email/[^"]+)"`)
)

// delivered waits for the n-th message the shop's SMTP server received
// (counting from 1) and returns its text part.
func delivered(t *testing.T, s *vendotest.Shop, n int) string {
	t.Helper()
	got := s.Inbox.Wait(n, 30*time.Second)
	if len(got) < n {
		t.Fatalf("%d messages delivered, want %d", len(got), n)
	}
	text, err := got[n-1].Part("text/plain")
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestEmailLinkOpensAConfirmationPage is issue 17, hole 7: opening an
// emailed link (GET) signed in whoever opened it — a mail scanner
// fetching links spent them, and a link sent to a victim signed the
// victim into the sender's account (login CSRF). The link now opens a
// page with one button; its POST signs in and spends the link.
func TestEmailLinkOpensAConfirmationPage(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{SMTP: true})
	b := shop.browser()
	b.RequestLink("Ada@Example.com", "/plans")
	link := liveSignInRE.FindString(delivered(t, shop.Shop, 1))
	if link == "" {
		t.Fatal("no sign-in link in the message")
	}
	path := strings.TrimPrefix(link, shop.URL)

	// A mail scanner, then the customer, open it: a page, nobody signed
	// in, nothing spent, no session stored.
	for _, who := range []*vendotest.Client{shop.browser(), b} {
		resp, page := who.Get(link)
		m := confirmFormRE.FindStringSubmatch(page)
		if resp.StatusCode != 200 || m == nil || m[1] != path || strings.Count(page, `type="submit"`) != 1 ||
			!strings.Contains(page, "ada@example.com") || !csrfFieldRE.MatchString(page) {
			t.Fatalf("GET the link: %d, want a page with one button posting to %s\n%.2000s", resp.StatusCode, path, page)
		}
		if who.Cookie("vendo_session") != "" || who.SignedInAs() != "" {
			t.Fatal("opening the link signed someone in")
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("the confirmation page may be cached: %q", cc)
		}
	}
	// A cross-site POST (no token) is refused and spends nothing.
	if resp, _ := shop.browser().Post(link, url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST without a token: %d", resp.StatusCode)
	}
	// The button: signed in, sent on to next.
	b.Get(link)
	resp, _ := b.Submit(link, url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/plans" {
		t.Fatalf("the button: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if who := b.SignedInAs(); who != "ada@example.com" {
		t.Fatalf("signed in as %q", who)
	}
	// Spent: the page and the button both say so.
	other := shop.browser()
	if resp, body := other.Get(link); resp.StatusCode != http.StatusGone || !strings.Contains(body, "expired or was already used") {
		t.Fatalf("GET a used link: %d", resp.StatusCode)
	}
	other.Get("/login")
	if resp, _ := other.Post(link, url.Values{"_csrf": {other.CSRF()}}); resp.StatusCode != http.StatusGone || other.SignedInAs() != "" {
		t.Fatalf("POST a used link: %d", resp.StatusCode)
	}
	// A link that never was: 410 as well, and nothing stored.
	if resp, _ := other.Get("/login/email/" + strings.Repeat("A", 22) + "." + strings.Repeat("B", 43)); resp.StatusCode != http.StatusGone {
		t.Fatalf("an invented link: %d", resp.StatusCode)
	}
}
