package stripeapi

import (
	"context"

	"github.com/stripe/stripe-go/v76"
)

// The Stripe Products and Prices behind Vendo's products and plans.

// PriceSpec describes a Stripe Price to create.
type PriceSpec struct {
	Amount   int64
	Currency string
	Interval string // "", "month" or "year"
	// TaxBehavior says whether Amount includes tax (TaxInclusive) or tax
	// is added on top (TaxExclusive). Stripe Prices cannot change it once
	// set, so a change is a new Price, as an amount change is.
	TaxBehavior string
}

// A Price's tax_behavior, as Stripe names it.
const (
	TaxInclusive = "inclusive"
	TaxExclusive = "exclusive"
)

// TaxBehavior is the tax_behavior of a price that includes tax or not.
func TaxBehavior(inclusive bool) string {
	if inclusive {
		return TaxInclusive
	}
	return TaxExclusive
}

// EnsureProduct creates the Stripe Product for a Vendo product or plan
// when productID is empty, with an idempotency key derived from Vendo's
// id so a retried call never makes a second one.
func (c *Client) EnsureProduct(ctx context.Context, productID, vendoID, name string) (string, error) {
	if productID != "" {
		return productID, nil
	}
	p := &stripe.ProductParams{Name: stripe.String(name)}
	p.Context = ctx
	p.AddMetadata("vendo_id", vendoID)
	p.SetIdempotencyKey("vendo-product-" + vendoID)
	prod, err := c.api.Products.New(p)
	if err != nil {
		return "", wrap("create product", err)
	}
	return prod.ID, nil
}

// CreatePrice creates a Price (Prices are immutable: a new amount is a new
// Price). key makes the call idempotent for one Vendo price version.
func (c *Client) CreatePrice(ctx context.Context, productID string, spec PriceSpec, vendoID, key string) (string, error) {
	p := &stripe.PriceParams{
		Product:    stripe.String(productID),
		UnitAmount: stripe.Int64(spec.Amount),
		Currency:   stripe.String(spec.Currency),
	}
	if spec.TaxBehavior != "" {
		p.TaxBehavior = stripe.String(spec.TaxBehavior)
	}
	if spec.Interval != "" {
		p.Recurring = &stripe.PriceRecurringParams{Interval: stripe.String(spec.Interval)}
	}
	p.Context = ctx
	p.AddMetadata("vendo_id", vendoID)
	p.SetIdempotencyKey("vendo-price-" + key)
	price, err := c.api.Prices.New(p)
	if err != nil {
		return "", wrap("create price", err)
	}
	return price.ID, nil
}

// DeactivatePrice archives an old Price after a price change.
func (c *Client) DeactivatePrice(ctx context.Context, priceID string) error {
	p := &stripe.PriceParams{Active: stripe.Bool(false)}
	p.Context = ctx
	_, err := c.api.Prices.Update(priceID, p)
	return wrap("deactivate price", err)
}
