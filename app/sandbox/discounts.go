package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Coupons and promotion codes, as Stripe has them: a coupon says how much
// is taken off (percent_off or amount_off in a currency, for once, forever
// or some months, on all products or the ones in applies_to), a promotion
// code is the customer-facing code for a coupon, with its own limits
// (active, expires_at, max_redemptions, first-time buyers only). Checkout
// in payment mode takes one in discounts[0][promotion_code] or
// discounts[0][coupon]; redemptions count when the session is paid.

type coupon struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	AmountOff        nint              `json:"amount_off"`
	AppliesTo        *couponAppliesTo  `json:"applies_to,omitempty"`
	Created          int64             `json:"created"`
	Currency         nstr              `json:"currency"`
	Duration         string            `json:"duration"`
	DurationInMonths nint              `json:"duration_in_months"`
	Livemode         bool              `json:"livemode"`
	MaxRedemptions   nint              `json:"max_redemptions"`
	Metadata         map[string]string `json:"metadata"`
	Name             nstr              `json:"name"`
	PercentOff       *float64          `json:"percent_off"`
	RedeemBy         nint              `json:"redeem_by"`
	TimesRedeemed    int64             `json:"times_redeemed"`
	Valid            bool              `json:"valid"`
}

type couponAppliesTo struct {
	Products []string `json:"products"`
}

type promotionCode struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Active         bool              `json:"active"`
	Code           string            `json:"code"`
	Coupon         coupon            `json:"coupon"`
	Created        int64             `json:"created"`
	Customer       nstr              `json:"customer"`
	ExpiresAt      nint              `json:"expires_at"`
	Livemode       bool              `json:"livemode"`
	MaxRedemptions nint              `json:"max_redemptions"`
	Metadata       map[string]string `json:"metadata"`
	Restrictions   promoRestrictions `json:"restrictions"`
	TimesRedeemed  int64             `json:"times_redeemed"`
}

type promoRestrictions struct {
	FirstTimeTransaction  bool `json:"first_time_transaction"`
	MinimumAmount         nint `json:"minimum_amount"`
	MinimumAmountCurrency nstr `json:"minimum_amount_currency"`
}

func apiCreateCoupon(t *txn, r *request) (any, error) {
	p := r.p
	c := coupon{ID: t.newID("co_"), Object: objCoupon, Created: t.now.Unix(), Duration: "once", Metadata: metadataOf(p),
		Name: nstr(p.str("name")), Valid: true}
	if id := p.str("id"); id != "" {
		if t.raw(objCoupon, id) != nil {
			return nil, invalidRequest("id", "Coupon already exists.")
		}
		c.ID = id
	}
	if s := p.str("percent_off"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 || v > 100 {
			return nil, invalidParam("percent_off", "Invalid percent_off: must be greater than 0 and at most 100.")
		}
		c.PercentOff = &v
	}
	if n, ok, err := p.int("amount_off"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 {
			return nil, invalidParam("amount_off", "Invalid amount_off: must be a positive integer.")
		}
		c.AmountOff = nint(n)
		c.Currency = nstr(strings.ToLower(p.str("currency")))
		if c.Currency == "" {
			return nil, missingParam("currency")
		}
	}
	if (c.PercentOff == nil) == (c.AmountOff == 0) {
		return nil, invalidRequest("percent_off", "You must pass exactly one of `percent_off` or `amount_off`.")
	}
	if d := p.str("duration"); d != "" {
		if d != "once" && d != "forever" && d != "repeating" {
			return nil, invalidParam("duration", "Invalid duration: must be one of forever, once, or repeating")
		}
		c.Duration = d
	}
	if n, ok, err := p.int("duration_in_months"); err != nil {
		return nil, err
	} else if ok != (c.Duration == "repeating") {
		return nil, invalidRequest("duration_in_months", "`duration_in_months` is required with, and only with, a `repeating` duration.")
	} else if ok {
		c.DurationInMonths = nint(n)
	}
	for key, dst := range map[string]*nint{"max_redemptions": &c.MaxRedemptions, "redeem_by": &c.RedeemBy} {
		if n, ok, err := p.int(key); err != nil {
			return nil, err
		} else if ok {
			*dst = nint(n)
		}
	}
	if at := p.sub("applies_to"); at != nil {
		c.AppliesTo = &couponAppliesTo{Products: at.strings("products")}
		for _, id := range c.AppliesTo.Products {
			if _, err := t.productByID(id, "applies_to[products]"); err != nil {
				return nil, err
			}
		}
	}
	return c, t.put(objCoupon, c.ID, c)
}

// couponByID returns a coupon with valid recomputed (redeem_by and
// max_redemptions on the sandbox's clock).
func (t *txn) couponByID(id, param string) (coupon, error) {
	var c coupon
	if err := t.get(objCoupon, id, &c); err != nil {
		return c, noSuch("coupon", id, param)
	}
	c.Valid = (c.RedeemBy == 0 || t.now.Unix() < int64(c.RedeemBy)) && (c.MaxRedemptions == 0 || c.TimesRedeemed < int64(c.MaxRedemptions))
	return c, nil
}

func apiGetCoupon(t *txn, r *request) (any, error) { return t.couponByID(r.id, "id") }

func apiCreatePromotionCode(t *txn, r *request) (any, error) {
	p := r.p
	couponID := p.str("coupon")
	if couponID == "" {
		return nil, missingParam("coupon")
	}
	c, err := t.couponByID(couponID, "coupon")
	if err != nil {
		return nil, err
	}
	pc := promotionCode{ID: t.newID("promo_"), Object: objPromotionCode, Active: true, Coupon: c, Created: t.now.Unix(),
		Metadata: metadataOf(p), Code: p.str("code")}
	if pc.Code == "" {
		pc.Code = strings.ToUpper(randomString(8))
	}
	if v, ok, err := p.boolean("active"); err != nil {
		return nil, err
	} else if ok {
		pc.Active = v
	}
	for key, dst := range map[string]*nint{"max_redemptions": &pc.MaxRedemptions, "expires_at": &pc.ExpiresAt} {
		if n, ok, err := p.int(key); err != nil {
			return nil, err
		} else if ok {
			*dst = nint(n)
		}
	}
	if rs := p.sub("restrictions"); rs != nil {
		if v, ok, err := rs.boolean("first_time_transaction"); err != nil {
			return nil, err
		} else if ok {
			pc.Restrictions.FirstTimeTransaction = v
		}
	}
	if pc.Active {
		if other, ok := t.activePromotionCode(pc.Code); ok {
			return nil, invalidRequest("code", fmt.Sprintf("An active promotion code with `code: %s` already exists (%s).", pc.Code, other.ID))
		}
	}
	return pc, t.put(objPromotionCode, pc.ID, pc)
}

// activePromotionCode finds the active promotion code with code, in any
// case.
func (t *txn) activePromotionCode(code string) (promotionCode, bool) {
	var found promotionCode
	ok := false
	t.eachNewest(objPromotionCode, func(_ string, raw []byte) bool {
		var pc promotionCode
		if json.Unmarshal(raw, &pc) == nil && pc.Active && strings.EqualFold(pc.Code, code) {
			found, ok = pc, true
			return false
		}
		return true
	})
	return found, ok
}

func (t *txn) promotionCodeByID(id, param string) (promotionCode, error) {
	var pc promotionCode
	if err := t.get(objPromotionCode, id, &pc); err != nil {
		return pc, noSuch("promotion_code", id, param)
	}
	c, err := t.couponByID(pc.Coupon.ID, param)
	if err != nil {
		return pc, err
	}
	pc.Coupon = c
	return pc, nil
}

func apiGetPromotionCode(t *txn, r *request) (any, error) { return t.promotionCodeByID(r.id, "id") }

func apiUpdatePromotionCode(t *txn, r *request) (any, error) {
	pc, err := t.promotionCodeByID(r.id, "id")
	if err != nil {
		return nil, err
	}
	if v, ok, err := r.p.boolean("active"); err != nil {
		return nil, err
	} else if ok {
		if v && !pc.Active {
			if other, dup := t.activePromotionCode(pc.Code); dup {
				return nil, invalidRequest("active", fmt.Sprintf("An active promotion code with `code: %s` already exists (%s).", pc.Code, other.ID))
			}
		}
		pc.Active = v
	}
	pc.Metadata = applyMetadata(pc.Metadata, r.p)
	return pc, t.put(objPromotionCode, pc.ID, pc)
}

// sessionDiscount reads discounts[0] of a new session and
// takes it off the line items, as Stripe does: a percentage of each
// eligible line, or a fixed amount spread over the eligible lines in
// proportion, never more than they cost. It returns the promotion code
// and coupon ids applied ("" when none).
func (t *txn) sessionDiscount(s *session, items []lineItem, p params) (promo, couponID string, err error) {
	ds := p.maps("discounts")
	if len(ds) == 0 {
		return "", "", nil
	}
	if s.AllowPromotionCodes != nil && *s.AllowPromotionCodes {
		return "", "", invalidRequest("discounts", "You may only specify one of these parameters: allow_promotion_codes, discounts.")
	}
	if len(ds) > 1 {
		return "", "", invalidParam("discounts", "You may only specify one discount.")
	}
	var c coupon
	switch {
	case ds[0].str("promotion_code") != "":
		pc, err := t.promotionCodeByID(ds[0].str("promotion_code"), "discounts[0][promotion_code]")
		if err != nil {
			return "", "", err
		}
		switch {
		case !pc.Active, pc.ExpiresAt != 0 && t.now.Unix() >= int64(pc.ExpiresAt),
			pc.MaxRedemptions != 0 && pc.TimesRedeemed >= int64(pc.MaxRedemptions):
			return "", "", invalidParam("discounts[0][promotion_code]", "This promotion code cannot be redeemed because it is inactive, expired or used up.")
		case pc.Restrictions.FirstTimeTransaction && s.Customer != "" && t.customerHasPaid(string(s.Customer)):
			return "", "", invalidParam("discounts[0][promotion_code]", "This promotion code can only be redeemed on a customer's first purchase.")
		}
		promo, c = pc.ID, pc.Coupon
	case ds[0].str("coupon") != "":
		if c, err = t.couponByID(ds[0].str("coupon"), "discounts[0][coupon]"); err != nil {
			return "", "", err
		}
	default:
		return "", "", missingParam("discounts[0][coupon]")
	}
	if !c.Valid {
		return "", "", invalidParam("discounts[0]", fmt.Sprintf("Coupon %s is no longer valid.", c.ID))
	}
	if c.Currency != "" && string(c.Currency) != s.Currency {
		return "", "", invalidParam("discounts[0]", fmt.Sprintf("Coupon %s is in %s, the session in %s.", c.ID, c.Currency, s.Currency))
	}
	eligible := func(li lineItem) bool {
		if c.AppliesTo == nil || len(c.AppliesTo.Products) == 0 {
			return true
		}
		for _, id := range c.AppliesTo.Products {
			if id == li.Price.Product {
				return true
			}
		}
		return false
	}
	var base int64
	for _, li := range items {
		if eligible(li) {
			base += li.AmountSubtotal
		}
	}
	if base == 0 {
		return "", "", invalidParam("discounts[0]", "This discount does not apply to any item in the session.")
	}
	off := int64(c.AmountOff)
	if c.PercentOff != nil {
		off = int64(math.Round(float64(base) * *c.PercentOff / 100))
	}
	off = min(off, base)
	left, total := off, int64(0)
	for i := range items {
		if !eligible(items[i]) {
			continue
		}
		share := off * items[i].AmountSubtotal / base
		if share > left {
			share = left
		}
		items[i].AmountDiscount = share
		left -= share
	}
	for i := range items { // rounding: the last cents on the first eligible lines that can take them
		if left == 0 {
			break
		}
		if eligible(items[i]) {
			more := min(left, items[i].AmountSubtotal-items[i].AmountDiscount)
			items[i].AmountDiscount += more
			left -= more
		}
	}
	for i := range items {
		items[i].AmountTotal = items[i].AmountSubtotal - items[i].AmountDiscount
		total += items[i].AmountDiscount
	}
	s.TotalDetails["amount_discount"] = total
	return promo, c.ID, nil
}

// customerHasPaid reports whether a customer has a successful charge.
func (t *txn) customerHasPaid(customerID string) bool {
	paid := false
	t.eachNewest(objCharge, func(_ string, raw []byte) bool {
		var ch charge
		if json.Unmarshal(raw, &ch) == nil && string(ch.Customer) == customerID && ch.Paid {
			paid = true
			return false
		}
		return true
	})
	return paid
}

// redeem counts a paid session's discount on its promotion code and
// coupon.
func (t *txn) redeem(s session) error {
	if s.Internal.Coupon == "" {
		return nil
	}
	var c coupon
	if err := t.get(objCoupon, s.Internal.Coupon, &c); err == nil {
		c.TimesRedeemed++
		if err := t.put(objCoupon, c.ID, c); err != nil {
			return err
		}
	}
	if s.Internal.PromotionCode == "" {
		return nil
	}
	var pc promotionCode
	if err := t.get(objPromotionCode, s.Internal.PromotionCode, &pc); err != nil {
		return nil
	}
	pc.TimesRedeemed++
	return t.put(objPromotionCode, pc.ID, pc)
}

// discount is a coupon applied to a subscription, as Stripe has it: from
// start to end (null for forever; after the first invoice a once coupon
// is spent).
type discount struct {
	ID              string `json:"id"`
	Object          string `json:"object"`
	CheckoutSession nstr   `json:"checkout_session"`
	Coupon          coupon `json:"coupon"`
	Customer        nstr   `json:"customer"`
	End             nint   `json:"end"`
	Invoice         nstr   `json:"invoice"`
	InvoiceItem     nstr   `json:"invoice_item"`
	PromotionCode   nstr   `json:"promotion_code"`
	Start           int64  `json:"start"`
	Subscription    nstr   `json:"subscription"`
}

// subscriptionDiscount puts a paid session's coupon on its new
// subscription.
func (t *txn) subscriptionDiscount(s session, sub *subscription) error {
	if s.Internal.Coupon == "" {
		return nil
	}
	c, err := t.couponByID(s.Internal.Coupon, "coupon")
	if err != nil {
		return err
	}
	d := &discount{ID: t.newID("di_"), Object: "discount", CheckoutSession: nstr(s.ID), Coupon: c, Customer: nstr(sub.Customer),
		PromotionCode: nstr(s.Internal.PromotionCode), Start: t.now.Unix(), Subscription: nstr(sub.ID)}
	if c.Duration == "repeating" {
		d.End = nint(addInterval(t.now, "month", int64(c.DurationInMonths)).Unix())
	}
	sub.Discount = d
	return nil
}

// subscriptionOff is what a subscription's discount takes off an invoice
// of lines issued now: eligible lines only, never more than they cost; 0
// once a repeating coupon has ended, and for a once coupon after its
// first invoice (first is true for the subscription's first invoice).
func (t *txn) subscriptionOff(sub subscription, lines []invoiceLine, first bool) int64 {
	d := sub.Discount
	if d == nil || d.Coupon.Duration == "once" && !first || d.End != 0 && t.now.Unix() >= int64(d.End) {
		return 0
	}
	c := d.Coupon
	var base int64
	for _, l := range lines {
		if l.Proration || l.Price == nil || l.Price.Recurring == nil || l.Amount <= 0 { // one-time lines were discounted at Checkout
			continue
		}
		if c.AppliesTo == nil || len(c.AppliesTo.Products) == 0 || slices.Contains(c.AppliesTo.Products, l.Price.Product) {
			base += l.Amount
		}
	}
	off := int64(c.AmountOff)
	if c.PercentOff != nil {
		off = int64(math.Round(float64(base) * *c.PercentOff / 100))
	}
	return min(off, base)
}

// typeCode applies a code the customer typed on the hosted Checkout page
// of a session that allows it (allow_promotion_codes), as Stripe's page
// does: the active promotion code with that code, checked like
// discounts[0][promotion_code], replaces any typed before. It returns the
// sentence the page shows when the code cannot be used.
func (t *txn) typeCode(s session, code string) (string, error) {
	if s.AllowPromotionCodes == nil || !*s.AllowPromotionCodes {
		return "This checkout does not take promotion codes.", nil
	}
	pc, ok := t.activePromotionCode(strings.TrimSpace(code))
	if !ok {
		return "This code is invalid.", nil
	}
	items := t.sessionLineItems(s.ID)
	for i := range items {
		items[i].AmountDiscount, items[i].AmountTotal = 0, items[i].AmountSubtotal
	}
	s.TotalDetails["amount_discount"] = 0
	p, err := parseForm(url.Values{"discounts[0][promotion_code]": {pc.ID}})
	if err != nil {
		return "", err
	}
	allow := s.AllowPromotionCodes
	s.AllowPromotionCodes = nil // sessionDiscount's rule is for the API's parameters
	promo, couponID, err := t.sessionDiscount(&s, items, p)
	if e, ok := err.(*apiError); ok {
		return e.Message, nil
	} else if err != nil {
		return "", err
	}
	s.AllowPromotionCodes = allow
	s.Internal.PromotionCode, s.Internal.Coupon = promo, couponID
	s.AmountSubtotal, s.AmountTotal = 0, 0
	for _, li := range items {
		s.AmountSubtotal += li.AmountSubtotal
		s.AmountTotal += li.AmountTotal
	}
	if err := t.putLineItems(s.ID, items); err != nil {
		return "", err
	}
	return "", t.put(objSession, s.ID, s)
}

// sessionBreakdown is a session's total_details.breakdown as Stripe
// gives it when expanded: the discount applied, with its coupon and
// promotion code (how a code typed on the page is known afterwards),
// and the tax by tax_rate.
func (t *txn) sessionBreakdown(id string) (map[string]any, error) {
	var s session
	if err := t.get(objSession, id, &s); err != nil {
		return nil, err
	}
	discounts, taxes := []any{}, []any{}
	if off := s.TotalDetails["amount_discount"]; off > 0 && s.Internal.Coupon != "" {
		c, err := t.couponByID(s.Internal.Coupon, "coupon")
		if err != nil {
			return nil, err
		}
		// One discount object per session: its id follows from the
		// session's (hashed: a session's id is its secret URL), so
		// every read names the same one.
		sum := sha256.Sum256([]byte(s.ID))
		d := discount{ID: "di_" + hex.EncodeToString(sum[:12]), Object: "discount", CheckoutSession: nstr(s.ID), Coupon: c,
			Customer: s.Customer, PromotionCode: nstr(s.Internal.PromotionCode), Start: s.Created}
		discounts = append(discounts, map[string]any{"amount": off, "discount": mustMap(d)})
	}
	for _, tx := range s.Internal.Taxes {
		rate, ok := t.loadMap(tx.Rate)
		if !ok {
			return nil, fmt.Errorf("session %s: tax rate %s is gone", s.ID, tx.Rate)
		}
		taxes = append(taxes, map[string]any{"amount": tx.Amount, "rate": rate})
	}
	return map[string]any{"discounts": discounts, "taxes": taxes}, nil
}
