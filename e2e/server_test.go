package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app/vendotest"
)

// shop is the built vendo binary running with its own data directory
// (vendotest.Exec), reached at URL (also its VENDO_BASE_URL, so links in
// mail and redirects point back at it).
type shop struct {
	*vendotest.Process
	t *testing.T
}

// startShop starts a sandbox-mode shop on an empty data directory for a
// browser test.
func startShop(t *testing.T) *shop {
	t.Helper()
	needBrowser(t)
	return runShop(t, "")
}

// runShop runs the binary with data as its data directory ("" for a new
// one) and env (NAME=value) as its settings, and waits until it is healthy;
// the test's cleanup interrupts it.
func runShop(t *testing.T, data string, env ...string) *shop {
	t.Helper()
	opts := vendotest.Options{DataDir: data, Env: map[string]string{}}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("runShop: setting %q is not NAME=value", kv)
		}
		opts.Env[k] = v
	}
	return &shop{Process: vendotest.Exec(t, binPath, opts), t: t}
}

// url makes a path absolute.
func (s *shop) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return s.URL + path
}

// adminLink runs `vendo admin-link` against the running shop's data
// directory, as the owner would in a second terminal, and returns the link
// it prints as its last line.
func (s *shop) adminLink() string {
	s.t.Helper()
	out, err := s.Command("admin-link").Output()
	if err != nil {
		s.t.Fatalf("vendo admin-link: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	link := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(link, s.URL+"/login/admin/") {
		s.t.Fatalf("vendo admin-link: last line is not an admin link for %s:\n%s", s.URL, out)
	}
	return link
}

// signInAdmin signs b in as the owner does: `vendo admin-link`, the page
// the link opens, its one button. It ends on /admin.
func (s *shop) signInAdmin(b *browser) {
	s.t.Helper()
	b.Open(s.adminLink())
	b.Press("Yes, sign me in")
	b.WaitPath(`^/admin/?$`)
}

var emailLinkRE = regexp.MustCompile(`https?://[^\s"]+/login/email/[^\s"]+`)

// loginLinkFor waits for the sign-in mail to email: without SMTP_URL a
// shop on a loopback address shows each message it cannot send on its
// console ("--- mail to …", the text, "---"); the log never holds the
// link. It returns the link of the newest such mail after the first skip
// bytes of the output.
func (s *shop) loginLinkFor(email string, skip int) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out := s.Output.String()
		out = out[min(skip, len(out)):]
		if i := strings.LastIndex(out, "--- mail to "+email+" "); i >= 0 {
			msg, _, _ := strings.Cut(out[i+4:], "\n---")
			if link := emailLinkRE.FindString(msg); link != "" {
				return link
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("no sign-in link for %s on the shop's console", email)
	return ""
}
