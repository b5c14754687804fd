package shop

import (
	"context"
	"fmt"
	"strconv"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// EnsurePlanPrices creates the plans' Stripe Products and monthly/yearly
// Prices when missing, and the Billing Portal configuration that lists
// them. It runs lazily (first subscribe, first portal visit, a plan edit),
// so start-up never depends on Stripe. The portal configuration is written
// when something was created here, or always with refreshPortal (a plan
// edit made a new Price elsewhere).
func (s *Shop) EnsurePlanPrices(ctx context.Context) error { return s.ensurePlanPrices(ctx, false) }

func (s *Shop) ensurePlanPrices(ctx context.Context, refreshPortal bool) error {
	plans, err := s.Store.Plans(ctx)
	if err != nil {
		return err
	}
	var portal []stripeapi.PortalProduct
	changed := false
	for i := range plans {
		p := &plans[i]
		before := *p
		if p.StripeProductID, err = s.Stripe.EnsureProduct(ctx, p.StripeProductID, p.ID, p.Name); err != nil {
			return err
		}
		for _, iv := range []app.Interval{app.Monthly, app.Yearly} {
			pp := &p.Monthly
			if iv == app.Yearly {
				pp = &p.Yearly
			}
			if pp.StripePriceID == "" {
				key := fmt.Sprintf("%s-%s-%d-%s", p.ID, iv, pp.Price.Amount, pp.Price.Currency)
				if pp.StripePriceID, err = s.Stripe.CreatePrice(ctx, p.StripeProductID, stripeapi.PriceSpec{Amount: pp.Price.Amount, Currency: pp.Price.Currency, Interval: string(iv)}, p.ID, key); err != nil {
					return err
				}
			}
		}
		portal = append(portal, stripeapi.PortalProduct{ProductID: p.StripeProductID, PriceIDs: []string{p.Monthly.StripePriceID, p.Yearly.StripePriceID}})
		if before.StripeProductID != p.StripeProductID || before.Monthly.StripePriceID != p.Monthly.StripePriceID || before.Yearly.StripePriceID != p.Yearly.StripePriceID {
			changed = true
			// Fill in only the ids, on the plan as stored now: an admin's
			// edit made meanwhile is kept.
			err := s.Store.Update(ctx, func(tx *store.Tx) error {
				cur, err := tx.Plan(p.ID)
				if err != nil {
					return err
				}
				cur.StripeProductID = p.StripeProductID
				if cur.Monthly.StripePriceID == "" && cur.Monthly.Price == p.Monthly.Price {
					cur.Monthly.StripePriceID = p.Monthly.StripePriceID
				}
				if cur.Yearly.StripePriceID == "" && cur.Yearly.Price == p.Yearly.Price {
					cur.Yearly.StripePriceID = p.Yearly.StripePriceID
				}
				return tx.PutPlan(&cur)
			})
			if err != nil {
				return err
			}
		}
	}
	settings, err := s.Store.Settings(ctx)
	if err != nil {
		return err
	}
	if settings.PortalConfigID != "" && !changed && !refreshPortal {
		return nil
	}
	id, err := s.Stripe.EnsurePortalConfiguration(ctx, settings.PortalConfigID, portal, s.BaseURL+"/account")
	if err != nil {
		return err
	}
	if id == settings.PortalConfigID {
		return nil
	}
	_, err = s.Store.UpdateSettings(ctx, func(st *app.Settings) error { st.PortalConfigID = id; return nil })
	return err
}

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
func (s *Shop) Subscribe(ctx context.Context, customerID, planSlug string, iv app.Interval) (string, error) {
	if iv != app.Monthly && iv != app.Yearly {
		return "", &app.Error{Code: app.EINVALID, Field: "interval", Message: "Choose monthly or yearly billing."}
	}
	if err := s.EnsurePlanPrices(ctx); err != nil {
		return "", err
	}
	var cust app.Customer
	var plan app.Plan
	var current bool
	err := s.Store.View(ctx, func(tx *store.Tx) (err error) {
		if cust, err = tx.Customer(customerID); err != nil {
			return err
		}
		if plan, err = tx.PlanBySlug(planSlug); err != nil {
			return err
		}
		_, current, err = tx.CurrentSubscription(customerID)
		return err
	})
	if err != nil {
		return "", err
	}
	if current {
		return s.PortalURL(ctx, customerID)
	}
	stripeCust, err := s.stripeCustomer(ctx, cust)
	if err != nil {
		return "", err
	}
	price := plan.PriceFor(iv)
	meta := map[string]string{"vendo_customer_id": cust.ID, "vendo_plan_id": plan.ID, "vendo_kind": "subscription"}
	// One session per customer, plan and interval per ten minutes: a
	// double click lands on the same Checkout.
	window := s.now().Unix() / 600
	_, url, err := s.Stripe.CreateCheckoutSession(ctx, stripeapi.CheckoutRequest{
		Mode: "subscription", Lines: []stripeapi.CheckoutLine{{PriceID: price.StripePriceID, Quantity: 1}},
		ClientReferenceID: cust.ID, Customer: stripeCust, Metadata: meta, SubscriptionMetadata: meta,
		SuccessURL:     s.BaseURL + "/account?subscribed=1&session_id={CHECKOUT_SESSION_ID}",
		CancelURL:      s.BaseURL + "/plans",
		IdempotencyKey: "vendo-subscribe-" + cust.ID + "-" + price.StripePriceID + "-" + strconv.FormatInt(window, 10),
	})
	return url, err
}

// PortalURL opens the Billing Portal for a customer, returning to /account.
func (s *Shop) PortalURL(ctx context.Context, customerID string) (string, error) {
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

// Invoices lists the customer's invoices from Stripe.
func (s *Shop) Invoices(ctx context.Context, customerID string) ([]stripeapi.Invoice, error) {
	cust, err := s.Store.Customer(ctx, customerID)
	if err != nil || cust.StripeCustomerID == "" {
		return nil, err
	}
	return s.Stripe.ListInvoices(ctx, cust.StripeCustomerID, 24)
}

// Unlock spends one plan credit to add a product to the customer's
// library (DESIGN.md §5 rule 6). Inside the stored period it spends from
// the database; past the stored period end it first refreshes the
// subscription from Stripe and stores it, then spends in a second write,
// which may fail for lack of credits. It never spends below zero, and an
// owned product costs nothing.
func (s *Shop) Unlock(ctx context.Context, customerID, productSlug string) (app.Entitlement, error) {
	var sub app.Subscription
	var product app.Product
	var owned *app.Entitlement
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if product, err = tx.ProductBySlug(productSlug); err != nil {
			return err
		}
		if e, ok, err := tx.ActiveEntitlement(customerID, product.ID); err != nil {
			return err
		} else if ok {
			owned = &e
			return nil
		}
		var found bool
		if sub, found, err = tx.CurrentSubscription(customerID); err != nil {
			return err
		} else if !found {
			return app.Errorf(app.EFORBIDDEN, "Unlocking with credits needs an active plan. Choose one on the plans page.")
		}
		return nil
	})
	if err != nil || owned != nil {
		if owned != nil {
			return *owned, nil
		}
		return app.Entitlement{}, err
	}
	if !product.Active {
		return app.Entitlement{}, app.Errorf(app.EINVALID, "%s is no longer available.", product.Title)
	}
	if !s.now().Before(sub.CurrentPeriodEnd) {
		// Past the stored period: the renewal may have happened without us
		// hearing of it yet. Ask Stripe, store the answer (first write).
		t, err := s.fetchSubscription(ctx, sub.StripeID)
		if err != nil {
			return app.Entitlement{}, err
		}
		if err := s.Store.Update(ctx, func(tx *store.Tx) error { _, err := s.applySubscription(tx, t); return err }); err != nil {
			return app.Entitlement{}, err
		}
	}
	// Second write: spend, deciding on what is stored now.
	var ent app.Entitlement
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Subscription(sub.ID)
		if err != nil {
			return err
		}
		if !cur.Fulfilled || cur.Terminated {
			return app.Errorf(app.EFORBIDDEN, "Your plan has ended. Choose a plan to unlock products.")
		}
		if !s.now().Before(cur.CurrentPeriodEnd) {
			return app.Errorf(app.EUNAVAILABLE, "Your plan's renewal is not confirmed yet. Try again in a few minutes.")
		}
		if e, ok, err := tx.ActiveEntitlement(customerID, product.ID); err != nil || ok {
			ent = e
			return err
		}
		if cur.Credits == 0 {
			return app.Errorf(app.EINVALID, "You have no credits left this period. They refill on %s.", cur.CurrentPeriodEnd.Format("Jan 2"))
		}
		if cur.Credits != app.Unlimited {
			cur.Credits--
		}
		if err := tx.PutSubscription(&cur); err != nil {
			return err
		}
		if err := tx.AddCredit(&app.CreditEntry{CustomerID: customerID, SubscriptionID: cur.ID, Delta: -1, Balance: cur.Credits, Reason: "unlock", Ref: product.ID}); err != nil {
			return err
		}
		ent = app.Entitlement{CustomerID: customerID, ProductID: product.ID, Source: app.SourceCredit, SourceID: cur.ID}
		return tx.PutEntitlement(&ent)
	})
	return ent, err
}
