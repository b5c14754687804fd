package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// shopper is a person with a browser (a cookie jar that follows redirects,
// like a browser does) visiting a running shop.
type shopper struct {
	t       *testing.T
	base    string
	c       *http.Client
	last    string // the last page's body
	lastURL string // where the last redirect chain ended
}

func newShopper(t *testing.T, base string) *shopper {
	jar, _ := cookiejar.New(nil)
	return &shopper{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (s *shopper) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return s.base + path
}

func (s *shopper) do(req *http.Request) (*http.Response, string) {
	s.t.Helper()
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s.last = string(b)
	return resp, s.last
}

func (s *shopper) get(path string, header ...string) (*http.Response, string) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.abs(path), nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(req)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post submits a form like the page's form would: with the CSRF token of
// the last page seen.
func (s *shopper) post(path string, form url.Values) (*http.Response, string) {
	s.t.Helper()
	if form.Get("_csrf") == "" {
		if m := csrfRE.FindStringSubmatch(s.last); m != nil {
			form.Set("_csrf", m[1])
		}
	}
	req, _ := http.NewRequest("POST", s.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("page lacks %q:\n%.1500s", w, body)
		}
	}
}

var productIDRE = regexp.MustCompile(`name="product" value="(prod_[a-z0-9]+)"`)

// addToCart opens a product page and presses "Add to cart".
func (s *shopper) addToCart(slug string) {
	s.t.Helper()
	_, page := s.get("/products/" + slug)
	m := productIDRE.FindStringSubmatch(page)
	if m == nil {
		s.t.Fatalf("no add-to-cart form on %s", slug)
	}
	resp, _ := s.post("/cart/items", url.Values{"product": {m[1]}, "quantity": {"1"}})
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.Path, "/cart") {
		s.t.Fatalf("add to cart: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

// pay fills in the sandbox's hosted Checkout page it was sent to.
func (s *shopper) pay(email, card string) (*http.Response, string) {
	s.t.Helper()
	return s.post(s.lastURL, url.Values{"email": {email}, "name": {"Test Buyer"}, "card_number": {card}, "exp": {"12/34"}, "cvc": {"123"}})
}

func (s *shopper) checkout() (*http.Response, string) {
	s.t.Helper()
	_, _ = s.get("/cart")
	resp, body := s.post("/checkout", url.Values{})
	s.lastURL = resp.Request.URL.String()
	return resp, body
}

var downloadRE = regexp.MustCompile(`href="(http[^"]+/downloads/[^"]+)"`)

func sha(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestBuyAndDownloadThroughTheSandbox(t *testing.T) {
	srv, _, stop := serveForTest(t, t.TempDir(), nil)
	defer stop()
	base := srv.Config.BaseURL
	ctx := context.Background()
	buyer := newShopper(t, base)

	// Two products in the cart, one removed again, quantities changed.
	buyer.addToCart("the-calm-inbox")
	buyer.addToCart("sunrise-wallpapers")
	_, cart := buyer.get("/cart")
	mustContain(t, cart, "The Calm Inbox", "Sunrise Wallpapers", "$17.00")
	wallpapers, _ := srv.Store.ProductBySlug(ctx, "sunrise-wallpapers")
	inbox, _ := srv.Store.ProductBySlug(ctx, "the-calm-inbox")
	resp, cart := buyer.post("/cart/items/"+wallpapers.ID, url.Values{"quantity": {"3"}})
	mustContain(t, cart, "$27.00")
	resp, _ = buyer.post("/cart/items/"+wallpapers.ID, url.Values{"quantity": {"-2"}})
	if resp.StatusCode != 422 {
		t.Fatalf("negative quantity: %d, want 422", resp.StatusCode)
	}
	_, cart = buyer.get("/cart")
	mustContain(t, cart, "$27.00") // unchanged by the bad request
	buyer.post("/cart/items/"+wallpapers.ID+"/remove", url.Values{})
	_, cart = buyer.get("/cart")
	if strings.Contains(cart, "Sunrise Wallpapers") {
		t.Fatal("removed product still in the cart")
	}

	// Checkout sends the buyer to the sandbox's hosted page.
	resp, page := buyer.checkout()
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/cs_") {
		t.Fatalf("checkout landed on %s", resp.Request.URL)
	}
	mustContain(t, page, "The Calm Inbox", "$12.00")

	// A declined card: error shown, no order.
	resp, page = buyer.pay("buyer@example.com", "4000 0000 0000 0002")
	if resp.StatusCode != http.StatusPaymentRequired || !strings.Contains(strings.ToLower(page), "declined") {
		t.Fatalf("declined card: %d\n%.800s", resp.StatusCode, page)
	}
	if n := countOrders(t, srv.Store); n != 0 {
		t.Fatalf("%d orders after a declined card", n)
	}

	// The good card: the success page shows the order and its downloads.
	resp, page = buyer.pay("buyer@example.com", "4242 4242 4242 4242")
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
			resp, body := buyer.get(l[1])
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
	path, _ := srv.Files.Path(inbox.Files[0].SHA256)
	whole, _ := os.ReadFile(path)
	resp, part := buyer.get(pdfLink, "Range", "bytes=10-29")
	if resp.StatusCode != 206 || part != string(whole[10:30]) || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-29/%d", len(whole)) {
		t.Fatalf("range: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Range"), part)
	}
	resp, _ = buyer.get(pdfLink, "Range", fmt.Sprintf("bytes=%d-", len(whole)+10))
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
	stranger := newShopper(t, base)
	if _, page := stranger.get(successURL); strings.Contains(page, "buyer@example.com") || downloadRE.MatchString(page) || !strings.Contains(page, "is paid") {
		t.Fatalf("a stranger's view of the success page:\n%.1200s", page)
	}

	// The webhook has arrived by now (or will): wait for the ledger, then
	// revisit the success page twice; still one order, one set of grants.
	waitFor(t, "checkout.session.completed applied", func() bool { return ledgerHas(srv.Store, "checkout.session.completed") })
	buyer.get(successURL)
	buyer.get(successURL)
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
	if resp, _ := buyer.get("/downloads/" + forged); resp.StatusCode != 403 {
		t.Fatalf("forged link: %d", resp.StatusCode)
	}
	claim, _ := srv.Shop.Signer.Verify(token, time.Now())
	claim.Expires = time.Now().Add(-time.Minute)
	if resp, _ := buyer.get("/downloads/" + srv.Shop.Signer.Sign(claim)); resp.StatusCode != 410 {
		t.Fatalf("expired link: %d", resp.StatusCode)
	}
	other := newShopper(t, base)
	signInByEmail(t, srv, other, "someone-else@example.com")
	if resp, _ := other.get(pdfLink); resp.StatusCode != 403 {
		t.Fatalf("someone else's link: %d", resp.StatusCode)
	}
	if resp, _ := buyer.get("/downloads/../../etc/passwd"); resp.StatusCode != 404 && resp.StatusCode != 403 {
		t.Fatalf("path traversal: %d", resp.StatusCode)
	}

	if _, err := srv.Shop.Refund(ctx, order.ID, 0, "requested_by_customer", "test"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refund to arrive", func() bool {
		o, _ := srv.Store.Order(ctx, order.ID)
		return o.Status == app.OrderRefunded
	})
	if resp, _ := buyer.get(pdfLink); resp.StatusCode != 403 {
		t.Fatalf("refunded link: %d", resp.StatusCode)
	}
}

// A 1 GiB-class file is streamed: the server's heap stays flat while it
// sends a large file (sparse on disk, so the test is cheap).
func TestLargeDownloadStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	srv, _, stop := serveForTest(t, t.TempDir(), nil)
	defer stop()
	ctx := context.Background()
	const size = 1 << 30
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
	tok := srv.Shop.Signer.Sign(shop.DownloadClaim{CustomerID: cust.ID, EntitlementID: ent.ID, FileSHA256: shaHex, Expires: time.Now().Add(time.Hour)})

	resp, err := http.Get(srv.Config.BaseURL + "/downloads/" + tok)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
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
	before := heapInUse()
	got, err := io.Copy(io.Discard, resp.Body)
	close(stopSampling)
	<-sampled
	if err != nil || got != size {
		t.Fatalf("downloaded %d bytes: %v", got, err)
	}
	if growth := int64(peak) - int64(before); growth > 64<<20 {
		t.Fatalf("heap grew by %d MiB while sending 1 GiB", growth>>20)
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

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

var loginLinkRE = regexp.MustCompile(`http://[^\s"]+/login/email/[A-Za-z0-9_-]+`)

// signInByEmail asks for a sign-in link and follows it from the outbox.
func signInByEmail(t *testing.T, srv *Server, s *shopper, email string) {
	t.Helper()
	s.get("/login")
	resp, _ := s.post("/login/email", url.Values{"email": {email}})
	if resp.StatusCode != 200 {
		t.Fatalf("request link: %d", resp.StatusCode)
	}
	var link string
	waitFor(t, "the sign-in mail", func() bool {
		srv.Store.View(context.Background(), func(tx *store.Tx) error {
			ms, _, _ := tx.Outbox(store.MailFilter{})
			for _, m := range ms {
				if m.To == email {
					link = loginLinkRE.FindString(m.Text)
					break
				}
			}
			return nil
		})
		return link != ""
	})
	resp, page := s.get(link)
	if resp.StatusCode != 200 || !bytes.Contains([]byte(page), []byte(email)) {
		t.Fatalf("sign-in link: %d", resp.StatusCode)
	}
}
