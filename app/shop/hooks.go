package shop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Outgoing webhooks (issue 20): the admin's endpoints, and the events the
// use cases queue with their changes. Each event is queued by the code
// that made its change, in the same transaction, from the difference
// between the record before and after: a redelivered or reordered Stripe
// event changes nothing the second time, so it queues nothing either
// (DESIGN.md §5 rules 2–3). The hooks package sends them.

// HookSecretPrefix starts every endpoint's signing secret.
const HookSecretPrefix = "whsec_"

// newHookSecret is a new endpoint's signing secret: 32 random bytes.
func newHookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return HookSecretPrefix + hex.EncodeToString(b)
}

// HookEndpointForm is what the admin sends to make or change an endpoint.
type HookEndpointForm struct {
	URL     string
	Events  []string
	Enabled bool
}

// CreateHookEndpoint stores a new endpoint with a new signing secret,
// audited. The secret is in the returned endpoint: the admin sees it this
// once.
func (s *Shop) CreateHookEndpoint(ctx context.Context, f HookEndpointForm, actor string) (app.HookEndpoint, error) {
	e := app.HookEndpoint{URL: strings.TrimSpace(f.URL), Events: f.Events, Enabled: f.Enabled, Secret: newHookSecret()}
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutHookEndpoint(&e); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "webhook.create", Target: e.ID,
			Detail: fmt.Sprintf("endpoint %s for %s", e.URL, strings.Join(e.Events, ", "))})
	})
	return e, err
}

// UpdateHookEndpoint changes an endpoint's address, events and enabled
// flag (never its secret), audited.
func (s *Shop) UpdateHookEndpoint(ctx context.Context, id string, f HookEndpointForm, actor string) (app.HookEndpoint, error) {
	var e app.HookEndpoint
	err := s.Store.Update(ctx, func(tx *store.Tx) (err error) {
		if e, err = tx.HookEndpoint(id); err != nil {
			return err
		}
		e.URL, e.Events, e.Enabled = strings.TrimSpace(f.URL), f.Events, f.Enabled
		if err := tx.PutHookEndpoint(&e); err != nil {
			return err
		}
		state := "disabled"
		if e.Enabled {
			state = "enabled"
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "webhook.update", Target: e.ID,
			Detail: fmt.Sprintf("endpoint %s for %s, %s", e.URL, strings.Join(e.Events, ", "), state)})
	})
	return e, err
}

// DeleteHookEndpoint removes an endpoint, audited; its deliveries stay in
// the history.
func (s *Shop) DeleteHookEndpoint(ctx context.Context, id, actor string) error {
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.HookEndpoint(id)
		if err != nil {
			return err
		}
		if err := tx.DeleteHookEndpoint(id); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "webhook.delete", Target: id, Detail: "endpoint " + e.URL})
	})
}

// ResendHookDelivery queues a delivery again at once, with a new
// three-day retry window, keeping its attempts; the body is the same
// event (its id lets the receiver tell it already has it), signed anew.
func (s *Shop) ResendHookDelivery(ctx context.Context, id, actor string) error {
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.HookDelivery(id)
		if err != nil {
			return err
		}
		e, err := tx.HookEndpoint(d.EndpointID)
		if app.IsNotFound(err) {
			return app.Errorf(app.ECONFLICT, "That delivery's endpoint was deleted, so it cannot be sent again.")
		}
		if err != nil {
			return err
		}
		if !e.Enabled {
			return app.Errorf(app.ECONFLICT, "That delivery's endpoint is disabled: enable it first.")
		}
		now := tx.Now()
		d.Status, d.NextAttemptAt, d.RetryUntil, d.Failures, d.URL, d.FailedAt = app.HookPending, now, now.Add(store.HookRetryWindow), 0, e.URL, time.Time{}
		if err := tx.PutHookDelivery(&d); err != nil {
			return err
		}
		tx.WakeHooks()
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "webhook.resend", Target: d.ID,
			Detail: fmt.Sprintf("%s %s to %s", d.EventType, d.EventID, e.URL)})
	})
}

// queueOrderHooks queues the events of an order's change from before to
// after (applyOrder): paid the first time it is paid, refunded each time
// the refunded amount grows, disputed when a new dispute opens.
func queueOrderHooks(tx *store.Tx, before, after app.Order, firstPaid bool) error {
	var types []string
	if firstPaid {
		types = append(types, app.HookOrderPaid)
	}
	if after.AmountRefunded > before.AmountRefunded {
		types = append(types, app.HookOrderRefunded)
	}
	if d := after.Dispute; d.Open() && (before.Dispute == nil || before.Dispute.ID != d.ID || !before.Dispute.Open()) {
		types = append(types, app.HookOrderDisputed)
	}
	for _, t := range types {
		if err := tx.QueueHook(t, after.ID, app.HookOrderData(after)); err != nil {
			return err
		}
	}
	return nil
}

// queueSubscriptionHooks queues the event of a subscription's change
// (applySubscription, after the record is stored): started when Vendo's
// grants begin, ended when they end, changed when a fact a merchant acts
// on moved (plan, interval, status, period, cancellation).
func queueSubscriptionHooks(tx *store.Tx, before, after app.Subscription, plan app.Plan) error {
	var typ string
	previous := map[string]any{}
	switch {
	case !before.Fulfilled && after.Fulfilled:
		typ = app.HookSubscriptionStarted
	case before.Fulfilled && !before.Terminated && after.Terminated:
		typ = app.HookSubscriptionEnded
	case before.Fulfilled && after.Fulfilled:
		if before.PlanID != after.PlanID {
			slug := before.PlanID
			if p, err := tx.Plan(before.PlanID); err == nil {
				slug = p.Slug
			}
			previous["plan"] = slug
		}
		if before.Interval != after.Interval {
			previous["interval"] = before.Interval
		}
		if before.Status != after.Status {
			previous["status"] = before.Status
		}
		if !before.CurrentPeriodEnd.Equal(after.CurrentPeriodEnd) {
			previous["current_period_start"], previous["current_period_end"] = before.CurrentPeriodStart, before.CurrentPeriodEnd
		}
		if before.CancelAtPeriodEnd != after.CancelAtPeriodEnd {
			previous["cancel_at_period_end"] = before.CancelAtPeriodEnd
		}
		if len(previous) > 0 {
			typ = app.HookSubscriptionChanged
		}
	}
	if typ == "" {
		return nil
	}
	return tx.QueueHook(typ, after.ID, app.HookSubscriptionData(after, plan.Slug, previous))
}

// queueLicenseHook queues license.activated or license.deactivated for
// one instance of a key.
func queueLicenseHook(tx *store.Tx, typ string, lic app.License, in app.LicenseInstance) error {
	ins, err := tx.LicenseInstances(lic.ID)
	if err != nil {
		return err
	}
	return tx.QueueHook(typ, lic.ID, app.HookLicenseData(lic, in, len(ins)))
}
