package sandbox

import (
	"net/http"
	"testing"

	"github.com/stripe/stripe-go/v76"
)

// discountedPurchase makes a 25%-off coupon on the poster, a promotion
// code for it limited to one redemption, and pays a session with it; it
// returns the paid session and the code.
func (e *env) discountedPurchase(c catalog) (*stripe.CheckoutSession, *stripe.PromotionCode) {
	e.t.Helper()
	must := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	other, err := e.api.Products.New(&stripe.ProductParams{Name: stripe.String("Stickers")})
	must(err)
	sticker, err := e.api.Prices.New(&stripe.PriceParams{Product: stripe.String(other.ID), UnitAmount: stripe.Int64(1000), Currency: stripe.String("usd")})
	must(err)
	co, err := e.api.Coupons.New(&stripe.CouponParams{PercentOff: stripe.Float64(25), Duration: stripe.String("once"), Name: stripe.String("Spring"),
		AppliesTo: &stripe.CouponAppliesToParams{Products: []*string{stripe.String(c.poster.Product.ID)}}})
	must(err)
	pc, err := e.api.PromotionCodes.New(&stripe.PromotionCodeParams{Coupon: stripe.String(co.ID), Code: stripe.String("SPRING25"),
		MaxRedemptions: stripe.Int64(1), Restrictions: &stripe.PromotionCodeRestrictionsParams{FirstTimeTransaction: stripe.Bool(false)}})
	must(err)
	p := &stripe.CheckoutSessionParams{
		Mode: stripe.String("payment"), SuccessURL: stripe.String("http://shop.test/ok?session_id={CHECKOUT_SESSION_ID}"),
		CustomerEmail: stripe.String("ada@example.com"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{
			{Price: stripe.String(c.poster.ID), Quantity: stripe.Int64(2)}, {Price: stripe.String(sticker.ID), Quantity: stripe.Int64(1)}},
		Discounts: []*stripe.CheckoutSessionDiscountParams{{PromotionCode: stripe.String(pc.ID)}},
	}
	s, err := e.api.CheckoutSessions.New(p)
	must(err)
	if resp, body := e.postForm(s.URL, cardValues("4242424242424242")); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("pay: %d %s", resp.StatusCode, body)
	}
	gp := &stripe.CheckoutSessionParams{}
	gp.AddExpand("line_items")
	gp.AddExpand("payment_intent")
	gp.AddExpand("total_details.breakdown")
	s, err = e.api.CheckoutSessions.Get(s.ID, gp)
	must(err)
	pc, err = e.api.PromotionCodes.Get(pc.ID, nil)
	must(err)
	_, err = e.api.Coupons.Get(co.ID, nil)
	must(err)
	return s, pc
}

// TestPromotionCodesAtCheckout: a promotion code takes its coupon's
// percentage off the lines it applies to only; the payment is the
// discounted total; the redemption counts when paid, and a code used up
// is refused at the next session with Stripe's error.
func TestPromotionCodesAtCheckout(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s, pc := e.discountedPurchase(c)
	posterTotal := c.poster.UnitAmount * 2
	wantOff := posterTotal / 4
	if s.TotalDetails == nil || s.TotalDetails.AmountDiscount != wantOff {
		t.Fatalf("amount_discount %+v, want %d", s.TotalDetails, wantOff)
	}
	if s.AmountTotal != s.AmountSubtotal-wantOff || s.PaymentIntent.Amount != s.AmountTotal {
		t.Fatalf("total %d of %d, payment %d; want %d off", s.AmountTotal, s.AmountSubtotal, s.PaymentIntent.Amount, wantOff)
	}
	for _, li := range s.LineItems.Data {
		want := int64(0)
		if li.Price.ID == c.poster.ID {
			want = wantOff
		}
		if li.AmountDiscount != want || li.AmountTotal != li.AmountSubtotal-want {
			t.Fatalf("line %s: discount %d total %d, want %d off", li.Price.ID, li.AmountDiscount, li.AmountTotal, want)
		}
	}
	// The breakdown names the discount applied: how a code typed on the
	// page is known after payment.
	if bd := s.TotalDetails.Breakdown; bd == nil || len(bd.Discounts) != 1 || bd.Discounts[0].Amount != wantOff ||
		bd.Discounts[0].Discount.PromotionCode == nil || bd.Discounts[0].Discount.PromotionCode.ID != pc.ID ||
		bd.Discounts[0].Discount.Coupon.ID != pc.Coupon.ID || bd.Discounts[0].Discount.CheckoutSession != s.ID || len(bd.Taxes) != 0 {
		t.Fatalf("total_details.breakdown %+v, want the %d off of %s", bd, wantOff, pc.ID)
	}
	if pc.TimesRedeemed != 1 || pc.Coupon.TimesRedeemed != 1 || pc.Coupon.Valid != true {
		t.Fatalf("redemptions: code %d, coupon %d (valid %v)", pc.TimesRedeemed, pc.Coupon.TimesRedeemed, pc.Coupon.Valid)
	}
	_, err := e.api.CheckoutSessions.New(&stripe.CheckoutSessionParams{
		Mode: stripe.String("payment"), SuccessURL: stripe.String("http://shop.test/ok"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(c.poster.ID), Quantity: stripe.Int64(1)}},
		Discounts: []*stripe.CheckoutSessionDiscountParams{{PromotionCode: stripe.String(pc.ID)}},
	})
	if se, ok := err.(*stripe.Error); !ok || se.Param != "discounts[0][promotion_code]" {
		t.Fatalf("a used-up code: %v, want an error on discounts[0][promotion_code]", err)
	}
	// Paused: inactive codes are refused too, and a second active code
	// with the same text is not allowed.
	if _, err := e.api.PromotionCodes.Update(pc.ID, &stripe.PromotionCodeParams{Active: stripe.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.api.PromotionCodes.Get(pc.ID, nil)
	if got.Active {
		t.Fatal("the code is still active")
	}
}
