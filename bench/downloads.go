package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"time"
)

// transfer is one download measured from the client's side, with the
// server's peak RSS growth during it.
type transfer struct {
	bytes   int64
	elapsed time.Duration
	ttfb    time.Duration // request written → response headers read
	rssKiB  int64         // peak VmRSS during the transfer minus VmRSS just before
}

func (t transfer) mibps() float64 { return float64(t.bytes) / (1 << 20) / t.elapsed.Seconds() }

// download GETs path over one fresh loopback connection and reads the
// body into a 1 MiB buffer, sampling pid's RSS meanwhile.
func download(addr, path string, pid int) (transfer, error) {
	before, err := rssKiB(pid)
	if err != nil {
		return transfer{}, err
	}
	sampler := sampleRSS(pid, 5*time.Millisecond)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		sampler.stop()
		return transfer{}, err
	}
	defer conn.Close()
	t0 := time.Now()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vendo-bench\r\n\r\n", path, addr)
	br := bufio.NewReaderSize(conn, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		sampler.stop()
		return transfer{}, err
	}
	ttfb := time.Since(t0)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		sampler.stop()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return transfer{}, fmt.Errorf("GET %s: %s %s", path, resp.Status, b)
	}
	buf := make([]byte, 1<<20)
	var n int64
	for {
		m, err := resp.Body.Read(buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			sampler.stop()
			return transfer{}, err
		}
	}
	elapsed := time.Since(t0)
	peak := sampler.stop()
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return transfer{}, fmt.Errorf("GET %s: %d of %d bytes", path, n, resp.ContentLength)
	}
	return transfer{bytes: n, elapsed: elapsed, ttfb: ttfb, rssKiB: max(0, peak-before)}, nil
}

// downloadResult is scenario 3: the pair of transfers whose ratio is the
// median, and the largest RSS growth seen on each side.
type downloadResult struct {
	vendo, base             transfer
	vendoRSSMax, baseRSSMax int64
	runs                    int
}

// runDownloads alternates Vendo and baseline transfers of the same file.
func runDownloads(vendoAddr, vendoPath string, vendoPID int, baseAddr string, basePID int, runs int) (downloadResult, error) {
	type pair struct{ v, b transfer }
	var pairs []pair
	r := downloadResult{runs: runs}
	// One unmeasured transfer each warms the page cache and open-file caches.
	if _, err := download(vendoAddr, vendoPath, vendoPID); err != nil {
		return r, err
	}
	if _, err := download(baseAddr, "/download", basePID); err != nil {
		return r, err
	}
	for i := 0; i < runs; i++ {
		v, err := download(vendoAddr, vendoPath, vendoPID)
		if err != nil {
			return r, err
		}
		b, err := download(baseAddr, "/download", basePID)
		if err != nil {
			return r, err
		}
		logf("  run %d: Vendo %s MiB/s (first byte %s, RSS +%s), baseline %s MiB/s (first byte %s, RSS +%s): %.2f", i+1,
			fmtCount(v.mibps()), fmtDur(v.ttfb), fmtKiB(v.rssKiB), fmtCount(b.mibps()), fmtDur(b.ttfb), fmtKiB(b.rssKiB), v.mibps()/b.mibps())
		pairs = append(pairs, pair{v, b})
		r.vendoRSSMax, r.baseRSSMax = max(r.vendoRSSMax, v.rssKiB), max(r.baseRSSMax, b.rssKiB)
	}
	slices.SortFunc(pairs, func(x, y pair) int { return cmp.Compare(x.v.mibps()/x.b.mibps(), y.v.mibps()/y.b.mibps()) })
	r.vendo, r.base = pairs[len(pairs)/2].v, pairs[len(pairs)/2].b
	return r, nil
}
