package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// subscriptionTruth is what the state machine decides on: the subscription
// as Stripe has it now, and (when known) its latest invoice.
type subscriptionTruth struct {
	sub     stripeapi.Subscription
	invoice *stripeapi.Invoice
	// email of the Stripe customer, when Vendo's metadata is missing.
	email, name string
}

// subscriptionKey is the lock a subscription's re-fetch and apply hold,
// whichever event or reconciliation asked for them.
func subscriptionKey(id string) string { return "subscription:" + id }

// fetchSubscription takes the subscription's lock (held until the
// caller's scope ends, after its transaction committed: DESIGN.md §5 rule
// 3) and re-fetches the subscription, its latest invoice and, when the
// subscription was not made through Vendo, its customer (outside any
// transaction).
func (s *Shop) fetchSubscription(ctx context.Context, id string) (subscriptionTruth, error) {
	if err := s.Locks.Hold(ctx, subscriptionKey(id)); err != nil {
		return subscriptionTruth{}, err
	}
	sub, err := s.Stripe.GetSubscription(ctx, id)
	if err != nil {
		return subscriptionTruth{}, err
	}
	t := subscriptionTruth{sub: sub, invoice: sub.LatestInvoice} // read with it: one round trip
	if sub.LatestInvoiceID != "" && t.invoice == nil {
		in, err := s.Stripe.GetInvoice(ctx, sub.LatestInvoiceID)
		if err != nil {
			return t, err
		}
		t.invoice = &in
	}
	if sub.Metadata["vendo_customer_id"] == "" && sub.CustomerID != "" {
		cu, err := s.Stripe.GetCustomer(ctx, sub.CustomerID)
		if err != nil {
			return t, err
		}
		t.email, t.name = cu.Email, cu.Name
	}
	return t, nil
}

// HandleSubscriptionEvent is the ledger handler for
// customer.subscription.created/updated/deleted: the event is only a
// notification; the state machine runs on the re-fetched subscription.
func (s *Shop) HandleSubscriptionEvent(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	t, err := s.fetchSubscription(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	return func(tx *store.Tx) error {
		_, err := s.applySubscription(tx, t)
		return err
	}, nil
}

// HandleScheduleCanceled handles subscription_schedule.canceled: the event
// names a schedule; the subscription it governed is re-fetched.
func (s *Shop) HandleScheduleCanceled(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	var payload struct {
		Data struct {
			Object struct {
				Subscription any `json:"subscription"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ev.Raw, &payload); err != nil {
		return nil, nil
	}
	var subID string
	switch v := payload.Data.Object.Subscription.(type) {
	case string:
		subID = v
	case map[string]any:
		subID, _ = v["id"].(string)
	}
	if subID == "" {
		return nil, nil
	}
	return s.HandleSubscriptionEvent(ctx, webhook.Event{ID: ev.ID, Type: ev.Type, ObjectID: subID})
}

// recordInvoice keeps what a subscriber paid, once per invoice, for the
// dashboard's sales; the invoice was re-fetched from Stripe (§5.3).
func recordInvoice(tx *store.Tx, sub app.Subscription, in stripeapi.Invoice) error {
	paidAt := in.PaidAt
	for _, t := range []time.Time{in.Created, in.FetchedAt} {
		if paidAt.IsZero() {
			paidAt = t // paid, but Stripe did not say when: as good as we know
		}
	}
	return tx.PutInvoice(&app.Invoice{ID: in.ID, SubscriptionID: sub.ID, CustomerID: sub.CustomerID, Number: in.Number,
		AmountPaid: app.Money{Amount: in.AmountPaid, Currency: in.Currency}, PaidAt: paidAt, SnapshotAt: in.FetchedAt})
}

// HandleInvoiceEvent handles invoice.paid and invoice.payment_failed:
// paid refills credits once per invoice of a new period; failed marks the
// subscription past due and emails the customer. The first read only
// names the subscription; the invoice is read again under the
// subscription's lock, with the subscription.
func (s *Shop) HandleInvoiceEvent(ctx context.Context, ev webhook.Event) (webhook.Apply, error) {
	in, err := s.Stripe.GetInvoice(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	if in.SubscriptionID == "" {
		if in.Metadata["vendo_kind"] == "order" {
			// An order's invoice (invoice_creation): the order is its
			// Checkout Session's, fulfilled from the session's events.
			return nil, webhook.Ignore(store.ReasonOrderInvoice)
		}
		// Vendo bills only through Checkout and subscriptions: a one-off
		// invoice is another app's (rule 9).
		return nil, webhook.Ignore(store.ReasonForeign)
	}
	t, err := s.fetchSubscription(ctx, in.SubscriptionID)
	if err != nil {
		return nil, err
	}
	if t.invoice != nil && t.invoice.ID == in.ID {
		in = *t.invoice
	} else if in, err = s.Stripe.GetInvoice(ctx, ev.ObjectID); err != nil {
		return nil, err
	}
	failed := ev.Type == "invoice.payment_failed"
	return func(tx *store.Tx) error {
		// A paid invoice needs nothing of its own: the refreshed
		// subscription is active again (or renewed), and applying it
		// rolls the credit month, once (credits.go).
		sub, err := s.applySubscription(tx, t)
		if err != nil || sub.ID == "" {
			return err
		}
		if in.Paid && !failed {
			// What the subscriber paid counts in the dashboard's sales.
			return recordInvoice(tx, sub, in)
		}
		if failed && !in.Paid {
			return s.mailSubscriber(tx, sub.CustomerID, "renewal_failed", func(settings app.Settings) map[string]any {
				return map[string]any{
					"Amount": app.Money{Amount: in.AmountDue, Currency: in.Currency}, "InvoiceURL": in.HostedURL,
					"AccountURL": s.BaseURL + "/account", "GraceDays": int(settings.PastDueGrace / (24 * time.Hour)),
				}
			})
		}
		return nil
	}, nil
}

// applySubscription is the state machine of DESIGN.md §5 rule 5, run on
// the truth fetched from Stripe inside the ledger's transaction. It
// returns the stored mirror (empty when it decided to store nothing).
func (s *Shop) applySubscription(tx *store.Tx, t subscriptionTruth) (app.Subscription, error) {
	fetched := t.sub
	rec, err := tx.SubscriptionByStripeID(fetched.ID)
	found, err := app.Found(err)
	if err != nil {
		return rec, err
	}
	active := app.ActiveStatus(fetched.Status)
	plan, interval, planErr := tx.PlanByStripePrice(fetched.PriceID)
	known, err := app.Found(planErr)
	if err != nil {
		return rec, err
	}
	if !found {
		mine, err := ourSubscription(tx, fetched, known)
		if err != nil {
			return rec, err
		}
		if !mine {
			// Another shop's or app's on the same Stripe account: recorded
			// by the ledger as ignored, before any snapshot or customer
			// is written (rule 9).
			return app.Subscription{}, webhook.Ignore(store.ReasonForeign)
		}
	}
	if !known {
		return rec, fmt.Errorf("subscription %s is on price %s, which no plan has: %w", fetched.ID, fetched.PriceID, planErr)
	}
	if ok, err := tx.AcceptSnapshot(fetched.ID, fetched.FetchedAt); err != nil || !ok {
		return rec, err // an older snapshot than the one stored: ignore it
	}
	if !found {
		cust, err := s.subscriber(tx, t)
		if err != nil {
			return rec, err
		}
		rec = app.Subscription{StripeID: fetched.ID, CustomerID: cust.ID}
		// The subscription counts the code's use from now on: the
		// Checkout's hold on it ends in the same transaction.
		if err := releaseHold(tx, fetched.Metadata["vendo_discount"], planHolder(fetched.Metadata["vendo_customer_id"]), fetched.Metadata); err != nil {
			return rec, err
		}
		// A code typed on Checkout is known by the discount's coupon.
		if rec.DiscountCode, err = codeOf(tx, fetched.Metadata, fetched.CouponVendoID); err != nil {
			return rec, err
		}
	}
	before := rec // the zero subscription for a new one
	oldPlanID, oldInterval, oldStatus := rec.PlanID, rec.Interval, rec.Status
	rec.StripeCustomerID = fetched.CustomerID
	rec.Status = fetched.Status
	rec.PriceID, rec.PlanID, rec.Interval = fetched.PriceID, plan.ID, interval
	rec.CurrentPeriodStart, rec.CurrentPeriodEnd = fetched.CurrentPeriodStart, fetched.CurrentPeriodEnd
	rec.CancelAtPeriodEnd, rec.CanceledAt, rec.EndedAt = fetched.CancelAtPeriodEnd, fetched.CanceledAt, fetched.EndedAt
	rec.LatestInvoiceID = fetched.LatestInvoiceID
	rec.TrialStart, rec.TrialEnd = fetched.TrialStart, fetched.TrialEnd
	rec.SnapshotAt = fetched.FetchedAt
	rec.PastDueSince = pastDueSince(rec, t)

	if !found && !active {
		// Ours, but not active when first heard of (it ended before any
		// event reached the shop): stored as Stripe has it and never
		// activated, so the admin's history is whole; nothing is granted
		// and the account shows it as ended.
		rec.Terminated = true
	}
	switch {
	case active && !rec.Fulfilled:
		// New activation: grants, credits, license key; once.
		if err := s.activate(tx, &rec, plan); err != nil {
			return rec, err
		}
	case active:
		if err := s.changeCredits(tx, &rec, oldPlanID, oldInterval, oldStatus, plan); err != nil {
			return rec, err
		}
	case !active && rec.Fulfilled && !rec.Terminated:
		if err := s.terminate(tx, &rec); err != nil {
			return rec, err
		}
	}
	if err := s.noticeCancel(tx, &rec, plan); err != nil {
		return rec, err
	}
	if err := tx.PutSubscription(&rec); err != nil {
		return rec, err
	}
	return rec, queueSubscriptionHooks(tx, before, rec, plan)
}

// noticeCancel tells the customer, once per cancellation, that their plan
// is set to end and until when it lasts, from the state re-fetched from
// Stripe. A subscription canceled at once gets only the ended mail
// (terminate): its access has already ended.
func (s *Shop) noticeCancel(tx *store.Tx, rec *app.Subscription, plan app.Plan) error {
	if !rec.Fulfilled || !rec.CancelAtPeriodEnd || s.Mail == nil {
		return nil
	}
	key := rec.CanceledAt
	if key.IsZero() {
		key = rec.CurrentPeriodEnd // Stripe always says when; as good as we know
	}
	if rec.CancelNotice.Equal(key) {
		return nil
	}
	rec.CancelNotice = key
	return s.mailSubscriber(tx, rec.CustomerID, "subscription_canceled", func(settings app.Settings) map[string]any {
		return map[string]any{"Plan": plan, "Subscription": *rec, "AccountURL": s.BaseURL + "/account", "KeepsUnlocks": settings.KeepsUnlocks()}
	})
}

// mailSubscriber queues a plan mail to a subscription's customer, sent
// once the transaction commits. The data depends on the shop's settings
// (the grace after a failed payment, what happens to unlocked products),
// read in the same transaction so the mail states the rule in force.
func (s *Shop) mailSubscriber(tx *store.Tx, customerID, template string, data func(app.Settings) map[string]any) error {
	if s.Mail == nil {
		return nil
	}
	cust, err := tx.Customer(customerID)
	if err != nil {
		return err
	}
	settings, err := tx.Settings()
	if err != nil {
		return err
	}
	tx.OnCommit(s.Mail.Notify)
	return s.Mail.Queue(tx, template, cust.Email, data(settings))
}

// pastDueSince is when a past_due subscription's unpaid invoice was
// issued (from Stripe's invoice, so the grace does not depend on when the
// shop heard of it), zero for any other status.
func pastDueSince(rec app.Subscription, t subscriptionTruth) time.Time {
	switch {
	case t.sub.Status != "past_due":
		return time.Time{}
	case t.invoice != nil && !t.invoice.Paid && !t.invoice.Created.IsZero():
		return t.invoice.Created
	case !rec.PastDueSince.IsZero():
		return rec.PastDueSince
	}
	return t.sub.CurrentPeriodStart
}

// changeCredits applies to an active subscription's credits what changed
// since it was stored: a trial that ended restarts the credit month with
// the paid allowance, the credit month rolls to now (a refill, once per
// month), a plan change moves the allowance, an interval change restarts
// the credit month (credits.go).
func (s *Shop) changeCredits(tx *store.Tx, rec *app.Subscription, oldPlanID string, oldInterval app.Interval, oldStatus string, plan app.Plan) error {
	settings, err := tx.Settings()
	if err != nil {
		return err
	}
	var entries []app.CreditEntry
	if oldStatus == "trialing" && rec.Status != "trialing" {
		// The trial ended into a paid period (trials.go).
		entries = endTrialCredits(rec, plan)
	}
	entries = append(entries, rollMonth(rec, plan, s.now(), settings.PastDueGrace)...)
	if oldPlanID != "" && oldPlanID != plan.ID {
		old, err := tx.Plan(oldPlanID)
		if err != nil && !app.IsNotFound(err) {
			return err
		}
		if e := changePlanCredits(rec, old, plan); e != nil {
			entries = append(entries, *e)
		}
		if err := movePlanLicense(tx, rec, plan); err != nil {
			return err
		}
	}
	if oldInterval != "" && oldInterval != rec.Interval {
		entries = append(entries, restartCreditMonth(rec, plan, oldInterval, rec.Interval))
	}
	if len(entries) == 0 {
		return nil
	}
	if err := tx.PutSubscription(rec); err != nil { // an id for the entries of a record stored before
		return err
	}
	return addCredits(tx, entries...)
}

func (s *Shop) activate(tx *store.Tx, rec *app.Subscription, plan app.Plan) error {
	rec.Fulfilled, rec.Terminated = true, false
	grant := startCredits(rec, plan, s.now())
	if err := tx.PutSubscription(rec); err != nil { // gives rec an id
		return err
	}
	grant.SubscriptionID = rec.ID
	if plan.Credits != 0 {
		if err := tx.AddCredit(&grant); err != nil {
			return err
		}
	}
	lic, err := s.issueLicense(tx, app.License{CustomerID: rec.CustomerID, SubscriptionID: rec.ID, PlanID: plan.ID, ExpiresAt: rec.CurrentPeriodEnd})
	if err != nil {
		return err
	}
	rec.LicenseID = lic.ID
	return s.mailSubscriber(tx, rec.CustomerID, "subscription_started", func(settings app.Settings) map[string]any {
		return map[string]any{"Plan": plan, "Subscription": *rec, "License": lic, "AccountURL": s.BaseURL + "/account", "KeepsUnlocks": settings.KeepsUnlocks()}
	})
}

// movePlanLicense points the subscription's license key at its new plan.
func movePlanLicense(tx *store.Tx, rec *app.Subscription, plan app.Plan) error {
	if rec.LicenseID == "" {
		return nil
	}
	lic, err := tx.License(rec.LicenseID)
	if err != nil {
		return err
	}
	lic.PlanID = plan.ID
	return tx.PutLicense(&lic)
}

// terminate revokes what the plan granted: its products, the credit
// balance and the license key, and the products unlocked with credits
// unless the shop lets customers keep them (a setting).
func (s *Shop) terminate(tx *store.Tx, rec *app.Subscription) error {
	rec.Fulfilled, rec.Terminated = false, true
	settings, err := tx.Settings()
	if err != nil {
		return err
	}
	if !settings.KeepsUnlocks() {
		if _, err := tx.RevokeEntitlements(rec.CustomerID, app.SourceCredit, rec.ID, "subscription ended"); err != nil {
			return err
		}
	}
	if _, err := tx.RevokeEntitlements(rec.CustomerID, app.SourcePlan, rec.ID, "subscription ended"); err != nil {
		return err
	}
	if rec.Credits != 0 {
		if err := tx.AddCredit(&app.CreditEntry{CustomerID: rec.CustomerID, SubscriptionID: rec.ID, Delta: -max(rec.Credits, 0), Balance: 0, Reason: app.CreditEnded}); err != nil {
			return err
		}
	}
	rec.Credits = 0
	if err := revokeSubscriptionLicense(tx, rec, "subscription ended"); err != nil {
		return err
	}
	return s.mailSubscriber(tx, rec.CustomerID, "subscription_ended", func(settings app.Settings) map[string]any {
		return map[string]any{"PlansURL": s.BaseURL + "/plans", "KeepsUnlocks": settings.KeepsUnlocks()}
	})
}

// ourSubscription reports whether this shop made a subscription it has
// not mirrored yet: its metadata names one of the shop's customers, or,
// made without Vendo's metadata (the Stripe dashboard), it is on a price
// one of the shop's plans has. Metadata naming a customer the shop does
// not have is another Vendo's on the same Stripe account.
func ourSubscription(tx *store.Tx, sub stripeapi.Subscription, onOurPrice bool) (bool, error) {
	if sub.Metadata["vendo_customer_id"] != "" {
		return ourCustomer(tx, sub.Metadata)
	}
	return onOurPrice, nil
}

// subscriber finds the customer a subscription belongs to: Vendo's
// metadata first, else the Stripe customer, else its email.
func (s *Shop) subscriber(tx *store.Tx, t subscriptionTruth) (app.Customer, error) {
	if id := t.sub.Metadata["vendo_customer_id"]; id != "" {
		return tx.Customer(id)
	}
	cust, err := tx.CustomerByStripeID(t.sub.CustomerID)
	if err == nil || !app.IsNotFound(err) {
		return cust, err
	}
	if t.email == "" {
		return cust, fmt.Errorf("subscription %s: unknown customer %s without email", t.sub.ID, t.sub.CustomerID)
	}
	cust, err = tx.CustomerByEmail(t.email)
	if app.IsNotFound(err) {
		cust, err = app.Customer{Email: app.NormalizeEmail(t.email), Name: t.name}, nil
	}
	if err != nil {
		return cust, err
	}
	cust.StripeCustomerID = t.sub.CustomerID
	return cust, tx.PutCustomer(&cust)
}
