package app

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Discount is a code customers type or follow a link with, mapped to a
// Stripe Coupon (what is taken off) and Promotion Code (the code, with
// its limits). Stripe coupons cannot change: the amount is fixed once
// saved; pausing and deleting deactivate the promotion code.
type Discount struct {
	ID         string `json:"id"`
	Code       string `json:"code"` // as typed by customers, compared without case
	Name       string `json:"name"`
	PercentOff int    `json:"percent_off,omitempty"` // 1–100, or AmountOff
	AmountOff  Money  `json:"amount_off,omitempty"`
	// ProductIDs and PlanIDs, when either is not empty, are the only
	// products and plans it applies to; both empty, it applies to
	// everything.
	ProductIDs []string `json:"product_ids,omitempty"`
	PlanIDs    []string `json:"plan_ids,omitempty"`
	// Duration is how long it lasts on a plan: DurationOnce (the first
	// payment, the default), DurationForever, or DurationRepeating for
	// DurationMonths months (Stripe's coupon duration).
	Duration          string    `json:"duration,omitempty"`
	DurationMonths    int       `json:"duration_months,omitempty"`
	EndsAt            time.Time `json:"ends_at,omitempty"`
	MaxRedemptions    int       `json:"max_redemptions,omitempty"`
	FirstPurchaseOnly bool      `json:"first_purchase_only,omitempty"`
	Paused            bool      `json:"paused,omitempty"`
	Deleted           bool      `json:"deleted,omitempty"`

	StripeCouponID        string    `json:"stripe_coupon_id,omitempty"`
	StripePromotionCodeID string    `json:"stripe_promotion_code_id,omitempty"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
}

// Discount durations on plans, Stripe's coupon durations.
const (
	DurationOnce      = "once"
	DurationForever   = "forever"
	DurationRepeating = "repeating"
)

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$`)

// NormalizeCode is the form codes are stored and compared in.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Validate checks a discount before it is saved.
func (d *Discount) Validate() error {
	v := ValidationErrors{}
	if !codeRE.MatchString(d.Code) {
		v.Add("code", "Use 3 to 40 letters, digits, dashes or underscores for the code, like SPRING25.")
	}
	if n := len([]rune(strings.TrimSpace(d.Name))); n == 0 || n > 80 {
		v.Add("name", "Give the discount a name of up to 80 characters (customers see it at Checkout).")
	}
	switch {
	case d.PercentOff != 0 && d.AmountOff.Amount != 0:
		v.Add("percent_off", "Choose a percentage or an amount off, not both.")
	case d.PercentOff < 0 || d.PercentOff > 100:
		v.Add("percent_off", "Take off between 1 and 100 percent.")
	case d.PercentOff == 0 && d.AmountOff.Amount <= 0:
		v.Add("percent_off", "Say how much it takes off: a percentage or an amount.")
	case d.PercentOff == 0:
		if err := d.AmountOff.Validate(); err != nil {
			v.Add("amount_off", err.Error())
		}
	}
	switch d.Duration {
	case "", DurationOnce, DurationForever:
		if d.DurationMonths != 0 {
			v.Add("duration_months", "Months are for a discount that lasts some months.")
		}
	case DurationRepeating:
		if d.DurationMonths < 1 || d.DurationMonths > 36 {
			v.Add("duration_months", "Say for how many months, 1 to 36, a plan's payments are discounted.")
		}
	default:
		v.Add("duration", "Choose once, forever or some months.")
	}
	if d.MaxRedemptions < 0 {
		v.Add("max_redemptions", "The number of uses cannot be negative.")
	}
	return v.Err()
}

// Describe says what the discount takes off: "25% off", "$5.00 off".
func (d Discount) Describe() string {
	if d.PercentOff > 0 {
		return fmt.Sprintf("%d%% off", d.PercentOff)
	}
	return d.AmountOff.String() + " off"
}

// Off is what the discount takes off amount (the total of the items it
// applies to), as Stripe computes it: the percentage rounded to the
// nearest minor unit, or the fixed amount, never more than amount.
func (d Discount) Off(amount int64) int64 {
	off := d.AmountOff.Amount
	if d.PercentOff > 0 {
		off = (amount*int64(d.PercentOff) + 50) / 100
	}
	return min(off, amount)
}

// AppliesTo reports whether the discount covers a product.
func (d Discount) AppliesTo(productID string) bool {
	return d.Everything() || slices.Contains(d.ProductIDs, productID)
}

// AppliesToPlan reports whether the discount covers a plan.
func (d Discount) AppliesToPlan(planID string) bool {
	return d.Everything() || slices.Contains(d.PlanIDs, planID)
}

// Everything reports a discount on every product and plan.
func (d Discount) Everything() bool { return len(d.ProductIDs) == 0 && len(d.PlanIDs) == 0 }

// Lasts says how long the discount lasts on a plan: "on the first
// payment", "on every payment", "for 3 months".
func (d Discount) Lasts() string {
	switch d.Duration {
	case DurationForever:
		return "on every payment"
	case DurationRepeating:
		if d.DurationMonths == 1 {
			return "for the first month"
		}
		return fmt.Sprintf("for the first %d months", d.DurationMonths)
	}
	return "on the first payment"
}
