package shop

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// Discount codes: the admin creates them (a Stripe Coupon and Promotion
// Code each), customers bring them by a shared link or type them on the
// cart, the cart shows the discounted price, and Checkout applies the
// Promotion Code. A code that cannot be used gets a sentence before
// Checkout, never a failed one.

// CreateDiscount validates a new discount, creates its Stripe Coupon and
// Promotion Code, and stores it with their ids, audited.
func (s *Shop) CreateDiscount(ctx context.Context, d app.Discount, actor string) (app.Discount, error) {
	d.Code, d.Name = app.NormalizeCode(d.Code), strings.TrimSpace(d.Name)
	if err := d.Validate(); err != nil {
		return d, err
	}
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.DiscountByCode(d.Code); err == nil {
			return &app.Error{Code: app.ECONFLICT, Field: "code", Message: fmt.Sprintf("Another discount already uses the code %s.", d.Code)}
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	stripeProducts, err := s.discountProducts(ctx, d)
	if err != nil {
		return d, err
	}
	key := d.Code + "-" + fmt.Sprint(s.now().UnixNano())
	couponID, err := s.Stripe.CreateCoupon(ctx, stripeapi.CouponSpec{Name: d.Name, PercentOff: d.PercentOff, AmountOff: d.AmountOff.Amount,
		Currency: d.AmountOff.Currency, Products: stripeProducts, RedeemBy: d.EndsAt, MaxRedemptions: d.MaxRedemptions,
		Duration: d.Duration, DurationMonths: d.DurationMonths}, d.Code, key)
	if err != nil {
		return d, fmt.Errorf("stripe coupon for %s: %w", d.Code, err)
	}
	promoID, err := s.Stripe.CreatePromotionCode(ctx, couponID, stripeapi.PromotionSpec{Code: d.Code, ExpiresAt: d.EndsAt,
		MaxRedemptions: d.MaxRedemptions, FirstPurchaseOnly: d.FirstPurchaseOnly}, d.Code, key)
	if err != nil {
		return d, fmt.Errorf("stripe promotion code for %s: %w", d.Code, err)
	}
	d.StripeCouponID, d.StripePromotionCodeID = couponID, promoID
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutDiscount(&d); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "discount.create", Target: d.ID,
			Detail: fmt.Sprintf("created %s (%s, %s)", d.Code, d.Name, d.Describe())})
	})
	return d, err
}

// discountProducts checks the products and plans a discount is for and
// returns their Stripe Products (made when missing), which its coupon
// names.
func (s *Shop) discountProducts(ctx context.Context, d app.Discount) ([]string, error) {
	var stripeProducts []string
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		for _, id := range d.ProductIDs {
			p, err := tx.Product(id)
			if err != nil {
				return app.FieldError("products", "One of the chosen products does not exist.")
			}
			if d.AmountOff.Amount > 0 && p.Price.Currency != d.AmountOff.Currency {
				return app.FieldError("amount_off", "%s is priced in %s: take the amount off in that currency.", p.Title, strings.ToUpper(p.Price.Currency))
			}
		}
		for _, id := range d.PlanIDs {
			p, err := tx.Plan(id)
			if err != nil {
				return app.FieldError("plans", "One of the chosen plans does not exist.")
			}
			if d.AmountOff.Amount > 0 && p.Monthly.Price.Currency != d.AmountOff.Currency {
				return app.FieldError("amount_off", "The %s plan is priced in %s: take the amount off in that currency.", p.Name, strings.ToUpper(p.Monthly.Price.Currency))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(d.PlanIDs) > 0 {
		// The plans' Stripe Products, which the coupon names.
		if err := s.EnsurePlanPrices(ctx); err != nil {
			return nil, err
		}
	}
	for _, id := range d.PlanIDs {
		p, err := s.planByID(ctx, id)
		if err != nil {
			return nil, err
		}
		stripeProducts = append(stripeProducts, p.StripeProductID)
	}
	for _, id := range d.ProductIDs {
		var p app.Product
		if err := s.Store.View(ctx, func(tx *store.Tx) (err error) { p, err = tx.Product(id); return err }); err != nil {
			return nil, err
		}
		prodID, err := s.ensureProduct(ctx, p)
		if err != nil {
			return nil, err
		}
		stripeProducts = append(stripeProducts, prodID)
	}
	return stripeProducts, nil
}

// UpdateDiscount stores the admin's edit of a discount (everything but
// its code). Stripe's coupons and promotion codes cannot change what they
// take off or their limits, so, as a new price makes a new Stripe Price,
// an edit that changes any of them makes a new Coupon and Promotion Code
// with the same code and deactivates the old code first (only one active
// code may carry it; it is active again if the new one cannot be made).
// Uses count across versions: the new code allows what is left. Orders
// keep the code, so its redemptions and revenue stay whole.
func (s *Shop) UpdateDiscount(ctx context.Context, id string, edit app.Discount, actor string) (app.Discount, error) {
	var cur app.Discount
	if err := s.Store.View(ctx, func(tx *store.Tx) (err error) { cur, err = tx.Discount(id); return err }); err != nil {
		return cur, err
	}
	if cur.Deleted {
		return cur, app.Errorf(app.EINVALID, "That discount was deleted.")
	}
	d := cur
	d.Name, d.PercentOff, d.AmountOff = strings.TrimSpace(edit.Name), edit.PercentOff, edit.AmountOff
	d.ProductIDs, d.PlanIDs, d.Duration, d.DurationMonths = edit.ProductIDs, edit.PlanIDs, edit.Duration, edit.DurationMonths
	d.EndsAt, d.MaxRedemptions, d.FirstPurchaseOnly = edit.EndsAt, edit.MaxRedemptions, edit.FirstPurchaseOnly
	if err := d.Validate(); err != nil {
		return cur, err
	}
	if discountDiff(cur, d) == "" {
		return cur, nil
	}
	stripeProducts, err := s.discountProducts(ctx, d)
	if err != nil {
		return cur, err
	}
	var used int
	if err := s.Store.View(ctx, func(tx *store.Tx) error {
		used, err = codeUses(tx, d.Code)
		return err
	}); err != nil {
		return cur, err
	}
	uses := d.MaxRedemptions
	if uses > 0 {
		uses = max(uses-used, 1) // used up already: the shop refuses it before Stripe
	}
	key := d.Code + "-" + fmt.Sprint(s.now().UnixNano())
	couponID, err := s.Stripe.CreateCoupon(ctx, stripeapi.CouponSpec{Name: d.Name, PercentOff: d.PercentOff, AmountOff: d.AmountOff.Amount,
		Currency: d.AmountOff.Currency, Products: stripeProducts, RedeemBy: d.EndsAt, MaxRedemptions: uses,
		Duration: d.Duration, DurationMonths: d.DurationMonths}, d.Code, key)
	if err != nil {
		return cur, fmt.Errorf("stripe coupon for %s: %w", d.Code, err)
	}
	if cur.StripePromotionCodeID != "" {
		if err := s.Stripe.SetPromotionCodeActive(ctx, cur.StripePromotionCodeID, false); err != nil {
			return cur, fmt.Errorf("deactivate the old promotion code of %s: %w", d.Code, err)
		}
	}
	promoID, err := s.Stripe.CreatePromotionCode(ctx, couponID, stripeapi.PromotionSpec{Code: d.Code, ExpiresAt: d.EndsAt,
		MaxRedemptions: uses, FirstPurchaseOnly: d.FirstPurchaseOnly}, d.Code, key)
	if err == nil && d.Paused {
		err = s.Stripe.SetPromotionCodeActive(ctx, promoID, false)
	}
	if err != nil {
		if cur.StripePromotionCodeID != "" && !cur.Paused {
			if rerr := s.Stripe.SetPromotionCodeActive(ctx, cur.StripePromotionCodeID, true); rerr != nil {
				s.Log.Warn("reactivate the old promotion code", "code", d.Code, "err", rerr)
			}
		}
		return cur, fmt.Errorf("stripe promotion code for %s: %w", d.Code, err)
	}
	d.StripeCouponID, d.StripePromotionCodeID = couponID, promoID
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		now, err := tx.Discount(id)
		if err != nil {
			return err
		}
		d.Paused, d.Deleted = now.Paused, now.Deleted // a pause meanwhile is kept
		if err := tx.PutDiscount(&d); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "discount.update", Target: id,
			Detail: fmt.Sprintf("edited %s: %s (Stripe promotion code %s → %s)", d.Code, discountDiff(cur, d), cur.StripePromotionCodeID, promoID)})
	})
	return d, err
}

// discountDiff says what an edit changed, "" for nothing.
func discountDiff(a, b app.Discount) string {
	var df diff
	df.quoted("name", a.Name, b.Name)
	if a.Describe() != b.Describe() {
		df.add("%s → %s", a.Describe(), b.Describe())
	}
	if !slices.Equal(a.ProductIDs, b.ProductIDs) || !slices.Equal(a.PlanIDs, b.PlanIDs) {
		df.add("what it applies to")
	}
	if a.Lasts() != b.Lasts() {
		df.add("on plans %s → %s", a.Lasts(), b.Lasts())
	}
	if !a.EndsAt.Equal(b.EndsAt) {
		df.add("end date")
	}
	if a.MaxRedemptions != b.MaxRedemptions {
		df.add("uses %d → %d", a.MaxRedemptions, b.MaxRedemptions)
	}
	df.flag("first purchase only", a.FirstPurchaseOnly, b.FirstPurchaseOnly)
	if len(df) == 0 {
		return ""
	}
	return df.String()
}

// SetDiscountPaused pauses or resumes a discount: its Promotion Code is
// deactivated or activated at Stripe first, then the change is stored.
func (s *Shop) SetDiscountPaused(ctx context.Context, id string, paused bool, actor string) error {
	return s.changeDiscount(ctx, id, actor, func(d *app.Discount) (string, error) {
		if d.Deleted {
			return "", app.Errorf(app.EINVALID, "That discount was deleted.")
		}
		d.Paused = paused
		if paused {
			return "paused " + d.Code, nil
		}
		return "resumed " + d.Code, nil
	})
}

// DeleteDiscount ends a discount for good: its Promotion Code is
// deactivated; the record stays for its orders and redemptions.
func (s *Shop) DeleteDiscount(ctx context.Context, id, actor string) error {
	return s.changeDiscount(ctx, id, actor, func(d *app.Discount) (string, error) {
		d.Deleted = true
		return "deleted " + d.Code, nil
	})
}

func (s *Shop) changeDiscount(ctx context.Context, id, actor string, change func(*app.Discount) (string, error)) error {
	var d app.Discount
	if err := s.Store.View(ctx, func(tx *store.Tx) (err error) { d, err = tx.Discount(id); return err }); err != nil {
		return err
	}
	detail, err := change(&d)
	if err != nil {
		return err
	}
	if d.StripePromotionCodeID != "" {
		if err := s.Stripe.SetPromotionCodeActive(ctx, d.StripePromotionCodeID, !d.Paused && !d.Deleted); err != nil {
			return fmt.Errorf("promotion code of %s: %w", d.Code, err)
		}
	}
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Discount(id)
		if err != nil {
			return err
		}
		cur.Paused, cur.Deleted = d.Paused, d.Deleted
		if err := tx.PutDiscount(&cur); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "discount.update", Target: id, Detail: detail})
	})
}

// Redemptions are a discount's paid orders and the revenue they brought.
type Redemptions struct {
	Orders int
	// Subscriptions counts the plans subscribed to with the code (their
	// payments are not orders, so not in Revenue and Off).
	Subscriptions int
	// Revenue (net of refunds) and Off are the orders', one amount per
	// currency.
	Revenue []app.Money
	Off     []app.Money
}

// Uses is how many times the code was redeemed, as Stripe counts it: one
// per paid Checkout, for a cart or a plan.
func (r Redemptions) Uses() int { return r.Orders + r.Subscriptions }

// DiscountList is the admin's list: every discount not deleted, with its
// redemptions counted from the orders.
type DiscountList struct {
	Discount    app.Discount
	Redemptions Redemptions
}

// Discounts lists the discounts for the admin with their redemptions.
func (s *Shop) Discounts(ctx context.Context) ([]DiscountList, error) {
	var out []DiscountList
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		ds, err := tx.Discounts()
		if err != nil {
			return err
		}
		used, err := redemptions(tx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if !d.Deleted {
				out = append(out, DiscountList{Discount: d, Redemptions: used[d.Code]})
			}
		}
		return nil
	})
	return out, err
}

// redemptions is every code's uses, from the aggregates the store keeps
// in the transactions that write orders and subscriptions (so a code's
// limit is checked without reading every order).
func redemptions(tx *store.Tx) (map[string]Redemptions, error) {
	uses, err := tx.CodeUses()
	if err != nil {
		return nil, err
	}
	out := make(map[string]Redemptions, len(uses))
	for code, u := range uses {
		out[code] = Redemptions{Orders: u.Orders, Subscriptions: u.Subscriptions, Revenue: amounts(u.Revenue), Off: amounts(u.Off)}
	}
	return out, nil
}

// codeUses is one code's uses.
func codeUses(tx *store.Tx, code string) (int, error) {
	u, err := tx.CodeUsesOf(code)
	return u.Orders + u.Subscriptions, err
}

// amounts lists amounts by currency, in the currencies' order.
func amounts(byCurrency map[string]int64) []app.Money {
	out := make([]app.Money, 0, len(byCurrency))
	for _, cur := range slices.Sorted(maps.Keys(byCurrency)) {
		out = append(out, app.Money{Amount: byCurrency[cur], Currency: cur})
	}
	return out
}

// CartDiscount is a code applied to a cart: what it takes off, or why it
// cannot be used.
type CartDiscount struct {
	Code     string
	Discount app.Discount
	Off      app.Money
	Total    app.Money // the cart's total after it
	Refused  string    // a sentence when the code cannot be used
}

// ApplyCode checks a code against a cart and the customer ("" for a
// visitor): unknown, paused, deleted, expired, used up, not for anything
// in the cart, or for first purchases only, each with its sentence.
func (s *Shop) ApplyCode(ctx context.Context, code string, cart CartView, customerID string) (CartDiscount, error) {
	cd := CartDiscount{Code: app.NormalizeCode(code), Total: cart.Total}
	if cd.Code == "" {
		return cd, nil
	}
	if err := s.checkCode(ctx, &cd, customerID, cartHolder(cart.ID)); err != nil || cd.Refused != "" {
		return cd, err
	}
	var base int64
	for _, l := range cart.Lines {
		if cd.Discount.AppliesTo(l.Product.ID) {
			base += l.Total.Amount
		}
	}
	d := cd.Discount
	if base == 0 && !cart.Empty() {
		cd.Refused = fmt.Sprintf("The code %s does not apply to anything in your cart.", d.Code)
		return cd, nil
	}
	if d.AmountOff.Amount > 0 && d.AmountOff.Currency != cart.Total.Currency && !cart.Empty() {
		cd.Refused = fmt.Sprintf("The code %s is for prices in %s.", d.Code, strings.ToUpper(d.AmountOff.Currency))
		return cd, nil
	}
	cd.Off = app.Money{Amount: d.Off(base), Currency: cart.Total.Currency}
	cd.Total = app.Money{Amount: cart.Total.Amount - cd.Off.Amount, Currency: cart.Total.Currency}
	return cd, nil
}

// checkCode looks a code up and says why it cannot be used now, whatever
// it is for: unknown, deleted, paused, ended, used up, every use left
// held by other buyers' open Checkouts, or for a first purchase only.
// holder is whose Checkout would take it (codeholds.go), "" for nobody's.
func (s *Shop) checkCode(ctx context.Context, cd *CartDiscount, customerID, holder string) error {
	return s.Store.View(ctx, func(tx *store.Tx) (err error) {
		cd.Discount, cd.Refused, err = codeRefusal(tx, cd.Code, customerID, holder)
		return err
	})
}

// codeRefusal is checkCode's rule inside a transaction, at its time: the
// sentence is "" when the code can be used.
func codeRefusal(tx *store.Tx, code, customerID, holder string) (app.Discount, string, error) {
	d, err := tx.DiscountByCode(code)
	if app.IsNotFound(err) || (err == nil && d.Deleted) {
		return d, fmt.Sprintf("The code %s is not one of this shop's.", code), nil
	}
	if err != nil {
		return d, "", err
	}
	var used, held int
	if d.MaxRedemptions > 0 {
		if used, err = codeUses(tx, d.Code); err != nil {
			return d, "", err
		}
		if held, err = tx.LiveCodeHolds(d.Code, holder); err != nil {
			return d, "", err
		}
	}
	switch {
	case d.Paused:
		return d, fmt.Sprintf("The code %s is paused for now.", d.Code), nil
	case !d.EndsAt.IsZero() && !tx.Now().Before(d.EndsAt):
		return d, fmt.Sprintf("The code %s ended on %s.", d.Code, d.EndsAt.Format("2 January 2006")), nil
	case d.MaxRedemptions > 0 && used >= d.MaxRedemptions:
		return d, fmt.Sprintf("The code %s has been used as many times as it allows.", d.Code), nil
	case d.MaxRedemptions > 0 && used+held >= d.MaxRedemptions:
		return d, fmt.Sprintf("Every use left of the code %s is in another buyer's open checkout. Try again in an hour, when unpaid checkouts have ended.", d.Code), nil
	case d.FirstPurchaseOnly && customerID != "" && (hasOrders(tx, customerID) || hadPlanErr(tx, customerID)):
		return d, fmt.Sprintf("The code %s is for a first purchase only.", d.Code), nil
	}
	return d, "", nil
}

func hadPlanErr(tx *store.Tx, customerID string) bool {
	had, err := hadPlan(tx, customerID)
	return had || err != nil
}

// PlanDiscount is a code applied to a plan's price: what the first
// payment costs with it, for how long, or why it cannot be used.
type PlanDiscount struct {
	CartDiscount
	Price app.Money // the plan's price for the interval, before the code
}

// ApplyPlanCode checks a code against a plan and interval and the
// customer ("" for a visitor), as ApplyCode does for a cart; a code for
// other plans or only for products is refused with its sentence.
func (s *Shop) ApplyPlanCode(ctx context.Context, code string, plan app.Plan, iv app.Interval, customerID string) (PlanDiscount, error) {
	price := plan.PriceFor(iv).Price
	pd := PlanDiscount{CartDiscount: CartDiscount{Code: app.NormalizeCode(code), Total: price}, Price: price}
	if pd.Code == "" {
		return pd, nil
	}
	if err := s.checkCode(ctx, &pd.CartDiscount, customerID, planHolder(customerID)); err != nil || pd.Refused != "" {
		return pd, err
	}
	d := pd.Discount
	switch {
	case !d.AppliesToPlan(plan.ID):
		pd.Refused = fmt.Sprintf("The code %s is not for the %s plan.", d.Code, plan.Name)
	case d.AmountOff.Amount > 0 && d.AmountOff.Currency != price.Currency:
		pd.Refused = fmt.Sprintf("The code %s is for prices in %s.", d.Code, strings.ToUpper(d.AmountOff.Currency))
	default:
		pd.Off = app.Money{Amount: d.Off(price.Amount), Currency: price.Currency}
		pd.Total = app.Money{Amount: price.Amount - pd.Off.Amount, Currency: price.Currency}
	}
	return pd, nil
}

// ProductPrice is a product's price with a code applied, for its page;
// ok is false when the code does not change it.
func (s *Shop) ProductPrice(ctx context.Context, code string, p app.Product) (CartDiscount, bool) {
	cart := CartView{Lines: []CartLine{{Product: p, Quantity: 1, Unit: p.UnitPrice(0), Total: p.UnitPrice(0)}}, Total: p.UnitPrice(0), Count: 1}
	cd, err := s.ApplyCode(ctx, code, cart, "")
	return cd, err == nil && cd.Refused == "" && cd.Off.Amount > 0
}

func hasOrders(tx *store.Tx, customerID string) bool {
	os, _, err := tx.Orders(store.OrderFilter{CustomerID: customerID, Limit: 1})
	return err == nil && len(os) > 0
}

// codeOf is the shop's code a Checkout or a subscription was discounted
// with: the one the shop applied (its vendo_discount metadata) or, for a
// code the customer typed on Stripe's page (allow_promotion_codes), the
// one the coupon Stripe names was made for (its vendo_id is the code,
// the same for every version of an edited code). A coupon that is not
// one of the shop's codes gives "".
func codeOf(tx *store.Tx, meta map[string]string, couponVendoID string) (string, error) {
	if code := meta["vendo_discount"]; code != "" || couponVendoID == "" {
		return code, nil
	}
	d, err := tx.DiscountByCode(couponVendoID)
	if found, err := app.Found(err); err != nil || !found {
		return "", err
	}
	return d.Code, nil
}
