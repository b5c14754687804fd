package e2e

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// shop is a running vendo process with its own data directory, reached
// at base (http://127.0.0.1:PORT, also its VENDO_BASE_URL, so links in mail
// and redirects point back at it).
type shop struct {
	t     *testing.T
	addr  string
	base  string
	data  string
	extra []string // settings beyond the defaults, NAME=value
	cmd   *exec.Cmd
	logs  *syncBuffer
}

// startShop starts a sandbox-mode shop on an empty data directory for a
// browser test.
func startShop(t *testing.T) *shop {
	t.Helper()
	needBrowser(t)
	return startVendo(t, "")
}

// startVendo runs the binary from an empty working directory on a free
// port, with data as its data directory ("" for a new one) and env
// (NAME=value) added to a clean environment, and waits for /healthz. The
// test's cleanup interrupts it (a graceful shutdown).
func startVendo(t *testing.T, data string, env ...string) *shop {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	addr := freeAddr(t)
	s := &shop{t: t, addr: addr, base: "http://" + addr, data: data, extra: env, logs: &syncBuffer{}}
	s.cmd = exec.Command(binPath, "-data", s.data, "-addr", addr)
	s.cmd.Dir = t.TempDir()
	// A clean environment: no Stripe keys or SMTP from the developer's
	// shell, so this is the sandbox with mail shown on the console (the
	// shop is on a loopback address) unless the test says otherwise.
	s.cmd.Env = s.env()
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)

	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("vendo did not become healthy at %s; output:\n%s", s.base, s.logs.String())
	return nil
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (s *shop) env() []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.cmd.Dir, "VENDO_BASE_URL=" + s.base}, s.extra...)
}

// stop interrupts the shop (a graceful shutdown) and logs its output when
// the test failed (or always, with E2E_SHOW_LOGS=1).
func (s *shop) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }() // returns at once if the test waited for it already
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	if s.t.Failed() || os.Getenv("E2E_SHOW_LOGS") != "" {
		s.t.Logf("vendo output:\n%s", s.logs.String())
	}
}

// url makes a path absolute.
func (s *shop) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return s.base + path
}

// adminLink runs `vendo admin-link` against the running shop's data
// directory, as the owner would in a second terminal, and returns the link
// it prints as its last line.
func (s *shop) adminLink() string {
	s.t.Helper()
	cmd := exec.Command(binPath, "admin-link", "-data", s.data)
	cmd.Dir = s.cmd.Dir
	cmd.Env = s.env()
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("vendo admin-link: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	link := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(link, s.base+"/login/admin/") {
		s.t.Fatalf("vendo admin-link: last line is not an admin link for %s:\n%s", s.base, out)
	}
	return link
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
		out := s.logs.String()
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

// syncBuffer is a bytes.Buffer that the process writes to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}
