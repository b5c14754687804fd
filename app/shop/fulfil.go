package shop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// An order is Stripe's truth about one Checkout Session, mirrored: its
// lines from the session, and its facts — payment state, refunds,
// dispute — from the session's PaymentIntent and its latest charge.
// Every path that touches an order (the success page, the checkout and
// charge events, `vendo sync`) ends in the same reconcile: take the
// order's lock, re-fetch that truth, and write the order, its
// entitlements and licence keys to match in one transaction. What the
// customer and the merchant are told (receipt, failure, dispute) follows
// from the change of state, so it happens once whichever event came first
// and however often (DESIGN.md §5 rules 4 and 7): the receipt when the
// order first gives access (never for an order refunded before it was
// made), a refund notice when a receipted order is refunded in full, the
// failure of an async payment, and the merchant's notice of a dispute.

// ErrNotPaid is returned by FulfilCheckout while the session's payment is
// not confirmed (the success page then shows "processing" and polls).
var ErrNotPaid = errors.New("checkout not paid yet")

// FulfilCheckout is DESIGN.md §5 rule 4, for the success page: it
// reconciles the session's order, making it (with its grants, exactly
// once per session) when the session is paid. The webhook path runs the
// same reconcile through the ledger.
func (s *Shop) FulfilCheckout(ctx context.Context, sessionID string) (app.Order, error) {
	s.BillingChanged() // the customer's invoices may change now (invoicecache.go)
	ctx, release := webhook.Scope(ctx)
	defer release()
	t, err := s.fetchOrder(ctx, sessionID)
	if err != nil {
		return app.Order{}, err
	}
	if t.sess.Mode != "payment" {
		return app.Order{}, app.Errorf(app.EINVALID, "That checkout was not a purchase.")
	}
	var order app.Order
	err = s.Store.Update(ctx, func(tx *store.Tx) (err error) {
		order, err = s.applyOrder(tx, t)
		return err
	})
	var ignored *webhook.IgnoredError
	if errors.As(err, &ignored) {
		return app.Order{}, app.Errorf(app.ENOTFOUND, "That checkout is not one of this shop's.")
	}
	if err != nil {
		return order, err
	}
	if order.ID == "" || order.PaymentState() == app.PaymentPending {
		return order, ErrNotPaid
	}
	return order, nil
}

// HandleCheckoutEvent is the ledger handler for checkout.session.completed,
// async_payment_succeeded and async_payment_failed: each is only a
// notification that the session's order may have changed.
func (s *Shop) HandleCheckoutEvent(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	t, err := s.fetchOrder(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	if t.sess.Mode != "payment" {
		// Subscriptions are handled by their own events; this one is
		// only told apart from another shop's.
		sess := t.sess
		return func(tx *store.Tx) error {
			mine, err := s.ourSubscriptionSession(tx, sess)
			if err == nil && !mine {
				err = webhook.Ignore(store.ReasonForeign)
			}
			return err
		}, nil
	}
	return func(tx *store.Tx) error {
		before, found, err := s.storedOrder(tx, t.sess.ID)
		if err != nil {
			return err
		}
		after, err := s.applyOrder(tx, t)
		if err != nil || !found {
			return err
		}
		if fix := factsCorrected(before, after); fix != "" {
			tx.OnCommit(func() { webhook.Corrected(ctx, fix) })
		}
		return nil
	}, nil
}

func (s *Shop) storedOrder(tx *store.Tx, sessionID string) (app.Order, bool, error) {
	o, err := tx.OrderByCheckoutSession(sessionID)
	found, err := app.Found(err)
	return o, found, err
}

// factsCorrected says how an order's facts changed ("" when they did
// not): what `vendo sync` lists when it finds an order that missed a
// refund, a failed refund or a dispute.
func factsCorrected(before, after app.Order) string {
	dispute := func(o app.Order) string {
		if o.Dispute == nil {
			return ""
		}
		return o.Dispute.ID + " " + o.Dispute.Status
	}
	if before.Status == after.Status && before.AmountRefunded == after.AmountRefunded && dispute(before) == dispute(after) {
		return ""
	}
	fix := fmt.Sprintf("order #%d %s → %s, refunded %s of %s", after.Number, before.Status, after.Status,
		app.Money{Amount: after.AmountRefunded, Currency: after.Total.Currency}, after.Total)
	if d := after.Dispute; d != nil {
		fix += ", dispute " + d.Status
	}
	return fix
}

// orderTruth is what reconcile decides on: the session with its lines,
// and its payment (nil while the session has no PaymentIntent).
type orderTruth struct {
	sess    stripeapi.Session
	payment *stripeapi.Payment
}

// orderKey is the lock an order's reconcile holds: one per session, so
// the session path and the charge path of one order take turns.
func orderKey(sessionID string) string { return "order:" + sessionID }

// fetchOrder takes the order's lock (held until the caller's scope ends,
// after its transaction committed) and re-fetches the order's truth.
func (s *Shop) fetchOrder(ctx context.Context, sessionID string) (orderTruth, error) {
	if err := s.Locks.Hold(ctx, orderKey(sessionID)); err != nil {
		return orderTruth{}, err
	}
	sess, err := s.Stripe.GetCheckoutSession(ctx, sessionID)
	if err != nil {
		return orderTruth{}, err
	}
	t := orderTruth{sess: sess}
	if sess.Mode != "payment" || sess.PaymentIntentID == "" {
		return t, nil
	}
	if sess.Payment != nil {
		// Read with the session, under the same lock: one round trip.
		t.payment = sess.Payment
		return t, nil
	}
	p, err := s.Stripe.GetPayment(ctx, sess.PaymentIntentID)
	if err != nil {
		return t, err
	}
	t.payment = &p
	return t, nil
}

// paymentState is the order's payment fact: Checkout says paid; a
// PaymentIntent that needs a new payment method (or was canceled) failed;
// anything else is still on its way.
func (t orderTruth) paymentState() string {
	switch {
	case t.sess.PaymentStatus == "paid" || t.sess.PaymentStatus == "no_payment_required":
		return app.PaymentPaid
	case t.payment != nil && (t.payment.Status == "requires_payment_method" || t.payment.Status == "canceled"):
		return app.PaymentFailed
	}
	return app.PaymentPending
}

// setFacts copies the truth's facts onto the order.
func (t orderTruth) setFacts(o *app.Order) {
	o.PaymentStatus = t.paymentState()
	if o.PaymentIntentID == "" {
		o.PaymentIntentID = t.sess.PaymentIntentID
	}
	p := t.payment
	if p == nil {
		return
	}
	if p.ChargeID != "" {
		o.ChargeID = p.ChargeID
	}
	o.AmountRefunded = p.Refunded()
	o.Refunds = o.Refunds[:0]
	for _, r := range p.Refunds {
		o.Refunds = append(o.Refunds, app.Refund{ID: r.ID, Amount: r.Amount, Status: r.Status, Reason: r.Reason, CreatedAt: r.Created})
	}
	o.Dispute = nil
	if d := p.Dispute; d != nil {
		o.Dispute = &app.OrderDispute{ID: d.ID, Status: d.Status, Reason: d.Reason, Amount: app.Money{Amount: d.Amount, Currency: d.Currency},
			DueBy: d.DueBy, CreatedAt: d.Created}
	}
}

// applyOrder writes what a fetched truth means, inside one transaction
// (the ledger's, or the success page's): the order with its facts and
// status, access granted, taken away or given back to match, and the
// mails of the change. It is idempotent: the same truth twice changes
// nothing the second time.
func (s *Shop) applyOrder(tx *store.Tx, t orderTruth) (app.Order, error) {
	sess := t.sess
	order, err := tx.OrderByCheckoutSession(sess.ID)
	found, err := app.Found(err)
	if err != nil {
		return order, err
	}
	if !found {
		if sess.Status != "complete" {
			return order, nil // open (not paid yet) or expired: no order
		}
		mine, err := s.ourSession(tx, sess)
		if err != nil {
			return order, err
		}
		if !mine {
			return order, webhook.Ignore(store.ReasonForeign)
		}
	}
	if ok, err := tx.AcceptSnapshot(sess.ID, sess.FetchedAt); err != nil || !ok {
		return order, err // an older truth than the one stored
	}
	before := order // the zero order (pending, no access) for a new one
	if found && order.PaymentStatus == "" && order.PaymentState() == app.PaymentPaid {
		// Stored before the facts were kept: it was paid, so its receipt
		// went out then.
		order.ReceiptSent = true
	}
	if !found {
		if order, err = s.newOrder(tx, sess); err != nil {
			return order, err
		}
		// The order counts the code's use from now on: the Checkout's
		// hold on it ends in the same transaction (codeholds.go).
		if err := releaseHold(tx, sess.Metadata["vendo_discount"], cartHolder(sess.Metadata["vendo_cart_id"]), sess.Metadata); err != nil {
			return order, err
		}
	}
	t.setFacts(&order)
	_, had := before.State()
	status, access := order.State()
	order.Status = status
	firstPaid := order.PaymentStatus == app.PaymentPaid && order.PaidAt.IsZero()
	if firstPaid {
		order.PaidAt = tx.Now()
	}
	told := order.ReceiptSent // the buyer has had the receipt
	receipt := access && !order.ReceiptSent
	order.ReceiptSent = order.ReceiptSent || receipt
	if err := tx.PutOrder(&order); err != nil {
		return order, err
	}
	if firstPaid {
		if err := removePurchased(tx, order); err != nil {
			return order, err
		}
	}
	switch {
	case access && !had:
		if err := s.giveAccess(tx, order); err != nil {
			return order, err
		}
	case !access && had:
		if err := takeAccess(tx, order, status); err != nil {
			return order, err
		}
	}
	if receipt {
		if err := s.queueReceipt(tx, order); err != nil {
			return order, err
		}
	}
	if refund := order.AmountRefunded - before.AmountRefunded; refund > 0 && had && told && s.Mail != nil {
		// The buyer had the receipt: each refund after it is confirmed,
		// with its amount and whether access ends (a full refund) or not
		// (a partial one). A refund that came before the receipt is on
		// the receipt.
		tx.OnCommit(s.Mail.Notify)
		if err := s.Mail.Queue(tx, "order_refunded", order.Email, map[string]any{"Order": order,
			"Refund": app.Money{Amount: refund, Currency: order.Total.Currency}, "Refunded": order.RefundedAmount(),
			"Full": status == app.OrderRefunded, "AccountURL": s.BaseURL + "/account"}); err != nil {
			return order, err
		}
	}
	if order.PaymentStatus == app.PaymentFailed && before.PaymentState() != app.PaymentFailed && s.Mail != nil {
		tx.OnCommit(s.Mail.Notify)
		if err := s.Mail.Queue(tx, "payment_failed", order.Email, map[string]any{"Order": order, "CartURL": s.BaseURL + "/cart"}); err != nil {
			return order, err
		}
	}
	if d := order.Dispute; d.Open() && (before.Dispute == nil || before.Dispute.ID != d.ID || !before.Dispute.Open()) {
		if err := s.queueDisputeMail(tx, order); err != nil {
			return order, err
		}
	}
	return order, queueOrderHooks(tx, before, order, firstPaid)
}

// newOrder builds a session's order from its lines (not yet stored).
func (s *Shop) newOrder(tx *store.Tx, sess stripeapi.Session) (app.Order, error) {
	cust, err := s.customerForSession(tx, sess)
	if err != nil {
		return app.Order{}, err
	}
	order := app.Order{
		CustomerID: cust.ID, Email: cust.Email, Name: sess.Name, CartID: sess.ClientReferenceID,
		CheckoutSessionID: sess.ID, PaymentIntentID: sess.PaymentIntentID, StripeCustomerID: sess.CustomerID,
		Subtotal: app.Money{Amount: sess.AmountSubtotal, Currency: sess.Currency},
		Total:    app.Money{Amount: sess.AmountTotal, Currency: sess.Currency},
	}
	if sess.AmountDiscount > 0 {
		// The amount is Stripe's; the code is the one the shop applied,
		// or the one the customer typed on Stripe's page.
		order.Discount = app.Money{Amount: sess.AmountDiscount, Currency: sess.Currency}
		code, err := codeOf(tx, sess.Metadata, sess.CouponVendoID)
		if err != nil {
			return order, err
		}
		order.DiscountCode = code
	}
	if sess.AmountTax != 0 {
		order.Tax = app.Money{Amount: sess.AmountTax, Currency: sess.Currency}
	}
	order.InvoiceID = sess.InvoiceID
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
	return order, nil
}

// giveAccess grants what an order's lines give, or gives back what its
// state took away: per product (once, however many lines name it), an
// entitlement and, for a licensed product, a licence key. One the order's state revoked is restored (its
// download links and key work again); one an admin revoked stays
// revoked; a new one is made only where the order never had one.
func (s *Shop) giveAccess(tx *store.Tx, o app.Order) error {
	ents, err := tx.EntitlementsOf(o.CustomerID, false)
	if err != nil {
		return err
	}
	lics, err := tx.LicensesOf(o.CustomerID)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, l := range o.Lines {
		// A product is granted once per order, with one licence key,
		// whatever quantity or lines the session has: a download is
		// bought once (Checkout never asks for more).
		if l.ProductID == "" || done[l.ProductID] {
			continue
		}
		done[l.ProductID] = true
		had := false
		for i := range ents {
			e := &ents[i]
			if e.Source != app.SourceOrder || e.SourceID != o.ID || e.ProductID != l.ProductID {
				continue
			}
			had = true
			if e.RevokedByOrder && !e.Active() {
				e.RevokedAt, e.RevokedReason, e.RevokedByOrder = time.Time{}, "", false
				if err := tx.PutEntitlement(e); err != nil {
					return err
				}
			}
		}
		if !had {
			e := app.Entitlement{CustomerID: o.CustomerID, ProductID: l.ProductID, Source: app.SourceOrder, SourceID: o.ID}
			if err := tx.PutEntitlement(&e); err != nil {
				return err
			}
		}
		// A product flagged "licensed" comes with a key per purchase.
		p, err := tx.Product(l.ProductID)
		if app.IsNotFound(err) || (err == nil && !p.Licensed) {
			continue
		}
		if err != nil {
			return err
		}
		had = false
		for i := range lics {
			k := &lics[i]
			if k.OrderID != o.ID || k.ProductID != l.ProductID {
				continue
			}
			had = true
			if k.RevokedByOrder && k.Status == app.LicenseRevoked {
				k.Status, k.RevokedAt, k.RevokedReason, k.RevokedByOrder = app.LicenseActive, time.Time{}, "", false
				if err := tx.PutLicense(k); err != nil {
					return err
				}
			}
		}
		if !had {
			if _, err := s.issueLicense(tx, app.License{CustomerID: o.CustomerID, OrderID: o.ID, ProductID: p.ID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// takeAccess revokes what an order gives, for the reason its state says
// (refunded, disputed, dispute_lost, failed), marked as the order's
// doing so that giveAccess may lift it.
func takeAccess(tx *store.Tx, o app.Order, reason string) error {
	ents, err := tx.EntitlementsOf(o.CustomerID, true)
	if err != nil {
		return err
	}
	for i := range ents {
		e := &ents[i]
		if e.Source != app.SourceOrder || e.SourceID != o.ID {
			continue
		}
		e.RevokedAt, e.RevokedReason, e.RevokedByOrder = tx.Now(), reason, true
		if err := tx.PutEntitlement(e); err != nil {
			return err
		}
	}
	lics, err := tx.LicensesOf(o.CustomerID)
	if err != nil {
		return err
	}
	for i := range lics {
		k := &lics[i]
		if k.OrderID != o.ID || k.Status != app.LicenseActive {
			continue
		}
		k.RevokedByOrder = true
		if err := revokeLicense(tx, k, reason); err != nil {
			return err
		}
	}
	return nil
}

// orderAccess is what an order gives now: its active entitlements and
// licence keys (for the receipt).
func orderAccess(tx *store.Tx, o app.Order) ([]app.Entitlement, []app.License, error) {
	var ents []app.Entitlement
	all, err := tx.EntitlementsOf(o.CustomerID, true)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range all {
		if e.Source == app.SourceOrder && e.SourceID == o.ID {
			ents = append(ents, e)
		}
	}
	var lics []app.License
	keys, err := tx.LicensesOf(o.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range keys {
		if k.OrderID == o.ID && k.Status == app.LicenseActive {
			lics = append(lics, k)
		}
	}
	return ents, lics, nil
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

// queueReceipt mails the buyer what the order gives: download links and
// licence keys. It is sent once, when the order first gives access.
func (s *Shop) queueReceipt(tx *store.Tx, order app.Order) error {
	if s.Mail == nil {
		return nil
	}
	granted, licenses, err := orderAccess(tx, order)
	if err != nil {
		return err
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
	tx.OnCommit(s.Mail.Notify)
	return s.Mail.Queue(tx, "receipt", order.Email, map[string]any{
		"Order": order, "Links": links, "Licenses": licenses, "LibraryURL": s.BaseURL + "/account", "LoginURL": s.BaseURL + "/login?next=/account",
	})
}
