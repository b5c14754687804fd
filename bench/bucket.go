package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/minio/minio-go/v7"

	"vendo/app/s3files/weedtest"
)

// bucketResult is scenario 6: the pair of transfers with the median
// ratio, through the shop's redirect and straight from the bucket.
type bucketResult struct {
	vendo, direct transfer
	runs          int
}

// runBucket puts the 1 GiB file into a bucket on a SeaweedFS started for
// the run, starts the shop on dataDir with VENDO_FILES_URL pointing at it,
// and alternates downloads through the shop's signed link (a checked,
// counted redirect to a presigned URL, then the bytes from SeaweedFS) with
// reads of the same object from SeaweedFS through a presigned URL the
// bench signs itself.
func runBucket(ctx context.Context, bin string, env []string, addr, token, sha string, runs int) (bucketResult, error) {
	r := bucketResult{runs: runs}
	weedBin := weedtest.Binary()
	if weedBin == "" {
		return r, fmt.Errorf("no .bin/weed: run `make weed` to build SeaweedFS for this scenario")
	}
	weed, err := weedtest.Start(ctx, weedBin)
	if err != nil {
		return r, err
	}
	defer weed.Stop()
	client := weed.Client(weedtest.AccessKey, weedtest.SecretKey)
	const bucket = "vendo-bench"
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		return r, err
	}
	key := "shop/" + sha[:2] + "/" + sha
	t0 := time.Now()
	if _, err := client.PutObject(ctx, bucket, key, io.LimitReader(zeroReader{}, bigFileSize), bigFileSize,
		minio.PutObjectOptions{PartSize: 64 << 20, ContentType: "application/octet-stream"}); err != nil {
		return r, fmt.Errorf("put the 1 GiB file into SeaweedFS: %w", err)
	}
	logf("  put 1 GiB into SeaweedFS in %s", time.Since(t0).Round(time.Millisecond))
	vendo, _, err := start(ctx, "vendo (bucket)", bin, nil, append(env, "VENDO_FILES_URL="+weed.FilesURL(bucket, "shop")), addr)
	if err != nil {
		return r, err
	}
	defer vendo.stop()
	direct, err := client.PresignedGetObject(ctx, bucket, key, time.Hour, nil)
	if err != nil {
		return r, err
	}
	type pair struct{ v, d transfer }
	var pairs []pair
	// One unmeasured transfer each warms SeaweedFS's caches.
	if _, err := viaRedirect(addr, "/downloads/"+token); err != nil {
		return r, err
	}
	if _, err := fetch(direct); err != nil {
		return r, err
	}
	for i := 0; i < runs; i++ {
		v, err := viaRedirect(addr, "/downloads/"+token)
		if err != nil {
			return r, err
		}
		d, err := fetch(direct)
		if err != nil {
			return r, err
		}
		logf("  run %d: through the shop %s MiB/s (first byte %s), straight from SeaweedFS %s MiB/s (first byte %s): %.2f", i+1,
			fmtCount(v.mibps()), fmtDur(v.ttfb), fmtCount(d.mibps()), fmtDur(d.ttfb), v.mibps()/d.mibps())
		pairs = append(pairs, pair{v, d})
	}
	slices.SortFunc(pairs, func(x, y pair) int { return cmp.Compare(x.v.mibps()/x.d.mibps(), y.v.mibps()/y.d.mibps()) })
	r.vendo, r.direct = pairs[len(pairs)/2].v, pairs[len(pairs)/2].d
	return r, nil
}

// viaRedirect GETs the shop's download link, expects the redirect to the
// bucket, and reads the file from there: the time covers both hops.
func viaRedirect(addr, path string) (transfer, error) {
	t0 := time.Now()
	resp, err := rawGet(addr, path)
	if err != nil {
		return transfer{}, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return transfer{}, fmt.Errorf("GET %s: %s, want a redirect to the bucket", path, resp.Status)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return transfer{}, err
	}
	hop := time.Since(t0)
	t, err := fetch(u)
	if err != nil {
		return transfer{}, err
	}
	t.ttfb += hop // the bucket's first byte, after the redirect
	t.elapsed = time.Since(t0)
	return t, nil
}

// fetch reads a URL over one fresh connection into a 1 MiB buffer.
func fetch(u *url.URL) (transfer, error) {
	t0 := time.Now()
	resp, err := rawGet(u.Host, u.RequestURI())
	if err != nil {
		return transfer{}, err
	}
	defer resp.Body.Close()
	ttfb := time.Since(t0)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return transfer{}, fmt.Errorf("GET %s: %s %s", u.Redacted(), resp.Status, b)
	}
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{resp.Body}, make([]byte, 1<<20))
	if err != nil {
		return transfer{}, err
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return transfer{}, fmt.Errorf("GET %s: %d of %d bytes", u.Redacted(), n, resp.ContentLength)
	}
	return transfer{bytes: n, elapsed: time.Since(t0), ttfb: ttfb}, nil
}

// rawGet sends a GET over a fresh connection and reads the headers; the
// body streams from the connection, closed with it.
func rawGet(addr, path string) (*http.Response, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vendo-bench\r\nConnection: close\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 64<<10), nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	resp.Body = closeBoth{resp.Body, conn}
	return resp, nil
}

type closeBoth struct {
	io.ReadCloser
	conn net.Conn
}

func (c closeBoth) Close() error { c.ReadCloser.Close(); return c.conn.Close() }

// zeroReader is an endless reader of zero bytes: the sparse file's content.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }
