package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
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
