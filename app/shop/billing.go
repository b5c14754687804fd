package shop

import (
	"context"
	"strconv"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// stripeCustomer returns the customer's Stripe id, creating the Stripe
// customer the first time.
func (s *Shop) stripeCustomer(ctx context.Context, cust app.Customer) (string, error) {
	if cust.StripeCustomerID != "" {
		return cust.StripeCustomerID, nil
	}
	id, err := s.Stripe.CreateCustomer(ctx, cust.ID, cust.Email, cust.Name)
	if err != nil {
		return "", err
	}
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Customer(cust.ID)
		if err != nil {
			return err
		}
		if c.StripeCustomerID != "" {
			id = c.StripeCustomerID
			return nil
		}
		c.StripeCustomerID = id
		return tx.PutCustomer(&c)
	})
	return id, err
}

// Subscribe starts a subscription Checkout for a plan and interval and
// returns where to send the customer. A customer who already has a plan is
// sent to the Billing Portal to change it instead of a second subscription.
// A plan's free trial is offered to a customer who never had a plan
// (trials.go). A discount code the customer brought is checked first (a
// refused one gets its sentence, never a failed Checkout) and applied as
// the session's promotion code; without one, Checkout lets the customer
// type one (allow_promotion_codes; Stripe refuses both together).
func (s *Shop) Subscribe(ctx context.Context, customerID, planSlug string, iv app.Interval, code string) (string, error) {
	s.BillingChanged() // the customer's invoices may change now (invoicecache.go)
	if iv != app.Monthly && iv != app.Yearly {
		return "", &app.Error{Code: app.EINVALID, Field: "interval", Message: "Choose monthly or yearly billing."}
	}
	if err := s.EnsurePlanPrices(ctx); err != nil {
		return "", err
	}
	var cust app.Customer
	var plan app.Plan
	var current bool
	var trial int
	err := s.Store.View(ctx, func(tx *store.Tx) (err error) {
		if cust, err = tx.Customer(customerID); err != nil {
			return err
		}
		if plan, err = tx.PlanBySlug(planSlug); err != nil {
			return err
		}
		if trial, err = trialDays(tx, customerID, plan); err != nil {
			return err
		}
		_, err = tx.CurrentSubscription(customerID)
		current, err = app.Found(err)
		return err
	})
	if err != nil {
		return "", err
	}
	if current {
		return s.PortalURL(ctx, customerID)
	}
	var promo string
	if code != "" {
		pd, err := s.ApplyPlanCode(ctx, code, plan, iv, customerID)
		if err != nil {
			return "", err
		}
		if pd.Refused != "" {
			return "", &app.Error{Code: app.EINVALID, Field: "code", Message: pd.Refused + " Remove it to subscribe without it."}
		}
		promo = pd.Discount.StripePromotionCodeID
	}
	stripeCust, err := s.stripeCustomer(ctx, cust)
	if err != nil {
		return "", err
	}
	settings, err := s.Store.Settings(ctx)
	if err != nil {
		return "", err
	}
	price := plan.PriceFor(iv)
	meta := map[string]string{"vendo_customer_id": cust.ID, "vendo_plan_id": plan.ID, "vendo_kind": "subscription"}
	// One session per customer, plan and interval per ten minutes: a
	// double click lands on the same Checkout.
	window := s.now().Unix() / 600
	key := "vendo-subscribe-" + cust.ID + "-" + price.StripePriceID + "-" + strconv.FormatInt(window, 10)
	var hold app.CodeHold
	if promo != "" {
		meta["vendo_discount"] = app.NormalizeCode(code)
		var expire string
		if hold, expire, err = s.holdCode(ctx, code, customerID, planHolder(customerID), key); err != nil {
			return "", withoutCodeHint(err, "subscribe")
		}
		if err := s.closeHeldSession(ctx, expire); err != nil {
			return "", err
		}
		if hold.ID != "" {
			meta["vendo_hold"] = hold.ID
		}
	}
	id, url, err := s.Stripe.CreateCheckoutSession(ctx, stripeapi.CheckoutRequest{
		Mode: "subscription", Lines: []stripeapi.CheckoutLine{{PriceID: price.StripePriceID, Quantity: 1}},
		ClientReferenceID: cust.ID, Customer: stripeCust, Metadata: meta, SubscriptionMetadata: meta,
		SuccessURL: s.BaseURL + "/account?subscribed=1&session_id={CHECKOUT_SESSION_ID}",
		CancelURL:  s.BaseURL + "/plans",
		TrialDays:  trial, TrialNoCard: trial > 0 && plan.TrialNoCard,
		AutomaticTax: settings.StripeTax, TaxIDCollection: settings.TaxIDCollection,
		PromotionCode: promo, AllowPromotionCodes: promo == "",
		ExpiresAt:      hold.ExpiresAt, // zero without a hold: Stripe's 24 hours
		IdempotencyKey: key,
	})
	s.settleHold(ctx, hold, id, err)
	return url, err
}

// PortalURL opens the Billing Portal for a customer, returning to /account.
func (s *Shop) PortalURL(ctx context.Context, customerID string) (string, error) {
	s.BillingChanged() // the customer's invoices may change now (invoicecache.go)
	if err := s.EnsurePlanPrices(ctx); err != nil {
		return "", err
	}
	cust, err := s.Store.Customer(ctx, customerID)
	if err != nil {
		return "", err
	}
	if cust.StripeCustomerID == "" {
		return "", app.Errorf(app.EINVALID, "You have no billing account yet: choose a plan first.")
	}
	settings, err := s.Store.Settings(ctx)
	if err != nil {
		return "", err
	}
	return s.Stripe.CreatePortalSession(ctx, cust.StripeCustomerID, settings.PortalConfigID, s.BaseURL+"/account")
}
