package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vendo/app"
)

// ProductFilter narrows Products.
type ProductFilter struct {
	Query  string // folded substring of the title or slug
	Status string // "", ProductActive or ProductArchived
	Before string // cursor: the last id of the previous page
	Limit  int    // 0 means all
}

// Product statuses a ProductFilter may ask for.
const (
	ProductActive   = "active"
	ProductArchived = "archived"
)

// Product returns the product with id.
func (t *Tx) Product(id string) (app.Product, error) {
	var p app.Product
	found, err := getRecord(t.tx.Bucket(bProducts), id, &p)
	if err == nil && !found {
		err = notFound("product")
	}
	return p, err
}

// ProductText is the text of a product a search result is highlighted in.
type ProductText struct {
	Title       string `json:"title"` // app.Product's names
	Summary     string `json:"summary"`
	Description string `json:"description"`
}

// ProductTexts returns the text of the products with ids, in that order;
// a product not found has a zero ProductText. Only these three fields are
// decoded: the search index keeps no text and reads its hits' here.
func (s *Store) ProductTexts(ctx context.Context, ids []string) (out []ProductText, err error) {
	out = make([]ProductText, len(ids))
	err = s.View(ctx, func(tx *Tx) error {
		b := tx.tx.Bucket(bProducts)
		for i, id := range ids {
			if _, err := getRecord(b, id, &out[i]); err != nil {
				return fmt.Errorf("product %s: %w", id, err)
			}
		}
		return nil
	})
	return out, err
}

// ProductIDBySlug returns the id of the product at /products/{slug},
// without reading the product; "" when there is none.
func (t *Tx) ProductIDBySlug(slug string) string {
	return index{t.tx.Bucket(bProductsBySlug)}.get(slug)
}

// ProductBySlug returns the product at /products/{slug}.
func (t *Tx) ProductBySlug(slug string) (app.Product, error) {
	id := index{t.tx.Bucket(bProductsBySlug)}.get(slug)
	if id == "" {
		return app.Product{}, notFound("product")
	}
	return t.Product(id)
}

// PutProduct creates (empty ID) or updates a product after validating it,
// keeping the slug index in step: a changed slug frees the old one, and a
// slug taken by another product is a conflict.
func (t *Tx) PutProduct(p *app.Product) (err error) {
	defer func() {
		if err == nil {
			t.productChanged(p.ID)
		}
	}()
	// Names are shown to customers: cleaned on the way in, whatever
	// wrote them (issue 17, hole 12).
	for i := range p.Files {
		p.Files[i].Name = app.CleanFileName(p.Files[i].Name)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if p.ID == "" {
		// A failed create leaves the product as it was: a retry is a create.
		defer func() {
			if err != nil {
				p.ID, p.CreatedAt = "", time.Time{}
			}
		}()
	}
	b := t.tx.Bucket(bProducts)
	idx := index{t.tx.Bucket(bProductsBySlug)}
	if p.ID == "" {
		p.ID = t.NewID("prod_")
		p.CreatedAt = t.now
	} else {
		var old app.Product
		found, err := getRecord(b, p.ID, &old)
		if err != nil {
			return err
		}
		if found && old.Slug != p.Slug {
			if err := idx.del(old.Slug); err != nil {
				return err
			}
		}
		if found && old.StripeProductID != "" && old.StripeProductID != p.StripeProductID {
			if err := (index{t.tx.Bucket(bProductsByStripe)}).del(old.StripeProductID); err != nil {
				return err
			}
		}
		if found {
			p.CreatedAt = old.CreatedAt
		}
	}
	if clash, err := idx.set(p.Slug, p.ID); err != nil {
		return err
	} else if clash != "" {
		return &app.Error{Code: app.ECONFLICT, Field: "slug", Message: fmt.Sprintf("Another product already uses the address %q.", p.Slug)}
	}
	if p.StripeProductID != "" {
		if clash, err := (index{t.tx.Bucket(bProductsByStripe)}).set(p.StripeProductID, p.ID); err != nil {
			return err
		} else if clash != "" {
			return app.Errorf(app.ECONFLICT, "The Stripe product %s already belongs to another product.", p.StripeProductID)
		}
	}
	p.UpdatedAt = t.now
	return putRecord(b, p.ID, p)
}

// ProductByStripeID returns the product a Stripe product id belongs to.
func (t *Tx) ProductByStripeID(stripeProductID string) (app.Product, error) {
	id := index{t.tx.Bucket(bProductsByStripe)}.get(stripeProductID)
	if id == "" {
		return app.Product{}, notFound("product")
	}
	return t.Product(id)
}

// DeleteProduct removes a product and its index entries.
func (t *Tx) DeleteProduct(id string) error {
	t.productChanged(id)
	p, err := t.Product(id)
	if err != nil {
		return err
	}
	if err := (index{t.tx.Bucket(bProductsBySlug)}).del(p.Slug); err != nil {
		return err
	}
	if p.StripeProductID != "" {
		if err := (index{t.tx.Bucket(bProductsByStripe)}).del(p.StripeProductID); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bProducts).Delete([]byte(id))
}

// Products lists products newest first, filtered by status and by a
// fold-insensitive substring of the title or slug, paging with a cursor.
// next is the cursor for the following page, empty at the end.
func (t *Tx) Products(f ProductFilter) (out []app.Product, next string, err error) {
	q := app.Fold(strings.TrimSpace(f.Query))
	return newestFirst(t.tx.Bucket(bProducts), f.Before, f.Limit, func(p *app.Product) bool {
		if (f.Status == ProductActive && !p.Active) || (f.Status == ProductArchived && p.Active) {
			return false
		}
		return q == "" || strings.Contains(app.Fold(p.Title), q) || strings.Contains(p.Slug, q)
	}, nil, func(p *app.Product) string { return p.ID })
}

// ProductReferences counts the order lines and the entitlements (active or
// not) that name a product: a product that was ever sold or granted cannot
// be deleted, only archived, or its buyers' orders and libraries would
// point at nothing.
func (t *Tx) ProductReferences(productID string) (orderLines, entitlements int, err error) {
	err = t.tx.Bucket(bOrders).ForEach(func(k, v []byte) error {
		var o struct {
			Lines []struct {
				ProductID string `json:"product_id"`
			} `json:"lines"`
		}
		if err := decode(v, &o); err != nil {
			return fmt.Errorf("order %s: %w", k, err)
		}
		for _, l := range o.Lines {
			if l.ProductID == productID {
				orderLines++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	err = t.tx.Bucket(bEntitlements).ForEach(func(k, v []byte) error {
		var e struct {
			ProductID string `json:"product_id"`
		}
		if err := decode(v, &e); err != nil {
			return fmt.Errorf("entitlement %s: %w", k, err)
		}
		if e.ProductID == productID {
			entitlements++
		}
		return nil
	})
	return orderLines, entitlements, err
}

// CountProducts counts products (all, or active only).
func (t *Tx) CountProducts(activeOnly bool) (int, error) {
	if !activeOnly {
		// Not Stats().KeyN: it reads committed pages and misses what this
		// transaction has written.
		n := 0
		c := t.tx.Bucket(bProducts).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return n, nil
	}
	n := 0
	err := t.tx.Bucket(bProducts).ForEach(func(k, v []byte) error {
		var p struct {
			Active bool `json:"active"`
		}
		if err := decode(v, &p); err != nil {
			return err
		}
		if p.Active {
			n++
		}
		return nil
	})
	return n, err
}

// Product reads one product in its own transaction.
func (s *Store) Product(ctx context.Context, id string) (p app.Product, err error) {
	err = s.View(ctx, func(tx *Tx) error { p, err = tx.Product(id); return err })
	return
}

// ProductIDBySlug is Tx.ProductIDBySlug in a read transaction.
func (s *Store) ProductIDBySlug(ctx context.Context, slug string) (id string, err error) {
	err = s.View(ctx, func(tx *Tx) error { id = tx.ProductIDBySlug(slug); return nil })
	return
}

// ProductBySlug reads one product by slug in its own transaction.
func (s *Store) ProductBySlug(ctx context.Context, slug string) (p app.Product, err error) {
	err = s.View(ctx, func(tx *Tx) error { p, err = tx.ProductBySlug(slug); return err })
	return
}

// Products lists products in their own transaction.
func (s *Store) Products(ctx context.Context, f ProductFilter) (ps []app.Product, next string, err error) {
	err = s.View(ctx, func(tx *Tx) error { ps, next, err = tx.Products(f); return err })
	return
}

// PutProduct stores a product in its own transaction.
func (s *Store) PutProduct(ctx context.Context, p *app.Product) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.PutProduct(p) })
}

// DeleteProduct deletes a product in its own transaction.
func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.DeleteProduct(id) })
}
