package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/blobs"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/vendotest"
)

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("page lacks %q:\n%.1500s", w, body)
		}
	}
}

var (
	csrfRE      = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	productIDRE = regexp.MustCompile(`name="product" value="(prod_[a-z0-9]+)"`)
)

var downloadRE = regexp.MustCompile(`href="(http[^"]+/downloads/[^"]+)"`)

func sha(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestBuyAndDownloadThroughTheSandbox(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	buyer := srv.NewClient()

	// Two products in the cart, one added twice (it stays once: a file is
	// one per customer), one removed again; no quantity but one.
	buyer.AddToCart("the-calm-inbox")
	buyer.AddToCart("sunrise-wallpapers")
	buyer.AddToCart("sunrise-wallpapers")
	_, cart := buyer.Get("/cart")
	mustContain(t, cart, "The Calm Inbox", "Sunrise Wallpapers", "$17.00")
	if strings.Contains(cart, `name="quantity"`) {
		t.Fatal("the cart has a quantity field")
	}
	wallpapers, _ := srv.Store.ProductBySlug(ctx, "sunrise-wallpapers")
	inbox, _ := srv.Store.ProductBySlug(ctx, "the-calm-inbox")
	for _, q := range []string{"3", "-2"} {
		buyer.Get("/cart")
		resp, page := buyer.Submit("/cart/items/"+wallpapers.ID, url.Values{"quantity": {q}})
		if resp.StatusCode != 422 || !strings.Contains(page, "Each product comes once per customer") {
			t.Fatalf("quantity %s: %d, want 422 with a sentence", q, resp.StatusCode)
		}
	}
	_, cart = buyer.Get("/cart")
	mustContain(t, cart, "$17.00") // unchanged by the bad requests
	buyer.Submit("/cart/items/"+wallpapers.ID+"/remove", url.Values{})
	_, cart = buyer.Get("/cart")
	if strings.Contains(cart, "Sunrise Wallpapers") {
		t.Fatal("removed product still in the cart")
	}

	// Checkout sends the buyer to the sandbox's hosted page.
	resp, page := buyer.Checkout()
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/cs_") {
		t.Fatalf("checkout landed on %s", resp.Request.URL)
	}
	mustContain(t, page, "The Calm Inbox", "$12.00")

	// A declined card: error shown, no order.
	resp, page = buyer.Pay("buyer@example.com", "4000 0000 0000 0002")
	if resp.StatusCode != http.StatusPaymentRequired || !strings.Contains(strings.ToLower(page), "declined") {
		t.Fatalf("declined card: %d\n%.800s", resp.StatusCode, page)
	}
	if n := countOrders(t, srv.Store); n != 0 {
		t.Fatalf("%d orders after a declined card", n)
	}

	// The good card: the success page shows the order and its downloads.
	resp, page = buyer.Pay("buyer@example.com", "4242 4242 4242 4242")
	if resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("after paying: %s (%d)\n%.800s", resp.Request.URL, resp.StatusCode, page)
	}
	mustContain(t, page, "Thank you for your order", "buyer@example.com", "the-calm-inbox.pdf")
	successURL := resp.Request.URL.String()

	links := downloadRE.FindAllStringSubmatch(page, -1)
	if len(links) != len(inbox.Files) {
		t.Fatalf("%d download links, want %d", len(links), len(inbox.Files))
	}
	pdfLink := ""
	for _, l := range links {
		if strings.Contains(l[1], "/downloads/") {
			resp, body := buyer.Get(l[1])
			if resp.StatusCode != 200 {
				t.Fatalf("download: %d", resp.StatusCode)
			}
			name := resp.Header.Get("Content-Disposition")
			for _, f := range inbox.Files {
				if strings.Contains(name, f.Name) {
					if sha([]byte(body)) != f.SHA256 {
						t.Fatalf("%s: downloaded bytes differ from the product file", f.Name)
					}
					if f.Name == "the-calm-inbox.pdf" {
						pdfLink = l[1]
					}
				}
			}
		}
	}
	if pdfLink == "" {
		t.Fatal("no link for the PDF")
	}

	// Range: exactly the asked bytes, 206; outside the file, 416.
	path, _ := srv.Files.(*blobs.Dir).Path(inbox.Files[0].SHA256)
	whole, _ := os.ReadFile(path)
	resp, part := buyer.Get(pdfLink, "Range", "bytes=10-29")
	if resp.StatusCode != 206 || part != string(whole[10:30]) || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-29/%d", len(whole)) {
		t.Fatalf("range: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Range"), part)
	}
	resp, _ = buyer.Get(pdfLink, "Range", fmt.Sprintf("bytes=%d-", len(whole)+10))
	if resp.StatusCode != 416 {
		t.Fatalf("unsatisfiable range: %d", resp.StatusCode)
	}

	// Resuming with a Range does not use up the download limit: only the
	// full downloads above counted.
	srv.Store.View(ctx, func(tx *store.Tx) error {
		os, _, _ := tx.Orders(store.OrderFilter{})
		es, _ := tx.EntitlementsOf(os[0].CustomerID, false)
		if len(es) != 1 || es[0].Downloads != len(links) {
			t.Errorf("downloads counted: %+v, want %d", es, len(links))
		}
		return nil
	})

	// Someone else holding the success link sees no email and no files.
	stranger := srv.NewClient()
	if _, page := stranger.Get(successURL); strings.Contains(page, "buyer@example.com") || downloadRE.MatchString(page) || !strings.Contains(page, "is paid") {
		t.Fatalf("a stranger's view of the success page:\n%.1200s", page)
	}

	// The webhook has arrived by now (or will): wait for the ledger, then
	// revisit the success page twice; still one order, one set of grants.
	vendotest.WaitFor(t, "checkout.session.completed applied", func() bool { return ledgerHas(srv.Store, "checkout.session.completed") })
	buyer.Get(successURL)
	buyer.Get(successURL)
	if n := countOrders(t, srv.Store); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	var order app.Order
	srv.Store.View(ctx, func(tx *store.Tx) error {
		os, _, _ := tx.Orders(store.OrderFilter{})
		order = os[0]
		es, _ := tx.EntitlementsOf(order.CustomerID, false)
		if len(es) != 1 {
			t.Errorf("%d entitlements, want 1", len(es))
		}
		return nil
	})
	if order.Total.Amount != 1200 || order.Status != app.OrderPaid {
		t.Fatalf("order: %+v", order)
	}

	// Forged, expired, someone else's, refunded.
	token := pdfLink[strings.LastIndex(pdfLink, "/")+1:]
	forged := token[:len(token)-2] + "xx"
	if resp, _ := buyer.Get("/downloads/" + forged); resp.StatusCode != 403 {
		t.Fatalf("forged link: %d", resp.StatusCode)
	}
	claim, _ := srv.Shop.Signer.Verify(token, time.Now())
	claim.Expires = time.Now().Add(-time.Minute)
	if resp, _ := buyer.Get("/downloads/" + srv.Shop.Signer.Sign(claim)); resp.StatusCode != 410 {
		t.Fatalf("expired link: %d", resp.StatusCode)
	}
	other := srv.NewClient()
	other.SignIn("someone-else@example.com")
	if resp, _ := other.Get(pdfLink); resp.StatusCode != 403 {
		t.Fatalf("someone else's link: %d", resp.StatusCode)
	}
	if resp, _ := buyer.Get("/downloads/../../etc/passwd"); resp.StatusCode != 404 && resp.StatusCode != 403 {
		t.Fatalf("path traversal: %d", resp.StatusCode)
	}

	if _, err := srv.Shop.Refund(ctx, order.ID, 0, "requested_by_customer", "test"); err != nil {
		t.Fatal(err)
	}
	vendotest.WaitFor(t, "the refund to arrive", func() bool {
		o, _ := srv.Store.Order(ctx, order.ID)
		return o.Status == app.OrderRefunded
	})
	if resp, _ := buyer.Get(pdfLink); resp.StatusCode != 403 {
		t.Fatalf("refunded link: %d", resp.StatusCode)
	}
}

// A large file is streamed: the server's heap stays flat while it sends
// one four times the growth the test allows (sparse on disk). A server
// that buffered the file would grow by its whole size, so 256 MiB proves
// what 1 GiB did at a quarter of the CPU (hashing and copying it twice
// under -race).
func TestLargeDownloadStreams(t *testing.T) {
	// Not parallel: the heap it watches is the whole test process's, and
	// the parallel tests only start once the sequential ones are done.
	if testing.Short() {
		t.Skip("large file")
	}
	srv := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	// Twice the heap bound below: a handler that held the file would show.
	const size = 128 << 20
	f, err := os.CreateTemp(t.TempDir(), "big")
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(size)
	f.Close()
	big, _ := os.Open(f.Name())
	shaHex, n, err := srv.Files.Put(ctx, big, 0)
	big.Close()
	if err != nil || n != size {
		t.Fatal(err)
	}
	p := app.Product{Slug: "big", Title: "Big", Price: app.Money{Amount: 100, Currency: "usd"}, Active: true,
		Files: []app.FileRef{{SHA256: shaHex, Name: "big.bin", Size: size}}}
	cust := app.Customer{Email: "big@example.com"}
	var ent app.Entitlement
	srv.Store.Update(ctx, func(tx *store.Tx) error {
		tx.PutProduct(&p)
		tx.PutCustomer(&cust)
		ent = app.Entitlement{CustomerID: cust.ID, ProductID: p.ID, Source: app.SourceManual, SourceID: "test"}
		return tx.PutEntitlement(&ent)
	})
	tok := srv.Shop.Signer.Sign(shop.DownloadClaim{EntitlementID: ent.ID, FileSHA256: shaHex, Expires: time.Now().Add(time.Hour)})

	// The heap is read before the request: a handler that read the whole
	// file before answering would have grown it by the time the response
	// headers arrive (the reading after them missed that).
	before := heapInUse()
	var peak uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
				if h := heapInUse(); h > peak {
					peak = h
				}
			}
		}
	}()
	resp, err := http.Get(srv.URL + "/downloads/" + tok)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.Copy(io.Discard, resp.Body)
	close(stopSampling)
	<-sampled
	if err != nil || got != size {
		t.Fatalf("downloaded %d bytes: %v", got, err)
	}
	if growth := int64(peak) - int64(before); growth > 64<<20 {
		t.Fatalf("heap grew by %d MiB while sending %d MiB", growth>>20, size>>20)
	}
}

func countOrders(t *testing.T, st *store.Store) int {
	t.Helper()
	n := 0
	st.View(context.Background(), func(tx *store.Tx) error {
		os, _, err := tx.Orders(store.OrderFilter{Limit: 1000})
		n = len(os)
		return err
	})
	return n
}

func ledgerHas(st *store.Store, typ string) bool {
	found := false
	st.View(context.Background(), func(tx *store.Tx) error {
		es, _, _ := tx.Events(store.EventFilter{Type: typ, Outcome: store.EventApplied, Limit: 1})
		found = len(es) > 0
		return nil
	})
	return found
}
