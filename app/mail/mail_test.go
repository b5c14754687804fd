package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/mail"
	"vendo/app/mail/mailtest"
	"vendo/app/store"
	"vendo/views"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// syncBuffer is a log sink safe for the worker goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func openStore(t *testing.T, path string, c *clock) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{NoSync: true, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newMailer(t *testing.T, st *store.Store, smtpURL string, log *syncBuffer) *mail.Mailer {
	t.Helper()
	if log == nil {
		log = &syncBuffer{}
	}
	m, err := mail.New(mail.Config{Store: st, Log: slog.New(slog.NewTextHandler(log, nil)), Views: views.FS,
		BaseURL: "http://shop.test", SMTPURL: smtpURL, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func queueLogin(t *testing.T, st *store.Store, m *mail.Mailer, to, link string) {
	t.Helper()
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		return m.Queue(tx, "login", to, map[string]any{"Link": link, "Minutes": 15})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// deadSMTP is an address where nothing listens.
func deadSMTP(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "smtp://" + addr
}

func TestComposeUsesTheTemplates(t *testing.T) {
	c := &clock{t: time.Now()}
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), c)
	defer st.Close()
	m := newMailer(t, st, "", nil)
	settings := app.DefaultSettings()
	settings.ShopName = "Tiny <Shop>"
	msg, err := m.Compose(settings, "login", "ada@example.com", map[string]any{"Link": "http://shop.test/login/email/abc?x=1&y=2", "Minutes": 15})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "Your sign-in link for Tiny <Shop>" {
		t.Errorf("subject %q", msg.Subject)
	}
	if !strings.Contains(msg.Text, "http://shop.test/login/email/abc?x=1&y=2\n") || strings.HasPrefix(msg.Text, "Subject") {
		t.Errorf("text body:\n%s", msg.Text)
	}
	if !strings.Contains(msg.HTML, `href="http://shop.test/login/email/abc?x=1&amp;y=2"`) || !strings.Contains(msg.HTML, "Tiny &lt;Shop&gt;") {
		t.Errorf("html is not escaped as expected:\n%s", msg.HTML)
	}
	if _, err := m.Compose(settings, "nope", "a@x.io", nil); err == nil {
		t.Error("an unknown template composes")
	}
}

func TestQueuedMailIsDeliveredOverSMTPAfterCommitOnly(t *testing.T) {
	inbox := mailtest.Start(t)
	c := &clock{t: time.Now()}
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), c)
	defer st.Close()
	m := newMailer(t, st, inbox.URL, nil)
	ctx := context.Background()

	// A transaction that rolls back queues nothing.
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx *store.Tx) error {
		if err := m.Queue(tx, "login", "eve@example.com", map[string]any{"Link": "http://x", "Minutes": 15}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	queueLogin(t, st, m, "ada@example.com", "http://shop.test/login/email/TOKEN")
	n, err := m.Flush(ctx)
	if err != nil || n != 1 {
		t.Fatalf("flush: %d %v", n, err)
	}
	got := inbox.Wait(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	msg := got[0]
	if len(msg.To) != 1 || msg.To[0] != "ada@example.com" {
		t.Errorf("envelope to %v", msg.To)
	}
	if s := msg.Header("Subject"); s != "Your sign-in link for Vendo" {
		t.Errorf("subject %q", s)
	}
	if f := msg.Header("From"); !strings.Contains(f, "no-reply@shop.test") {
		t.Errorf("from %q", f)
	}
	text, err := msg.Part("text/plain")
	if err != nil || !strings.Contains(text, "http://shop.test/login/email/TOKEN") {
		t.Errorf("text part: %v\n%s", err, text)
	}
	if html, err := msg.Part("text/html"); err != nil || !strings.Contains(html, `href="http://shop.test/login/email/TOKEN"`) {
		t.Errorf("html part: %v", err)
	}
	// Nothing is due any more; the record says sent.
	if n, _ := m.Flush(ctx); n != 0 {
		t.Errorf("second flush sent %d", n)
	}
	st.View(ctx, func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		if len(all) != 1 || all[0].Status != app.MailSent || all[0].Attempts != 1 {
			t.Errorf("outbox: %+v", all)
		}
		return nil
	})
}

// TestWithoutSMTPMailIsKeptAndShownOnTheConsole: without SMTP a message
// stays in the outbox; the console (a developer's terminal) shows it
// whole, link included, and the log only says it was not sent — its
// links never reach the log (issue 17, hole 11).
func TestWithoutSMTPMailIsKeptAndShownOnTheConsole(t *testing.T) {
	c := &clock{t: time.Now()}
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), c)
	defer st.Close()
	log, console := &syncBuffer{}, &syncBuffer{}
	m, err := mail.New(mail.Config{Store: st, Log: slog.New(slog.NewTextHandler(log, nil)), Views: views.FS,
		BaseURL: "http://shop.test", Console: console})
	if err != nil {
		t.Fatal(err)
	}
	queueLogin(t, st, m, "ada@example.com", "http://shop.test/login/email/LOGGED")
	if n, err := m.Flush(context.Background()); n != 1 || err != nil {
		t.Fatalf("flush: %d %v", n, err)
	}
	if out := log.String(); strings.Contains(out, "LOGGED") || !strings.Contains(out, "mail queued") || !strings.Contains(out, "mail not sent") {
		t.Errorf("the log shows the link, or not the message:\n%s", out)
	}
	if out := console.String(); !strings.Contains(out, "mail to ada@example.com") || !strings.Contains(out, "http://shop.test/login/email/LOGGED") {
		t.Errorf("the console does not show the message:\n%s", out)
	}
	st.View(context.Background(), func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		if len(all) != 1 || all[0].Status != app.MailLogged {
			t.Errorf("outbox: %+v", all)
		}
		return nil
	})
}

// TestWithoutSMTPAFlushLogsEveryDueMessage: the messages of one flush are
// shown and marked logged together; none is left pending or shown twice.
func TestWithoutSMTPAFlushLogsEveryDueMessage(t *testing.T) {
	c := &clock{t: time.Now()}
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), c)
	defer st.Close()
	console := &syncBuffer{}
	m, err := mail.New(mail.Config{Store: st, Log: slog.New(slog.NewTextHandler(&syncBuffer{}, nil)), Views: views.FS,
		BaseURL: "http://shop.test", Console: console})
	if err != nil {
		t.Fatal(err)
	}
	to := []string{"ada@example.com", "bob@example.com", "cy@example.com"}
	for i, addr := range to {
		queueLogin(t, st, m, addr, fmt.Sprintf("http://shop.test/login/email/L%d", i))
	}
	if n, err := m.Flush(context.Background()); n != 3 || err != nil {
		t.Fatalf("flush: %d %v", n, err)
	}
	if n, err := m.Flush(context.Background()); n != 0 || err != nil {
		t.Fatalf("second flush: %d %v, want nothing left", n, err)
	}
	for _, addr := range to {
		if got := strings.Count(console.String(), "mail to "+addr); got != 1 {
			t.Errorf("%s shown %d times on the console", addr, got)
		}
	}
	st.View(context.Background(), func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		for _, msg := range all {
			if msg.Status != app.MailLogged || msg.SentAt.IsZero() {
				t.Errorf("%s: status %s, logged at %v", msg.To, msg.Status, msg.SentAt)
			}
		}
		if len(all) != 3 || tx.CountPendingMail() != 0 {
			t.Errorf("%d messages, %d pending", len(all), tx.CountPendingMail())
		}
		return nil
	})
}

func TestOutboxSurvivesARestartAndDeliversOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	c := &clock{t: time.Now()}
	ctx := context.Background()

	// SMTP is down: the attempt fails and a retry is scheduled.
	st := openStore(t, path, c)
	down := newMailer(t, st, deadSMTP(t), nil)
	queueLogin(t, st, down, "ada@example.com", "http://shop.test/login/email/AFTER-RESTART")
	if n, _ := down.Flush(ctx); n != 0 {
		t.Fatalf("delivered %d with SMTP down", n)
	}
	st.View(ctx, func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		if len(all) != 1 || all[0].Status != app.MailPending || all[0].Attempts != 1 || all[0].LastError == "" ||
			!all[0].NextAttemptAt.After(c.Now()) {
			t.Errorf("after a failed attempt: %+v", all)
		}
		return nil
	})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart with a working server; once the backoff has passed the
	// worker delivers the message, exactly once.
	inbox := mailtest.Start(t)
	st = openStore(t, path, c)
	defer st.Close()
	up := newMailer(t, st, inbox.URL, nil)
	c.Advance(mail.Backoff(1) + time.Second)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { up.Run(runCtx); close(done) }()
	got := inbox.Wait(1, 5*time.Second)
	time.Sleep(100 * time.Millisecond) // a few more polls: no duplicate
	stop()
	<-done
	if got = inbox.Messages(); len(got) != 1 {
		t.Fatalf("received %d messages, want exactly 1", len(got))
	}
	if text, _ := got[0].Part("text/plain"); !strings.Contains(text, "AFTER-RESTART") {
		t.Errorf("wrong message: %s", text)
	}
	st.View(ctx, func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		if all[0].Status != app.MailSent || all[0].Attempts != 2 || all[0].LastError != "" {
			t.Errorf("after delivery: %+v", all[0])
		}
		return nil
	})
}

func TestRetriesBackOffAndGiveUp(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 10: time.Hour, 30: time.Hour} {
		if got := mail.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
	c := &clock{t: time.Now()}
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), c)
	defer st.Close()
	m, err := mail.New(mail.Config{Store: st, Log: slog.New(slog.NewTextHandler(&syncBuffer{}, nil)), Views: views.FS,
		BaseURL: "http://shop.test", SMTPURL: deadSMTP(t), MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	queueLogin(t, st, m, "ada@example.com", "http://x")
	for i := 0; i < 5; i++ {
		m.Flush(context.Background())
		c.Advance(time.Hour)
	}
	st.View(context.Background(), func(tx *store.Tx) error {
		all, _, _ := tx.Outbox(store.MailFilter{})
		if all[0].Status != app.MailFailed || all[0].Attempts != 3 {
			t.Errorf("after the last attempt: %+v", all[0])
		}
		return nil
	})
}

func TestSMTPUsesSTARTTLSAndTheURLsCredentials(t *testing.T) {
	inbox := mailtest.StartTLS(t, "shop", "p@ss word")
	c := &clock{t: time.Now()}
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), c)
	defer st.Close()
	newTLSMailer := func(url string) *mail.Mailer {
		m, err := mail.New(mail.Config{Store: st, Log: slog.New(slog.NewTextHandler(&syncBuffer{}, nil)), Views: views.FS,
			BaseURL: "http://shop.test", SMTPURL: url, TLSConfig: inbox.ClientTLS})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := newTLSMailer(inbox.URL + "?from=sales%40shop.test")
	queueLogin(t, st, m, "ada@example.com", "http://x")
	if n, err := m.Flush(context.Background()); n != 1 || err != nil {
		t.Fatalf("flush: %d %v", n, err)
	}
	got := inbox.Wait(1, 5*time.Second)
	if len(got) != 1 || got[0].From != "sales@shop.test" || !got[0].TLS {
		t.Fatalf("received %+v", got)
	}

	// Wrong credentials: not delivered, retried later.
	bad := strings.Replace(inbox.URL, "p%40ss%20word", "nope", 1)
	if bad == inbox.URL {
		t.Fatalf("could not make a bad URL from %s", inbox.URL)
	}
	m2 := newTLSMailer(bad)
	queueLogin(t, st, m2, "bob@example.com", "http://x")
	if n, _ := m2.Flush(context.Background()); n != 0 || len(inbox.Messages()) != 1 {
		t.Fatalf("delivered with wrong credentials")
	}
}

// The plan mails state the credit rules and the rule in force for
// credit-unlocked products at the plan's end (a setting).
func TestPlanMailsStateTheRuleInForce(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), &clock{t: time.Now()})
	defer st.Close()
	m := newMailer(t, st, "", nil)
	settings := app.DefaultSettings()
	plan := app.Plan{Name: "Pro", Credits: 10}
	for _, tc := range []struct {
		name  string
		data  map[string]any
		wants []string
	}{
		{"subscription_started", map[string]any{"Plan": plan, "License": app.License{Key: "VENDO-K"}, "KeepsUnlocks": false},
			[]string{"10 credits every month, whether you pay monthly or yearly", "unused credits do not roll over", "end\nwith it"}},
		{"subscription_started", map[string]any{"Plan": plan, "License": app.License{Key: "VENDO-K"}, "KeepsUnlocks": true},
			[]string{"stay in your library even after your plan ends"}},
		{"subscription_ended", map[string]any{"KeepsUnlocks": false}, []string{"products unlocked with plan credits and your license key are no longer"}},
		{"subscription_ended", map[string]any{"KeepsUnlocks": true}, []string{"so do the products you unlocked with plan credits"}},
		{"subscription_canceled", map[string]any{"Plan": plan, "Subscription": app.Subscription{CurrentPeriodEnd: time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)}, "KeepsUnlocks": false},
			[]string{"Pro plan is canceled and will not renew", "March 10, 2027", "products unlocked with plan credits leave your library", "http://shop.test/account"}},
		{"subscription_canceled", map[string]any{"Plan": plan, "Subscription": app.Subscription{CurrentPeriodEnd: time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)}, "KeepsUnlocks": true},
			[]string{"stay in your library after that"}},
		{"renewal_failed", map[string]any{"Amount": app.Money{Amount: 1900, Currency: "usd"}, "GraceDays": 7}, []string{"$19.00", "keep working for 7 days"}},
		{"renewal_failed", map[string]any{"Amount": app.Money{Amount: 1900, Currency: "usd"}, "GraceDays": 0}, []string{"on hold until the payment goes through"}},
	} {
		tc.data["AccountURL"], tc.data["PlansURL"] = "http://shop.test/account", "http://shop.test/plans"
		msg, err := m.Compose(settings, tc.name, "ada@example.com", tc.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.wants {
			if !strings.Contains(msg.Text, w) {
				t.Errorf("%s %v: the text lacks %q:\n%s", tc.name, tc.data["KeepsUnlocks"], w, msg.Text)
			}
		}
		if strings.Contains(msg.Text, "<no value>") {
			t.Errorf("%s: <no value> in the text:\n%s", tc.name, msg.Text)
		}
	}
}

// TestLicenseLimitMailHasTextAndHTML: the activation-limit mail names
// the shop, the key, where it is activated and the refused device, and
// links to the account in both parts.
func TestLicenseLimitMailHasTextAndHTML(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), &clock{t: time.Now()})
	defer st.Close()
	m := newMailer(t, st, "", nil)
	settings := app.DefaultSettings()
	settings.ShopName = "Tiny <Shop>"
	ins := []app.LicenseInstance{{Name: "studio-mac", CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}, {Name: "laptop"}}
	msg, err := m.Compose(settings, "license_limit", "ada@example.com", map[string]any{"Key": "VENDO-7KQ4-M2XP-9RTA-H3CW",
		"Product": "Field Notes", "Instances": ins, "Attempt": "<script>", "AccountURL": "http://shop.test/account#licenses"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Tiny <Shop>", "VENDO-7KQ4-M2XP-9RTA-H3CW", "Field Notes", "- studio-mac (since 2 Nov 2026)", "“<script>”", "http://shop.test/account#licenses"} {
		if !strings.Contains(msg.Text, w) {
			t.Errorf("the text lacks %q:\n%s", w, msg.Text)
		}
	}
	for _, w := range []string{"Tiny &lt;Shop&gt;", "VENDO-7KQ4-M2XP-9RTA-H3CW", "<li>laptop", "&lt;script&gt;", `href="http://shop.test/account#licenses"`} {
		if !strings.Contains(msg.HTML, w) {
			t.Errorf("the html lacks %q:\n%s", w, msg.HTML)
		}
	}
	if msg.Subject != "Your license key is activated on all the devices it allows" || strings.Contains(msg.Text+msg.HTML, "<no value>") {
		t.Errorf("subject %q, text:\n%s", msg.Subject, msg.Text)
	}
}

// TestSecretLinksRestAsReferences is the mail side of issue 17, hole 8:
// a link whose token carries a secret is stored as a reference and made
// again only in the copy that is sent.
func TestSecretLinksRestAsReferences(t *testing.T) {
	inbox := mailtest.Start(t)
	c := &clock{t: time.Now()}
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), c)
	defer st.Close()
	m := newMailer(t, st, inbox.URL, nil)
	m.SecretLinks("/login/email/", func(ref string) string { return ref + ".SIG" + ref })
	ctx := context.Background()

	queueLogin(t, st, m, "ada@example.com", "http://shop.test/login/email/abc123.SIGabc123")
	var stored app.Mail
	st.View(ctx, func(tx *store.Tx) error {
		mails, _, err := tx.Outbox(store.MailFilter{})
		if len(mails) == 1 {
			stored = mails[0]
		}
		return err
	})
	if strings.Contains(stored.Text+stored.HTML, "SIG") || !strings.Contains(stored.Text, "[[link /login/email/ abc123]]") {
		t.Fatalf("the outbox keeps the link, or no reference:\n%s", stored.Text)
	}
	if n, err := m.Flush(ctx); n != 1 || err != nil {
		t.Fatalf("flush: %d %v", n, err)
	}
	got := inbox.Wait(1, 5*time.Second)
	text, _ := got[0].Part("text/plain")
	html, _ := got[0].Part("text/html")
	if !strings.Contains(text, "http://shop.test/login/email/abc123.SIGabc123") || !strings.Contains(html, `href="http://shop.test/login/email/abc123.SIGabc123"`) {
		t.Fatalf("the sent message lacks the link:\n%s\n%s", text, html)
	}
	st.View(ctx, func(tx *store.Tx) error {
		sent, err := tx.Mail(stored.ID)
		if sent.Status != app.MailSent || strings.Contains(sent.Text+sent.HTML, "SIG") {
			t.Errorf("after sending: %s, or the link is kept", sent.Status)
		}
		return err
	})
}

// TestEveryTemplateHasAPreview: each template in views/emails composes
// with the preview's sample data, leaving no field unfilled in either
// part; a template added without what its preview needs fails here.
func TestEveryTemplateHasAPreview(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), &clock{t: time.Now()})
	defer st.Close()
	m := newMailer(t, st, "", nil)
	settings := app.DefaultSettings()
	settings.ShopName = "Preview Shop"
	names := m.Templates()
	for _, want := range []string{"license_limit", "login", "order_refunded", "receipt", "subscription_canceled", "subscription_ended", "trial_ending"} {
		if !slices.Contains(names, want) {
			t.Errorf("templates %v lack %s", names, want)
		}
	}
	for _, name := range names {
		msg, err := m.Preview(settings, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if msg.Subject == "" || !strings.Contains(msg.Text, "Preview Shop") {
			t.Errorf("%s: subject %q, text without the shop's name:\n%s", name, msg.Subject, msg.Text)
		}
		for part, body := range map[string]string{"text": msg.Text, "html": msg.HTML} {
			if strings.Contains(body, "<no value>") || strings.Contains(body, "%!") {
				t.Errorf("%s (%s) has an unfilled field:\n%s", name, part, body)
			}
		}
	}
	if _, err := m.Preview(settings, "../../etc/passwd"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("an unknown template: %v", err)
	}
}

// TestTextOnlyTemplatesGetAnHTMLPart: a template with no .html has an
// HTML part made from its text: the same words, escaped, the addresses
// (the account's among them) as links, an indented key as code.
func TestTextOnlyTemplatesGetAnHTMLPart(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), &clock{t: time.Now()})
	defer st.Close()
	m := newMailer(t, st, "", nil)
	settings := app.DefaultSettings()
	settings.ShopName = "Tiny <Shop>"
	order := app.Order{Number: 1042, Name: "Ada & Co", Total: app.Money{Amount: 2800, Currency: "usd"}}
	msg, err := m.Compose(settings, "order_refunded", "ada@example.com", map[string]any{"Order": order, "AccountURL": "http://shop.test/account?x=1&y=2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Tiny &lt;Shop&gt;", "Ada &amp; Co", "$28.00", `<a href="http://shop.test/account?x=1&amp;y=2">`, "<p>"} {
		if !strings.Contains(msg.HTML, w) {
			t.Errorf("the html part lacks %q:\n%s", w, msg.HTML)
		}
	}
	if strings.Contains(msg.HTML, "<Shop>") {
		t.Errorf("unescaped text in the html part:\n%s", msg.HTML)
	}
	got := mail.TextToHTMLForTest("Your key:\n\n    VENDO-7KQ4\n\n- one\n- two\n\nSee https://shop.test/account.")
	for _, w := range []string{`<code style="font-size:16px">VENDO-7KQ4</code>`, "<ul><li>one</li><li>two</li></ul>", `<a href="https://shop.test/account">https://shop.test/account</a>.`} {
		if !strings.Contains(got, w) {
			t.Errorf("textToHTML lacks %q:\n%s", w, got)
		}
	}
}

// TestRefundMailsSayTheAmountAndWhatAccessEnds: the refund confirmation
// names this refund's amount and whether the downloads and keys keep
// working (a partial refund) or stop (the order refunded in full), in
// both parts, with the account one click away; a receipt for an order
// refunded in part before it went out shows the refund.
func TestRefundMailsSayTheAmountAndWhatAccessEnds(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), &clock{t: time.Now()})
	defer st.Close()
	m := newMailer(t, st, "", nil)
	settings := app.DefaultSettings()
	settings.ShopName = "Refund Shop"
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	order := app.Order{Number: 1042, Name: "Ada", Total: usd(2800), AmountRefunded: 900}
	for _, tc := range []struct {
		name      string
		data      map[string]any
		want, not []string
	}{
		{"partial", map[string]any{"Order": order, "Refund": usd(900), "Refunded": usd(900), "Full": false},
			[]string{"$9.00 of order #1042 was refunded", "$9.00 of your order", "$9.00 of its $28.00", "keep working"}, []string{"no longer work"}},
		{"the rest", map[string]any{"Order": order, "Refund": usd(1900), "Refunded": usd(2800), "Full": true},
			[]string{"Order #1042 was refunded", "refunded in full", "$19.00 is on its way", "$28.00 refunded of $28.00", "no longer work"}, []string{"keep working"}},
	} {
		tc.data["AccountURL"] = "http://shop.test/account"
		msg, err := m.Compose(settings, "order_refunded", "ada@example.com", tc.data)
		if err != nil {
			t.Fatal(err)
		}
		all := msg.Subject + "\n" + msg.Text
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: the mail lacks %q:\n%s", tc.name, w, all)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(all, w) {
				t.Errorf("%s: the mail says %q:\n%s", tc.name, w, all)
			}
		}
		if !strings.Contains(msg.HTML, `<a href="http://shop.test/account">`) || !strings.Contains(msg.HTML, "Refund Shop") || strings.Contains(all+msg.HTML, "<no value>") {
			t.Errorf("%s: the html part:\n%s", tc.name, msg.HTML)
		}
	}
	msg, err := m.Compose(settings, "receipt", "ada@example.com", map[string]any{"Order": order, "LibraryURL": "http://shop.test/account", "LoginURL": "http://shop.test/login"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Text, "Refunded    -$9.00") || !strings.Contains(msg.HTML, "-$9.00") {
		t.Errorf("the receipt does not show the refund:\n%s\n%s", msg.Text, msg.HTML)
	}
}

// TestCustomerMailsHaveBothPartsAndAWayBack: every template's preview has
// a text and an HTML part naming the shop; each of the mails issue 20
// lists links, in both parts, to where its reader acts: the customer's
// account, or for the dispute notice the order in the admin.
func TestCustomerMailsHaveBothPartsAndAWayBack(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "v.db"), &clock{t: time.Now()})
	defer st.Close()
	m := newMailer(t, st, "", nil)
	settings := app.DefaultSettings()
	settings.ShopName = "Both Parts Shop"
	for _, name := range m.Templates() {
		msg, err := m.Preview(settings, name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(msg.Text) == "" || !strings.Contains(msg.HTML, "Both Parts Shop") || !strings.Contains(msg.HTML, "<a href=") {
			t.Errorf("%s: a part is missing, or the html part lacks the shop's name or a link:\n%s", name, msg.HTML)
		}
	}
	for name, path := range map[string]string{"order_refunded": "/account", "subscription_canceled": "/account", "renewal_reminder": "/account",
		"trial_ending": "/account", "license_limit": "/account", "dispute_opened": "/admin/orders/"} {
		msg, err := m.Preview(settings, name)
		if err != nil {
			t.Fatal(err)
		}
		link := regexp.MustCompile(`<a href="https?://[^"/]+` + regexp.QuoteMeta(path))
		if !link.MatchString(msg.HTML) || !regexp.MustCompile(`https?://[^\s/]+`+regexp.QuoteMeta(path)).MatchString(msg.Text) {
			t.Errorf("%s does not link %s in both parts:\n%s\n%s", name, path, msg.Text, msg.HTML)
		}
	}
}
