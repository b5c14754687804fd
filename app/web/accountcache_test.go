package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// The account page is kept per customer (accountcache.go) and must show
// the change of anything on it at the next view: a product granted, a
// refund's revocation, a license revoked, a product renamed, and its
// download links once the clock has moved past what the kept page
// promised. Each customer sees their own page with their own token,
// never another's.
func TestAccountPageIsKeptUntilWhatItShowsChanges(t *testing.T) {
	s := newAcctShop(t, vendotest.Options{})
	ctx := context.Background()
	ps, _, err := s.Store.Products(ctx, store.ProductFilter{Status: store.ProductActive})
	if err != nil {
		t.Fatal(err)
	}
	var p app.Product
	for _, q := range ps {
		if len(q.Files) > 0 {
			p = q
			break
		}
	}
	if p.ID == "" {
		t.Fatal("no demo product with a file")
	}
	ada, bob := s.NewClient(), s.NewClient()
	ada.SignIn("ada@example.com")
	bob.SignIn("bob@example.com")
	adaCust, err := s.Store.CustomerByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	account := func(c *vendotest.Client) string {
		t.Helper()
		resp, body := c.Get("/account")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /account: %d", resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		return body
	}
	update := func(fn func(tx *store.Tx) error) {
		t.Helper()
		if err := s.Store.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	links := regexp.MustCompile(`/downloads/[^"]+`)

	// Viewed (and kept) before the grant: the next view shows it.
	account(ada)
	account(ada)
	update(func(tx *store.Tx) error {
		return tx.PutEntitlement(&app.Entitlement{CustomerID: adaCust.ID, ProductID: p.ID, Source: app.SourceManual, SourceID: "test"})
	})
	page := account(ada)
	link := links.FindString(page)
	if !strings.Contains(page, p.Title) || link == "" {
		t.Fatalf("after the grant the account page lacks %q or its download link", p.Title)
	}
	if again := account(ada); links.FindString(again) != link {
		t.Errorf("a second view within the minute signed new links: the page was not kept")
	}

	// Each customer, their own page and token.
	bobPage := account(bob)
	if strings.Contains(bobPage, "ada@example.com") || strings.Contains(bobPage, link) || !strings.Contains(bobPage, "bob@example.com") {
		t.Error("bob's account page shows ada's")
	}
	if !strings.Contains(bobPage, `value="`+bob.CSRF()+`"`) || strings.Contains(bobPage, ada.CSRF()) {
		t.Error("bob's account page does not carry his own token only")
	}
	if page := account(ada); !strings.Contains(page, `value="`+ada.CSRF()+`"`) || strings.Contains(page, bob.CSRF()) {
		t.Error("ada's account page does not carry her own token only")
	}

	// A refund revokes the entitlement: the product leaves the library.
	update(func(tx *store.Tx) error {
		_, err := tx.RevokeEntitlements(adaCust.ID, app.SourceManual, "test", "refunded")
		return err
	})
	if page := account(ada); links.MatchString(page) {
		t.Error("after the revocation the account page still offers the download")
	}

	// A license key, then its revocation.
	lic := app.License{Key: "VENDO-KEPT-TEST-0001", CustomerID: adaCust.ID, Status: app.LicenseActive}
	update(func(tx *store.Tx) error { return tx.PutLicense(&lic) })
	if page := account(ada); !strings.Contains(page, lic.Key) || strings.Contains(page, "status-revoked") {
		t.Fatal("the new license key is not shown as active")
	}
	update(func(tx *store.Tx) error { lic.Status = app.LicenseRevoked; return tx.PutLicense(&lic) })
	if page := account(ada); !strings.Contains(page, "status-revoked") {
		t.Error("after the revocation the license key is not shown revoked")
	}

	// A product renamed in the catalog shows its new title.
	update(func(tx *store.Tx) error {
		return tx.PutEntitlement(&app.Entitlement{CustomerID: adaCust.ID, ProductID: p.ID, Source: app.SourceManual, SourceID: "again"})
	})
	account(ada)
	renamed := p
	renamed.Title = "Renamed While Kept"
	if err := s.Store.PutProduct(ctx, &renamed); err != nil {
		t.Fatal(err)
	}
	page = account(ada)
	if !strings.Contains(page, "Renamed While Kept") {
		t.Error("the library does not show the product's new title")
	}

	// Past what the kept page promised, its links are signed again.
	link = links.FindString(page)
	s.AdvanceClock("2m") // the shop's clock in sandbox mode
	if page := account(ada); links.FindString(page) == link {
		t.Error("two minutes later the account page still has the links signed before")
	}
}
