package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/backup"
	"vendo/app/blobs"
	"vendo/app/server"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/vendotest"
	"vendo/app/webhook"
)

const bossEmail = "boss@example.com"

var _ shop.Payments = (*recordingStripe)(nil)

// recordingStripe passes the shop's Stripe calls through to the real
// client (the sandbox) and records the price and refund calls; refunds and
// charges are answered by the test when it sets them (fakeRefunds).
type recordingStripe struct {
	shop.Payments
	mu          sync.Mutex
	created     []stripeapi.PriceSpec
	createdIDs  []string
	deactivated []string
	portals     [][]stripeapi.PortalProduct
	fakeRefunds bool
	refunds     []string // "pi amount reason"
	charge      *stripeapi.Charge
	// session, when set, is the one Checkout Session Stripe answers for
	// (an order made by hand in the store); its payment is charge's.
	session *stripeapi.Session
}

func (r *recordingStripe) GetCheckoutSession(ctx context.Context, id string) (stripeapi.Session, error) {
	r.mu.Lock()
	s := r.session
	r.mu.Unlock()
	if s != nil && s.ID == id {
		out := *s
		out.FetchedAt = time.Now()
		return out, nil
	}
	return r.Payments.GetCheckoutSession(ctx, id)
}

func (r *recordingStripe) GetPayment(ctx context.Context, pi string) (stripeapi.Payment, error) {
	r.mu.Lock()
	s, ch := r.session, r.charge
	r.mu.Unlock()
	if s == nil || s.PaymentIntentID != pi {
		return r.Payments.GetPayment(ctx, pi)
	}
	p := stripeapi.Payment{IntentID: pi, Status: "succeeded", Amount: s.AmountTotal, Currency: s.Currency, FetchedAt: time.Now()}
	if ch != nil {
		p.ChargeID, p.AmountRefunded, p.Refunds = ch.ID, ch.AmountRefunded, ch.Refunds
	}
	return p, nil
}

func (r *recordingStripe) CreatePrice(ctx context.Context, productID string, spec stripeapi.PriceSpec, vendoID, key string) (string, error) {
	id, err := r.Payments.CreatePrice(ctx, productID, spec, vendoID, key)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.created = append(r.created, spec)
		r.createdIDs = append(r.createdIDs, id)
	}
	return id, err
}

func (r *recordingStripe) DeactivatePrice(ctx context.Context, id string) error {
	err := r.Payments.DeactivatePrice(ctx, id)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deactivated = append(r.deactivated, id)
	return err
}

func (r *recordingStripe) EnsurePortalConfiguration(ctx context.Context, id string, products []stripeapi.PortalProduct, returnURL string) (string, error) {
	r.mu.Lock()
	r.portals = append(r.portals, products)
	r.mu.Unlock()
	return r.Payments.EnsurePortalConfiguration(ctx, id, products, returnURL)
}

func (r *recordingStripe) CreateRefund(ctx context.Context, pi string, amount int64, reason, key string) (string, error) {
	r.mu.Lock()
	fake := r.fakeRefunds
	if fake {
		r.refunds = append(r.refunds, fmt.Sprintf("%s %d %s", pi, amount, reason))
	}
	n := len(r.refunds)
	r.mu.Unlock()
	if fake {
		return fmt.Sprintf("re_admin_%d", n), nil
	}
	return r.Payments.CreateRefund(ctx, pi, amount, reason, key)
}

func (r *recordingStripe) GetCharge(ctx context.Context, id string) (stripeapi.Charge, error) {
	r.mu.Lock()
	ch := r.charge
	r.mu.Unlock()
	if ch != nil {
		c := *ch
		c.FetchedAt = time.Now()
		return c, nil
	}
	return r.Payments.GetCharge(ctx, id)
}

// adminShop is a running shop whose Stripe calls are recorded, with a
// browser signed in as its admin.
type adminShop struct {
	srv    *vendotest.Shop
	stripe *recordingStripe
	boss   *vendotest.Client
}

// serveAdmin starts a shop with VENDO_ADMIN_EMAILS set (env adds
// settings) and signs its Admin browser in through an admin link.
func serveAdmin(t *testing.T, env map[string]string) *adminShop {
	t.Helper()
	settings := map[string]string{"VENDO_ADMIN_EMAILS": bossEmail}
	for k, v := range env {
		settings[k] = v
	}
	rec := &recordingStripe{}
	srv := vendotest.Start(t, vendotest.Options{Env: settings, Setup: func(srv *server.Server) {
		rec.Payments = srv.Shop.Stripe
		srv.Shop.Stripe = rec // before serving: no request reads it yet
	}})
	srv.Admin.SignInAdmin()
	return &adminShop{srv: srv, stripe: rec, boss: srv.Admin}
}

// upload posts files as htmx does (multipart, token in the header).
// chunked sends the body without a Content-Length.
func upload(t *testing.T, s *vendotest.Client, path, field string, files map[string][]byte, chunked bool) (*http.Response, string) {
	t.Helper()
	token := s.CSRF()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, _ := mw.CreateFormFile(field, n)
		w.Write(files[n])
	}
	mw.Close()
	var r io.Reader = &body
	if chunked {
		r = io.MultiReader(&body) // not a known length: net/http sends it chunked
	}
	req, _ := http.NewRequest("POST", s.URL(path), r)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", token)
	req.Header.Set("HX-Request", "true")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return nil, err.Error() // the server may close the connection while we send
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func pngImage(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 10))
	for x := 0; x < 16; x++ {
		img.Set(x, x%10, color.RGBA{200, 40, 90, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func auditActions(t *testing.T, st *store.Store) []app.AuditEntry {
	t.Helper()
	var out []app.AuditEntry
	st.View(context.Background(), func(tx *store.Tx) (err error) {
		out, _, err = tx.AuditLog(store.AuditFilter{})
		return err
	})
	return out
}

func hasAudit(entries []app.AuditEntry, action, target, actor string) *app.AuditEntry {
	for i := range entries {
		if entries[i].Action == action && (target == "" || entries[i].Target == target) && entries[i].Actor == actor {
			return &entries[i]
		}
	}
	return nil
}

var productPathRE = regexp.MustCompile(`/admin/products/(prod_[0-9a-z]+)`)

// TestAdminCreatesAProductWithFilesAndChangesItsPrice: an admin creates a
// product through the forms and the real upload route (multipart, streamed
// to disk), it appears in the store, the catalog and the search; after it
// has a Stripe price, a price edit makes a new Price and deactivates the
// old one; every step is in the audit log under the admin's email.
func TestAdminCreatesAProductWithFilesAndChangesItsPrice(t *testing.T) {
	t.Parallel()
	a := serveAdmin(t, map[string]string{"VENDO_UPLOAD_LIMIT": "8MiB"})
	ctx := context.Background()
	st, boss := a.srv.Store, a.boss

	// A refused form comes back with its messages next to the fields.
	boss.Get("/admin/products/new")
	resp, page := boss.Submit("/admin/products", url.Values{"title": {""}, "price": {"12.345"}, "currency": {"usd"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", resp.StatusCode)
	}
	mustContain(t, page, `id="title-error"`, "Give the product a title.", `id="price-error"`, "Use at most 2 decimals.")

	// Created with the CSRF token as a form field: ordinary forms still
	// read their fields with streamed bodies.
	resp, page = boss.Submit("/admin/products", url.Values{"title": {"<script>alert(1)</script> Field Kit"}, "summary": {"Maps and notes."},
		"price": {"12.00"}, "currency": {"usd"}, "active": {"1"}, "_csrf": {boss.CSRF()}})
	m := productPathRE.FindStringSubmatch(resp.Request.URL.Path)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("create: %d at %s\n%.500s", resp.StatusCode, resp.Request.URL, page)
	}
	id := m[1]
	assertNoMarkup(t, "the product's admin page", page)
	mustContain(t, page, "Product created.", "&lt;script&gt;alert(1)&lt;/script&gt; Field Kit")

	// Two files, 5 MiB and a small one, through the upload route.
	big, small := randomBytes(5<<20), []byte("hello, field notes\n")
	resp, page = upload(t, boss, "/admin/products/"+id+"/files", "file", map[string][]byte{"maps.zip": big, "notes.txt": small}, false)
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("upload: %v\n%.500s", resp, page)
	}
	mustContain(t, page, `id="product-files"`, "maps.zip", "notes.txt", "Files uploaded.")
	p, err := st.Product(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 || p.Files[0].SHA256 != sha(big) || p.Files[0].Size != 5<<20 || p.Files[1].SHA256 != sha(small) ||
		p.Files[1].ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("files: %+v", p.Files)
	}
	for _, f := range p.Files {
		path, err := a.srv.Files.(*blobs.Dir).Path(f.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); sha(got) != f.SHA256 {
			t.Errorf("%s on disk does not hash to its name", f.Name)
		}
		if meta, err := st.File(ctx, f.SHA256); err != nil || meta.Size != f.Size || meta.Public {
			t.Errorf("file meta of %s: %+v %v", f.Name, meta, err)
		}
	}

	// A cover must be an image (sniffed, whatever the name says); a PNG is
	// published at /media/{sha}.
	boss.Get("/admin/products/" + id)
	resp, _ = upload(t, boss, "/admin/products/"+id+"/cover", "cover", map[string][]byte{"cover.png": []byte("<svg onload=alert(1)>")}, false)
	if resp == nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a non-image cover: %v", resp)
	}
	cover := pngImage(t)
	resp, _ = upload(t, boss, "/admin/products/"+id+"/cover", "cover", map[string][]byte{"cover.png": cover}, false)
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("cover upload: %v", resp)
	}
	if p, _ = st.Product(ctx, id); p.Cover != sha(cover) {
		t.Fatalf("cover = %q", p.Cover)
	}
	r, body := a.srv.NewClient().Get("/media/" + p.Cover)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" || body != string(cover) {
		t.Fatalf("/media cover: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}

	// In the catalog and the search at once, as text.
	visitor := a.srv.NewClient()
	_, page = visitor.Get("/products")
	mustContain(t, page, "&lt;script&gt;alert(1)&lt;/script&gt; Field Kit", "/products/"+p.Slug)
	assertNoMarkup(t, "/products", page)
	_, page = visitor.Get("/products?q=field+kit")
	mustContain(t, page, "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Field</mark> <mark>Kit</mark>")
	assertNoMarkup(t, "the search", page)

	// A checkout gives the product its Stripe Price.
	visitor.AddToCart(p.Slug)
	visitor.Checkout()
	if p, _ = st.Product(ctx, id); p.StripePriceID == "" {
		t.Fatal("checkout did not create a Stripe price")
	}
	oldPrice := p.StripePriceID

	// The admin changes the price: a new Price, the old one deactivated.
	boss.Get("/admin/products/" + id)
	resp, page = boss.Submit("/admin/products/"+id, url.Values{"title": {p.Title}, "slug": {p.Slug}, "summary": {p.Summary},
		"price": {"15.00"}, "currency": {"usd"}, "active": {"1"}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Saved.") {
		t.Fatalf("save: %d\n%.500s", resp.StatusCode, page)
	}
	p, _ = st.Product(ctx, id)
	a.stripe.mu.Lock()
	created, deactivated := append([]string(nil), a.stripe.createdIDs...), append([]string(nil), a.stripe.deactivated...)
	a.stripe.mu.Unlock()
	if p.Price.Amount != 1500 || p.StripePriceID == oldPrice || p.StripePriceID == "" || created[len(created)-1] != p.StripePriceID {
		t.Fatalf("after the price change: %s %s (old %s, created %v)", p.Price, p.StripePriceID, oldPrice, created)
	}
	if len(deactivated) != 1 || deactivated[0] != oldPrice {
		t.Fatalf("deactivated %v, want [%s]", deactivated, oldPrice)
	}

	// The audit log has each step under the admin's email.
	log := auditActions(t, st)
	for _, action := range []string{"product.create", "product.file_add", "product.cover", "product.update"} {
		if hasAudit(log, action, id, bossEmail) == nil {
			t.Errorf("no %s by %s in the audit log", action, bossEmail)
		}
	}
	if e := hasAudit(log, "product.update", id, bossEmail); e == nil || !strings.Contains(e.Detail, "price $12.00 → $15.00") ||
		!strings.Contains(e.Detail, oldPrice+" → "+p.StripePriceID) {
		t.Errorf("the update's detail: %+v", e)
	}
	_, page = boss.Get("/admin/audit")
	mustContain(t, page, "product.update", "price $12.00 → $15.00", bossEmail)
}

// TestUploadLimits: an upload over the limit is refused with 413, with or
// without a Content-Length, and leaves no file behind; a body over 1 MiB
// on an ordinary route is refused too; the connection's next request
// still works.
func TestUploadLimits(t *testing.T) {
	t.Parallel()
	a := serveAdmin(t, map[string]string{"VENDO_UPLOAD_LIMIT": "2MiB"})
	dir := a.srv.Dir
	boss := a.boss
	var prod app.Product
	a.srv.Store.View(context.Background(), func(tx *store.Tx) error {
		ps, _, err := tx.Products(store.ProductFilter{Limit: 1})
		prod = ps[0]
		return err
	})
	filesDir := filepath.Join(dir, "files")
	listFiles := func() []string {
		var out []string
		filepath.WalkDir(filesDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		sort.Strings(out)
		return out
	}
	before := listFiles()

	for _, chunked := range []bool{false, true} {
		boss.Get("/admin/products/" + prod.ID)
		resp, body := upload(t, boss, "/admin/products/"+prod.ID+"/files", "file", map[string][]byte{"huge.bin": randomBytes(3 << 20)}, chunked)
		// The server may answer before reading the body and close the
		// connection; a client still sending sees the reset instead.
		if resp != nil && resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked=%v: %d, want 413\n%.300s", chunked, resp.StatusCode, body)
		}
		if resp == nil && !chunked {
			t.Errorf("a declared oversized upload got no answer: %s", body)
		}
		if got := listFiles(); strings.Join(got, "\n") != strings.Join(before, "\n") {
			t.Errorf("chunked=%v: files changed after a refused upload:\n%v", chunked, got)
		}
		if p, _ := a.srv.Store.Product(context.Background(), prod.ID); len(p.Files) != len(prod.Files) {
			t.Errorf("chunked=%v: the product got a file", chunked)
		}
	}

	// Within the limit it works (the same connection pool, still in step).
	boss.Get("/admin/products/" + prod.ID)
	if resp, body := upload(t, boss, "/admin/products/"+prod.ID+"/files", "file", map[string][]byte{"ok.bin": randomBytes(1 << 20)}, true); resp == nil || resp.StatusCode != 200 {
		t.Fatalf("a 1 MiB chunked upload: %v %.300s", resp, body)
	}

	// Without JavaScript: a plain multipart form with the token in its
	// action's query (the body is never parsed for it), then a redirect.
	boss.Get("/admin/products/" + prod.ID)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "plain.txt")
	fw.Write([]byte("sent by a plain form"))
	mw.Close()
	req, _ := http.NewRequest("POST", boss.URL("/admin/products/"+prod.ID+"/files?_csrf="+url.QueryEscape(boss.CSRF())), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, page := boss.Do(req); resp.StatusCode != 200 || resp.Request.URL.Path != "/admin/products/"+prod.ID || !strings.Contains(page, "Files uploaded.") {
		t.Fatalf("a plain upload form: %d at %s", resp.StatusCode, resp.Request.URL)
	}

	// An ordinary form over 1 MiB: 413, declared or chunked.
	big := url.Values{"product": {prod.ID}, "quantity": {"1"}, "pad": {strings.Repeat("x", 2<<20)}}
	boss.Get("/products/" + prod.Slug)
	big.Set("_csrf", boss.CSRF())
	for _, chunked := range []bool{false, true} {
		var r io.Reader = strings.NewReader(big.Encode())
		if chunked {
			r = io.MultiReader(r)
		}
		req, _ := http.NewRequest("POST", boss.URL("/cart/items"), r)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := boss.Do(req)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "That is too large") {
			t.Errorf("a 2 MiB form (chunked=%v): %d", chunked, resp.StatusCode)
		}
	}
	// A JSON API too.
	req, _ = http.NewRequest("POST", boss.URL("/api/licenses/validate"), strings.NewReader(`{"key":"`+strings.Repeat("A", 2<<20)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, body := boss.Do(req); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"too_large"`) {
		t.Errorf("a 2 MiB API body: %d %.200s", resp.StatusCode, body)
	}
	// And a small form right after works.
	boss.Get("/products/" + prod.Slug)
	if resp, _ := boss.Submit("/cart/items", url.Values{"product": {prod.ID}, "quantity": {"1"}}); resp.StatusCode != 200 {
		t.Errorf("a normal form after refusals: %d", resp.StatusCode)
	}
}

// TestAdminRefundShowsWhenStripeConfirms: the refund goes through a
// confirmation page to shop.Refund (Stripe's Refunds API, faked here);
// the order changes only when charge.refunded comes back through the
// ledger, and the order page then shows it.
func TestAdminRefundShowsWhenStripeConfirms(t *testing.T) {
	t.Parallel()
	a := serveAdmin(t, nil)
	a.stripe.mu.Lock()
	a.stripe.fakeRefunds = true
	a.stripe.session = &stripeapi.Session{ID: "cs_admin_1", Mode: "payment", Status: "complete", PaymentStatus: "paid", PaymentIntentID: "pi_admin_1",
		AmountSubtotal: 2000, AmountTotal: 2000, Currency: "usd", Email: "buyer@example.com"}
	a.stripe.mu.Unlock()
	ctx := context.Background()
	st, boss := a.srv.Store, a.boss

	var order app.Order
	var ent app.Entitlement
	err := st.Update(ctx, func(tx *store.Tx) error {
		ps, _, err := tx.Products(store.ProductFilter{Limit: 1})
		if err != nil {
			return err
		}
		c := app.Customer{Email: "buyer@example.com", EmailVerified: true}
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		order = app.Order{CustomerID: c.ID, Email: c.Email, CheckoutSessionID: "cs_admin_1", PaymentIntentID: "pi_admin_1",
			Lines:    []app.OrderLine{{ProductID: ps[0].ID, Title: ps[0].Title, Quantity: 1, UnitAmount: app.Money{Amount: 2000, Currency: "usd"}, Total: app.Money{Amount: 2000, Currency: "usd"}}},
			Subtotal: app.Money{Amount: 2000, Currency: "usd"}, Total: app.Money{Amount: 2000, Currency: "usd"}, Status: app.OrderPaid, PaidAt: tx.Now()}
		if err := tx.PutOrder(&order); err != nil {
			return err
		}
		ent = app.Entitlement{CustomerID: c.ID, ProductID: ps[0].ID, Source: app.SourceOrder, SourceID: order.ID}
		return tx.PutEntitlement(&ent)
	})
	if err != nil {
		t.Fatal(err)
	}
	orderURL := "/admin/orders/" + order.ID

	_, page := boss.Get("/admin/orders?email=buyer%40example.com")
	mustContain(t, page, orderURL, "$20.00")
	_, page = boss.Get(orderURL)
	mustContain(t, page, "Review the refund", "pi_admin_1")

	// Too much is refused next to the field; nothing reaches Stripe.
	resp, page := boss.Get(orderURL + "/refund?amount=25.00&reason=requested_by_customer")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "At most $20.00 is left to refund.") {
		t.Fatalf("over-refund: %d", resp.StatusCode)
	}
	// The confirmation step changes nothing…
	resp, page = boss.Get(orderURL + "/refund?amount=5.00&reason=requested_by_customer")
	if resp.StatusCode != 200 {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	mustContain(t, page, "Refund $5.00?", `name="amount_minor" value="500"`)
	a.stripe.mu.Lock()
	if len(a.stripe.refunds) != 0 {
		t.Fatal("the confirmation page refunded")
	}
	a.stripe.mu.Unlock()
	// …its button refunds.
	resp, page = boss.Submit(orderURL+"/refund", url.Values{"amount_minor": {"500"}, "reason": {"requested_by_customer"}})
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.RawQuery, "refund=re_admin_1") {
		t.Fatalf("refund: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	mustContain(t, page, "Refund requested from Stripe", "Waiting for Stripe to confirm it", `hx-trigger="every 2s"`)
	a.stripe.mu.Lock()
	if len(a.stripe.refunds) != 1 || a.stripe.refunds[0] != "pi_admin_1 500 requested_by_customer" {
		t.Fatalf("refund calls: %v", a.stripe.refunds)
	}
	a.stripe.mu.Unlock()
	if o, _ := st.Order(ctx, order.ID); o.Status != app.OrderPaid || o.AmountRefunded != 0 {
		t.Fatalf("the order changed before Stripe confirmed: %+v", o)
	}

	// charge.refunded arrives: the poll now shows the refund and stops.
	confirm := func(evt string, refunded int64, full bool, refunds ...stripeapi.RefundInfo) {
		a.stripe.mu.Lock()
		a.stripe.charge = &stripeapi.Charge{ID: "ch_admin_1", PaymentIntentID: "pi_admin_1", Amount: 2000, AmountRefunded: refunded,
			Refunded: full, Currency: "usd", Refunds: refunds}
		a.stripe.mu.Unlock()
		if _, err := a.srv.Ledger.Process(ctx, webhook.Event{ID: evt, Type: "charge.refunded", ObjectID: "ch_admin_1", Created: time.Now()}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	first := stripeapi.RefundInfo{ID: "re_admin_1", Amount: 500, Status: "succeeded", Reason: "requested_by_customer", Created: time.Now()}
	confirm("evt_admin_refund_1", 500, false, first)
	_, page = boss.Get(orderURL+"?refund=re_admin_1", "HX-Request", "true")
	mustContain(t, page, `id="order-refunds"`, "re_admin_1", "Refunded <strong>$5.00</strong>")
	if strings.Contains(page, "every 2s") || strings.Contains(page, "<html") {
		t.Error("the refunds partial still polls, or is a whole page")
	}
	_, page = boss.Get(orderURL)
	mustContain(t, page, "partially_refunded")

	// The rest: empty amount refunds what is left; the full refund revokes
	// the download.
	resp, page = boss.Get(orderURL + "/refund?amount=&reason=duplicate")
	mustContain(t, page, "Refund $15.00?")
	boss.Submit(orderURL+"/refund", url.Values{"amount_minor": {"1500"}, "reason": {"duplicate"}})
	confirm("evt_admin_refund_2", 2000, true, first, stripeapi.RefundInfo{ID: "re_admin_2", Amount: 1500, Status: "succeeded", Reason: "duplicate", Created: time.Now()})
	_, page = boss.Get(orderURL)
	mustContain(t, page, `status-refunded">Refunded`, "re_admin_2", "Refunded <strong>$20.00</strong>", "revoked")
	if e, _ := st.EntitlementsOf(ctx, order.CustomerID, true); len(e) != 0 {
		t.Errorf("the refunded order's entitlement is still active")
	}
	log := auditActions(t, st)
	if hasAudit(log, "order.refund", order.ID, bossEmail) == nil {
		t.Error("no order.refund by the admin in the audit log")
	}
}

// TestBackupWhileWritingRestores: a backup downloaded from the admin while
// orders and events are being written restores into a store that opens
// and holds every order committed before the backup started, and into a
// shop that serves.
func TestBackupWhileWritingRestores(t *testing.T) {
	t.Parallel()
	a := serveAdmin(t, nil)
	ctx := context.Background()
	st := a.srv.Store

	write := func(i int64) (string, error) {
		var id string
		err := st.Update(ctx, func(tx *store.Tx) error {
			o := app.Order{Email: "load@example.com", CheckoutSessionID: fmt.Sprintf("cs_load_%d", i), Status: app.OrderPaid,
				Total: app.Money{Amount: 100 + i, Currency: "usd"}}
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
			id = o.ID
			return tx.PutEvent(&store.EventRecord{ID: fmt.Sprintf("evt_load_%d", i), Type: "checkout.session.completed", Outcome: store.EventApplied})
		})
		return id, err
	}
	var mu sync.Mutex
	var committed []string
	for i := int64(0); i < 50; i++ {
		id, err := write(i)
		if err != nil {
			t.Fatal(err)
		}
		committed = append(committed, id)
	}
	stop := make(chan struct{})
	var n atomic.Int64
	n.Store(50)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id, err := write(n.Add(1))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed = append(committed, id)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	before := append([]string(nil), committed...)
	mu.Unlock()

	_, page := a.boss.Get("/admin/backups")
	mustContain(t, page, "Download a backup", "Restoring")
	resp, archive := a.boss.Get("/admin/backup")
	close(stop)
	wg.Wait()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/gzip" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || len(archive) < 1000 {
		t.Fatalf("backup: %d %q %q (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), len(archive))
	}
	if len(committed) <= len(before) {
		t.Fatal("no writes happened during the backup")
	}

	restored := t.TempDir()
	if err := backup.Restore(strings.NewReader(archive), restored); err != nil {
		t.Fatal(err)
	}
	rst, err := store.Open(filepath.Join(restored, "vendo.db"), store.Options{})
	if err != nil {
		t.Fatalf("the restored database does not open: %v", err)
	}
	err = rst.View(ctx, func(tx *store.Tx) error {
		for _, id := range before {
			o, err := tx.Order(id)
			if err != nil {
				return fmt.Errorf("order %s committed before the backup is missing: %w", id, err)
			}
			if got, err := tx.OrderByCheckoutSession(o.CheckoutSessionID); err != nil || got.ID != id {
				return fmt.Errorf("the session index of %s is broken: %v", id, err)
			}
		}
		all, _, err := tx.Orders(store.OrderFilter{Limit: 100000})
		if len(all) < len(before) || len(all) > len(committed) {
			return fmt.Errorf("restored %d orders; %d were committed before and %d after", len(all), len(before), len(committed))
		}
		return err
	})
	rst.Close()
	if err != nil {
		t.Fatal(err)
	}
	if hasAudit(auditActions(t, st), "backup.download", "", bossEmail) == nil {
		t.Error("the backup is not in the audit log")
	}

	// The restored directory runs a shop with its files.
	srv2 := vendotest.Start(t, vendotest.Options{DataDir: restored})
	visitor := srv2.NewClient()
	r, page := visitor.Get("/products/the-calm-inbox")
	if r.StatusCode != 200 || !strings.Contains(page, "the-calm-inbox.pdf") {
		t.Fatalf("the restored shop: %d", r.StatusCode)
	}
	p, _ := srv2.Store.ProductBySlug(ctx, "the-calm-inbox")
	if _, err := srv2.Files.(*blobs.Dir).Path(p.Files[0].SHA256); err != nil {
		t.Errorf("the restored shop lacks its product file: %v", err)
	}
}

// TestNonAdminsCannotReachAnyAdminRoute walks the route table: every
// route under /admin, GET and POST alike, sends a signed-out visitor to
// sign in and answers a signed-in customer who is not an admin with 403.
func TestNonAdminsCannotReachAnyAdminRoute(t *testing.T) {
	t.Parallel()
	a := serveAdmin(t, nil)
	base := a.srv.URL
	type route struct{ method, path string }
	seen := map[route]bool{}
	var routes []route
	param := regexp.MustCompile(`:[a-z]+`)
	for _, r := range a.srv.Web.App().GetRoutes(true) {
		if (r.Method != "GET" && r.Method != "POST") || (r.Path != "/admin" && !strings.HasPrefix(r.Path, "/admin/")) {
			continue
		}
		rt := route{r.Method, param.ReplaceAllString(r.Path, "x1")}
		if !seen[rt] {
			seen[rt] = true
			routes = append(routes, rt)
		}
	}
	if len(routes) < 30 {
		t.Fatalf("only %d admin routes found: %v", len(routes), routes)
	}

	try := func(s *vendotest.Client, rt route) (int, string) {
		var req *http.Request
		if rt.method == "POST" {
			req, _ = http.NewRequest("POST", base+rt.path, strings.NewReader(url.Values{"_csrf": {s.CSRF()}, "amount_minor": {"100"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, _ = http.NewRequest("GET", base+rt.path, nil)
		}
		resp, err := s.NoFollow().HTTP.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", rt.method, rt.path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}

	anon := a.srv.NewClient()
	anon.Get("/login") // a form page: the visitor gets a CSRF token
	customer := a.srv.NewClient()
	customer.SignIn("joe@example.com")
	customer.Get("/account")
	for _, rt := range routes {
		if code, loc := try(anon, rt); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
			t.Errorf("signed out: %s %s → %d %q, want 303 to /login", rt.method, rt.path, code, loc)
		}
		if code, _ := try(customer, rt); code != http.StatusForbidden {
			t.Errorf("customer: %s %s → %d, want 403", rt.method, rt.path, code)
		}
	}
	// Nothing was done on their behalf.
	for _, e := range auditActions(t, a.srv.Store) {
		if e.Actor != bossEmail && strings.Contains(e.Action, ".") && e.Action != "admin.link_used" {
			t.Errorf("an action by %s: %+v", e.Actor, e)
		}
	}
}

// TestAdminPagesRender opens every admin page (with real ids) as the
// admin, plain and as htmx where a partial exists.
func TestAdminPagesRender(t *testing.T) {
	t.Parallel()
	a := serveAdmin(t, nil)
	ctx := context.Background()
	st, boss := a.srv.Store, a.boss
	var prod app.Product
	var plan app.Plan
	var cust app.Customer
	var order app.Order
	var mail app.Mail
	err := st.Update(ctx, func(tx *store.Tx) error {
		ps, _, err := tx.Products(store.ProductFilter{Limit: 1})
		if err != nil {
			return err
		}
		prod = ps[0]
		plans, err := tx.Plans()
		if err != nil {
			return err
		}
		plan = plans[0]
		cust, err = tx.CustomerByEmail(bossEmail)
		if err != nil {
			return err
		}
		order = app.Order{CustomerID: cust.ID, Email: cust.Email, CheckoutSessionID: "cs_pages", Status: app.OrderPaid,
			Lines: []app.OrderLine{{ProductID: prod.ID, Title: prod.Title, Quantity: 1, UnitAmount: prod.Price, Total: prod.Price}},
			Total: prod.Price, PaidAt: tx.Now()}
		if err := tx.PutOrder(&order); err != nil {
			return err
		}
		if err := tx.PutEvent(&store.EventRecord{ID: "evt_pages", Type: "charge.refunded", Outcome: store.EventFailed, Error: "boom <b>",
			Payload: []byte(`{"id":"evt_pages","data":{"object":{"id":"ch_1","note":"<script>x</script>"}}}`)}); err != nil {
			return err
		}
		ms, _, err := tx.Outbox(store.MailFilter{Limit: 1})
		if len(ms) > 0 {
			mail = ms[0]
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		path  string
		wants []string
	}{
		{"/admin", []string{"Net sales per day", "<svg", "Monthly recurring revenue", "$" + prod.Price.Decimal(), "charge.refunded"}},
		{"/admin/products?q=" + url.QueryEscape(prod.Title[:4]), []string{prod.Title}},
		{"/admin/products?status=archived", []string{"No product matches."}},
		{"/admin/products/new", []string{"Create product"}},
		{"/admin/products/" + prod.ID, []string{prod.Title, "Add files", "Archive"}},
		{"/admin/plans", []string{plan.Name, "Credits per period", "Monthly price"}},
		{"/admin/orders", []string{"#" + fmt.Sprint(order.Number)}},
		{"/admin/orders?status=refunded", []string{"No order matches."}},
		{"/admin/orders/" + order.ID, []string{"Review the refund", prod.Title}},
		{"/admin/customers?q=boss", []string{bossEmail}},
		{"/admin/customers/" + cust.ID, []string{"Grant a product", "#" + fmt.Sprint(order.Number)}},
		{"/admin/subscriptions", []string{"Subscriptions"}},
		{"/admin/licenses", []string{"License keys"}},
		{"/admin/events?outcome=failed", []string{"evt_pages", "boom &lt;b&gt;"}},
		{"/admin/events/evt_pages", []string{"Replay", "&#34;note&#34;: &#34;&lt;script&gt;x&lt;/script&gt;&#34;"}},
		{"/admin/downloads", []string{"Downloads"}},
		{"/admin/outbox", []string{"Outbox"}},
		{"/admin/audit", []string{"admin.link_used"}},
		{"/admin/settings", []string{"Shop name", "Download links last"}},
		{"/admin/backups", []string{"Download a backup"}},
	}
	if mail.ID != "" {
		pages = append(pages, struct {
			path  string
			wants []string
		}{"/admin/outbox/" + mail.ID, []string{"Resend"}})
	}
	for _, p := range pages {
		resp, page := boss.Get(p.path)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d\n%.800s", p.path, resp.StatusCode, page)
			continue
		}
		mustContainAll(t, p.path, page, p.wants...)
		if i := strings.Index(page, "executing"); i >= 0 {
			t.Errorf("%s: a template failed: %.300s", p.path, page[i:])
		}
		if strings.Contains(page, "<no value>") || strings.Contains(page, "<script>x") || strings.Contains(page, " style=") {
			t.Errorf("%s renders a missing value, markup from data or an inline style", p.path)
		}
	}
	// Filters swap only their table for htmx.
	for _, p := range []string{"/admin/products?q=a", "/admin/orders?status=paid", "/admin/customers?q=a", "/admin/events", "/admin/outbox", "/admin/audit", "/admin/downloads", "/admin/licenses", "/admin/subscriptions"} {
		_, page := boss.Get(p, "HX-Request", "true")
		if strings.Contains(page, "<html") || !strings.Contains(page, `-table"`) {
			t.Errorf("%s as htmx: not the table partial:\n%.300s", p, page)
		}
	}
}

func mustContainAll(t *testing.T, where, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", where, w)
		}
	}
}

// TestLargeUploadStreams sends a 128 MiB file through the upload route
// and checks the server's heap stays flat: the body goes from the socket
// to disk part by part, never into memory. Twice the heap bound is enough
// to show that (a handler that reads the file into memory grows the heap
// by the whole file); 256 MiB cost twice the CPU under -race.
func TestLargeUploadStreams(t *testing.T) {
	// Not parallel: the heap it watches is the whole test process's, and
	// the parallel tests only start once the sequential ones are done.
	if testing.Short() {
		t.Skip("large file")
	}
	a := serveAdmin(t, map[string]string{"VENDO_UPLOAD_LIMIT": "512MiB"})
	ctx := context.Background()
	var prod app.Product
	a.srv.Store.View(ctx, func(tx *store.Tx) error {
		ps, _, err := tx.Products(store.ProductFilter{Limit: 1})
		prod = ps[0]
		return err
	})
	a.boss.Get("/admin/products/" + prod.ID)
	const size = 128 << 20
	var peak atomic.Uint64
	before := heapInUse()
	resp, page := a.boss.UploadZeros("/admin/products/"+prod.ID+"/files", "big.bin", size, func() {
		if h := heapInUse(); h > peak.Load() {
			peak.Store(h)
		}
	})
	if resp.StatusCode != 200 || !strings.Contains(page, "big.bin") {
		t.Fatalf("upload: %d %.300s", resp.StatusCode, page)
	}
	p, _ := a.srv.Store.Product(ctx, prod.ID)
	last := p.Files[len(p.Files)-1]
	// The zeros' hash is taken from a stream, as the shop takes it: a slice
	// of the whole size to hash cost this test a fifth of its CPU.
	zeros := sha256.New()
	io.Copy(zeros, io.LimitReader(vendotest.Zeros{}, size))
	if last.Name != "big.bin" || last.Size != size || last.SHA256 != hex.EncodeToString(zeros.Sum(nil)) {
		t.Fatalf("stored %+v", last)
	}
	if growth := int64(peak.Load()) - int64(before); growth > 64<<20 {
		t.Fatalf("heap grew by %d MiB while receiving %d MiB", growth>>20, size>>20)
	}
}
