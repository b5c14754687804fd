// Package stripemock starts Stripe's own API mock (stripe-mock, installed
// by `make test`) for contract tests: requests that stripe-mock accepts
// match Stripe's OpenAPI spec.
package stripemock

import (
	"bufio"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bin finds stripe-mock: $STRIPE_MOCK_BIN, then PATH, then
// $(go env GOPATH)/bin where `make test` installs it.
func bin() string {
	if bin := os.Getenv("STRIPE_MOCK_BIN"); bin != "" {
		return bin
	}
	if bin, err := exec.LookPath("stripe-mock"); err == nil {
		return bin
	}
	gopath := build.Default.GOPATH
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		gopath = strings.TrimSpace(string(out))
	}
	for _, dir := range filepath.SplitList(gopath) {
		bin := filepath.Join(dir, "bin", "stripe-mock")
		if _, err := os.Stat(bin); err == nil {
			return bin
		}
	}
	return ""
}

// Start runs stripe-mock on free loopback ports for the test and returns
// its HTTP base URL. Without the binary the test fails in CI (env CI set)
// and is skipped elsewhere.
func Start(t testing.TB) string {
	t.Helper()
	path := bin()
	if path == "" {
		msg := "stripe-mock not found: go install github.com/stripe/stripe-mock@v0.203.0 (or set STRIPE_MOCK_BIN)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Port 0 lets the system choose; stripe-mock prints the address.
	cmd := exec.Command(path, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				addr <- strings.TrimSpace(a)
			}
		}
	}()
	select {
	case a := <-addr:
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := net.DialTimeout("tcp", a, 200*time.Millisecond); err == nil {
				c.Close()
				return "http://" + a
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("stripe-mock did not accept connections at %s", a)
	case <-time.After(20 * time.Second):
		t.Fatal("stripe-mock did not report its address")
	}
	return ""
}
