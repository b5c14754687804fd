package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a server process the bench started (Vendo or the baseline).
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  *lockedBuffer
	done chan struct{}
	err  error
}

// lockedBuffer lets the process write its log while the bench reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs bin with args and env, and returns once GET /healthz answers
// 200, with the time from exec to that answer.
func start(ctx context.Context, name, bin string, args, env []string, addr string) (*proc, time.Duration, error) {
	p := &proc{name: name, addr: addr, log: &lockedBuffer{b: &bytes.Buffer{}}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	url := "http://" + addr + "/healthz"
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, 0, fmt.Errorf("%s exited during start-up (%v):\n%s", name, p.err, p.logTail())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(t0), nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, 0, fmt.Errorf("%s did not answer /healthz within a minute:\n%s", name, p.logTail())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stop asks the process to shut down (SIGTERM) and waits for it.
func (p *proc) stop() error {
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within 30 s; killed", p.name)
	}
	return nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) logTail() string {
	s := p.log.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// rssKiB reads VmRSS of a process from /proc.
func rssKiB(pid int) (int64, error) { return statusKiB(pid, "VmRSS") }

// statusKiB reads a kB field of /proc/pid/status (VmRSS, RssAnon,
// RssFile…).
func statusKiB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s for pid %d", field, pid)
}

// rssSampler records the peak VmRSS of a process until stopped.
type rssSampler struct {
	stopc chan struct{}
	done  chan struct{}
	peak  int64
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if v, err := rssKiB(pid); err == nil && v > s.peak {
				s.peak = v
			}
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends sampling and returns the peak in KiB.
func (s *rssSampler) stop() int64 {
	close(s.stopc)
	<-s.done
	return s.peak
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
