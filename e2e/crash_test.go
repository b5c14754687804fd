package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"vendo/app"
	"vendo/app/store"
)

// fakeStripeAPI answers the two calls the order's reconcile makes, in
// Stripe's wire format: retrieve a Checkout Session (paid, one line) and
// its PaymentIntent (succeeded, its charge neither refunded nor
// disputed).
func fakeStripeAPI(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pi := strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/"); r.Method == "GET" && pi != r.URL.Path {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{
				"id": pi, "object": "payment_intent", "status": "succeeded", "amount": 1200, "currency": "usd", "livemode": false,
				"latest_charge": map[string]any{"id": "ch_" + pi, "object": "charge", "amount": 1200, "amount_refunded": 0, "currency": "usd",
					"payment_intent": pi, "refunded": false, "disputed": false, "paid": true, "status": "succeeded",
					"refunds": map[string]any{"object": "list", "has_more": false, "data": []any{}}},
			})
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/v1/checkout/sessions/")
		if r.Method != "GET" || id == r.URL.Path {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"No such object"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "object": "checkout.session", "mode": "payment", "status": "complete", "payment_status": "paid",
			"amount_total": 1200, "amount_subtotal": 1200, "currency": "usd", "created": time.Now().Unix(), "livemode": false,
			"customer_details": map[string]any{"email": "crash-" + id + "@example.com", "name": "Crash Test"},
			"payment_intent":   "pi_" + id, "metadata": map[string]any{},
			"line_items": map[string]any{"object": "list", "has_more": false, "data": []any{map[string]any{
				"id": "li_" + id, "object": "item", "quantity": 1, "amount_total": 1200, "currency": "usd", "description": "Crash",
				"price": map[string]any{"id": "price_crash", "object": "price", "unit_amount": 1200, "currency": "usd", "product": "prod_crash"},
			}}},
		})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestCrashDuringWebhookStormLosesNoAcknowledgedEvent kills Vendo with
// SIGKILL while 8 senders deliver events, restarts it on the same data,
// and checks that every event it answered 2xx is in the ledger with its
// effect (an order for its session) in the store (DESIGN.md §5 rule 2).
func TestCrashDuringWebhookStormLosesNoAcknowledgedEvent(t *testing.T) {
	// Not parallel: the kill must land mid-flight, which a busy machine
	// makes less certain; the parallel tests start after this one.
	data := t.TempDir()
	const secret = "whsec_crash_test"
	env := []string{"STRIPE_SECRET_KEY=sk_test_crash", "STRIPE_WEBHOOK_SECRET=" + secret, "STRIPE_API_BASE=" + fakeStripeAPI(t), "VENDO_SYNC_INTERVAL=0"}
	// The sessions sell this shop's product: a session for nothing the
	// shop sells is another shop's and changes nothing (DESIGN.md §5 rule 9).
	st, err := store.Open(data+"/vendo.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	crash := app.Product{Slug: "crash", Title: "Crash", Price: app.Money{Amount: 1200, Currency: "usd"}, Active: true,
		StripeProductID: "prod_crash", StripePriceID: "price_crash"}
	if err := st.PutProduct(context.Background(), &crash); err != nil {
		t.Fatal(err)
	}
	st.Close()
	first := runShop(t, data, env...)
	addr, cmd := first.Addr, first.Cmd

	var acked sync.Map
	var n atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sess := fmt.Sprintf("cs_crash_%d_%d", w, i)
				payload, _ := json.Marshal(map[string]any{
					"id": "evt_" + sess, "object": "event", "type": "checkout.session.completed", "api_version": stripe.APIVersion,
					"created": time.Now().Unix(), "data": map[string]any{"object": map[string]any{"id": sess, "object": "checkout.session"}},
				})
				signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
				req, _ := http.NewRequest("POST", "http://"+addr+"/webhooks/stripe", bytes.NewReader(payload))
				req.Header.Set("Stripe-Signature", signed.Header)
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					acked.Store("evt_"+sess, sess)
					n.Add(1)
				}
			}
		}(w)
	}
	// Let the storm run until a good number were acknowledged, then kill.
	deadline := time.Now().Add(30 * time.Second)
	for n.Load() < 150 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if n.Load() < 50 {
		t.Fatalf("only %d events acknowledged before the kill", n.Load())
	}

	// Restart on the same data: it must come up cleanly.
	cmd2 := runShop(t, data, env...).Cmd
	cmd2.Process.Signal(os.Interrupt)
	cmd2.Wait()

	st, err = store.Open(data+"/vendo.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	missing := 0
	acked.Range(func(k, v any) bool {
		rec, err := st.Event(context.Background(), k.(string))
		found, err := app.Found(err)
		if err != nil || !found || rec.Outcome != store.EventApplied {
			missing++
			return true
		}
		st.View(context.Background(), func(tx *store.Tx) error {
			if _, err := tx.OrderByCheckoutSession(v.(string)); err != nil {
				missing++
			}
			return nil
		})
		return true
	})
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events lost their ledger record or effect", missing, n.Load())
	}
	t.Logf("%d acknowledged events all survived SIGKILL", n.Load())
}

// adminClient signs in through `vendo admin-link` and returns a client
// with the owner's session and the page's CSRF token.
func adminClient(t *testing.T, s *shop) (*http.Client, string, string) {
	t.Helper()
	link := s.adminLink()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	// The link opens a page with one button; the button signs in.
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	confirm, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(confirm)
	if resp.StatusCode != 200 || csrf == nil {
		t.Fatalf("admin link: %d, no confirmation form", resp.StatusCode)
	}
	resp, err = c.PostForm(link, url.Values{"_csrf": {string(csrf[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(s.url("/admin/products"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := regexp.MustCompile(`"X-CSRF-Token": "([^"]+)"`).FindSubmatch(page)
	prod := regexp.MustCompile(`/admin/products/(prod_[a-z0-9]+)`).FindSubmatch(page)
	if resp.StatusCode != 200 || tok == nil || prod == nil {
		t.Fatalf("admin products page: %d, token %v, product %v", resp.StatusCode, tok != nil, prod != nil)
	}
	return c, string(tok[1]), string(prod[1])
}

// TestCrashDuringUploadAndBackup kills Vendo while an admin upload is
// streaming in and a backup is being written: after a restart no partial
// file exists under a content name, unfinished uploads are cleaned, and
// the interrupted backup left no archive behind.
func TestCrashDuringUploadAndBackup(t *testing.T) {
	// Not parallel: the kill must land mid-flight, which a busy machine
	// makes less certain; the parallel tests start after this one.
	data := t.TempDir()
	s := runShop(t, data)
	addr, cmd := s.Addr, s.Cmd
	// A large file makes the backup take long enough to be interrupted.
	big := filepath.Join(data, "files", "ff", strings.Repeat("f", 64))
	os.MkdirAll(filepath.Dir(big), 0o750)
	f, _ := os.Create(big)
	f.Truncate(2 << 30)
	f.Close()

	client, token, product := adminClient(t, s)

	// An upload that never finishes: 8 MiB sent, then the server dies.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	sent := make(chan struct{})
	go func() {
		part, _ := mw.CreateFormFile("files", "half.bin")
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for i := 0; i < 8; i++ {
			part.Write(chunk)
		}
		close(sent)
		time.Sleep(time.Minute) // hold the body open: the upload is "in progress"
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", "http://"+addr+"/admin/products/"+product+"/files", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", token)
	go client.Do(req)
	<-sent

	// A backup through the control socket, in progress.
	archive := filepath.Join(t.TempDir(), "backup.tgz")
	backup := s.Command("backup", archive)
	var backupOut bytes.Buffer
	backup.Stdout, backup.Stderr = &backupOut, &backupOut
	if err := backup.Start(); err != nil {
		t.Fatal(err)
	}
	inProgress := false
	deadline := time.Now().Add(20 * time.Second)
	for !inProgress && time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(archive), ".vendo-backup-*"))
		if len(matches) > 0 {
			if st, err := os.Stat(matches[0]); err == nil && st.Size() > 0 {
				inProgress = true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !inProgress {
		t.Fatalf("the backup never got going:\n%s", backupOut.String())
	}
	if ups, _ := filepath.Glob(filepath.Join(data, "files", "tmp", "upload-*")); len(ups) == 0 {
		t.Fatal("the upload is not in progress before the kill")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if err := backup.Wait(); err == nil {
		t.Fatalf("the interrupted backup reported success:\n%s", backupOut.String())
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Fatalf("an interrupted backup left %s behind", archive)
	}
	os.Remove(big)

	// Restart: unfinished uploads and backup temp files are gone, and
	// every stored file's name is the hash of its bytes.
	cmd2 := runShop(t, data).Cmd
	defer cmd2.Process.Signal(os.Interrupt)
	if left, _ := os.ReadDir(filepath.Join(data, "files", "tmp")); len(left) != 0 {
		t.Fatalf("%d unfinished files survived the restart", len(left))
	}
	filepath.WalkDir(filepath.Join(data, "files"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+"tmp"+string(filepath.Separator)) {
			return err
		}
		b, _ := os.ReadFile(p)
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != d.Name() {
			t.Errorf("%s holds bytes that are not its name's: a half file under a content name", p)
		}
		return nil
	})
}
