package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// Lister is the part of the Stripe client reconciliation needs.
type Lister interface {
	ListEvents(ctx context.Context, since time.Time, fn func(stripeapi.Event) error) (int, error)
	ListSubscriptionIDs(ctx context.Context) ([]string, error)
	ListCompletedSessionIDs(ctx context.Context, since time.Time) ([]string, error)
	ListRefundedPayments(ctx context.Context, since time.Time) ([]string, error)
	ListDisputedPayments(ctx context.Context, since time.Time) ([]string, error)
}

// Syncer heals missed webhooks: it lists recent events, subscriptions and
// completed Checkout Sessions from Stripe and feeds what the ledger has not
// seen through the same handlers. It also lists every refund and dispute
// since the shop's oldest order and reconciles the orders they belong to:
// a refund older than the window whose event the ledger acknowledged
// without an order (an old bug) is healed too.
type Syncer struct {
	Ledger *Ledger
	Stripe Lister
	Store  *store.Store
	Log    *slog.Logger
	// Window is how far back the first sync looks (Stripe keeps events for
	// 30 days); later syncs start an hour before the previous one.
	Window time.Duration
}

// Progress is told how far a sync got: stage is "events", "subscriptions",
// "sessions" or "payments".
type Progress func(stage string, done, total int)

// Summary counts what a sync did.
type Summary struct {
	Events, NewEvents, FailedEvents int
	Subscriptions, Sessions         int
	// Payments counts the orders reconciled because Stripe lists a
	// refund or a dispute of their payment.
	Payments int
	Failed   int // reconciliations of objects that failed
	// ForeignEvents and Foreign count the events and the objects left
	// alone because another shop or app made them (DESIGN.md §5 rule 9):
	// no failure.
	ForeignEvents, Foreign int
	// Corrected names each record the sync found differing from Stripe
	// and brought to Stripe's state (an order whose refunds or dispute the
	// shop had missed), in the words of the handler that corrected it.
	Corrected []string
	Since     time.Time
	Took      time.Duration
}

func (s Summary) String() string {
	out := fmt.Sprintf("%d events checked (%d new, %d failed, %d about objects not created by this shop), %d subscriptions, %d checkout sessions and %d refunded or disputed orders reconciled (%d failed, %d not created by this shop and left alone), since %s, in %s",
		s.Events, s.NewEvents, s.FailedEvents, s.ForeignEvents, s.Subscriptions, s.Sessions, s.Payments, s.Failed, s.Foreign, s.Since.Format(time.RFC3339), s.Took.Round(time.Millisecond))
	if len(s.Corrected) > 0 {
		out += fmt.Sprintf("; %d corrected to Stripe's state: %s", len(s.Corrected), strings.Join(s.Corrected, "; "))
	}
	return out
}

// corrections collect what one sync corrected (Corrected).
type corrections struct {
	mu   sync.Mutex
	seen map[string]bool
	list []string
}

type correctionsKey struct{}

// Corrected tells the sync running in ctx, if any, that a record differed
// from Stripe's and was corrected; what says which and how, for the
// summary. Call it once the correction has committed (tx.OnCommit). A
// webhook delivery outside a sync carries no collector: nothing happens.
func Corrected(ctx context.Context, what string) {
	c, _ := ctx.Value(correctionsKey{}).(*corrections)
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.seen[what] {
		c.seen[what] = true
		c.list = append(c.list, what)
	}
}

// Run performs one reconciliation.
func (s *Syncer) Run(ctx context.Context, progress Progress) (Summary, error) {
	start := time.Now()
	if progress == nil {
		progress = func(string, int, int) {}
	}
	window := s.Window
	if window <= 0 {
		window = 30 * 24 * time.Hour
	}
	since := s.Store.Now().Add(-window)
	last, err := s.Store.LastSync(ctx)
	if err != nil {
		return Summary{}, err
	}
	if !last.IsZero() && last.Add(-time.Hour).After(since) {
		since = last.Add(-time.Hour)
	}
	sum := Summary{Since: since}
	fixes := &corrections{seen: map[string]bool{}}
	ctx = context.WithValue(ctx, correctionsKey{}, fixes)

	var events []stripeapi.Event
	if _, err := s.Stripe.ListEvents(ctx, since, func(ev stripeapi.Event) error { events = append(events, ev); return nil }); err != nil {
		return sum, fmt.Errorf("list events: %w", err)
	}
	for i, ev := range events {
		res, err := s.Ledger.Process(ctx, ev, "sync")
		sum.Events++
		switch {
		case err != nil:
			sum.FailedEvents++
		case !res.Duplicate:
			sum.NewEvents++
		}
		if err == nil && res.Reason == store.ReasonForeign {
			sum.ForeignEvents++
		}
		progress("events", i+1, len(events))
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
	}

	subs, err := s.Stripe.ListSubscriptionIDs(ctx)
	if err != nil {
		return sum, fmt.Errorf("list subscriptions: %w", err)
	}
	for i, id := range subs {
		if res, err := s.Ledger.Reconcile(ctx, "customer.subscription.updated", id); err != nil {
			sum.Failed++
			s.Log.Warn("reconcile subscription", "subscription", id, "err", err)
		} else if res.Reason == store.ReasonForeign {
			sum.Foreign++
		}
		sum.Subscriptions++
		progress("subscriptions", i+1, len(subs))
	}

	sessions, err := s.Stripe.ListCompletedSessionIDs(ctx, since)
	if err != nil {
		return sum, fmt.Errorf("list checkout sessions: %w", err)
	}
	for i, id := range sessions {
		s.reconcileSession(ctx, &sum, id)
		sum.Sessions++
		progress("sessions", i+1, len(sessions))
	}

	orders, err := s.refundedOrDisputed(ctx, window, sessions)
	if err != nil {
		return sum, err
	}
	for i, id := range orders {
		s.reconcileSession(ctx, &sum, id)
		sum.Payments++
		progress("payments", i+1, len(orders))
	}
	sum.Took = time.Since(start)
	fixes.mu.Lock()
	sum.Corrected = fixes.list
	fixes.mu.Unlock()
	if err := s.Store.SetLastSync(ctx, s.Store.Now()); err != nil {
		return sum, err
	}
	s.Log.Info("stripe sync done", "summary", sum.String())
	return sum, nil
}

// reconcileSession runs the order's reconcile on a Checkout Session, as
// checkout.session.completed would.
func (s *Syncer) reconcileSession(ctx context.Context, sum *Summary, id string) {
	if res, err := s.Ledger.Reconcile(ctx, "checkout.session.completed", id); err != nil {
		sum.Failed++
		s.Log.Warn("reconcile checkout session", "session", id, "err", err)
	} else if res.Reason == store.ReasonForeign {
		sum.Foreign++
	}
}

// refundedOrDisputed lists the Checkout Sessions of the shop's orders
// whose payment Stripe has refunded or disputed since the oldest order,
// except those in done (already reconciled by this sync). The list starts
// a window before the oldest order: an order can be made from its session
// that long after it was paid (and refunded). A payment that is no
// order's (a subscription's invoice, another app's) is left alone.
func (s *Syncer) refundedOrDisputed(ctx context.Context, window time.Duration, done []string) ([]string, error) {
	var oldest time.Time
	if err := s.Store.View(ctx, func(tx *store.Tx) (err error) { oldest, err = tx.OldestOrderAt(); return }); err != nil {
		return nil, err
	}
	if oldest.IsZero() {
		return nil, nil
	}
	from := oldest.Add(-window)
	refunded, err := s.Stripe.ListRefundedPayments(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	disputed, err := s.Stripe.ListDisputedPayments(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("list disputes: %w", err)
	}
	seen := map[string]bool{}
	for _, id := range done {
		seen[id] = true
	}
	var out []string
	err = s.Store.View(ctx, func(tx *store.Tx) error {
		for _, pi := range append(refunded, disputed...) {
			o, err := tx.OrderByPaymentIntent(pi)
			if app.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if !seen[o.CheckoutSessionID] {
				seen[o.CheckoutSessionID] = true
				out = append(out, o.CheckoutSessionID)
			}
		}
		return nil
	})
	return out, err
}

// Every runs Run at each interval until ctx ends (the background
// reconciliation).
func (s *Syncer) Every(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Run(ctx, nil); err != nil && ctx.Err() == nil {
				s.Log.Warn("background stripe sync failed; will retry at the next interval", "err", err)
			}
		}
	}
}

// Reconcile runs the handler registered for typ on an object, as if an
// event about it had arrived, without a ledger record: handlers re-fetch
// the object and are idempotent, so this only fills in what was missed.
// An object the handler leaves alone on purpose (another shop's) is no
// failure: the result says it was ignored, and why.
func (l *Ledger) Reconcile(ctx context.Context, typ, objectID string) (Result, error) {
	h := l.handler(typ)
	if h == nil {
		return Result{Outcome: store.EventIgnored, Reason: store.ReasonUnhandled}, nil
	}
	ctx, release := Scope(ctx)
	defer release()
	apply, err := h(ctx, Event{ID: "sync:" + objectID, Type: typ, ObjectID: objectID, Created: time.Now()})
	if reason, ok := ignored(err); ok {
		return Result{Outcome: store.EventIgnored, Reason: reason}, nil
	}
	if err != nil {
		return Result{Outcome: store.EventFailed}, err
	}
	if apply != nil {
		err = l.store.Batch(ctx, func(tx *store.Tx) error { return apply(tx) })
	}
	if reason, ok := ignored(err); ok {
		return Result{Outcome: store.EventIgnored, Reason: reason}, nil
	}
	if err != nil {
		return Result{Outcome: store.EventFailed}, err
	}
	return Result{Outcome: store.EventApplied}, nil
}
