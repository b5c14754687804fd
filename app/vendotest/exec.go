package vendotest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"testing"
	"time"

	"vendo/app/mail/mailtest"
)

// Process is a shop running as its own process from a built binary, as a
// merchant runs it: for what only a process shows (a kill -9 mid-storm, a
// signal, the CLI against a live data directory) and for the browser
// suite, which drives the shipped binary. Start is the in-process twin;
// both read the same Options.
type Process struct {
	// URL is http://Addr, also the process's VENDO_BASE_URL.
	URL, Addr string
	// Dir is the data directory.
	Dir string
	// Cmd is the running process; a test may signal or kill it.
	Cmd *exec.Cmd
	// Output is what the process printed (stdout and stderr): its log and,
	// without SMTP, the mail it could not send.
	Output *Buffer
	// Inbox receives the shop's mail when Options.SMTP is set.
	Inbox *mailtest.Server

	t   testing.TB
	bin string
	env []string
}

// Exec runs bin from an empty working directory on a free loopback port
// with opts (Env, Args, DataDir, SMTP, StripeFrom and Debug; the in-process
// knobs Now, Setup and NoBackground have no meaning for a process and fail
// the test), waits until /healthz answers, and interrupts it (a graceful
// shutdown) when the test ends. Unlike Start, a new data directory is
// seeded by the binary itself and the periodic sync keeps its default: this
// is the shop exactly as shipped, with a clean environment so nothing from
// the developer's shell (a Stripe key, SMTP) leaks in.
func Exec(t testing.TB, bin string, opts Options) *Process {
	t.Helper()
	if opts.Now != nil || opts.Setup != nil || opts.NoBackground {
		t.Fatal("vendotest: Now, Setup and NoBackground apply to Start, not to a process")
	}
	dir := opts.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	addr := freeAddr(t)
	p := &Process{URL: "http://" + addr, Addr: addr, Dir: dir, Output: &Buffer{}, t: t, bin: bin}
	work := t.TempDir()
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": work, "VENDO_BASE_URL": p.URL}
	if from := opts.StripeFrom; from != nil {
		if from.Sandbox == nil {
			t.Fatal("vendotest: StripeFrom must be a shop in sandbox mode")
		}
		env["STRIPE_SECRET_KEY"] = from.Sandbox.SecretKey()
		env["STRIPE_WEBHOOK_SECRET"] = from.Sandbox.WebhookSecret()
		env["STRIPE_API_BASE"] = from.URL + "/sandbox/stripe"
	}
	if opts.SMTP {
		p.Inbox = mailtest.Start(t)
		env["SMTP_URL"] = p.Inbox.URL
	}
	if opts.Debug {
		env["VENDO_LOG_LEVEL"] = "debug"
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	for k, v := range env {
		p.env = append(p.env, k+"="+v)
	}
	sort.Strings(p.env) // a stable order, for a readable failure

	p.Cmd = exec.Command(bin, append([]string{"-data", dir, "-addr", addr}, opts.Args...)...)
	p.Cmd.Dir = work
	p.Cmd.Env = p.env
	p.Cmd.Stdout, p.Cmd.Stderr = p.Output, p.Output
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("vendotest: run %s: %v", bin, err)
	}
	t.Cleanup(p.Stop)

	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("vendotest: the shop did not become healthy at %s; it printed:\n%s", p.URL, p.Output.String())
	return nil
}

// Stop interrupts the process (a graceful shutdown), kills it if it has
// not stopped within 10 s, and shows its output when the test failed (or
// always, with E2E_SHOW_LOGS=1). The test's cleanup calls it too; after
// the test waited for the process itself it only shows the output.
func (p *Process) Stop() {
	p.Cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.Cmd.Wait(); close(done) }() // returns at once if the process was waited for already
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.Cmd.Process.Kill()
		<-done
	}
	if p.t.Failed() || os.Getenv("E2E_SHOW_LOGS") != "" {
		p.t.Logf("vendo at %s printed:\n%s", p.URL, p.Output.String())
	}
}

// Command is a second invocation of the binary (`vendo admin-link`,
// `vendo backup`…) against this shop's data directory, with its settings,
// as the owner would type it in another terminal.
func (p *Process) Command(args ...string) *exec.Cmd {
	cmd := exec.Command(p.bin, append(args, "-data", p.Dir)...)
	cmd.Dir = p.Cmd.Dir
	cmd.Env = p.env
	return cmd
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
