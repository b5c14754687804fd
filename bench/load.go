package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// loadResult is one load run against one server.
type loadResult struct {
	RPS      float64
	P50, P99 time.Duration
	Requests int64
	Errors   int64 // socket errors and non-2xx answers
}

// loader drives HTTP load: wrk when it is installed, else a Go load
// generator with the same shape (fixed connections, rotating URLs).
type loader struct {
	wrk      string // path to wrk, or ""
	conns    int
	threads  int
	duration time.Duration
	tmp      string
}

func (l *loader) name() string {
	if l.wrk != "" {
		return fmt.Sprintf("wrk -t%d -c%d -d%s --latency", l.threads, l.conns, l.duration)
	}
	return fmt.Sprintf("Go load generator (fasthttp client), %d connections, %s", l.conns, l.duration)
}

// run loads http://addr with paths, rotated request by request, sending
// headers ("Name: value") with each request.
func (l *loader) run(addr string, paths []string, headers []string) (loadResult, error) {
	if l.wrk != "" {
		return l.runWrk(addr, paths, headers)
	}
	return l.runGo(addr, paths, headers)
}

func (l *loader) runWrk(addr string, paths []string, headers []string) (loadResult, error) {
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = strconv.Quote(p)
	}
	script := fmt.Sprintf(`local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, paths[(i %% #paths) + 1])
end
`, strings.Join(quoted, ", "))
	name := filepath.Join(l.tmp, "rotate.lua")
	if err := os.WriteFile(name, []byte(script), 0o644); err != nil {
		return loadResult{}, err
	}
	args := []string{fmt.Sprintf("-t%d", l.threads), fmt.Sprintf("-c%d", l.conns),
		fmt.Sprintf("-d%ds", int(l.duration.Seconds())), "--latency", "-s", name}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	out, err := exec.Command(l.wrk, append(args, "http://"+addr)...).CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkTotal   = regexp.MustCompile(`(\d+) requests in`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string) (loadResult, error) {
	var r loadResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("cannot read wrk's output:\n%s", out)
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	for _, m := range wrkPct.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		r.Errors += n
	}
	if m := wrkSockErr.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			r.Errors += n
		}
	}
	return r, nil
}

// runGo is the fallback load generator: conns goroutines, each with its
// own keep-alive connection, issuing requests back to back.
func (l *loader) runGo(addr string, paths []string, headers []string) (loadResult, error) {
	client := &fasthttp.HostClient{Addr: addr, MaxConns: l.conns, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	var (
		mu      sync.Mutex
		all     []time.Duration
		errs    int64
		wg      sync.WaitGroup
		started = time.Now()
		end     = started.Add(l.duration)
	)
	for w := 0; w < l.conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for _, h := range headers {
				k, v, _ := strings.Cut(h, ": ")
				req.Header.Set(k, v)
			}
			lat := make([]time.Duration, 0, 1<<14)
			var bad int64
			for i := w; ; i++ {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				req.SetRequestURI("http://" + addr + paths[i%len(paths)])
				err := client.Do(req, resp)
				lat = append(lat, time.Since(t0))
				if err != nil || resp.StatusCode() >= 400 {
					bad++
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(started)
	if len(all) == 0 {
		return loadResult{}, fmt.Errorf("no requests completed")
	}
	slices.Sort(all)
	return loadResult{RPS: float64(len(all)) / elapsed.Seconds(), P50: percentile(all, 0.50), P99: percentile(all, 0.99),
		Requests: int64(len(all)), Errors: errs}, nil
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
