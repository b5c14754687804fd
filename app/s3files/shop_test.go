package s3files_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"vendo/app"
	"vendo/app/backup"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/s3files"
	"vendo/app/s3files/weedtest"
	"vendo/app/server"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// bucketShop is a sandbox shop whose files live in a fresh bucket on the
// shared SeaweedFS, reached through a forwarder the test can cut.
func bucketShop(t *testing.T, env map[string]string) (*vendotest.Shop, *weedtest.Proxy) {
	t.Helper()
	weed := weedtest.Shared(t)
	proxy := weed.Proxy(t)
	settings := map[string]string{"VENDO_FILES_URL": proxy.FilesURL(weed.NewBucket(t), "shop"), "VENDO_ADMIN_EMAILS": "boss@example.com"}
	for k, v := range env {
		settings[k] = v
	}
	return vendotest.Start(t, vendotest.Options{Env: settings}), proxy
}

// grantFile stores content as a product's file in the shop's bucket and
// gives a customer that product, returning a signed download link.
func grantFile(t *testing.T, srv *vendotest.Shop, content io.Reader, name string) (link string, ent app.Entitlement, fileSHA string, size int64) {
	t.Helper()
	ctx := context.Background()
	if _, ok := srv.Files.(*s3files.Bucket); !ok {
		t.Fatalf("the shop keeps its files in %T, not in the bucket", srv.Files)
	}
	fileSHA, size, err := srv.Files.Put(ctx, content, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := app.Product{Slug: "bucket-" + fileSHA[:8], Title: "From the bucket", Price: app.Money{Amount: 100, Currency: "usd"}, Active: true,
		Files: []app.FileRef{{SHA256: fileSHA, Name: name, Size: size, ContentType: "application/pdf"}}}
	cust := app.Customer{Email: "bucket-" + fileSHA[:8] + "@example.com"}
	err = srv.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		if err := tx.PutCustomer(&cust); err != nil {
			return err
		}
		ent = app.Entitlement{CustomerID: cust.ID, ProductID: p.ID, Source: app.SourceManual, SourceID: "test"}
		return tx.PutEntitlement(&ent)
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := srv.Shop.Signer.Sign(shop.DownloadClaim{EntitlementID: ent.ID, FileSHA256: fileSHA, Expires: time.Now().Add(time.Hour)})
	return srv.URL + "/downloads/" + tok, ent, fileSHA, size
}

// served is what the download budget has charged for a file.
func served(t *testing.T, st *store.Store, entID, fileSHA string) int64 {
	t.Helper()
	var e app.Entitlement
	st.View(context.Background(), func(tx *store.Tx) (err error) { e, err = tx.Entitlement(entID); return err })
	return e.Served[fileSHA]
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestADownloadRedirectsToAShortLivedBucketLinkNamingTheFile(t *testing.T) {
	srv, _ := bucketShop(t, nil)
	content := bytes.Repeat([]byte("vendo in a bucket\n"), 50_000)
	link, ent, fileSHA, size := grantFile(t, srv, bytes.NewReader(content), "Field guide.pdf")

	resp, err := noRedirects.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || !strings.HasPrefix(loc.Path, "/vendo-") {
		t.Fatalf("download: %d to %q, want a redirect to the bucket", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if exp, _ := strconv.Atoi(q.Get("X-Amz-Expires")); exp <= 0 || exp > 60 {
		t.Errorf("the bucket link lasts %q seconds, want at most 60", q.Get("X-Amz-Expires"))
	}
	if cd := q.Get("response-content-disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "Field guide.pdf") {
		t.Errorf("response-content-disposition %q does not name the file", cd)
	}
	if got := served(t, srv.Store, ent.ID, fileSHA); got != size {
		t.Errorf("charged %d bytes for the redirect, want the file's %d", got, size)
	}

	// Followed, it gives the file, named.
	resp, err = http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || shaOf(body) != fileSHA {
		t.Fatalf("followed: %d, %d bytes not hashing to the file's name", resp.StatusCode, len(body))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "Field guide.pdf") {
		t.Errorf("the bucket sent Content-Disposition %q", cd)
	}

	// A resumed download is charged its range and gets a link for it.
	req, _ := http.NewRequest("GET", link, nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(body, content[100:200]) {
		t.Fatalf("range through the bucket: %d %q", resp.StatusCode, body)
	}
	if got := served(t, srv.Store, ent.ID, fileSHA); got != 2*size+100 {
		t.Errorf("charged %d bytes after two downloads and a 100-byte range, want %d", got, 2*size+100)
	}
	// An expired shop link is refused before any bucket link is made.
	old := srv.Shop.Signer.Sign(shop.DownloadClaim{EntitlementID: ent.ID, FileSHA256: fileSHA, Expires: time.Now().Add(-time.Minute)})
	resp, err = noRedirects.Get(srv.URL + "/downloads/" + old)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || resp.Header.Get("Location") != "" {
		t.Fatalf("expired link: %d to %q, want 410 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A conditional range goes through the shop, which knows its ETag.
	req, _ = http.NewRequest("GET", link, nil)
	req.Header.Set("Range", "bytes=0-9")
	req.Header.Set("If-Range", `"`+fileSHA[:32]+`"`)
	resp, err = noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(body, content[:10]) {
		t.Fatalf("If-Range: %d %q", resp.StatusCode, body)
	}
}

func TestWithFilesProxyDownloadsStreamThroughTheShop(t *testing.T) {
	srv, _ := bucketShop(t, map[string]string{"VENDO_FILES_PROXY": "1"})
	content := bytes.Repeat([]byte("proxied\n"), 100_000)
	link, ent, fileSHA, size := grantFile(t, srv, bytes.NewReader(content), "proxied.pdf")
	resp, err := noRedirects.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || shaOf(body) != fileSHA || !strings.Contains(resp.Header.Get("Content-Disposition"), "proxied.pdf") {
		t.Fatalf("proxied download: %d, %d bytes, %q", resp.StatusCode, len(body), resp.Header.Get("Content-Disposition"))
	}
	waitServed(t, srv.Store, ent.ID, fileSHA, size)
}

// waitServed waits for the download log, written when the body closes.
func waitServed(t *testing.T, st *store.Store, entID, fileSHA string, want int64) {
	t.Helper()
	vendotest.WaitFor(t, "the download budget to settle at "+strconv.FormatInt(want, 10), func() bool { return served(t, st, entID, fileSHA) == want })
}

// The bucket goes away in the middle of a transfer, then stays away: the
// cut transfer is charged only what it sent, the next attempt is told the
// storage does not answer and is charged nothing, and /healthz says so.
func TestWhenTheBucketGoesDownMidDownloadNothingUnsentIsCounted(t *testing.T) {
	srv, proxy := bucketShop(t, map[string]string{"VENDO_FILES_PROXY": "1"})
	const size = 64 << 20
	link, ent, fileSHA, _ := grantFile(t, srv, io.LimitReader(vendotest.Zeros{}, size), "big.bin")
	if resp, body := srv.Customer.Get("/healthz"); resp.StatusCode != 200 || !strings.Contains(body, `"files":"ok"`) {
		t.Fatalf("healthz with the bucket up: %d %s", resp.StatusCode, body)
	}

	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	proxy.Down()
	got, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got+1<<20 >= size {
		t.Fatalf("the whole file arrived although the bucket went down")
	}
	vendotest.WaitFor(t, "the cut transfer to be logged", func() bool {
		n := served(t, srv.Store, ent.ID, fileSHA)
		return n > 0 && n < size
	})
	before := served(t, srv.Store, ent.ID, fileSHA)

	if resp, body := srv.Customer.Get(link); resp.StatusCode != 503 || !strings.Contains(body, "not answering") {
		t.Fatalf("download with the bucket down: %d %.300s", resp.StatusCode, body)
	}
	if after := served(t, srv.Store, ent.ID, fileSHA); after != before {
		t.Errorf("attempts that never started were charged %d bytes", after-before)
	}
	if resp, body := srv.Customer.Get("/healthz"); resp.StatusCode != 503 || !strings.Contains(body, `"files":"error"`) {
		t.Errorf("healthz with the bucket down: %d %s", resp.StatusCode, body)
	}
}

// The redirect mode asks the bucket for the file's size before charging:
// with the bucket gone, nothing is charged either.
func TestARedirectWithTheBucketDownChargesNothing(t *testing.T) {
	srv, proxy := bucketShop(t, nil)
	link, ent, fileSHA, _ := grantFile(t, srv, strings.NewReader("soon unreachable"), "a.pdf")
	proxy.Down()
	resp, err := noRedirects.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "not answering") {
		t.Fatalf("download with the bucket down: %d %.300s", resp.StatusCode, body)
	}
	if n := served(t, srv.Store, ent.ID, fileSHA); n != 0 {
		t.Errorf("charged %d bytes for a download that never started", n)
	}
}

// Start-up with the bucket unreachable stops with a sentence naming the
// setting.
func TestAShopWhoseBucketIsDownDoesNotStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	cfg, err := config.Load([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, func(k string) string {
		return map[string]string{"VENDO_FILES_URL": "s3://k:s@shop-files/p?endpoint=http://" + down + "&region=us-east-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := server.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{})
	if err == nil {
		srv.Close()
		t.Fatal("the shop started without its bucket")
	}
	if msg := err.Error(); !strings.Contains(msg, "VENDO_FILES_URL") || !strings.Contains(msg, "cannot reach the storage at http://"+down) {
		t.Fatalf("start-up error: %v", err)
	}
}

// A 128 MiB upload goes to the bucket with a flat heap and without being
// written to the local disk, as a multipart upload. Twice the heap bound
// is enough to catch an upload held whole in memory; 256 MiB proved
// nothing more and cost twice the CPU (hashing, signing, the bucket's
// writes).
func TestALargeUploadStreamsToTheBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	srv, _ := bucketShop(t, map[string]string{"VENDO_UPLOAD_LIMIT": "512MiB"})
	srv.Admin.SignInAdmin()
	ctx := context.Background()
	prod := firstProduct(t, srv)
	srv.Admin.Get("/admin/products/" + prod.ID)
	const size = 128 << 20
	// SHA-256 of 128 MiB of zeros (head -c 134217728 /dev/zero | sha256sum):
	// hashing them here again cost a CPU-second under -race.
	const zerosSHA = "254bcc3fc4f27172636df4bf32de9f107f620d559b20d760197e452b97453917"
	filesDir := filepath.Join(srv.Dir, "files")
	var peakHeap, peakDisk atomic.Int64
	before := int64(heapInUse())
	resp, page := srv.Admin.UploadZeros("/admin/products/"+prod.ID+"/files", "big.bin", size, func() {
		if h := int64(heapInUse()); h > peakHeap.Load() {
			peakHeap.Store(h)
		}
		if d := dirSize(filesDir); d > peakDisk.Load() {
			peakDisk.Store(d)
		}
	})
	if resp.StatusCode != 200 || !strings.Contains(page, "big.bin") {
		t.Fatalf("upload: %d %.300s", resp.StatusCode, page)
	}
	p, _ := srv.Store.Product(ctx, prod.ID)
	last := p.Files[len(p.Files)-1]
	if last.Name != "big.bin" || last.Size != size || last.SHA256 != zerosSHA {
		t.Fatalf("stored %+v", last)
	}
	if n, err := srv.Files.Stat(ctx, last.SHA256); err != nil || n != size {
		t.Fatalf("the bucket holds %d bytes under the file's name: %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(filesDir, last.SHA256[:2], last.SHA256)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the upload was also written to the local disk: %v", err)
	}
	if growth := peakHeap.Load() - before; growth > 64<<20 {
		t.Errorf("heap grew by %d MiB while receiving %d MiB", growth>>20, size>>20)
	}
	if d := peakDisk.Load(); d > 1<<20 {
		t.Errorf("data/files grew to %d MiB during the upload", d>>20)
	}
	t.Logf("heap growth %d MiB, data/files peak %d KiB", (peakHeap.Load()-before)>>20, peakDisk.Load()>>10)
}

// dirSize is the bytes of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// A shop that kept its files on disk moves them to a bucket with `vendo
// files migrate`, runs on the bucket, is backed up without its files
// (listed instead), and moves them back with -back: every file arrives
// hashing to its name.
func TestMigrateAShopToABucketAndBack(t *testing.T) {
	weed := weedtest.Shared(t)
	ctx := context.Background()
	local := vendotest.Start(t, vendotest.Options{})
	dir := local.Dir
	want := map[string]int64{}
	local.Files.List(ctx, func(sha string, size int64) error { want[sha] = size; return nil })
	local.Stop()
	if len(want) < 3 {
		t.Fatalf("the demo shop has %d files", len(want))
	}

	bucket := weed.NewBucket(t)
	filesURL := weed.FilesURL(bucket, "moved")
	load := func(dataDir string) *config.Config {
		t.Helper()
		cfg, err := config.Load([]string{"-data", dataDir}, func(k string) string {
			return map[string]string{"VENDO_FILES_URL": filesURL}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	var reports int
	p, err := server.MigrateFiles(ctx, load(dir), false, func(blobs.CopyProgress) { reports++ })
	if err != nil || p.Copied != len(want) || reports < len(want) || p.To != "s3://"+bucket+"/moved/" {
		t.Fatalf("migrate: %+v, %d progress reports, %v", p, reports, err)
	}
	c := weed.Client(weedtest.AccessKey, weedtest.SecretKey)
	for sha, size := range want {
		obj, err := c.StatObject(ctx, bucket, "moved/"+sha[:2]+"/"+sha, minio.StatObjectOptions{})
		if err != nil || obj.Size != size {
			t.Errorf("%s in the bucket: %d bytes, %v", sha, obj.Size, err)
		}
	}
	// Run again: nothing left to copy.
	if p, err := server.MigrateFiles(ctx, load(dir), false, nil); err != nil || p.Copied != 0 || p.Skipped != len(want) {
		t.Fatalf("second migrate: %+v %v", p, err)
	}

	// A backup of the shop on the bucket lists the files, copies none.
	archive := filepath.Join(t.TempDir(), "backup.tar.gz")
	if _, err := server.RunBackup(ctx, load(dir), archive); err != nil {
		t.Fatal(err)
	}
	restored := t.TempDir()
	f, _ := os.Open(archive)
	err = backup.Restore(f, restored)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	list, err := os.ReadFile(filepath.Join(restored, backup.BucketList))
	if err != nil || !strings.Contains(string(list), "s3://"+bucket+"/moved/") {
		t.Fatalf("%s: %v\n%s", backup.BucketList, err, list)
	}
	for sha, size := range want {
		if !strings.Contains(string(list), sha+" "+strconv.FormatInt(size, 10)+"\n") {
			t.Errorf("%s does not list %s", backup.BucketList, sha)
		}
	}
	if n := dirSize(filepath.Join(restored, "files")); n != 0 {
		t.Errorf("the backup copied %d bytes of files that live in the bucket", n)
	}

	// And back, into the restored directory, which had none.
	if p, err := server.MigrateFiles(ctx, load(restored), true, nil); err != nil || p.Copied != len(want) {
		t.Fatalf("migrate -back: %+v %v", p, err)
	}
	for sha, size := range want {
		content, err := os.ReadFile(filepath.Join(restored, "files", sha[:2], sha))
		if err != nil || int64(len(content)) != size || shaOf(content) != sha {
			t.Errorf("%s came back as %d bytes: %v", sha, len(content), err)
		}
	}
}

// Covers come from the bucket through the shop, with its long cache
// headers, byte for byte.
func TestCoversStreamFromTheBucketWithTheShopsCacheHeaders(t *testing.T) {
	srv, _ := bucketShop(t, nil)
	ps, _, err := srv.Store.Products(context.Background(), store.ProductFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	n, cover := 0, ""
	for _, p := range ps {
		if p.Cover == "" {
			continue
		}
		n, cover = n+1, p.Cover
		resp, body := srv.Customer.Get("/media/" + p.Cover)
		if resp.StatusCode != 200 || shaOf([]byte(body)) != p.Cover {
			t.Fatalf("cover of %s: %d, %d bytes not hashing to its name", p.Slug, resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("cover Cache-Control %q", cc)
		}
	}
	if n == 0 {
		t.Fatal("the demo shop has no covers")
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, "files", cover[:2], cover)); err == nil {
		t.Error("the covers were also written to the local disk")
	}
}

// The shop hands out a bucket link only after it checked the link, the
// customer's access and the download budget: a refused download gets no
// Location, so nothing reaches the bucket, and is not charged.
func TestABucketLinkIsHandedOutOnlyAfterTheChecks(t *testing.T) {
	srv, _ := bucketShop(t, nil)
	ctx := context.Background()
	if _, err := srv.Store.UpdateSettings(ctx, func(s *app.Settings) error { s.DownloadLimit = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	link, ent, fileSHA, size := grantFile(t, srv, strings.NewReader("checked before the bucket"), "checked.pdf")
	refused := func(c *vendotest.Client, why string) {
		t.Helper()
		resp, body := c.NoFollow().Get(link)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" || strings.Contains(body, "X-Amz-Signature") {
			t.Fatalf("%s: %d to %q, want 403 and no bucket link\n%.300s", why, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}

	// Someone else's link, opened by a signed-in customer.
	other := srv.NewClient()
	other.SignIn("someone-else@example.com")
	refused(other, "another customer's link")

	// Access taken away (a refund).
	setRevoked := func(at time.Time) {
		t.Helper()
		err := srv.Store.Update(ctx, func(tx *store.Tx) error {
			e, err := tx.Entitlement(ent.ID)
			if err != nil {
				return err
			}
			e.RevokedAt = at
			return tx.PutEntitlement(&e)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setRevoked(time.Now())
	refused(srv.NewClient(), "a revoked entitlement")
	setRevoked(time.Time{})
	if n := served(t, srv.Store, ent.ID, fileSHA); n != 0 {
		t.Fatalf("refused downloads were charged %d bytes", n)
	}

	// The one download the budget allows, then none.
	if resp, _ := srv.NewClient().NoFollow().Get(link); resp.StatusCode != http.StatusFound {
		t.Fatalf("the allowed download: %d, want the redirect", resp.StatusCode)
	}
	refused(srv.NewClient(), "a spent download budget")
	if n := served(t, srv.Store, ent.ID, fileSHA); n != size {
		t.Errorf("charged %d bytes, want the one download's %d", n, size)
	}
}

// A resumed download is redirected with its Range signed into the link;
// a Range the shop reads but a bucket might read otherwise (a sign, spaces)
// could have the bucket send more than the shop charged, so it streams
// through the shop, which sends exactly what it charged.
func TestARangeTheBucketMightReadOtherwiseIsServedByTheShop(t *testing.T) {
	srv, _ := bucketShop(t, nil)
	content := bytes.Repeat([]byte("0123456789"), 10_000)
	link, ent, fileSHA, _ := grantFile(t, srv, bytes.NewReader(content), "ranged.pdf")
	var charged int64
	for _, tc := range []struct {
		rng  string
		want []byte
	}{
		{"bytes=10-19", content[10:20]}, {"bytes=+10-19", content[10:20]}, {"bytes= 10-19", content[10:20]},
		{"bytes=10 - 19", content[10:20]}, {"bytes=10-+19", content[10:20]}, {"bytes=010-19", content[10:20]},
		{"bytes=-10", content[len(content)-10:]}, {"bytes=99990-", content[99990:]},
		// Ranges the shop does not serve as such: the whole file, charged
		// and sent whole.
		{"bytes=10-19,30-39", content}, {"Bytes=10-19", content}, {"bytes=99999999999999999999-", content},
	} {
		req, _ := http.NewRequest("GET", link, nil)
		req.Header.Set("Range", tc.rng)
		resp, err := http.DefaultClient.Do(req) // follows the redirect, sending the Range again
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 206}[len(tc.want) == len(content)]; resp.StatusCode != want || !bytes.Equal(body, tc.want) {
			t.Errorf("Range %q: %d, %d bytes (%.20q), want %d and %d bytes", tc.rng, resp.StatusCode, len(body), body, want, len(tc.want))
		}
		charged += int64(len(tc.want))
		waitServed(t, srv.Store, ent.ID, fileSHA, charged)
	}
}

// The admin's Backup page says the files live in the bucket and are not
// in the archive, which lists them, and the archive it downloads has no
// file in it.
func TestTheBackupPageSaysTheFilesStayInTheBucket(t *testing.T) {
	srv, _ := bucketShop(t, nil)
	srv.Admin.SignInAdmin()
	bucketName := srv.Files.(*s3files.Bucket).String()
	resp, page := srv.Admin.Get("/admin/backups")
	if resp.StatusCode != 200 {
		t.Fatalf("backup page: %d", resp.StatusCode)
	}
	for _, want := range []string{"live in the bucket <code>" + bucketName + "</code> and are not copied", backup.BucketList, "in the bucket, not in the backup"} {
		if !strings.Contains(page, want) {
			t.Errorf("the backup page does not say %q", want)
		}
	}
	if strings.Contains(page, "every product file") {
		t.Error("the backup page promises every product file")
	}
	resp, archive := srv.Admin.Get("/admin/backup")
	if resp.StatusCode != 200 {
		t.Fatalf("backup download: %d", resp.StatusCode)
	}
	restored := t.TempDir()
	if err := backup.Restore(strings.NewReader(archive), restored); err != nil {
		t.Fatal(err)
	}
	list, err := os.ReadFile(filepath.Join(restored, backup.BucketList))
	if err != nil || !strings.Contains(string(list), bucketName) {
		t.Errorf("%s: %v\n%s", backup.BucketList, err, list)
	}
	if n := dirSize(filepath.Join(restored, "files")); n != 0 {
		t.Errorf("the archive holds %d bytes of files that live in the bucket", n)
	}
}

// An admin's upload that is cut off after its first parts went to the
// bucket, or that passes the upload limit, leaves no object and no
// unfinished multipart upload in the bucket, and no file on the product.
func TestAnUploadCutOffOrTooLargeLeavesNothingInTheBucket(t *testing.T) {
	srv, _ := bucketShop(t, map[string]string{"VENDO_UPLOAD_LIMIT": "48MiB"})
	weed := weedtest.Shared(t)
	bucketName, _, _ := strings.Cut(strings.TrimPrefix(srv.Files.(*s3files.Bucket).String(), "s3://"), "/")
	ctx := context.Background()
	prod := firstProduct(t, srv)
	srv.Admin.SignInAdmin()
	before, _ := keys(t, weed, bucketName)
	unchanged := func(what string) {
		t.Helper()
		objects, uploads := keys(t, weed, bucketName)
		if strings.Join(objects, " ") != strings.Join(before, " ") || len(uploads) != 0 {
			t.Errorf("%s left objects %q (before: %d) and unfinished uploads %q", what, objects, len(before), uploads)
		}
		if p, _ := srv.Store.Product(ctx, prod.ID); len(p.Files) != len(prod.Files) {
			t.Errorf("%s gave the product a file", what)
		}
	}
	post := func(body io.Reader, contentType string) (*http.Response, error) {
		req, _ := http.NewRequest("POST", srv.Admin.URL("/admin/products/"+prod.ID+"/files"), body)
		req.ContentLength = -1 // chunked: the shop cannot refuse it by its length
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-CSRF-Token", srv.Admin.CSRF())
		req.Header.Set("HX-Request", "true")
		return srv.Admin.HTTP.Do(req)
	}
	form := func(size int64, end io.Reader) (io.Reader, string) {
		var head bytes.Buffer
		mw := multipart.NewWriter(&head)
		mw.CreateFormFile("file", "cut.bin")
		return io.MultiReader(&head, io.LimitReader(vendotest.Zeros{}, size), end), mw.FormDataContentType()
	}

	// Cut off after 40 MiB: two 16 MiB parts are in the bucket by then.
	srv.Admin.Get("/admin/products/" + prod.ID)
	body, ctype := form(40<<20, &failingReader{})
	if resp, err := post(body, ctype); err == nil {
		resp.Body.Close()
		t.Fatalf("the cut-off upload got an answer: %d", resp.StatusCode)
	}
	vendotest.WaitFor(t, "the shop to give up the cut-off upload", func() bool { return strings.Contains(srv.Log.String(), "upload failed") })
	unchanged("a cut-off upload")

	// Past the limit, sent without a length.
	srv.Admin.Get("/admin/products/" + prod.ID)
	body, ctype = form(64<<20, strings.NewReader("\r\n--x--\r\n"))
	if resp, err := post(body, ctype); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("an upload over the limit: %d, want 413", resp.StatusCode)
		}
	}
	unchanged("an upload over the limit")
}

// firstProduct is a product of the demo catalog, to upload files to.
func firstProduct(t *testing.T, srv *vendotest.Shop) app.Product {
	t.Helper()
	ps, _, err := srv.Store.Products(context.Background(), store.ProductFilter{Limit: 1})
	if err != nil || len(ps) == 0 {
		t.Fatalf("the demo catalog has no product: %v", err)
	}
	return ps[0]
}

// With the bucket gone, an admin's upload is told the file storage is
// not answering (not that their connection dropped), and nothing is saved.
func TestAnUploadWithTheBucketDownSaysTheStorageIsNotAnswering(t *testing.T) {
	srv, proxy := bucketShop(t, nil)
	prod := firstProduct(t, srv)
	srv.Admin.SignInAdmin()
	srv.Admin.Get("/admin/products/" + prod.ID)
	proxy.Down()
	resp, page := srv.Admin.UploadZeros("/admin/products/"+prod.ID+"/files", "late.bin", 1<<20, func() {})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(page, "file storage is not answering") || strings.Contains(page, "connection may have dropped") {
		t.Fatalf("upload with the bucket down: %d\n%.400s", resp.StatusCode, page)
	}
	if p, _ := srv.Store.Product(context.Background(), prod.ID); len(p.Files) != len(prod.Files) {
		t.Error("the product got a file")
	}
}

// A cover asked for while the bucket is down is 503 (try again), not a
// server error, and is not cached as anything.
func TestACoverWithTheBucketDownIsUnavailable(t *testing.T) {
	srv, proxy := bucketShop(t, nil)
	ps, _, err := srv.Store.Products(context.Background(), store.ProductFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	cover := ""
	for _, p := range ps {
		if p.Cover != "" {
			cover = p.Cover
			break
		}
	}
	if cover == "" {
		t.Fatal("the demo shop has no covers")
	}
	proxy.Down()
	resp, body := srv.Customer.Get("/media/" + cover)
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("cover with the bucket down: %d, Cache-Control %q\n%.300s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
}
