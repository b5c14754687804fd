package shop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/blobs"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

var (
	_ shop.Payments = (*fakeStripe)(nil)
	_ shop.Mailer   = (*fakeMail)(nil)
)

// fakeStripe is a Payments stand-in holding sessions and charges as the
// API would answer them now.
type fakeStripe struct {
	mu            sync.Mutex
	sessions      map[string]stripeapi.Session
	charges       map[string]stripeapi.Charge
	disputes      map[string]stripeapi.DisputeInfo
	piStatus      map[string]string // a PaymentIntent's status when not the session's
	subs          map[string]stripeapi.Subscription
	invoices      map[string]stripeapi.Invoice
	refunds       []string
	created       []stripeapi.CheckoutRequest
	n             int
	subFetches    int
	payFetches    int // GetPayment calls
	invoiceReads  int // GetInvoice calls
	portalConfigs int
	// invoiceLists are the customers' invoices ListInvoices answers (with
	// listErr when set); listCalls counts its calls.
	invoiceLists map[string][]stripeapi.Invoice
	listErr      error
	listCalls    int
}

func newFakeStripe() *fakeStripe {
	return &fakeStripe{sessions: map[string]stripeapi.Session{}, charges: map[string]stripeapi.Charge{},
		disputes: map[string]stripeapi.DisputeInfo{}, piStatus: map[string]string{},
		subs: map[string]stripeapi.Subscription{}, invoices: map[string]stripeapi.Invoice{}}
}

func (f *fakeStripe) CreateCustomer(ctx context.Context, vendoID, email, name string) (string, error) {
	return "cus_" + vendoID, nil
}
func (f *fakeStripe) GetCustomer(ctx context.Context, id string) (stripeapi.Customer, error) {
	return stripeapi.Customer{ID: id, Email: id + "@example.com"}, nil
}
func (f *fakeStripe) GetSubscription(ctx context.Context, id string) (stripeapi.Subscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subFetches++
	s, ok := f.subs[id]
	if !ok {
		return s, app.Errorf(app.ENOTFOUND, "no such subscription")
	}
	s.FetchedAt = time.Now()
	return s, nil
}
func (f *fakeStripe) GetInvoice(ctx context.Context, id string) (stripeapi.Invoice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoiceReads++
	in, ok := f.invoices[id]
	if !ok {
		return in, app.Errorf(app.ENOTFOUND, "no such invoice")
	}
	return in, nil
}
func (f *fakeStripe) ListInvoices(ctx context.Context, customerID string, limit int) ([]stripeapi.Invoice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listCalls++
	return f.invoiceLists[customerID], f.listErr
}
func (f *fakeStripe) EnsurePortalConfiguration(ctx context.Context, id string, products []stripeapi.PortalProduct, returnURL string) (string, error) {
	f.portalConfigs++
	return "bpc_1", nil
}
func (f *fakeStripe) CreatePortalSession(ctx context.Context, customerID, configurationID, returnURL string) (string, error) {
	return "https://portal.example/" + customerID, nil
}

func (f *fakeStripe) EnsureProduct(ctx context.Context, id, vendoID, name string) (string, error) {
	if id != "" {
		return id, nil
	}
	return "prod_" + vendoID, nil
}
func (f *fakeStripe) CreateCoupon(ctx context.Context, spec stripeapi.CouponSpec, vendoID, key string) (string, error) {
	return "co_" + key, nil
}

func (f *fakeStripe) CreatePromotionCode(ctx context.Context, couponID string, spec stripeapi.PromotionSpec, vendoID, key string) (string, error) {
	return "promo_" + key, nil
}

func (f *fakeStripe) SetPromotionCodeActive(ctx context.Context, id string, active bool) error {
	return nil
}

func (f *fakeStripe) CreatePrice(ctx context.Context, productID string, spec stripeapi.PriceSpec, vendoID, key string) (string, error) {
	return "price_" + key, nil
}
func (f *fakeStripe) DeactivatePrice(ctx context.Context, priceID string) error { return nil }
func (f *fakeStripe) CreateCheckoutSession(ctx context.Context, r stripeapi.CheckoutRequest) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.created = append(f.created, r)
	id := fmt.Sprintf("cs_test_%d", f.n)
	return id, "https://checkout.example/" + id, nil
}
func (f *fakeStripe) ExpireCheckoutSession(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[id]
	if !ok {
		return app.Errorf(app.ENOTFOUND, "no such session")
	}
	s.Status = "expired"
	f.sessions[id] = s
	return nil
}

func (f *fakeStripe) GetCheckoutSession(ctx context.Context, id string) (stripeapi.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[id]
	if !ok {
		return s, app.Errorf(app.ENOTFOUND, "no such session")
	}
	s.FetchedAt = time.Now()
	return s, nil
}
func (f *fakeStripe) GetCharge(ctx context.Context, id string) (stripeapi.Charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.charges[id]
	c.FetchedAt = time.Now()
	return c, nil
}
func (f *fakeStripe) GetPayment(ctx context.Context, pi string) (stripeapi.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.payFetches++
	p := stripeapi.Payment{IntentID: pi, Status: "processing", FetchedAt: time.Now()}
	for _, s := range f.sessions {
		if s.PaymentIntentID == pi {
			p.Amount, p.Currency = s.AmountTotal, s.Currency
			if s.PaymentStatus == "paid" {
				p.Status = "succeeded"
			}
		}
	}
	if st := f.piStatus[pi]; st != "" {
		p.Status = st
	}
	for _, c := range f.charges {
		if c.PaymentIntentID == pi {
			p.ChargeID, p.AmountRefunded, p.Refunds = c.ID, c.AmountRefunded, c.Refunds
		}
	}
	for _, d := range f.disputes {
		if d.PaymentIntentID == pi {
			d := d
			p.Dispute = &d
		}
	}
	return p, nil
}
func (f *fakeStripe) GetRefund(ctx context.Context, id string) (stripeapi.RefundInfo, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.charges {
		for _, r := range c.Refunds {
			if r.ID == id {
				return r, c.PaymentIntentID, nil
			}
		}
	}
	return stripeapi.RefundInfo{}, "", app.Errorf(app.ENOTFOUND, "no such refund")
}
func (f *fakeStripe) GetDispute(ctx context.Context, id string) (stripeapi.DisputeInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.disputes[id]
	if !ok {
		return d, app.Errorf(app.ENOTFOUND, "no such dispute")
	}
	return d, nil
}
func (f *fakeStripe) SessionOfPayment(ctx context.Context, pi string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.sessions {
		if s.PaymentIntentID == pi {
			return id, nil
		}
	}
	return "", nil
}
func (f *fakeStripe) CreateRefund(ctx context.Context, pi string, amount int64, reason, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds = append(f.refunds, key)
	return "re_" + key, nil
}

// fakeMail records queued mail by writing nothing outside the
// transaction: it counts only committed messages through OnCommit.
type fakeMail struct {
	mu   sync.Mutex
	sent []string
	data []map[string]any // each sent mail's data, in the order of sent
}

func (m *fakeMail) Queue(tx *store.Tx, name, to string, data map[string]any) error {
	tx.OnCommit(func() {
		m.mu.Lock()
		m.sent = append(m.sent, name+":"+to)
		m.data = append(m.data, data)
		m.mu.Unlock()
	})
	return nil
}

// of returns the data of the mails sent with template name, in order.
func (m *fakeMail) of(name string) []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []map[string]any
	for i, s := range m.sent {
		if strings.HasPrefix(s, name+":") {
			out = append(out, m.data[i])
		}
	}
	return out
}
func (m *fakeMail) Notify() {}

type fixture struct {
	shop    *shop.Shop
	store   *store.Store
	stripe  *fakeStripe
	mail    *fakeMail
	product app.Product
	now     time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir+"/vendo.db", store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := blobs.Open(dir + "/files")
	if err != nil {
		t.Fatal(err)
	}
	sha, size, err := files.PutBytes(context.Background(), []byte("the ebook's bytes"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, stripe: newFakeStripe(), mail: &fakeMail{}, now: time.Now()}
	f.shop = &shop.Shop{Store: st, Stripe: f.stripe, Mail: f.mail, Signer: shop.NewSigner([]byte("0123456789abcdef0123456789abcdef")),
		Files: files, BaseURL: "http://shop.test", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return f.now }}
	f.product = app.Product{Slug: "ebook", Title: "Ebook", Price: app.Money{Amount: 1200, Currency: "usd"}, Active: true, StripeProductID: "prod_ebook", StripePriceID: "price_ebook",
		Files: []app.FileRef{{SHA256: sha, Name: "ebook.pdf", Size: size, ContentType: "application/pdf"}}}
	if err := st.PutProduct(context.Background(), &f.product); err != nil {
		t.Fatal(err)
	}
	return f
}

// paidSession registers a completed, paid session for the product.
func (f *fixture) paidSession(id, email string, qty int64) {
	f.stripe.sessions[id] = stripeapi.Session{ID: id, Mode: "payment", Status: "complete", PaymentStatus: "paid", Email: email, Name: "Ada",
		CustomerID: "cus_" + email, PaymentIntentID: "pi_" + id, ClientReferenceID: "cart_a_x", AmountSubtotal: 1200 * qty, AmountTotal: 1200 * qty, Currency: "usd",
		Lines: []stripeapi.SessionLine{{PriceID: "price_ebook", StripeProductID: "prod_ebook", Quantity: qty, UnitAmount: 1200, AmountTotal: 1200 * qty, Currency: "usd", Description: "Ebook"}}}
}

// deliver runs a handler as the ledger does, without its record (so one
// event may be delivered again after the fake API changed), in a lock
// scope that ends after the apply committed: an object the handler
// ignores on purpose is no failure, and what its Apply wrote before
// ignoring it is rolled back.
func (f *fixture) deliver(t *testing.T, h webhook.Handler, typ, objectID string) error {
	t.Helper()
	var ignored *webhook.IgnoredError
	ctx, release := webhook.Scope(context.Background())
	defer release()
	apply, err := h(ctx, webhook.Event{ID: "evt_" + objectID, Type: typ, ObjectID: objectID})
	if err != nil || apply == nil {
		if errors.As(err, &ignored) {
			return nil
		}
		return err
	}
	err = f.store.Update(ctx, func(tx *store.Tx) error { return apply(tx) })
	if errors.As(err, &ignored) {
		return nil
	}
	return err
}

func (f *fixture) counts(t *testing.T) (orders, entitlements int) {
	t.Helper()
	f.store.View(context.Background(), func(tx *store.Tx) error {
		os, _, err := tx.Orders(store.OrderFilter{Limit: 1000})
		orders = len(os)
		for _, o := range os {
			es, _ := tx.EntitlementsOf(o.CustomerID, false)
			entitlements += len(es)
		}
		return err
	})
	return
}

func TestFulfilmentHappensOnceWhicheverComesFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.paidSession("cs_1", "ada@example.com", 1)
	// Cart to be emptied by fulfilment.
	if _, err := f.shop.AddToCart(ctx, "cart_a_x", f.product.ID); err != nil {
		t.Fatal(err)
	}

	o1, err := f.shop.FulfilCheckout(ctx, "cs_1") // success page
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // webhook, twice
		if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_1"); err != nil {
			t.Fatal(err)
		}
	}
	o2, err := f.shop.FulfilCheckout(ctx, "cs_1") // success page again
	if err != nil {
		t.Fatal(err)
	}
	if o1.ID != o2.ID || o1.Number != 1001 {
		t.Fatalf("orders %s/%d and %s", o1.ID, o1.Number, o2.ID)
	}
	orders, ents := f.counts(t)
	if orders != 1 || ents != 1 {
		t.Fatalf("%d orders, %d entitlements; want 1 and 1", orders, ents)
	}
	if o1.Status != app.OrderPaid || o1.Total.Amount != 1200 || o1.Lines[0].ProductID != f.product.ID || o1.Email != "ada@example.com" {
		t.Fatalf("order: %+v", o1)
	}
	if len(f.mail.sent) != 1 || f.mail.sent[0] != "receipt:ada@example.com" {
		t.Fatalf("mail: %v", f.mail.sent)
	}
	v, _ := f.shop.Cart(ctx, "cart_a_x")
	if !v.Empty() {
		t.Fatal("cart not emptied after purchase")
	}
}

func TestConcurrentFulfilmentGrantsOnce(t *testing.T) {
	f := newFixture(t)
	f.paidSession("cs_c", "bo@example.com", 1)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); f.shop.FulfilCheckout(context.Background(), "cs_c") }()
		go func() {
			defer wg.Done()
			f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_c")
		}()
	}
	wg.Wait()
	if orders, ents := f.counts(t); orders != 1 || ents != 1 {
		t.Fatalf("%d orders, %d entitlements after concurrent fulfilment", orders, ents)
	}
}

func TestUnpaidSessionMakesNoGrant(t *testing.T) {
	f := newFixture(t)
	f.paidSession("cs_u", "cy@example.com", 1)
	s := f.stripe.sessions["cs_u"]
	s.Status, s.PaymentStatus = "open", "unpaid"
	f.stripe.sessions["cs_u"] = s
	if _, err := f.shop.FulfilCheckout(context.Background(), "cs_u"); err != shop.ErrNotPaid {
		t.Fatalf("err = %v, want ErrNotPaid", err)
	}
	if orders, ents := f.counts(t); orders != 0 || ents != 0 {
		t.Fatalf("%d orders, %d entitlements for an unpaid session", orders, ents)
	}
	// Async payment: complete but unpaid → pending order, no grant; then paid.
	s.Status = "complete"
	f.stripe.sessions["cs_u"] = s
	o, err := f.shop.FulfilCheckout(context.Background(), "cs_u")
	if err != shop.ErrNotPaid || o.Status != app.OrderPending {
		t.Fatalf("async pending: %v %q", err, o.Status)
	}
	if _, ents := f.counts(t); ents != 0 {
		t.Fatal("pending order granted entitlements")
	}
	s.PaymentStatus = "paid"
	f.stripe.sessions["cs_u"] = s
	if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.async_payment_succeeded", "cs_u"); err != nil {
		t.Fatal(err)
	}
	if orders, ents := f.counts(t); orders != 1 || ents != 1 {
		t.Fatalf("after async success: %d orders, %d entitlements", orders, ents)
	}
}

func TestRefundRevokesAndDownloadChecks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.paidSession("cs_r", "di@example.com", 1)
	order, err := f.shop.FulfilCheckout(ctx, "cs_r")
	if err != nil {
		t.Fatal(err)
	}
	lib, err := f.shop.Library(ctx, order.CustomerID)
	if err != nil || len(lib) != 1 || len(lib[0].Links) != 1 {
		t.Fatalf("library: %+v %v", lib, err)
	}
	url := lib[0].Links[0].URL
	token := url[len("http://shop.test/downloads/"):]

	d, err := f.shop.OpenDownload(ctx, token, "")
	if err != nil || d.Name != "ebook.pdf" || d.Size != int64(len("the ebook's bytes")) {
		t.Fatalf("open: %+v %v", d, err)
	}
	// Someone else signed in may not use it.
	if _, err := f.shop.OpenDownload(ctx, token, "cus_someone_else"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("other customer: %v", err)
	}
	// Forged: one character changed.
	// The signature's first character carries six whole bits (its last
	// carries two and padding, so some changes there decode the same).
	i := strings.IndexByte(token, '.') + 1
	swap := "A"
	if token[i] == 'A' {
		swap = "B"
	}
	forged := token[:i] + swap + token[i+1:]
	if _, err := f.shop.OpenDownload(ctx, forged, ""); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("forged: %v", err)
	}
	// Expired.
	f.now = f.now.Add(25 * time.Hour)
	if _, err := f.shop.OpenDownload(ctx, token, ""); app.ErrorCode(err) != app.EGONE {
		t.Fatalf("expired: %v", err)
	}
	f.now = time.Now()

	// Partial refund keeps access; full refund revokes it.
	f.stripe.charges["ch_r"] = stripeapi.Charge{ID: "ch_r", PaymentIntentID: "pi_cs_r", Amount: 1200, AmountRefunded: 200,
		Refunds: []stripeapi.RefundInfo{{ID: "re_1", Amount: 200, Status: "succeeded"}}}
	if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_r"); err != nil {
		t.Fatal(err)
	}
	o, _ := f.store.Order(ctx, order.ID)
	if o.Status != app.OrderPartiallyRefunded || o.AmountRefunded != 200 {
		t.Fatalf("after partial refund: %q %d", o.Status, o.AmountRefunded)
	}
	if _, err := f.shop.OpenDownload(ctx, token, ""); err != nil {
		t.Fatalf("partial refund revoked access: %v", err)
	}
	f.stripe.charges["ch_r"] = stripeapi.Charge{ID: "ch_r", PaymentIntentID: "pi_cs_r", Amount: 1200, AmountRefunded: 1200, Refunded: true,
		Refunds: []stripeapi.RefundInfo{{ID: "re_1", Amount: 200}, {ID: "re_2", Amount: 1000}}}
	for i := 0; i < 2; i++ {
		if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_r"); err != nil {
			t.Fatal(err)
		}
	}
	o, _ = f.store.Order(ctx, order.ID)
	if o.Status != app.OrderRefunded || len(o.Refunds) != 2 {
		t.Fatalf("after full refund: %q %d refunds", o.Status, len(o.Refunds))
	}
	if _, err := f.shop.OpenDownload(ctx, token, ""); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("refunded link: %v, want forbidden", err)
	}
	if lib, _ := f.shop.Library(ctx, order.CustomerID); len(lib) != 0 {
		t.Fatalf("library after refund: %d items", len(lib))
	}
}

func TestDownloadLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.store.UpdateSettings(ctx, func(s *app.Settings) error { s.DownloadLimit = 2; return nil })
	f.paidSession("cs_l", "ed@example.com", 1)
	order, _ := f.shop.FulfilCheckout(ctx, "cs_l")
	lib, _ := f.shop.Library(ctx, order.CustomerID)
	token := lib[0].Links[0].URL[len("http://shop.test/downloads/"):]
	d, err := f.shop.OpenDownload(ctx, token, "")
	if err != nil {
		t.Fatal(err)
	}
	// The first transfer is cut off after 5 bytes and resumed: together
	// they cost one file's bytes.
	if err := f.shop.SpendDownload(ctx, d, d.Size); err != nil {
		t.Fatalf("download 1: %v", err)
	}
	f.shop.LogDownload(ctx, d, 5, d.Size, "", "192.0.2.1")
	if err := f.shop.SpendDownload(ctx, d, d.Size-5); err != nil {
		t.Fatalf("resume: %v", err)
	}
	f.shop.LogDownload(ctx, d, d.Size-5, d.Size-5, "bytes=5-", "192.0.2.1")
	if err := f.shop.SpendDownload(ctx, d, d.Size); err != nil {
		t.Fatalf("download 2: %v", err)
	}
	if err := f.shop.SpendDownload(ctx, d, 1); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("a byte more: %v, want forbidden", err)
	}
	es, _ := f.store.EntitlementsOf(ctx, order.CustomerID, false)
	if e := es[0]; e.Downloads != 2 || e.Served[d.FileSHA256] != 2*d.Size {
		t.Fatalf("entitlement after two downloads: %+v", es[0])
	}
}

func TestCartRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A product is in the cart once, however often it is added.
	v, err := f.shop.AddToCart(ctx, "cart_a_q", f.product.ID)
	if err != nil || v.Total.Amount != 1200 || v.Count != 1 {
		t.Fatalf("add: %+v %v", v, err)
	}
	v, _ = f.shop.AddToCart(ctx, "cart_a_q", f.product.ID)
	if len(v.Lines) != 1 || v.Lines[0].Quantity != 1 || v.Total.Amount != 1200 || v.Count != 1 {
		t.Fatalf("added twice: %+v", v)
	}
	if _, err := f.shop.AddToCart(ctx, "cart_a_q", "prod_nope"); !app.IsNotFound(err) {
		t.Fatalf("unknown product: %v", err)
	}
	// A cart stored with a quantity from before counts it once.
	f.store.Update(ctx, func(tx *store.Tx) error {
		return tx.PutCart(&app.Cart{ID: "cart_a_old", Items: []app.CartItem{{ProductID: f.product.ID, Quantity: 3}}})
	})
	if v, _ := f.shop.Cart(ctx, "cart_a_old"); v.Total.Amount != 1200 || v.Count != 1 {
		t.Fatalf("an old cart with quantity 3: %+v", v)
	}
	// Merge at sign-in: a product in both carts stays once.
	f.shop.AddToCart(ctx, app.CustomerCartID("cust_1"), f.product.ID)
	if err := f.shop.MergeCarts(ctx, "cart_a_q", "cust_1"); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.shop.Cart(ctx, app.CustomerCartID("cust_1")); v.Count != 1 {
		t.Fatalf("merged cart count %d", v.Count)
	}
	if v, _ := f.shop.Cart(ctx, "cart_a_q"); !v.Empty() {
		t.Fatal("anonymous cart left after merge")
	}
	// Checkout uses the product's Stripe price and a stable idempotency key.
	url1, err := f.shop.Checkout(ctx, app.CustomerCartID("cust_1"), shop.Buyer{CustomerID: "cust_1", Email: "x@example.com"})
	if err != nil || url1 == "" {
		t.Fatalf("checkout: %v", err)
	}
	f.shop.Checkout(ctx, app.CustomerCartID("cust_1"), shop.Buyer{CustomerID: "cust_1", Email: "x@example.com"})
	c := f.stripe.created
	if len(c) != 2 || c[0].IdempotencyKey != c[1].IdempotencyKey || c[0].Lines[0].PriceID != "price_ebook" || c[0].Mode != "payment" {
		t.Fatalf("checkout requests: %+v", c)
	}
	if _, err := f.shop.Checkout(ctx, "cart_a_empty", shop.Buyer{}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("empty cart checkout: %v", err)
	}
}

func TestLicensedProductComesWithAKeyThatARefundRevokes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.product.Licensed = true
	if err := f.store.PutProduct(ctx, &f.product); err != nil {
		t.Fatal(err)
	}
	f.paidSession("cs_lic", "lic@example.com", 1)
	order, err := f.shop.FulfilCheckout(ctx, "cs_lic")
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_lic") // a duplicate issues nothing
	var lics []app.License
	f.store.View(ctx, func(tx *store.Tx) (err error) { lics, err = tx.LicensesOf(order.CustomerID); return })
	if len(lics) != 1 || lics[0].ProductID != f.product.ID || lics[0].OrderID != order.ID {
		t.Fatalf("licenses: %+v", lics)
	}
	key := lics[0].Key
	if st, _ := f.shop.ValidateLicense(ctx, key, "ebook"); !st.Valid || st.Product != "ebook" {
		t.Fatalf("valid for its product: %+v", st)
	}
	if st, _ := f.shop.ValidateLicense(ctx, key, "another-product"); st.Valid {
		t.Fatal("a product key validated for another product")
	}
	f.stripe.charges["ch_lic"] = stripeapi.Charge{ID: "ch_lic", PaymentIntentID: "pi_cs_lic", Amount: 1200, AmountRefunded: 1200, Refunded: true}
	if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_lic"); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.shop.ValidateLicense(ctx, key, ""); st.Valid || st.Status != app.LicenseRevoked {
		t.Fatalf("after refund: %+v", st)
	}
}

// TestAnotherShopsObjectsChangeNothing: a second shop on the same Stripe
// account (a Vendo in Stripe mode using this one's sandbox) makes
// sessions and subscriptions this shop hears about. Neither its cart nor
// its products nor its prices are here: the events change nothing and
// fail nothing (DESIGN.md §5 rule 9), where before they were retried
// forever with "That customer does not exist".
func TestAnotherShopsObjectsChangeNothing(t *testing.T) {
	f := newSubFixture(t)
	f.stripe.sessions["cs_other"] = stripeapi.Session{ID: "cs_other", Mode: "payment", Status: "complete", PaymentStatus: "paid",
		Email: "their-buyer@example.com", CustomerID: "cus_theirs", PaymentIntentID: "pi_other", ClientReferenceID: "cart_a_theirs",
		Metadata: map[string]string{"vendo_cart_id": "cart_a_theirs", "vendo_customer_id": "cust_theirs"}, AmountTotal: 900, Currency: "usd",
		Lines: []stripeapi.SessionLine{{PriceID: "price_theirs", StripeProductID: "prod_theirs", Quantity: 1, UnitAmount: 900, AmountTotal: 900, Currency: "usd"}}}
	f.stripe.subs["sub_other"] = stripeapi.Subscription{ID: "sub_other", CustomerID: "cus_theirs", Status: "active", PriceID: "price_their_plan",
		CurrentPeriodStart: time.Now(), CurrentPeriodEnd: time.Now().AddDate(0, 1, 0), LatestInvoiceID: "in_other",
		Metadata: map[string]string{"vendo_customer_id": "cust_theirs"}}
	f.stripe.invoices["in_other"] = stripeapi.Invoice{ID: "in_other", Paid: true, SubscriptionID: "sub_other", CustomerID: "cus_theirs", AmountPaid: 900, Currency: "usd"}
	f.stripe.invoices["in_other_failed"] = stripeapi.Invoice{ID: "in_other_failed", SubscriptionID: "sub_other", CustomerID: "cus_theirs", AmountDue: 900, Currency: "usd"}

	for _, ev := range []struct {
		h   webhook.Handler
		typ string
		id  string
	}{
		{f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_other"},
		{f.shop.HandleSubscriptionEvent, "customer.subscription.created", "sub_other"},
		{f.shop.HandleInvoiceEvent, "invoice.paid", "in_other"},
		{f.shop.HandleInvoiceEvent, "invoice.payment_failed", "in_other_failed"},
		{f.shop.HandleSubscriptionEvent, "customer.subscription.deleted", "sub_other"},
	} {
		if err := f.deliver(t, ev.h, ev.typ, ev.id); err != nil {
			t.Errorf("%s of another shop's object failed (Stripe would retry it forever): %v", ev.typ, err)
		}
	}
	if orders, ents := f.counts(t); orders != 0 || ents != 0 {
		t.Errorf("%d orders and %d entitlements for another shop's sale", orders, ents)
	}
	f.store.View(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.CustomerByEmail("their-buyer@example.com"); err == nil {
			t.Error("another shop's buyer became a customer here")
		}
		if _, err := tx.SubscriptionByStripeID("sub_other"); !app.IsNotFound(err) {
			t.Error("another shop's subscription was mirrored")
		}
		return nil
	})
	if len(f.mail.sent) != 0 {
		t.Errorf("mail about another shop's objects: %v", f.mail.sent)
	}

	// This shop's own session is still fulfilled when its product is gone
	// from the catalog: its cart is still here.
	if err := f.store.Update(context.Background(), func(tx *store.Tx) error {
		return tx.PutCart(&app.Cart{ID: "cart_a_ours", Items: []app.CartItem{{ProductID: f.product.ID, Quantity: 1}}})
	}); err != nil {
		t.Fatal(err)
	}
	f.paidSession("cs_ours", "ours@example.com", 1)
	s := f.stripe.sessions["cs_ours"]
	s.ClientReferenceID, s.Lines[0].StripeProductID = "cart_a_ours", "prod_retired"
	f.stripe.sessions["cs_ours"] = s
	if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_ours"); err != nil {
		t.Fatal(err)
	}
	if orders, _ := f.counts(t); orders != 1 {
		t.Errorf("this shop's own session made %d orders, want 1", orders)
	}
}

func TestTheCartRefusesWhatTheCustomerOwns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cust := app.Customer{Email: "owner@example.com"}
	f.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutCustomer(&cust); err != nil {
			return err
		}
		return tx.PutEntitlement(&app.Entitlement{CustomerID: cust.ID, ProductID: f.product.ID, Source: app.SourceManual, SourceID: "gift"})
	})
	cart := app.CustomerCartID(cust.ID)
	_, err := f.shop.AddToCart(ctx, cart, f.product.ID)
	if app.ErrorCode(err) != app.EINVALID || app.ErrorMessage(err) != "You already own Ebook: it is in your library, ready to download." {
		t.Fatalf("adding an owned product: %v", err)
	}
	if v, _ := f.shop.Cart(ctx, cart); !v.Empty() {
		t.Fatal("the refused product is in the cart")
	}
	// Added before signing in: the merged cart leaves it out and says why,
	// and Checkout has nothing to charge.
	f.shop.AddToCart(ctx, "cart_a_before", f.product.ID)
	f.shop.MergeCarts(ctx, "cart_a_before", cust.ID)
	v, _ := f.shop.Cart(ctx, cart)
	if !v.Empty() || len(v.Notes) != 1 || v.Notes[0] != "Ebook is already in your library, so it is not in your cart." {
		t.Fatalf("merged cart: %+v", v)
	}
	if _, err := f.shop.Checkout(ctx, cart, shop.Buyer{CustomerID: cust.ID}); app.ErrorCode(err) != app.EINVALID || len(f.stripe.created) != 0 {
		t.Fatalf("checkout of an owned product: %v, %d sessions", err, len(f.stripe.created))
	}
}
