package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The command line: every page served from any directory, one instance per
// data directory, config mistakes, signals, help.

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBinaryServesEveryPageFromAnyDirectory(t *testing.T) {
	t.Parallel()
	base := runShop(t, "").URL
	for _, tc := range []struct{ path, want string }{
		{"/", "Vendo Demo Shop"},
		{"/products", "Sunrise Wallpapers"},
		{"/products/lo-fi-sample-kit", "chord-c-major-90bpm.wav"},
		{"/plans", "Team"},
		{"/static/css/app.css", "--brand"},
		{"/static/js/htmx-2.0.11.min.js", "htmx"},
		{"/static/js/vendo.js", "serviceWorker"},
		{"/static/img/favicon.svg", "<svg"},
		{"/static/manifest.webmanifest", "Vendo"},
		{"/sw.js", "caches"},
	} {
		status, body := get(t, base+tc.path)
		if status != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, body has %q: %v", tc.path, status, tc.want, strings.Contains(body, tc.want))
		}
	}
}

func TestSecondInstanceOnSameDataDirExitsWithMessage(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	runShop(t, data)
	cmd := exec.Command(binPath, "-data", data, "-addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("second instance hung instead of exiting")
	}
	if err == nil {
		t.Fatal("second instance exited 0")
	}
	if !strings.Contains(string(out), "another Vendo is already running") {
		t.Fatalf("message does not explain the lock:\n%s", out)
	}
}

func TestInvalidConfigExitsWithFixingSentence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"live key without webhook secret", nil, []string{"STRIPE_SECRET_KEY=sk_live_abc", "VENDO_BASE_URL=https://shop.example.com"},
			[]string{"STRIPE_WEBHOOK_SECRET is not", "stripe listen"}},
		{"unparsable address", []string{"-addr", "not-an-address"}, nil, []string{"is not a listen address", "host:port"}},
		{"bad port", []string{"-addr", "127.0.0.1:99999"}, nil, []string{"no valid port"}},
		{"a flag's mistake names the flag", []string{"-addr", "nonsense"}, []string{"VENDO_ADDR=127.0.0.1:0"},
			[]string{`-addr "nonsense" is not a listen address`}},
		{"unknown command", []string{"frobnicate"}, nil, []string{"unknown command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binPath, tt.args...)
			cmd.Dir = t.TempDir()
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("exited 0:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binPath, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "vendo ") {
		t.Fatalf("version: %v %q", err, out)
	}
}

func TestGracefulShutdownClosesDatabase(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cmd := runShop(t, data).Cmd
	cmd.Process.Signal(os.Interrupt)
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop after SIGINT")
	}
	// The lock is released: a new instance starts at once on the same data.
	runShop(t, data)
}

func TestSandboxNeverStartsWithAStripeKey(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	addr := runShop(t, data, "STRIPE_SECRET_KEY=sk_test_real", "STRIPE_WEBHOOK_SECRET=whsec_real", "STRIPE_API_BASE=http://127.0.0.1:9", "VENDO_SYNC_INTERVAL=0").Addr
	for _, path := range []string{"/sandbox/stripe/clock", "/sandbox/stripe/v1/customers", "/sandbox/stripe/checkout/cs_test_1"} {
		if status, _ := get(t, "http://"+addr+path); status != 404 {
			t.Errorf("%s: %d in Stripe mode, want 404", path, status)
		}
	}
	if _, body := get(t, "http://"+addr+"/"); strings.Contains(body, "Sandbox — no real payments") {
		t.Error("the sandbox banner shows in Stripe mode")
	}
	if _, err := os.Stat(filepath.Join(data, "stripe-sandbox.db")); !os.IsNotExist(err) {
		t.Errorf("the sandbox database exists in Stripe mode: %v", err)
	}
}

func TestHelpPrintsTheCommandsAndFlagsOnceAndExitsZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}, {"backup", "-h"}, {"-data", "x", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(binPath, args...)
			cmd.Dir = t.TempDir()
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("exit: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("help wrote to stderr: %q", stderr.String())
			}
			out := stdout.String()
			for _, once := range []string{"Usage:", "vendo [flags]", "vendo backup FILE", "vendo sync", "vendo admin-link", "vendo files migrate", "vendo version", "vendo help",
				"  -addr ", "  -cart-lifetime ", "  -data ", "  -base-url ", "  -sync-interval ", "  -upload-limit ", "  -log-level ", "  -log-format ", "  -dev ",
				"VENDO_SECRET", "STRIPE_SECRET_KEY"} {
				if n := strings.Count(out, once); n != 1 {
					t.Errorf("%q appears %d times, want once:\n%s", once, n, out)
				}
			}
			if strings.Contains(out, "bench-baseline") {
				t.Errorf("help mentions the bench's baseline:\n%s", out)
			}
		})
	}
}

func TestTheBenchBaselineIsNotACommand(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binPath, "bench-baseline").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown command "bench-baseline"`) {
		t.Fatalf("vendo bench-baseline: %v\n%s", err, out)
	}
}
