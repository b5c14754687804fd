package shop

import (
	"context"

	"vendo/app"
	"vendo/app/store"
)

// Free products: a product priced 0 is given, never sold. A signed-in
// customer claims it at once; a visitor gets an emailed link (auth's
// RequestFreeLink) whose redemption claims it for that address. Stripe
// never hears of it: it has no Checkout, no order and no price.

// FreeProduct returns the product with slug when it can be claimed for
// free: in the catalog and priced 0.
func (s *Shop) FreeProduct(ctx context.Context, slug string) (app.Product, error) {
	var p app.Product
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = freeProduct(tx, slug, "")
		return err
	})
	return p, err
}

// freeProduct finds a claimable product by slug, or by id when slug is
// empty.
func freeProduct(tx *store.Tx, slug, id string) (app.Product, error) {
	var p app.Product
	var err error
	if slug != "" {
		p, err = tx.ProductBySlug(slug)
	} else {
		p, err = tx.Product(id)
	}
	if err != nil {
		return p, err
	}
	if !p.Active {
		return p, app.Errorf(app.EINVALID, "%s is no longer available.", p.Title)
	}
	if p.Price.Amount != 0 {
		return p, app.Errorf(app.EINVALID, "%s is not free: add it to your cart to buy it.", p.Title)
	}
	return p, nil
}

// ClaimFree puts a free product in a signed-in customer's library. A
// product they already have is left as it is (a second click gives
// nothing more and is no error).
func (s *Shop) ClaimFree(ctx context.Context, customerID, slug string) (app.Product, app.Entitlement, error) {
	var p app.Product
	var e app.Entitlement
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = freeProduct(tx, slug, ""); err != nil {
			return err
		}
		e, err = claimFree(tx, customerID, p)
		return err
	})
	return p, e, err
}

// ClaimFreeIn is ClaimFree by product id inside a caller's transaction:
// an emailed link's redemption gives the product in the transaction that
// spends the link and signs the address in.
func (s *Shop) ClaimFreeIn(tx *store.Tx, customerID, productID string) error {
	p, err := freeProduct(tx, "", productID)
	if err != nil {
		return err
	}
	_, err = claimFree(tx, customerID, p)
	return err
}

func claimFree(tx *store.Tx, customerID string, p app.Product) (app.Entitlement, error) {
	if e, err := tx.ActiveEntitlement(customerID, p.ID); !app.IsNotFound(err) {
		return e, err // owned already (err nil), or a failure
	}
	e := app.Entitlement{CustomerID: customerID, ProductID: p.ID, Source: app.SourceFree}
	return e, tx.PutEntitlement(&e)
}
