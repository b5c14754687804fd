// Package e2e runs the real binary the way a merchant does: it is built
// once, started per test as a process on a free port from an empty working
// directory, and driven from outside. The browser tests click through it
// with Debian's Chromium (chromedp), the way a customer and a merchant use
// it: one Chromium for the run, each person in a browser context of their
// own (browser_test.go). The others start, kill and restart it, and run
// its commands.
//
// Run it with `go test -count=1 ./e2e/`. Without Chromium the browser tests
// skip, unless CI is set: then they fail, because a CI run that silently
// skipped the browser would prove nothing. `make deps` installs Chromium.
// A failed browser test leaves a screenshot of the failure under
// e2e/screenshots/; E2E_STEP_SHOTS=1 keeps one of every step before it too
// (off by default: they cost a third of a CPU-second each).
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"vendo/app/s3files/weedtest"
)

var (
	// binPath is the vendo binary built for this run.
	binPath string
	// chromePath is the browser to drive, "" when none is installed.
	chromePath string
)

func TestMain(m *testing.M) {
	chromePath = findChromium()
	dir, err := os.MkdirTemp("", "vendo-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "vendo")
	// Built as `make build` builds the binary that ships: static, without
	// cgo, symbols or DWARF. That is also the cheap link: with cgo the
	// linker hands off to gcc and ld, about 7 CPU-seconds a run against 3.
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Dir = ".." // the module root: package main
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build vendo: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	stopChromium()
	weedtest.StopShared() // the bucket tests' SeaweedFS, if one started
	os.RemoveAll(dir)
	os.Exit(code)
}

// findChromium looks for the browser: $CHROMIUM_PATH first, then the
// Debian package's /usr/bin/chromium, then the usual names on PATH.
func findChromium() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needBrowser skips the test when there is no browser, or fails it in CI.
func needBrowser(t *testing.T) {
	t.Helper()
	if chromePath != "" {
		return
	}
	const msg = "Chromium is not installed (looked at $CHROMIUM_PATH, /usr/bin/chromium and PATH); " +
		"install it with `apt-get install chromium` or `make deps`"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " — CI is set, so the browser suite must run")
	}
	t.Skip(msg)
}
