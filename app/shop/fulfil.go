package shop

import (
	"context"
	"errors"
	"fmt"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// ErrNotPaid is returned by FulfilCheckout while the session's payment is
// not confirmed (the success page then shows "processing" and polls).
var ErrNotPaid = errors.New("checkout not paid yet")

// FulfilCheckout is DESIGN.md §5 rule 4, for the success page: it re-fetches
// the session with its line items and, when paid, makes the order and
// grants its entitlements exactly once per session. The webhook path runs
// the same apply step through the ledger.
func (s *Shop) FulfilCheckout(ctx context.Context, sessionID string) (app.Order, error) {
	sess, err := s.Stripe.GetCheckoutSession(ctx, sessionID)
	if err != nil {
		return app.Order{}, err
	}
	if sess.Mode != "payment" {
		return app.Order{}, app.Errorf(app.EINVALID, "That checkout was not a purchase.")
	}
	var order app.Order
	err = s.Store.Update(ctx, func(tx *store.Tx) (err error) {
		order, err = s.applySession(tx, sess)
		if err == nil {
			tx.OnCommit(s.afterFulfil)
		}
		return err
	})
	var ignored *webhook.IgnoredError
	if errors.As(err, &ignored) {
		return app.Order{}, app.Errorf(app.ENOTFOUND, "That checkout is not one of this shop's.")
	}
	if err != nil {
		return order, err
	}
	if order.ID == "" || order.Status == app.OrderPending {
		return order, ErrNotPaid
	}
	return order, nil
}

// HandleCheckoutEvent is the ledger handler for checkout.session.completed
// and checkout.session.async_payment_succeeded / _failed.
func (s *Shop) HandleCheckoutEvent(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	sess, err := s.Stripe.GetCheckoutSession(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	if sess.Mode != "payment" {
		// Subscriptions are handled by their own events; this one is
		// only told apart from another shop's.
		return func(tx *store.Tx) error {
			mine, err := s.ourSubscriptionSession(tx, sess)
			if err == nil && !mine {
				err = webhook.Ignore(store.ReasonForeign)
			}
			return err
		}, nil
	}
	return func(tx *store.Tx) error {
		_, err := s.applySession(tx, sess)
		if err == nil {
			tx.OnCommit(s.afterFulfil)
		}
		return err
	}, nil
}

func (s *Shop) afterFulfil() {
	if s.Mail != nil {
		s.Mail.Notify()
	}
}

// applySession writes what a fetched session means, inside one
// transaction: the ledger's, or the success page's. It is idempotent: a
// session already turned into a paid order changes nothing.
func (s *Shop) applySession(tx *store.Tx, sess stripeapi.Session) (app.Order, error) {
	order, err := tx.OrderByCheckoutSession(sess.ID)
	found, err := app.Found(err)
	if err != nil {
		return order, err
	}
	if found && order.Status != app.OrderPending {
		return order, nil
	}
	if sess.Status != "complete" {
		// Open (not paid yet) or expired: nothing to fulfil.
		return order, nil
	}
	if !found {
		mine, err := s.ourSession(tx, sess)
		if err != nil {
			return order, err
		}
		if !mine {
			return order, webhook.Ignore(store.ReasonForeign)
		}
	}
	if ok, err := tx.AcceptSnapshot(sess.ID, sess.FetchedAt); err != nil || !ok {
		return order, err
	}
	paid := sess.PaymentStatus == "paid" || sess.PaymentStatus == "no_payment_required"

	if !found {
		cust, err := s.customerForSession(tx, sess)
		if err != nil {
			return order, err
		}
		order = app.Order{
			CustomerID: cust.ID, Email: cust.Email, Name: sess.Name, CartID: sess.ClientReferenceID,
			CheckoutSessionID: sess.ID, PaymentIntentID: sess.PaymentIntentID, StripeCustomerID: sess.CustomerID,
			Subtotal: app.Money{Amount: sess.AmountSubtotal, Currency: sess.Currency},
			Total:    app.Money{Amount: sess.AmountTotal, Currency: sess.Currency},
			Status:   app.OrderPending,
		}
		for _, l := range sess.Lines {
			line := app.OrderLine{Title: l.Description, Quantity: l.Quantity, StripePriceID: l.PriceID,
				UnitAmount: app.Money{Amount: l.UnitAmount, Currency: l.Currency}, Total: app.Money{Amount: l.AmountTotal, Currency: l.Currency}}
			if p, err := tx.ProductByStripeID(l.StripeProductID); err == nil {
				line.ProductID, line.Title = p.ID, p.Title
			} else if !app.IsNotFound(err) {
				return order, err
			} else {
				s.Log.Warn("checkout line for an unknown Stripe product", "session", sess.ID, "stripe_product", l.StripeProductID)
			}
			order.Lines = append(order.Lines, line)
		}
	}
	if order.PaymentIntentID == "" {
		order.PaymentIntentID = sess.PaymentIntentID
	}
	if !paid {
		return order, tx.PutOrder(&order)
	}

	order.Status, order.PaidAt = app.OrderPaid, tx.Now()
	if err := tx.PutOrder(&order); err != nil {
		return order, err
	}
	var granted []app.Entitlement
	var licenses []app.License
	done := map[string]bool{}
	for _, l := range order.Lines {
		// A product is granted once per order, with one licence key,
		// whatever quantity or lines the session has: a download is
		// bought once (Checkout never asks for more).
		if l.ProductID == "" || done[l.ProductID] {
			continue
		}
		done[l.ProductID] = true
		e := app.Entitlement{CustomerID: order.CustomerID, ProductID: l.ProductID, Source: app.SourceOrder, SourceID: order.ID}
		if err := tx.PutEntitlement(&e); err != nil {
			return order, err
		}
		granted = append(granted, e)
		// A product flagged "licensed" comes with a key per purchase.
		if p, err := tx.Product(l.ProductID); err == nil && p.Licensed {
			lic, err := s.issueLicense(tx, app.License{CustomerID: order.CustomerID, OrderID: order.ID, ProductID: p.ID})
			if err != nil {
				return order, err
			}
			licenses = append(licenses, lic)
		} else if err != nil && !app.IsNotFound(err) {
			return order, err
		}
	}
	if err := removePurchased(tx, order); err != nil {
		return order, err
	}
	if err := s.queueReceipt(tx, order, granted, licenses); err != nil {
		return order, err
	}
	return order, nil
}

// removePurchased takes the order's products out of the cart it was made
// from. Only those: an item added after Checkout began (in another tab,
// on another device) stays in the cart.
func removePurchased(tx *store.Tx, o app.Order) error {
	if o.CartID == "" {
		return nil
	}
	cart, err := tx.Cart(o.CartID)
	if err != nil {
		return err
	}
	bought := map[string]bool{}
	for _, l := range o.Lines {
		bought[l.ProductID] = l.ProductID != ""
	}
	kept := cart.Items[:0]
	for _, it := range cart.Items {
		if !bought[it.ProductID] {
			kept = append(kept, it)
		}
	}
	if len(kept) == len(cart.Items) {
		return nil
	}
	cart.Items = kept
	return tx.PutCart(&cart) // an empty cart is deleted
}

// ourSession reports whether this shop started a payment Checkout: it
// carries one of the shop's marks — its cart (until fulfilment empties
// it), its signed-in customer, or a product it sells. Another app or shop
// on the same Stripe account (a Payment Link, a second Vendo using this
// one's sandbox) makes sessions this shop hears about too: they are
// recorded by the ledger as ignored and change nothing (DESIGN.md §5
// rule 9).
func (s *Shop) ourSession(tx *store.Tx, sess stripeapi.Session) (bool, error) {
	if id := sess.ClientReferenceID; id != "" {
		cart, err := tx.Cart(id) // a missing cart is an empty one
		if err != nil {
			return false, err
		}
		if len(cart.Items) > 0 {
			return true, nil
		}
	}
	if mine, err := ourCustomer(tx, sess.Metadata); err != nil || mine {
		return mine, err
	}
	for _, l := range sess.Lines {
		if _, err := tx.ProductByStripeID(l.StripeProductID); err == nil {
			return true, nil
		} else if !app.IsNotFound(err) {
			return false, err
		}
	}
	return false, nil
}

// ourSubscriptionSession reports whether this shop started a subscription
// Checkout: for its customer, or on a price one of its plans has.
func (s *Shop) ourSubscriptionSession(tx *store.Tx, sess stripeapi.Session) (bool, error) {
	if mine, err := ourCustomer(tx, sess.Metadata); err != nil || mine {
		return mine, err
	}
	for _, l := range sess.Lines {
		if _, _, err := tx.PlanByStripePrice(l.PriceID); err == nil {
			return true, nil
		} else if !app.IsNotFound(err) {
			return false, err
		}
	}
	return false, nil
}

// ourCustomer reports whether Stripe metadata names a customer of this
// shop (vendo_customer_id, set on every session and subscription the shop
// starts for a signed-in customer).
func ourCustomer(tx *store.Tx, meta map[string]string) (bool, error) {
	id := meta["vendo_customer_id"]
	if id == "" {
		return false, nil
	}
	_, err := tx.Customer(id)
	return app.Found(err)
}

// customerForSession finds the buyer: the signed-in customer who started
// the checkout, else the Stripe customer, else the email (creating a
// customer for a first-time buyer; the email is proved later by signing in
// with a link).
func (s *Shop) customerForSession(tx *store.Tx, sess stripeapi.Session) (app.Customer, error) {
	var cust app.Customer
	var err error
	switch {
	case sess.Metadata["vendo_customer_id"] != "":
		cust, err = tx.Customer(sess.Metadata["vendo_customer_id"])
	case sess.CustomerID != "":
		cust, err = tx.CustomerByStripeID(sess.CustomerID)
		if app.IsNotFound(err) && sess.Email != "" {
			cust, err = tx.CustomerByEmail(sess.Email)
		}
	case sess.Email != "":
		cust, err = tx.CustomerByEmail(sess.Email)
	default:
		return cust, fmt.Errorf("session %s has neither customer nor email", sess.ID)
	}
	if app.IsNotFound(err) {
		if sess.Email == "" {
			return cust, fmt.Errorf("session %s: customer unknown and no email", sess.ID)
		}
		cust = app.Customer{Email: app.NormalizeEmail(sess.Email), Name: sess.Name}
		err = nil
	}
	if err != nil {
		return cust, err
	}
	changed := cust.ID == ""
	if cust.StripeCustomerID == "" && sess.CustomerID != "" {
		cust.StripeCustomerID, changed = sess.CustomerID, true
	}
	if cust.Name == "" && sess.Name != "" {
		cust.Name, changed = sess.Name, true
	}
	if changed {
		if err := tx.PutCustomer(&cust); err != nil {
			return cust, err
		}
	}
	return cust, nil
}

func (s *Shop) queueReceipt(tx *store.Tx, order app.Order, granted []app.Entitlement, licenses []app.License) error {
	if s.Mail == nil {
		return nil
	}
	settings, err := tx.Settings()
	if err != nil {
		return err
	}
	var links []DownloadLink
	for _, e := range granted {
		l, err := s.LinksFor(tx, e, settings.DownloadExpiry)
		if err != nil {
			return err
		}
		links = append(links, l...)
	}
	return s.Mail.Queue(tx, "receipt", order.Email, map[string]any{
		"Order": order, "Links": links, "Licenses": licenses, "LibraryURL": s.BaseURL + "/account", "LoginURL": s.BaseURL + "/login?next=/account",
	})
}

// HandleAsyncPaymentFailed marks an order whose delayed payment failed and
// tells the customer.
func (s *Shop) HandleAsyncPaymentFailed(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	sess, err := s.Stripe.GetCheckoutSession(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	if sess.Mode != "payment" {
		return nil, nil
	}
	return func(tx *store.Tx) error {
		order, err := tx.OrderByCheckoutSession(sess.ID)
		found, err := app.Found(err)
		if err != nil {
			return err
		}
		if !found {
			if order, err = s.applySession(tx, sess); err != nil {
				return err
			}
		}
		if order.ID == "" || order.Status != app.OrderPending {
			return nil
		}
		order.Status = app.OrderFailed
		if err := tx.PutOrder(&order); err != nil {
			return err
		}
		if s.Mail != nil {
			tx.OnCommit(s.Mail.Notify)
			return s.Mail.Queue(tx, "payment_failed", order.Email, map[string]any{"Order": order, "CartURL": s.BaseURL + "/cart"})
		}
		return nil
	}, nil
}
