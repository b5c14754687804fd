package vendotest

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Outbox is every mail the shop queued, newest first.
func (s *Shop) Outbox() []app.Mail {
	s.t.Helper()
	var out []app.Mail
	err := s.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		out, _, err = tx.Outbox(store.MailFilter{})
		return err
	})
	if err != nil {
		s.t.Fatalf("read the outbox: %v", err)
	}
	return out
}

var signInLinkRE = regexp.MustCompile(`https?://[^\s"]+/login/email/[A-Za-z0-9_.-]+`)

// SignInLink waits for a sign-in mail to email in the outbox and returns
// the link in the newest one, as the customer receives it: the outbox
// keeps a reference, made a link again as the mail is sent.
func (s *Shop) SignInLink(email string) string {
	s.t.Helper()
	var link string
	WaitFor(s.t, "a sign-in mail to "+email, func() bool {
		for _, m := range s.Outbox() {
			if m.To == email {
				link = signInLinkRE.FindString(s.Mail.Render(m).Text)
				break
			}
		}
		return link != ""
	})
	return link
}

// AdvanceClock moves the sandbox's test clock forward, as a demo would
// through POST /sandbox/stripe/clock; advance is a Go duration or days
// ("720h", "31d").
func (s *Shop) AdvanceClock(advance string) {
	s.t.Helper()
	resp, err := http.PostForm(s.URL+"/sandbox/stripe/clock", url.Values{"advance": {advance}})
	if err != nil {
		s.t.Fatalf("advance the clock: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		s.t.Fatalf("advance the clock by %s: %d", advance, resp.StatusCode)
	}
}

// WaitFor polls cond for up to a minute and fails the test, naming what
// it waited for, when cond never holds. Webhooks and mail arrive in the
// background; a test waits for their effect, not for a time. The bound
// is generous because it only ends a failing test: on a busy two-core
// machine running the suites in parallel a sandbox delivery has taken
// ten seconds.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
