package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

func TestProductLifecycle(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()

	// Create: the store names it and stamps it.
	p := sampleProduct("field-guide")
	p.Files = []app.FileRef{{SHA256: "abc", Name: "guide.pdf", Size: 2048, ContentType: "application/pdf"}}
	p.Tags = []string{"guides"}
	if err := st.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if !idShape.MatchString(p.ID) {
		t.Errorf("new id = %q", p.ID)
	}
	created := clock.Now()
	if !p.CreatedAt.Equal(created) || !p.UpdatedAt.Equal(created) {
		t.Errorf("stamps = %v / %v, want %v", p.CreatedAt, p.UpdatedAt, created)
	}

	// Read: by id and by slug, the same record.
	byID, err := st.Product(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	bySlug, err := st.ProductBySlug(ctx, "field-guide")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []app.Product{byID, bySlug} {
		if got.ID != p.ID || got.Title != p.Title || got.Price != p.Price || len(got.Files) != 1 || got.Files[0] != p.Files[0] || got.Tags[0] != "guides" {
			t.Errorf("read back %+v, want %+v", got, p)
		}
	}

	// Update: a form posts the fields without CreatedAt; it is kept.
	clock.Advance(time.Hour)
	edit := byID
	edit.CreatedAt = time.Time{}
	edit.Title = "The Field Guide"
	edit.Price = app.Money{Amount: 1500, Currency: "usd"}
	if err := st.PutProduct(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Product(ctx, p.ID)
	if got.Title != "The Field Guide" || got.Price.Amount != 1500 {
		t.Errorf("after update: %+v", got)
	}
	if !got.CreatedAt.Equal(created) {
		t.Errorf("CreatedAt = %v, want it kept at %v", got.CreatedAt, created)
	}
	if !got.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, clock.Now())
	}

	// Delete: gone by id and by slug, and the slug is free again.
	if err := st.DeleteProduct(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Product(ctx, p.ID); !app.IsNotFound(err) {
		t.Errorf("Product after delete: %v", err)
	}
	if _, err := st.ProductBySlug(ctx, "field-guide"); !app.IsNotFound(err) {
		t.Errorf("ProductBySlug after delete: %v", err)
	}
	if err := st.DeleteProduct(ctx, p.ID); !app.IsNotFound(err) {
		t.Errorf("deleting twice: %v, want not found", err)
	}
	again := sampleProduct("field-guide")
	if err := st.PutProduct(ctx, &again); err != nil {
		t.Errorf("reusing a deleted product's slug: %v", err)
	}
	if again.ID == p.ID {
		t.Error("a new product got the deleted product's id")
	}
}

func TestMissingProductsAreNotFoundWithASentence(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	_, err := st.Product(ctx, "prod_nope")
	if !app.IsNotFound(err) || app.ErrorMessage(err) != "That product does not exist." {
		t.Errorf("Product = %v", err)
	}
	if _, err := st.ProductBySlug(ctx, "nope"); !app.IsNotFound(err) {
		t.Errorf("ProductBySlug = %v", err)
	}
	err = st.View(ctx, func(tx *store.Tx) error { _, err := tx.ProductByStripeID("prod_stripe"); return err })
	if !app.IsNotFound(err) {
		t.Errorf("ProductByStripeID = %v", err)
	}
}

func TestAnInvalidProductIsNotStored(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	p := sampleProduct("Not A Slug")
	p.Title = ""
	err := st.PutProduct(ctx, &p)
	var inv *app.InvalidForm
	if !errors.As(err, &inv) || inv.Fields["slug"] == "" || inv.Fields["title"] == "" {
		t.Fatalf("PutProduct = %v, want slug and title messages", err)
	}
	if p.ID != "" {
		t.Errorf("an invalid product was given id %q", p.ID)
	}
	if n := countProducts(t, st, false); n != 0 {
		t.Errorf("%d products stored", n)
	}
}

func TestChangingASlugMovesTheAddress(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	p := sampleProduct("old-name")
	if err := st.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	p.Slug = "new-name"
	if err := st.PutProduct(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ProductBySlug(ctx, "old-name"); !app.IsNotFound(err) {
		t.Errorf("old slug still resolves: %v", err)
	}
	if got, err := st.ProductBySlug(ctx, "new-name"); err != nil || got.ID != p.ID {
		t.Errorf("new slug = %+v, %v", got, err)
	}
	// The old slug can be taken by another product.
	other := sampleProduct("old-name")
	if err := st.PutProduct(ctx, &other); err != nil {
		t.Errorf("reusing the freed slug: %v", err)
	}
}

func TestASlugClashChangesNeitherProduct(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	a, b := sampleProduct("alpha"), sampleProduct("beta")
	for _, p := range []*app.Product{&a, &b} {
		if err := st.PutProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	beforeA, _ := st.Product(ctx, a.ID)
	beforeB, _ := st.Product(ctx, b.ID)

	// B tries to take A's slug while changing its title.
	edit := beforeB
	edit.Slug, edit.Title = "alpha", "Stolen"
	err := st.PutProduct(ctx, &edit)
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("PutProduct = %v, want a conflict", err)
	}
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Field != "slug" {
		t.Errorf("conflict is not tied to the slug field: %#v", err)
	}

	// A new product with A's slug is refused the same way.
	dup := sampleProduct("alpha")
	if err := st.PutProduct(ctx, &dup); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("creating a duplicate slug: %v, want a conflict", err)
	}

	// Both products and both addresses are exactly as they were: the
	// failed transaction (which had already freed "beta") rolled back.
	if got, err := st.ProductBySlug(ctx, "alpha"); err != nil || got.ID != a.ID || got.Title != beforeA.Title {
		t.Errorf("alpha = %+v, %v", got, err)
	}
	if got, err := st.ProductBySlug(ctx, "beta"); err != nil || got.ID != b.ID || got.Title != beforeB.Title {
		t.Errorf("beta = %+v, %v", got, err)
	}
	if got, _ := st.Product(ctx, b.ID); got.Slug != "beta" || got.Title != beforeB.Title || !got.UpdatedAt.Equal(beforeB.UpdatedAt) {
		t.Errorf("B changed: %+v", got)
	}
	if n := countProducts(t, st, false); n != 2 {
		t.Errorf("%d products, want 2", n)
	}
}

func TestStripeProductIndexFollowsTheRecord(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	byStripe := func(id string) (app.Product, error) {
		var p app.Product
		err := st.View(ctx, func(tx *store.Tx) (err error) { p, err = tx.ProductByStripeID(id); return })
		return p, err
	}

	a := sampleProduct("alpha")
	a.StripeProductID = "prod_S1"
	if err := st.PutProduct(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if got, err := byStripe("prod_S1"); err != nil || got.ID != a.ID {
		t.Errorf("by Stripe id = %+v, %v", got, err)
	}

	// A new Stripe product replaces the old one in the index.
	a.StripeProductID = "prod_S2"
	if err := st.PutProduct(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if _, err := byStripe("prod_S1"); !app.IsNotFound(err) {
		t.Errorf("old Stripe id still resolves: %v", err)
	}
	if got, err := byStripe("prod_S2"); err != nil || got.ID != a.ID {
		t.Errorf("new Stripe id = %+v, %v", got, err)
	}

	// Another product cannot claim it.
	b := sampleProduct("beta")
	b.StripeProductID = "prod_S2"
	if err := st.PutProduct(ctx, &b); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("claiming another product's Stripe id: %v, want a conflict", err)
	}
	if _, err := st.ProductBySlug(ctx, "beta"); !app.IsNotFound(err) {
		t.Errorf("the refused product was stored: %v", err)
	}

	// Deleting the product frees its Stripe id.
	if err := st.DeleteProduct(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := byStripe("prod_S2"); !app.IsNotFound(err) {
		t.Errorf("deleted product's Stripe id still resolves: %v", err)
	}
}

func TestProductsArePagedWithACursor(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()

	// Seven products made a minute apart; every third one is a draft.
	var all, active []string
	for i := range 7 {
		p := sampleProduct(fmt.Sprintf("product-%d", i))
		p.Active = i%3 != 2
		if err := st.PutProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
		all = append(all, p.ID)
		if p.Active {
			active = append(active, p.ID)
		}
		clock.Advance(time.Minute)
	}

	slices.Reverse(all) // lists are newest first
	slices.Reverse(active)

	// Limit 0: everything, newest first, no next page.
	ps, next, err := st.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(ps); !equal(got, all) || next != "" {
		t.Errorf("all = %v next %q, want %v", got, next, all)
	}

	tests := []struct {
		name   string
		filter store.ProductFilter
		want   [][]string // pages
	}{
		{"pages of three", store.ProductFilter{Limit: 3}, [][]string{all[0:3], all[3:6], all[6:7]}},
		{"pages that end exactly", store.ProductFilter{Limit: 7}, [][]string{all}},
		{"pages larger than the list", store.ProductFilter{Limit: 50}, [][]string{all}},
		{"active only, pages of two", store.ProductFilter{Limit: 2, Status: store.ProductActive}, [][]string{active[0:2], active[2:4], active[4:5]}},
		{"active only, one page that ends exactly", store.ProductFilter{Limit: 5, Status: store.ProductActive}, [][]string{active}},
		{"starting before the third", store.ProductFilter{Limit: 10, Before: all[2]}, [][]string{all[3:]}},
		{"starting before the last", store.ProductFilter{Limit: 10, Before: all[6]}, [][]string{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.filter
			for i, want := range tt.want {
				ps, next, err := st.Products(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(ps); !equal(got, want) {
					t.Fatalf("page %d = %v, want %v", i+1, got, want)
				}
				last := i == len(tt.want)-1
				if last && next != "" {
					t.Fatalf("page %d is the last but next = %q", i+1, next)
				}
				if !last && next != want[len(want)-1] {
					t.Fatalf("page %d: next = %q, want the page's last id %q", i+1, next, want[len(want)-1])
				}
				f.Before = next
			}
		})
	}

	// A cursor still works when its product was deleted in between.
	if err := st.DeleteProduct(ctx, all[3]); err != nil {
		t.Fatal(err)
	}
	ps, _, err = st.Products(ctx, store.ProductFilter{Before: all[3], Limit: 2})
	if err != nil || !equal(ids(ps), all[4:6]) {
		t.Errorf("before a deleted cursor = %v, %v, want %v", ids(ps), err, all[4:6])
	}
}

func TestCountProducts(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	for i := range 5 {
		p := sampleProduct(fmt.Sprintf("p-%d", i))
		p.Active = i < 3
		if err := st.PutProduct(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	if n := countProducts(t, st, false); n != 5 {
		t.Errorf("all = %d, want 5", n)
	}
	if n := countProducts(t, st, true); n != 3 {
		t.Errorf("active = %d, want 3", n)
	}

	// Inside a write transaction the count includes what it just wrote.
	err := st.Update(ctx, func(tx *store.Tx) error {
		p := sampleProduct("in-flight")
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		if n, err := tx.CountProducts(false); err != nil || n != 6 {
			t.Errorf("all, in the writing transaction = %d, %v, want 6", n, err)
		}
		if n, err := tx.CountProducts(true); err != nil || n != 4 {
			t.Errorf("active, in the writing transaction = %d, %v, want 4", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countProducts(t *testing.T, st *store.Store, activeOnly bool) int {
	t.Helper()
	var n int
	if err := st.View(context.Background(), func(tx *store.Tx) (err error) { n, err = tx.CountProducts(activeOnly); return }); err != nil {
		t.Fatal(err)
	}
	return n
}

func ids(ps []app.Product) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProductReferencesCountSalesAndGrants(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	a, b, c := sampleProduct("a"), sampleProduct("b"), sampleProduct("c")
	err := st.Update(ctx, func(tx *store.Tx) error {
		for _, p := range []*app.Product{&a, &b, &c} {
			if err := tx.PutProduct(p); err != nil {
				return err
			}
		}
		if err := tx.PutOrder(&app.Order{CheckoutSessionID: "cs_1", Lines: []app.OrderLine{{ProductID: a.ID}, {ProductID: a.ID}}}); err != nil {
			return err
		}
		return tx.PutEntitlement(&app.Entitlement{CustomerID: "cust_1", ProductID: b.ID, Source: app.SourceManual, SourceID: "boss@example.com"})
	})
	if err != nil {
		t.Fatal(err)
	}
	st.View(ctx, func(tx *store.Tx) error {
		for _, tc := range []struct {
			p           app.Product
			lines, ents int
		}{{a, 2, 0}, {b, 0, 1}, {c, 0, 0}} {
			l, e, err := tx.ProductReferences(tc.p.ID)
			if err != nil || l != tc.lines || e != tc.ents {
				t.Errorf("%s: %d lines %d entitlements (%v), want %d %d", tc.p.Slug, l, e, err, tc.lines, tc.ents)
			}
		}
		return nil
	})
}
