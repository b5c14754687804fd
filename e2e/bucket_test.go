package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"vendo/app/s3files/weedtest"
)

// With its files in a bucket (VENDO_FILES_URL on a real SeaweedFS), a
// customer buys and downloads in the browser: the shop checks the link and
// redirects to a presigned link, and the browser saves the file under its
// name, byte for byte the object in the bucket.
func TestBuyAndDownloadFromABucket(t *testing.T) {
	t.Parallel() // the only test that may wait for a SeaweedFS build
	needBrowser(t)
	weed := weedtest.Shared(t)
	bucket := weed.NewBucket(t)
	s := runShop(t, "", "VENDO_FILES_URL="+weed.FilesURL(bucket, "shop"))
	b := newBrowser(t, s)

	const email = "bucket-buyer@example.com"
	b.Step("buy", func() { buyNow(b, "cafe-budget-planner", email) })
	b.Step("download", func() {
		const link = "#checkout-status a[download]"
		path, name := b.Download(link)
		if name != budgetFile {
			b.fail("the download is named %q, want %s", name, budgetFile)
		}
		// The bytes came from the bucket through a short-lived presigned
		// link the shop redirected to, not through the shop.
		from, err := url.Parse(b.downloadURL(path))
		if err != nil || from.Host != weed.Endpoint || from.Query().Get("X-Amz-Signature") == "" {
			b.fail("the browser downloaded the file from %q, not from a presigned link to the bucket at %s", from, weed.Endpoint)
		}
		if exp, _ := strconv.Atoi(from.Query().Get("X-Amz-Expires")); exp <= 0 || exp > 60 {
			b.fail("the bucket link lasts %q seconds, want at most 60", from.Query().Get("X-Amz-Expires"))
		}
		got, err := os.ReadFile(path)
		if err != nil || len(got) == 0 {
			b.fail("read the download: %d bytes, %v", len(got), err)
		}
		sum := sha256.Sum256(got)
		hash := hex.EncodeToString(sum[:])
		key := "shop/" + hash[:2] + "/" + hash
		obj, err := weed.Client(weedtest.AccessKey, weedtest.SecretKey).StatObject(context.Background(), bucket, key, minio.StatObjectOptions{})
		if err != nil || obj.Size != int64(len(got)) {
			b.fail("the downloaded bytes (sha256 %s) are no file in the bucket: %v", hash, err)
		}
		if entries, _ := os.ReadDir(s.Dir + "/files"); len(entries) > 1 {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			b.fail("the shop also kept files on its disk: %s", strings.Join(names, ", "))
		}
	})
	b.NoCSPViolations()
}

// downloadURL is the address a finished download came from, after
// redirects.
func (b *browser) downloadURL(path string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.downloads {
		if d.path == path {
			return d.url
		}
	}
	return ""
}

// `vendo files migrate` moves a shop's files to a bucket with a progress
// bar and a summary, copies nothing the second time, `vendo backup` then
// says the files stay in the bucket, and `vendo files migrate -back`
// brings every file back under its hash.
func TestFilesMigrateCommandThereAndBack(t *testing.T) {
	t.Parallel()
	weed := weedtest.Shared(t)
	bucket := weed.NewBucket(t)
	filesURL := weed.FilesURL(bucket, "cli")
	s := runShop(t, "") // the demo catalog's files, on disk
	dir := s.Dir
	s.Stop()
	want := filesIn(t, filepath.Join(dir, "files"))
	if len(want) < 3 {
		t.Fatalf("the demo shop has %d files", len(want))
	}
	vendo := func(args ...string) (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(binPath, append(args, "-data", dir)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "VENDO_FILES_URL=" + filesURL}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("vendo %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
		}
		return out.String(), errOut.String()
	}

	out, bar := vendo("files", "migrate")
	if !strings.Contains(out, fmt.Sprintf("Copied %d files", len(want))) || !strings.Contains(out, "to s3://"+bucket+"/cli/") ||
		!strings.Contains(out, "each checked by its SHA-256; 0 were there already") {
		t.Errorf("vendo files migrate said:\n%s", out)
	}
	// Off a terminal the bar is its last state: all of it copied.
	if !regexp.MustCompile(`(?m)^[KMG]?i?B copied +\[=+\] (\d+)/(\d+)$`).MatchString(bar) || !barFull(bar) {
		t.Errorf("vendo files migrate's progress bar:\n%s", bar)
	}
	c := weed.Client(weedtest.AccessKey, weedtest.SecretKey)
	for sha, size := range want {
		obj, err := c.StatObject(context.Background(), bucket, "cli/"+sha[:2]+"/"+sha, minio.StatObjectOptions{})
		if err != nil || obj.Size != size {
			t.Errorf("%s in the bucket: %d bytes, %v", sha, obj.Size, err)
		}
	}
	if out, _ := vendo("files", "migrate"); !strings.Contains(out, fmt.Sprintf("Copied 0 files (0 B)")) || !strings.Contains(out, fmt.Sprintf("%d were there already", len(want))) {
		t.Errorf("the second vendo files migrate said:\n%s", out)
	}

	archive := filepath.Join(t.TempDir(), "backup.tar.gz")
	if out, _ := vendo("backup", archive); !strings.Contains(out, "live in the bucket s3://"+bucket+"/cli/ and are not in the backup") || !strings.Contains(out, "files-in-bucket.txt") {
		t.Errorf("vendo backup said:\n%s", out)
	}

	if err := os.RemoveAll(filepath.Join(dir, "files")); err != nil {
		t.Fatal(err)
	}
	if out, _ := vendo("files", "migrate", "-back"); !strings.Contains(out, fmt.Sprintf("Copied %d files", len(want))) {
		t.Errorf("vendo files migrate -back said:\n%s", out)
	}
	got := filesIn(t, filepath.Join(dir, "files"))
	for sha, size := range want {
		if got[sha] != size {
			t.Errorf("%s came back as %d bytes, want %d", sha, got[sha], size)
		}
	}
}

// filesIn maps the files under a data/files/ directory, by name, to their
// sizes, failing the test when one does not hash to its name.
func filesIn(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(path)) == "tmp" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != d.Name() {
			t.Errorf("%s does not hash to its name", path)
		}
		out[d.Name()] = int64(len(b))
		return nil
	})
	return out
}

// barFull reports whether a progress bar's last line shows done = total.
func barFull(bar string) bool {
	m := regexp.MustCompile(`(\d+)/(\d+)\s*$`).FindStringSubmatch(bar)
	return m != nil && m[1] == m[2]
}
