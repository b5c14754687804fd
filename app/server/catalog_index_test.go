package server_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/search"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestCatalogEditsKeepTheSearchIndexEqualToARebuild: after each of a
// sequence of catalog commits (edits of text, slug and price, a draft, a
// republish, a create, a delete, several products in one transaction, an
// import-sized transaction and a settings change) the shop's live index
// answers exactly as one built from the store at that moment. A commit
// whose products the index missed shows as a difference.
func TestCatalogEditsKeepTheSearchIndexEqualToARebuild(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{NoBackground: true})
	ctx := context.Background()
	st := srv.Store
	products, _, err := st.Products(ctx, store.ProductFilter{})
	if err != nil || len(products) < 4 {
		t.Fatalf("demo catalog: %d products, %v", len(products), err)
	}
	a, b, c, d := products[0], products[1], products[2], products[3]
	edit := func(p *app.Product, fn func(*app.Product)) {
		t.Helper()
		fn(p)
		if err := st.PutProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"retitle", func() { edit(&a, func(p *app.Product) { p.Title = "Quixotic Zeppelin Manual" }) }},
		{"new description and tags", func() {
			edit(&b, func(p *app.Product) { p.Description, p.Tags = "Wombat pottery glazes, in detail.", []string{"Pottery"} })
		}},
		{"new slug and price", func() { edit(&a, func(p *app.Product) { p.Slug, p.Price.Amount = "zeppelin-manual", 4321 }) }},
		{"draft", func() { edit(&c, func(p *app.Product) { p.Active = false }) }},
		{"republish", func() { edit(&c, func(p *app.Product) { p.Active, p.Title = true, "Back Again Wombat" }) }},
		{"create", func() {
			n := app.Product{Slug: "fresh-gizmo", Title: "Fresh Gizmo Wombat", Summary: "New.", Price: a.Price, Active: true}
			edit(&n, func(*app.Product) {})
		}},
		{"delete", func() {
			if err := st.DeleteProduct(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"two in one transaction", func() {
			err := st.Update(ctx, func(tx *store.Tx) error {
				a.Title, b.Title = "Zeppelin Twice", "Pottery Twice"
				if err := tx.PutProduct(&a); err != nil {
					return err
				}
				return tx.PutProduct(&b)
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"an import", func() {
			err := st.Update(ctx, func(tx *store.Tx) error {
				for i := range 300 {
					p := app.Product{Slug: fmt.Sprintf("imported-%d", i), Title: fmt.Sprintf("Imported Lantern %d", i),
						Price: a.Price, Active: i%3 != 0}
					if err := tx.PutProduct(&p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"settings", func() {
			if _, err := st.UpdateSettings(ctx, func(s *app.Settings) error { s.Tagline = "Changed"; return nil }); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, step := range steps {
		step.do()
		all, _, err := st.Products(ctx, store.ProductFilter{Status: store.ProductActive})
		if err != nil {
			t.Fatal(err)
		}
		fresh := search.New()
		fresh.Build(all)
		live := srv.SearchIndex()
		if live.Len() != fresh.Len() {
			t.Fatalf("after %s: the index holds %d products, the store %d active", step.name, live.Len(), fresh.Len())
		}
		queries := []string{"zeppelin", "wombat", "pottery", "lantern", "gizmo", "twice", "the"}
		for _, p := range all {
			queries = append(queries, p.Title)
		}
		for _, q := range queries {
			if got, want := live.Search(q, 50), fresh.Search(q, 50); !reflect.DeepEqual(got, want) {
				t.Errorf("after %s, %q: the index finds %v, a rebuild %v", step.name, q, hitIDs(got), hitIDs(want))
			}
		}
		byName := search.Query{Order: search.Name}
		got, _ := live.Find(byName, 0, 1000)
		want, _ := fresh.Find(byName, 0, 1000)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after %s: the whole catalog differs from a rebuild", step.name)
		}
	}
	// The searches the customer makes show the same.
	if _, body := srv.Customer.Get("/products?q=zeppelin+twice"); !strings.Contains(body, "/products/zeppelin-manual") {
		t.Error("the catalog search does not find the renamed product at its new address")
	}
}

func hitIDs(hits []search.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Slug
	}
	return out
}
