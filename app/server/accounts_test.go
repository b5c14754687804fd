package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app/config"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// serveForTest runs the whole shop on a temp dir until the test ends and
// returns what it printed to the console.
func serveForTest(t *testing.T, dir string, env map[string]string) (*Server, *lockedBuffer, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "VENDO_BASE_URL" {
			return "http://" + ln.Addr().String()
		}
		return env[k]
	}
	cfg, err := config.Load([]string{"-data", dir, "-sync-interval", "0"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	console := &lockedBuffer{}
	srv, err := Open(context.Background(), cfg, log, Options{Listener: ln, Console: console})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the server did not stop")
		}
	}
	return srv, console, stop
}

func TestFirstStartPrintsAnAdminLinkThatWorksOnce(t *testing.T) {
	dir := t.TempDir()
	srv, console, stop := serveForTest(t, dir, nil)
	var link string
	for i := 0; i < 100 && link == ""; i++ {
		out := strings.TrimSpace(console.String())
		if lines := strings.Split(out, "\n"); strings.Contains(lines[len(lines)-1], "/login/admin/") {
			link = lines[len(lines)-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(link, srv.Config.BaseURL+"/login/admin/") {
		stop()
		t.Fatalf("no admin link as the last line of the output:\n%s", console.String())
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<h1>Admin</h1>") {
		t.Fatalf("following the link: %d", resp.StatusCode)
	}
	stop()

	// The next start has an admin: no link is printed.
	_, console, stop = serveForTest(t, dir, nil)
	time.Sleep(300 * time.Millisecond)
	stop()
	if strings.Contains(console.String(), "/login/admin/") {
		t.Errorf("a shop with an owner printed an admin link:\n%s", console.String())
	}
}

func TestNoAdminLinkWithAdminEmails(t *testing.T) {
	_, console, stop := serveForTest(t, t.TempDir(), map[string]string{"VENDO_ADMIN_EMAILS": "boss@example.com"})
	time.Sleep(300 * time.Millisecond)
	stop()
	if strings.Contains(console.String(), "/login/admin/") {
		t.Errorf("printed an admin link although VENDO_ADMIN_EMAILS is set:\n%s", console.String())
	}
}
