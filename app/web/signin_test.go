package web_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/vendotest"
)

var (
	liveSignInRE   = regexp.MustCompile(`https?://[^\s"<>]+/login/email/[A-Za-z0-9_.-]{20,}`)
	liveDownloadRE = regexp.MustCompile(`https?://[^\s"<>]+/downloads/[A-Za-z0-9_.-]{20,}`)
	confirmFormRE  = regexp.MustCompile(`<form[^>]+method="post"[^>]+action="(/login/email/[^"]+)"`)
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

// TestEmailSignInCannotBeBlocked is issue 17, hole 6: five requests for
// someone's address used up its hourly limit, and the customer's own
// requests were then dropped while the page said "check your email". A
// request while a link is pending sends that same link again (a few
// times at most) instead of counting, and the per-address limit counts
// per client address, so another client cannot use it up.
func TestEmailSignInCannotBeBlocked(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{SMTP: true, Env: map[string]string{"VENDO_TRUSTED_PROXIES": "127.0.0.1"}})
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	ask := func(c *vendotest.Client, email string, header []string) {
		t.Helper()
		c.Get("/login")
		if resp, body := c.Post("/login/email", url.Values{"email": {email}, "_csrf": {c.CSRF()}}, header...); resp.StatusCode != 200 || !strings.Contains(body, "Check your email") {
			t.Fatalf("ask for a link: %d", resp.StatusCode)
		}
	}

	// The attacker asks ten times, from one address and then from ten.
	attacker := shop.browser()
	for i := 0; i < 10; i++ {
		ask(attacker, "victim@example.com", from("198.51.100.66"))
	}
	for i := 0; i < 10; i++ {
		ask(attacker, "victim@example.com", from("198.51.100."+string(rune('0'+i))))
	}
	time.Sleep(300 * time.Millisecond)
	got := shop.Inbox.Messages()
	if len(got) == 0 || len(got) > 3 {
		t.Fatalf("twenty requests sent the victim %d messages, want between 1 and 3", len(got))
	}
	first := liveSignInRE.FindString(delivered(t, shop.Shop, 1))
	for i := 1; i <= len(got); i++ {
		if l := liveSignInRE.FindString(delivered(t, shop.Shop, i)); l != first {
			t.Errorf("message %d carries another link: a pending link is sent again, not replaced", i)
		}
	}

	// The customer, from home, asks too: they have the pending link, and
	// it works.
	victim := shop.browser()
	ask(victim, "victim@example.com", from("203.0.113.5"))
	victim.Get(first)
	if resp, _ := victim.Submit(first, url.Values{}); resp.StatusCode != http.StatusSeeOther || victim.SignedInAs() != "victim@example.com" {
		t.Fatalf("the pending link: %d", resp.StatusCode)
	}

	// Later in the hour, once that link is gone, the attacker asks five
	// more times; the customer's own request still sends a new link.
	shop.clock.Advance(auth.EmailLinkTTL + time.Minute)
	for i := 0; i < 5; i++ {
		ask(attacker, "victim@example.com", from("198.51.100.66"))
	}
	// (Every message queued so far delivered, so the next one is the
	// customer's.)
	vendotest.WaitFor(t, "the attacker's messages delivered", func() bool { return len(shop.Inbox.Messages()) == len(shop.Outbox()) })
	shop.clock.Advance(auth.EmailLinkTTL + time.Minute)
	before := len(shop.Inbox.Messages())
	later := shop.browser()
	ask(later, "victim@example.com", from("203.0.113.5"))
	text := delivered(t, shop.Shop, before+1)
	link := liveSignInRE.FindString(text)
	if link == "" || link == first {
		t.Fatalf("the customer's request after the attacker's: no new link\n%s", text)
	}
	later.Get(link)
	if resp, _ := later.Submit(link, url.Values{}); resp.StatusCode != http.StatusSeeOther || later.SignedInAs() != "victim@example.com" {
		t.Fatalf("the new link: %d", resp.StatusCode)
	}
}

// TestOutboxAndBackupHoldNoLiveLinks is issue 17, hole 8: sign-in links
// and download links sat in the outbox as sent, in the database and in
// every backup, and an admin could open a customer's. The outbox keeps
// references, made into links only as a message is sent; what the
// customer receives works, what the shop keeps does not.
func TestOutboxAndBackupHoldNoLiveLinks(t *testing.T) {
	t.Parallel()
	shop := newAcctShop(t, vendotest.Options{SMTP: true, Env: map[string]string{"VENDO_ADMIN_EMAILS": "boss@example.com"}})

	// A purchase (a receipt with download links) and a sign-in link.
	buyer := shop.NewClient()
	buy(t, shop.Shop, buyer, "", "the-calm-inbox")
	shop.browser().RequestLink("reader@example.com", "")
	var live []string
	vendotest.WaitFor(t, "the receipt and the sign-in mail", func() bool { return len(shop.Inbox.Messages()) >= 2 })
	for i := 1; i <= 2; i++ {
		text := delivered(t, shop.Shop, i)
		live = append(live, liveSignInRE.FindAllString(text, -1)...)
		live = append(live, liveDownloadRE.FindAllString(text, -1)...)
	}
	if len(live) < 2 {
		t.Fatalf("the delivered messages carry %d links, want a sign-in link and download links", len(live))
	}
	// What was delivered works.
	for _, l := range live {
		if strings.Contains(l, "/downloads/") {
			if resp, _ := shop.NewClient().Get(l); resp.StatusCode != 200 {
				t.Errorf("a delivered download link: %d", resp.StatusCode)
			}
		}
	}

	// The outbox holds none of them, and no live link at all.
	for _, m := range shop.Outbox() {
		for _, part := range []string{m.Text, m.HTML} {
			if l := liveSignInRE.FindString(part) + liveDownloadRE.FindString(part); l != "" {
				t.Errorf("the outbox keeps a live link in %q: %s", m.Subject, l)
			}
		}
	}
	// An admin reading the outbox sees where the links were, not them.
	admin := shop.NewClient()
	admin.SignIn("boss@example.com")
	for _, m := range shop.Outbox() {
		_, page := admin.Get("/admin/outbox/" + m.ID)
		for _, l := range live {
			if strings.Contains(page, l[strings.LastIndex(l, "/")+1:]) {
				t.Errorf("the admin's view of %q shows a delivered link", m.Subject)
			}
		}
		if l := liveSignInRE.FindString(page) + liveDownloadRE.FindString(page); l != "" {
			t.Errorf("the admin's view of %q shows a live link: %s", m.Subject, l)
		}
	}
	// The admin re-sends the receipt: the copy the customer receives has
	// working links again; the admin's page and the outbox still show none.
	var receipt app.Mail
	for _, m := range shop.Outbox() {
		if m.Template == "receipt" {
			receipt = m
		}
	}
	if receipt.ID == "" {
		t.Fatal("no receipt in the outbox")
	}
	admin.Get("/admin/outbox/" + receipt.ID)
	sent := len(shop.Inbox.Messages())
	resp, page := admin.Submit("/admin/outbox/"+receipt.ID+"/resend", url.Values{})
	if resp.StatusCode != 200 || liveDownloadRE.MatchString(page) {
		t.Fatalf("resend: %d, or the answer shows a live link", resp.StatusCode)
	}
	var resent string
	vendotest.WaitFor(t, "the re-sent receipt", func() bool {
		for _, m := range shop.Inbox.Messages()[sent:] {
			if text, err := m.Part("text/plain"); err == nil && len(m.To) == 1 && m.To[0] == receipt.To {
				resent = liveDownloadRE.FindString(text)
			}
		}
		return resent != ""
	})
	if resp, _ := shop.NewClient().Get(resent); resp.StatusCode != 200 {
		t.Errorf("the re-sent download link: %d", resp.StatusCode)
	}
	for _, m := range shop.Outbox() {
		if l := liveSignInRE.FindString(m.Text+m.HTML) + liveDownloadRE.FindString(m.Text+m.HTML); l != "" {
			t.Errorf("after sending, the outbox keeps a live link in %q: %s", m.Subject, l)
		}
	}

	// A backup holds none of the delivered tokens.
	resp, err := admin.HTTP.Get(shop.URL + "/admin/backup")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("backup: %v %v", resp, err)
	}
	db := readTarEntry(t, resp.Body, "vendo.db")
	resp.Body.Close()
	for _, l := range live {
		if tok := l[strings.LastIndex(l, "/")+1:]; bytes.Contains(db, []byte(tok)) {
			t.Errorf("the backup's database holds the token of %s", l)
		}
	}
}

// readTarEntry returns the file name from a tar.gz stream.
func readTarEntry(t *testing.T, r io.Reader, name string) []byte {
	t.Helper()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no %s in the archive: %v", name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
