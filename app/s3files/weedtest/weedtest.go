// Package weedtest runs a real S3 server for tests: SeaweedFS's `weed
// mini` (built into .bin/weed by `make deps`), on free loopback ports, with
// data in a temp directory. Tests in a package share one server (Shared),
// each with its own bucket, because it takes about fifteen seconds to
// start.
//
// Without .bin/weed the tests that need it skip with a message, unless
// CI is set: then they fail, as the browser suite does, because a CI run
// that silently skipped the bucket would prove nothing.
package weedtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The identities the server knows: one that may do everything, one that
// may only read and list (for "no permission").
const (
	AccessKey       = "vendo-test-key"
	SecretKey       = "vendo-test-secret-0123456789abcdef"
	ReadOnlyKey     = "vendo-read-only"
	ReadOnlySecret  = "vendo-read-only-secret-0123456789"
	startupDeadline = 90 * time.Second
)

// Server is a running SeaweedFS with its S3 gateway.
type Server struct {
	// Endpoint is host:port of the S3 gateway; URL is it with http://.
	Endpoint, URL string
	cmd           *exec.Cmd
	dir           string
	exited        chan struct{}
	log           *syncBuffer
}

// Binary finds .bin/weed: $VENDO_WEED, else .bin/weed in the module root
// above the working directory. "" when there is none.
func Binary() string {
	if p := os.Getenv("VENDO_WEED"); p != "" {
		return p
	}
	p := filepath.Join(binDir(), "weed")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// binDir is .bin in the module root above the working directory.
func binDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".bin")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// buildWait is how long a test waits for a build `make test` started in
// the background (its pid in .bin/weed.building).
const buildWait = 30 * time.Minute

var waitOnce sync.Once

// waitForBuild waits while `make test` builds .bin/weed in the background
// (.bin/weed.building holds the build's pid): only the tests that need
// the server wait, the others run meanwhile.
func waitForBuild() {
	waitOnce.Do(func() {
		marker := filepath.Join(binDir(), "weed.building")
		deadline := time.Now().Add(buildWait)
		said := false
		for time.Now().Before(deadline) && Binary() == "" {
			b, err := os.ReadFile(marker)
			if err != nil {
				return
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || syscall.Kill(pid, 0) != nil {
				return // the build ended without a binary: its log says why
			}
			if !said {
				fmt.Fprintln(os.Stderr, "weedtest: waiting for the SeaweedFS build make test started (.bin/weed-build.log)…")
				said = true
			}
			time.Sleep(2 * time.Second)
		}
	})
}

// Need skips the test when there is no .bin/weed, or fails it in CI. A
// build in progress is waited for.
func Need(tb testing.TB) string {
	tb.Helper()
	waitForBuild()
	p := Binary()
	if p != "" {
		return p
	}
	const msg = "SeaweedFS is not built (no .bin/weed): run `make deps` (or `make weed`) to build it for the S3 tests"
	if os.Getenv("CI") != "" {
		tb.Fatal(msg + " — CI is set, so the S3 tests must run")
	}
	tb.Skip(msg)
	return ""
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared is one server for the whole test binary, started by the first
// test that asks; Stop it from TestMain (StopShared). It skips or fails
// the test as Need does.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	bin := Need(tb)
	shared.once.Do(func() {
		shared.srv, shared.err = Start(context.Background(), bin)
	})
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.srv
}

// StopShared stops the shared server, if one was started.
func StopShared() {
	if shared.srv != nil {
		shared.srv.Stop()
	}
}

// Start runs `weed mini` on free loopback ports with data in a new temp
// directory and waits until its S3 gateway answers a signed request.
func Start(ctx context.Context, bin string) (*Server, error) {
	dir, err := os.MkdirTemp("", "vendo-weed-")
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(12)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	conf := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(conf, s3Config(), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := func(i int) string { return strconv.Itoa(ports[i]) }
	args := []string{"mini", "-dir=" + data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-s3.port=" + p(0), "-s3.port.grpc=" + p(1), "-s3.config=" + conf, "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-master.port=" + p(2), "-master.port.grpc=" + p(3), "-master.telemetry=false",
		"-filer.port=" + p(4), "-filer.port.grpc=" + p(5), "-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
		"-s3.localSocket=" + filepath.Join(dir, "s3.sock"),
		"-volume.port=" + p(6), "-volume.port.grpc=" + p(7),
		"-webdav=false", "-webdav.port=" + p(8),
		"-admin.ui=false", "-admin.port=" + p(9), "-admin.port.grpc=" + p(10), "-admin.port.legacy=0",
		"-s3.debug.port=" + p(11), "-debug.port=" + p(11),
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{Endpoint: "127.0.0.1:" + p(0), cmd: cmd, dir: dir, exited: make(chan struct{}), log: log}
	s.URL = "http://" + s.Endpoint
	go func() { cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		out := log.String()
		s.Stop()
		return nil, fmt.Errorf("SeaweedFS did not start: %w\n%s", err, tail(out, 4000))
	}
	return s, nil
}

// waitReady polls the gateway until a signed request to list buckets
// succeeds (the filer and a volume are then up too).
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startupDeadline)
	defer cancel()
	c := s.Client(AccessKey, SecretKey)
	var last error
	for {
		select {
		case <-s.exited:
			return errors.New("weed exited")
		case <-ctx.Done():
			return fmt.Errorf("no answer after %s (last: %v)", startupDeadline, last)
		case <-time.After(250 * time.Millisecond):
		}
		rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
		_, last = c.ListBuckets(rctx)
		rcancel()
		if last == nil {
			return nil
		}
	}
}

// Client is an S3 client for the server with the given key.
func (s *Server) Client(key, secret string) *minio.Client {
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(key, secret, ""), Region: "us-east-1"})
	if err != nil {
		panic(err) // only a malformed endpoint fails, and ours is not
	}
	return c
}

// NewBucket makes a bucket with a fresh name for one test.
func (s *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "vendo-" + hex.EncodeToString(b[:])
	if err := s.Client(AccessKey, SecretKey).MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		tb.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

// FilesURL is VENDO_FILES_URL for bucket/prefix on this server, with the
// full-access credentials in it.
func (s *Server) FilesURL(bucket, prefix string) string {
	return "s3://" + AccessKey + ":" + SecretKey + "@" + bucket + "/" + prefix + "?endpoint=" + s.URL + "&region=us-east-1"
}

// Log is what the server printed so far.
func (s *Server) Log() string { return s.log.String() }

// Stop ends the server and removes its data.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	os.RemoveAll(s.dir)
}

// Exited reports whether the server has stopped.
func (s *Server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

func s3Config() []byte {
	type cred struct {
		AccessKey string `json:"accessKey"`
		SecretKey string `json:"secretKey"`
	}
	type identity struct {
		Name        string   `json:"name"`
		Credentials []cred   `json:"credentials"`
		Actions     []string `json:"actions"`
	}
	b, _ := json.Marshal(map[string]any{"identities": []identity{
		{Name: "vendo", Credentials: []cred{{AccessKey, SecretKey}}, Actions: []string{"Admin", "Read", "List", "Tagging", "Write"}},
		{Name: "reader", Credentials: []cred{{ReadOnlyKey, ReadOnlySecret}}, Actions: []string{"Read", "List"}},
	}})
	return b
}

// freePorts asks the kernel for n free loopback ports. They are released
// before weed binds them: another process could take one in between, which
// a failed start then shows.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		// SeaweedFS derives a gRPC port as port+10000 where none is given;
		// keep every port low enough that such a port exists.
		if port > 55000 {
			continue
		}
		ports = append(ports, port)
	}
	return ports, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// syncBuffer is the server's output, written by the process's copier
// goroutines while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Proxy is a TCP forwarder in front of the server: pointing a shop at it
// and calling Down makes the bucket vanish for that shop alone, at start-up
// or in the middle of a transfer, while the other tests keep the server.
type Proxy struct {
	// Endpoint is host:port of the forwarder.
	Endpoint string
	ln       net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	down     bool
}

// Proxy starts a forwarder to the server, closed when the test ends.
func (s *Server) Proxy(tb testing.TB) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{Endpoint: ln.Addr().String(), ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", s.Endpoint)
			if err != nil {
				c.Close()
				continue
			}
			if !p.track(c, up) {
				continue
			}
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	tb.Cleanup(p.Down)
	return p
}

func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	p.conns = append(p.conns, conns...)
	return true
}

// FilesURL is VENDO_FILES_URL for bucket/prefix through the forwarder.
func (p *Proxy) FilesURL(bucket, prefix string) string {
	return "s3://" + AccessKey + ":" + SecretKey + "@" + bucket + "/" + prefix + "?endpoint=http://" + p.Endpoint + "&region=us-east-1"
}

// Down stops forwarding and cuts every open connection: the bucket is
// gone, mid-transfer included.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
