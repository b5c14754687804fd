package shop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// Buyer is who checks out: a signed-in customer, or nobody yet (Checkout
// asks for the email).
type Buyer struct {
	CustomerID       string
	Email            string
	StripeCustomerID string
	// DiscountCode is the code the buyer brought (a shared link or the
	// cart's field), "" for none.
	DiscountCode string
}

// Checkout creates a Stripe Checkout Session for the cart and returns the
// URL to redirect to. Products and prices missing in Stripe are created
// first and their ids stored. The idempotency key covers the cart's exact
// content, so a double click makes one session, and a changed cart a new
// one.
func (s *Shop) Checkout(ctx context.Context, cartID string, buyer Buyer) (string, error) {
	s.BillingChanged() // the customer's invoices may change now (invoicecache.go)
	cart, err := s.Cart(ctx, cartID)
	if err != nil {
		return "", err
	}
	if cart.Empty() {
		return "", app.Errorf(app.EINVALID, "Your cart is empty.")
	}
	for _, l := range cart.Lines {
		if l.Product.Price.Currency != cart.Total.Currency {
			return "", app.Errorf(app.EINVALID, "Items in different currencies cannot be bought together: buy %s separately.", l.Product.Title)
		}
		if l.Unit.Amount == 0 {
			return "", app.Errorf(app.EINVALID, "%s is free: add it to your library from its page instead.", l.Product.Title)
		}
		if l.Product.PayWhatYouWant {
			// The minimum may have risen since the amount was named.
			if _, err := l.Product.NamedPrice(l.Unit.Decimal()); err != nil {
				return "", app.Errorf(app.EINVALID, "%s Change the amount on its page.", app.ErrorMessage(err))
			}
		}
	}
	var promo, code string
	if buyer.DiscountCode != "" {
		cd, err := s.ApplyCode(ctx, buyer.DiscountCode, cart, buyer.CustomerID)
		if err != nil {
			return "", err
		}
		if cd.Refused != "" {
			return "", &app.Error{Code: app.EINVALID, Field: "code", Message: cd.Refused + " Remove it to check out without it."}
		}
		promo, code = cd.Discount.StripePromotionCodeID, cd.Discount.Code
	}
	settings, err := s.Store.Settings(ctx)
	if err != nil {
		return "", err
	}
	lines := make([]stripeapi.CheckoutLine, 0, len(cart.Lines))
	var ids []string
	for _, l := range cart.Lines {
		if l.Product.PayWhatYouWant {
			// The named amount is an ad-hoc price on the product's Stripe
			// Product (price_data), which Checkout takes beside fixed
			// prices; fulfilment knows the line by its Stripe Product.
			prodID, err := s.ensureProduct(ctx, l.Product)
			if err != nil {
				return "", err
			}
			tb := stripeapi.TaxBehavior(l.Product.TaxInclusive)
			lines = append(lines, stripeapi.CheckoutLine{StripeProductID: prodID, UnitAmount: l.Unit.Amount, Currency: l.Unit.Currency, Quantity: l.Quantity, TaxBehavior: tb})
			ids = append(ids, l.Product.ID+":"+strconv.FormatInt(l.Quantity, 10)+":"+prodID+"@"+strconv.FormatInt(l.Unit.Amount, 10)+":"+tb)
			continue
		}
		priceID, err := s.ensurePrice(ctx, l.Product)
		if err != nil {
			return "", err
		}
		lines = append(lines, stripeapi.CheckoutLine{PriceID: priceID, Quantity: l.Quantity})
		ids = append(ids, l.Product.ID+":"+strconv.FormatInt(l.Quantity, 10)+":"+priceID)
	}
	var updated int64
	err = s.Store.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Cart(cartID)
		updated = c.UpdatedAt.UnixNano()
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read cart %s: %w", cartID, err)
	}
	sum := sha256.Sum256([]byte(cartID + "|" + buyer.CustomerID + "|" + strings.Join(ids, ",") + "|" + strconv.FormatInt(updated, 10) + "|" + code))
	key := "vendo-checkout-" + hex.EncodeToString(sum[:16])
	meta := map[string]string{"vendo_cart_id": cartID, "vendo_kind": "order"}
	var hold app.CodeHold
	if code != "" {
		meta["vendo_discount"] = code
		var expire string
		if hold, expire, err = s.holdCode(ctx, code, buyer.CustomerID, cartHolder(cartID), key); err != nil {
			return "", withoutCodeHint(err, "check out")
		}
		if err := s.closeHeldSession(ctx, expire); err != nil {
			return "", err
		}
		if hold.ID != "" {
			meta["vendo_hold"] = hold.ID
		}
	}
	if buyer.CustomerID != "" {
		meta["vendo_customer_id"] = buyer.CustomerID
	}
	id, url, err := s.Stripe.CreateCheckoutSession(ctx, stripeapi.CheckoutRequest{
		Mode:              "payment",
		Lines:             lines,
		ClientReferenceID: cartID,
		Customer:          buyer.StripeCustomerID,
		CustomerEmail:     buyer.Email,
		Metadata:          meta,
		SuccessURL:        s.BaseURL + "/checkout/success?session_id={CHECKOUT_SESSION_ID}",
		CancelURL:         s.BaseURL + "/checkout/cancel",
		PromotionCode:     promo,
		AutomaticTax:      settings.StripeTax,
		TaxIDCollection:   settings.TaxIDCollection,
		InvoiceCreation:   settings.InvoiceOrders,
		InvoiceMetadata:   invoiceMeta(meta),
		// Without a code of their own, the buyer may type one at Checkout.
		AllowPromotionCodes: promo == "",
		ExpiresAt:           hold.ExpiresAt, // zero without a hold: Stripe's 24 hours
		IdempotencyKey:      key,
	})
	s.settleHold(ctx, hold, id, err)
	if err != nil {
		return "", err
	}
	return url, nil
}

// invoiceMeta is the metadata of an order's invoice (invoice_creation):
// the order's, so the invoice's events are known as the shop's.
func invoiceMeta(orderMeta map[string]string) map[string]string {
	return map[string]string{"vendo_kind": orderMeta["vendo_kind"], "vendo_cart_id": orderMeta["vendo_cart_id"]}
}

// ensureProduct returns the product's Stripe Product, creating it when
// missing and storing its id.
func (s *Shop) ensureProduct(ctx context.Context, p app.Product) (string, error) {
	if p.StripeProductID != "" {
		return p.StripeProductID, nil
	}
	prodID, err := s.Stripe.EnsureProduct(ctx, p.StripeProductID, p.ID, p.Title)
	if err != nil {
		return "", fmt.Errorf("stripe product for %s: %w", p.Slug, err)
	}
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Product(p.ID)
		if err != nil || cur.StripeProductID != "" {
			return err
		}
		cur.StripeProductID = prodID
		return tx.PutProduct(&cur)
	})
	return prodID, err
}

// ensurePrice returns the product's Stripe Price, creating the Stripe
// Product and Price when missing and storing their ids.
func (s *Shop) ensurePrice(ctx context.Context, p app.Product) (string, error) {
	if p.StripePriceID != "" && p.StripeProductID != "" {
		return p.StripePriceID, nil
	}
	prodID, err := s.ensureProduct(ctx, p)
	if err != nil {
		return "", err
	}
	tb := stripeapi.TaxBehavior(p.TaxInclusive)
	key := fmt.Sprintf("%s-%d-%s-%s", p.ID, p.Price.Amount, p.Price.Currency, tb)
	priceID, err := s.Stripe.CreatePrice(ctx, prodID, stripeapi.PriceSpec{Amount: p.Price.Amount, Currency: p.Price.Currency, TaxBehavior: tb}, p.ID, key)
	if err != nil {
		return "", fmt.Errorf("stripe price for %s: %w", p.Slug, err)
	}
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Product(p.ID)
		if err != nil {
			return err
		}
		// Only fill in: a concurrent price change keeps its own new price.
		if cur.StripeProductID == "" {
			cur.StripeProductID = prodID
		}
		if cur.StripePriceID == "" && cur.Price == p.Price && cur.TaxInclusive == p.TaxInclusive {
			cur.StripePriceID = priceID
		}
		return tx.PutProduct(&cur)
	})
	return priceID, err
}
