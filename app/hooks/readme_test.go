package hooks_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"vendo/app/hooks"
)

// readmeBlock returns the README's fenced block of lang that contains
// marker.
func readmeBlock(t *testing.T, lang, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(string(b), "```"+lang+"\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if strings.Contains(block, marker) {
			return block
		}
	}
	t.Fatalf("the README has no %s block with %q", lang, marker)
	return ""
}

// signatureCases are what a receiver's verify must answer: a delivery
// signed now with the secret, the same with its body changed, signed with
// another secret, and signed ten minutes ago.
func signatureCases() (secret string, cases []struct {
	name, header, body string
	ok                 bool
}) {
	secret = "whsec_readme"
	body := `{"id":"evt_1","type":"order.paid","data":{"order":{"email":"ümlaut@example.com"}}}`
	now := time.Now()
	return secret, []struct {
		name, header, body string
		ok                 bool
	}{
		{"signed now", hooks.Sign(secret, now, []byte(body)), body, true},
		{"body changed", hooks.Sign(secret, now, []byte(body)), strings.Replace(body, "paid", "refunded", 1), false},
		{"another secret", hooks.Sign("whsec_other", now, []byte(body)), body, false},
		{"ten minutes old", hooks.Sign(secret, now.Add(-10*time.Minute), []byte(body)), body, false},
	}
}

// The README's Go snippet that checks a Vendo-Signature, compiled and run
// as a receiver would, accepts what the shop signs and refuses the rest.
func TestTheReadmesGoVerificationWorks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	t.Parallel()
	dir := t.TempDir()
	src := `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)
` + readmeBlock(t, "go", "func verify(") + `
func main() {
	body, _ := os.ReadFile(os.Args[3])
	fmt.Print(verify(os.Args[1], os.Args[2], body))
}
`
	for name, text := range map[string]string{"main.go": src, "go.mod": "module readme\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "verify")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the README's Go snippet does not build: %v\n%s", err, out)
	}
	secret, cases := signatureCases()
	for _, c := range cases {
		bodyFile := filepath.Join(dir, "body")
		os.WriteFile(bodyFile, []byte(c.body), 0o600)
		out, err := exec.Command(bin, c.header, secret, bodyFile).Output()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := string(out) == "true"; got != c.ok {
			t.Errorf("%s: the README's Go verify says %s, want %v", c.name, out, c.ok)
		}
	}
}

// The README's Python snippet accepts what the shop signs and refuses
// the rest (skipped where there is no python3).
func TestTheReadmesPythonVerificationWorks(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	t.Parallel()
	dir := t.TempDir()
	src := readmeBlock(t, "python", "def verify(") + `
import json, sys
for c in json.load(open(sys.argv[1])):
    print(verify(c["header"], c["secret"], c["body"].encode()))
`
	script := filepath.Join(dir, "verify.py")
	if err := os.WriteFile(script, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	// One run for every case: starting Python is the slow part.
	secret, cases := signatureCases()
	var in []map[string]string
	for _, c := range cases {
		in = append(in, map[string]string{"header": c.header, "secret": secret, "body": c.body})
	}
	b, _ := json.Marshal(in)
	casesFile := filepath.Join(dir, "cases.json")
	if err := os.WriteFile(casesFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, script, casesFile).CombinedOutput()
	if err != nil {
		t.Fatalf("the README's Python snippet: %v\n%s", err, out)
	}
	answers := strings.Fields(string(out))
	if len(answers) != len(cases) {
		t.Fatalf("the README's Python snippet answered %q", out)
	}
	for i, c := range cases {
		if got := answers[i] == "True"; got != c.ok {
			t.Errorf("%s: the README's Python verify says %s, want %v", c.name, answers[i], c.ok)
		}
	}
}
