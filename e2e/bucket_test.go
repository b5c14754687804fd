package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
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
