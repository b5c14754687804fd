package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestAdminExportsFollowTheListsFilter: each list links to its CSV and
// JSON for the filter it shows; an export is an attachment with exactly
// the filtered rows, audited with the admin's email; a customer gets
// none.
func TestAdminExportsFollowTheListsFilter(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	buyer := s.NewClient()
	buy(t, s, buyer, "exported@example.com", "field-notes-icon-pack")
	ctx := context.Background()
	vendotest.WaitFor(t, "the order", func() bool {
		var n int
		s.Store.View(ctx, func(tx *store.Tx) error { os, _, _ := tx.Orders(store.OrderFilter{}); n = len(os); return nil })
		return n == 1
	})

	s.Admin.SignInAdmin()
	_, page := s.Admin.Get("/admin/orders?status=paid&email=exported%40example.com")
	page = html.UnescapeString(page)
	for _, link := range []string{`href="/admin/orders.csv?email=exported%40example.com&status=paid"`, `href="/admin/orders.json?email=exported%40example.com&status=paid"`} {
		if !strings.Contains(page, link) {
			t.Errorf("the list does not link %s", link)
		}
	}

	resp, body := s.Admin.Get("/admin/orders.csv?status=paid&email=exported%40example.com")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="orders-`) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("orders.csv: %d %v", resp.StatusCode, resp.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][0] != "number" {
		t.Fatalf("orders.csv (%v): %q", err, body)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	if row["email"] != "exported@example.com" || row["status"] != app.OrderPaid || row["products"] != "Field Notes Icon Pack" || row["currency"] == "" {
		t.Errorf("the order's row: %v", row)
	}
	if _, body := s.Admin.Get("/admin/orders.csv?status=refunded"); strings.Count(body, "\n") != 1 {
		t.Errorf("a filter that matches nothing: %q", body)
	}

	for _, list := range []string{"customers", "subscriptions", "licenses", "discounts"} {
		resp, body := s.Admin.Get("/admin/" + list + ".json?q=exported")
		var rows []map[string]any
		if err := json.Unmarshal([]byte(body), &rows); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s.json: %d (%v) %q", list, resp.StatusCode, err, body)
		}
		if list == "customers" && (len(rows) != 1 || rows[0]["email"] != "exported@example.com") {
			t.Errorf("customers.json?q=exported: %v", rows)
		}
	}
	if _, body := s.Admin.Get("/admin/licenses.json?q=exported%40example.com"); !strings.Contains(body, `"email":"exported@example.com"`) || !strings.Contains(body, `"status":"active"`) {
		t.Errorf("the buyer's key: %s", body)
	}

	var audited []app.AuditEntry
	vendotest.WaitFor(t, "the exports in the audit log", func() bool {
		s.Store.View(ctx, func(tx *store.Tx) (err error) {
			audited, _, err = tx.AuditLog(store.AuditFilter{Action: "export.orders"})
			return err
		})
		return len(audited) == 2
	})
	if a := audited[1]; !strings.Contains(a.Detail, "exported 1 orders as CSV") || !strings.Contains(a.Detail, "status=paid") || a.Actor == "" || a.Actor == "unknown" {
		t.Errorf("audit: %+v", a)
	}

	if resp, body := buyer.Get("/admin/orders.csv"); resp.StatusCode != 403 || strings.Contains(body, "number,id") {
		t.Errorf("a customer exported the orders: %d %.300q", resp.StatusCode, body)
	}
}
