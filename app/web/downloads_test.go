package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

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
