package web_test

import (
	"context"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"vendo/app/blobs"
	"vendo/app/store"
	"vendo/app/vendotest"
)

var downloadRE = regexp.MustCompile(`href="(http[^"]+/downloads/[^"]+)"`)

// ownerOf signs a new browser in as email and grants it product slug; it
// returns the browser and its library's download links.
func ownerOf(t *testing.T, s *vendotest.Shop, email, slug string) (*vendotest.Client, []string) {
	t.Helper()
	ctx := context.Background()
	c := s.NewClient()
	c.SignIn(email)
	cust, err := s.Store.CustomerByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Store.ProductBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Shop.GrantEntitlement(ctx, cust.ID, p.ID, "test", "test"); err != nil {
		t.Fatal(err)
	}
	_, page := c.Get("/account")
	var links []string
	for _, m := range downloadRE.FindAllStringSubmatch(page, -1) {
		links = append(links, m[1])
	}
	if len(links) == 0 {
		t.Fatalf("no download links on /account:\n%.1500s", page)
	}
	return c, links
}

// TestFileNamesShownToCustomersHaveNoFormatCharacters is issue 17, hole
// 12: a file stored as "invoice‮fdp.exe" (a right-to-left override)
// reads "invoiceexe.pdf" on screen. The product page, the library and the
// download's Content-Disposition show it without the override.
func TestFileNamesShownToCustomersHaveNoFormatCharacters(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.ProductBySlug("the-calm-inbox")
		if err != nil {
			return err
		}
		p.Files = p.Files[:1]
		p.Files[0].Name = "invoice\u202Efdp\u2066.exe"
		return tx.PutProduct(&p)
	})
	if err != nil {
		t.Fatal(err)
	}
	format := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r == '\u202E' || r == '\u2066' })
	}

	_, page := s.NewClient().Get("/products/the-calm-inbox")
	if format(page) || !strings.Contains(page, "invoicefdp.exe") {
		t.Errorf("the product page shows the name with its format characters, or not at all")
	}
	c, links := ownerOf(t, s, "reader@example.com", "the-calm-inbox")
	if format(c.Page) || !strings.Contains(c.Page, "invoicefdp.exe") {
		t.Errorf("the library shows the name with its format characters, or not at all")
	}
	resp, _ := c.Get(links[0])
	if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || !strings.Contains(cd, "invoicefdp.exe") {
		t.Errorf("download: %d, Content-Disposition %q", resp.StatusCode, cd)
	}
	p, _ := s.Store.ProductBySlug(ctx, "the-calm-inbox")
	if p.Files[0].Name != "invoicefdp.exe" {
		t.Errorf("stored name %q", p.Files[0].Name)
	}
}

// setDownloadLimit sets the shop's downloads-per-purchase setting.
func setDownloadLimit(t *testing.T, s *vendotest.Shop, n int) {
	t.Helper()
	err := s.Store.Update(context.Background(), func(tx *store.Tx) error {
		st, err := tx.Settings()
		if err != nil {
			return err
		}
		st.DownloadLimit = n
		return tx.PutSettings(st)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fileOf is the product file a download link is for, and its bytes.
func fileOf(t *testing.T, s *vendotest.Shop, c *vendotest.Client, link string) []byte {
	t.Helper()
	resp, err := c.HTTP.Head(link)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD %s: %v %v", link, resp, err)
	}
	resp.Body.Close()
	for _, slug := range []string{"the-calm-inbox", "sunrise-wallpapers"} {
		p, _ := s.Store.ProductBySlug(context.Background(), slug)
		for _, f := range p.Files {
			if resp.Header.Get("ETag") == `"`+f.SHA256[:32]+`"` {
				path, _ := s.Files.(*blobs.Dir).Path(f.SHA256)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
	}
	t.Fatalf("no product file has the ETag %s", resp.Header.Get("ETag"))
	return nil
}

// TestDownloadLimitCountsTheBytesSent is issue 17, hole 3: with the
// limit used up, "Range: bytes=-999999999999" returned the whole file
// uncounted (206), and "Range: bytes=1-" with an If-Range that did not
// match returned it all (200), uncounted too. The limit is now a budget
// of bytes, limit × the file's size, charged for what each response
// actually sends: resumes are free, no trick gets more.
func TestDownloadLimitCountsTheBytesSent(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	setDownloadLimit(t, s, 2)
	c, links := ownerOf(t, s, "limited@example.com", "the-calm-inbox")
	whole := fileOf(t, s, c, links[0])
	n := len(whole)

	// Two whole downloads use the budget up.
	for i := 0; i < 2; i++ {
		if resp, body := c.Get(links[0]); resp.StatusCode != 200 || body != string(whole) {
			t.Fatalf("download %d: %d, %d bytes", i+1, resp.StatusCode, len(body))
		}
	}
	for _, h := range [][]string{
		nil,
		{"Range", "bytes=-999999999999"}, // the attack: a suffix longer than the file
		{"Range", "bytes=1-", "If-Range", `"not-the-etag"`}, // the attack: a range made whole by If-Range
		{"Range", "bytes=-" + strconv.Itoa(n)},              // the whole file as a suffix
		{"Range", "bytes=0-"},                               // and as an open range
		{"Range", "bytes=0-0"},                              // a single byte is a byte over
		{"Range", "bytes=0-0,5-9"},                          // several ranges: answered whole
		{"Range", "items=0-9"},                              // another unit: answered whole
		{"Range", "bytes=9-1"},                              // malformed: answered whole
		{"If-Range", `"` + strings.Repeat("0", 32) + `"`},   // If-Range without Range
	} {
		resp, body := c.Get(links[0], h...)
		if resp.StatusCode != 403 || len(body) >= n && strings.Contains(body, string(whole[:min(n, 64)])) {
			t.Errorf("over the limit with %q: %d, %d bytes", h, resp.StatusCode, len(body))
		}
	}
	// A range outside the file sends nothing and still answers 416; HEAD
	// sends no body and costs nothing.
	if resp, _ := c.Get(links[0], "Range", "bytes="+strconv.Itoa(n+5)+"-"); resp.StatusCode != 416 && resp.StatusCode != 403 {
		t.Errorf("unsatisfiable range over the limit: %d", resp.StatusCode)
	}

	// Resumes are free: a second owner takes the file in two halves,
	// then once whole, and that is the budget exactly.
	c2, links2 := ownerOf(t, s, "resumer@example.com", "the-calm-inbox")
	half := n / 2
	if resp, body := c2.Get(links2[0], "Range", "bytes=0-"+strconv.Itoa(half-1)); resp.StatusCode != 206 || body != string(whole[:half]) {
		t.Fatalf("first half: %d", resp.StatusCode)
	}
	if resp, body := c2.Get(links2[0], "Range", "bytes="+strconv.Itoa(half)+"-"); resp.StatusCode != 206 || body != string(whole[half:]) {
		t.Fatalf("resume: %d", resp.StatusCode)
	}
	if resp, _ := c2.HTTP.Head(links2[0]); resp.StatusCode != 200 {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
	if resp, body := c2.Get(links2[0]); resp.StatusCode != 200 || body != string(whole) {
		t.Fatalf("the second whole download: %d", resp.StatusCode)
	}
	if resp, _ := c2.Get(links2[0], "Range", "bytes=-1"); resp.StatusCode != 403 {
		t.Fatalf("a byte past the budget: %d", resp.StatusCode)
	}

	// The variation: many requests at once for the last download's worth
	// get, between them, no more than the budget.
	c3, links3 := ownerOf(t, s, "racer@example.com", "the-calm-inbox")
	if resp, _ := c3.Get(links3[0]); resp.StatusCode != 200 {
		t.Fatalf("first download: %d", resp.StatusCode)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c3.HTTP.Get(links3[0])
			if err != nil {
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 || resp.StatusCode == 206 {
				mu.Lock()
				got += len(b)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got != n {
		t.Errorf("eight requests at once for the last download got %d bytes between them, want %d", got, n)
	}
}
