package stripeapi

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// CouponSpec is what a discount takes off, as a Stripe Coupon.
type CouponSpec struct {
	Name           string
	PercentOff     int   // or AmountOff in Currency
	AmountOff      int64 // minor units
	Currency       string
	Products       []string // Stripe product ids it applies to; all when empty
	RedeemBy       time.Time
	MaxRedemptions int
	// Duration is once (the default), forever or repeating for
	// DurationMonths: how many of a subscription's invoices it covers.
	Duration       string
	DurationMonths int
}

// CreateCoupon creates a Coupon (coupons are immutable: a new amount is a
// new coupon). key makes the call idempotent for one discount version.
func (c *Client) CreateCoupon(ctx context.Context, spec CouponSpec, vendoID, key string) (string, error) {
	p := &stripe.CouponParams{Name: stripe.String(spec.Name), Duration: stripe.String(string(stripe.CouponDurationOnce))}
	if spec.Duration != "" {
		p.Duration = stripe.String(spec.Duration)
	}
	if spec.Duration == string(stripe.CouponDurationRepeating) {
		p.DurationInMonths = stripe.Int64(int64(spec.DurationMonths))
	}
	if spec.PercentOff > 0 {
		p.PercentOff = stripe.Float64(float64(spec.PercentOff))
	} else {
		p.AmountOff, p.Currency = stripe.Int64(spec.AmountOff), stripe.String(spec.Currency)
	}
	if len(spec.Products) > 0 {
		p.AppliesTo = &stripe.CouponAppliesToParams{Products: stripe.StringSlice(spec.Products)}
	}
	if !spec.RedeemBy.IsZero() {
		p.RedeemBy = stripe.Int64(spec.RedeemBy.Unix())
	}
	if spec.MaxRedemptions > 0 {
		p.MaxRedemptions = stripe.Int64(int64(spec.MaxRedemptions))
	}
	p.Context = ctx
	p.AddMetadata("vendo_id", vendoID)
	p.SetIdempotencyKey("vendo-coupon-" + key)
	co, err := c.api.Coupons.New(p)
	if err != nil {
		return "", wrap("create coupon", err)
	}
	return co.ID, nil
}

// PromotionSpec is a discount's customer-facing code and its limits.
type PromotionSpec struct {
	Code              string
	ExpiresAt         time.Time
	MaxRedemptions    int
	FirstPurchaseOnly bool
}

// CreatePromotionCode creates the code customers type for a coupon.
func (c *Client) CreatePromotionCode(ctx context.Context, couponID string, spec PromotionSpec, vendoID, key string) (string, error) {
	p := &stripe.PromotionCodeParams{Coupon: stripe.String(couponID), Code: stripe.String(spec.Code)}
	if !spec.ExpiresAt.IsZero() {
		p.ExpiresAt = stripe.Int64(spec.ExpiresAt.Unix())
	}
	if spec.MaxRedemptions > 0 {
		p.MaxRedemptions = stripe.Int64(int64(spec.MaxRedemptions))
	}
	if spec.FirstPurchaseOnly {
		p.Restrictions = &stripe.PromotionCodeRestrictionsParams{FirstTimeTransaction: stripe.Bool(true)}
	}
	p.Context = ctx
	p.AddMetadata("vendo_id", vendoID)
	p.SetIdempotencyKey("vendo-promotion-code-" + key)
	pc, err := c.api.PromotionCodes.New(p)
	if err != nil {
		return "", wrap("create promotion code", err)
	}
	return pc.ID, nil
}

// SetPromotionCodeActive pauses (false) or resumes a promotion code.
func (c *Client) SetPromotionCodeActive(ctx context.Context, id string, active bool) error {
	p := &stripe.PromotionCodeParams{Active: stripe.Bool(active)}
	p.Context = ctx
	_, err := c.api.PromotionCodes.Update(id, p)
	return wrap("update promotion code", err)
}
