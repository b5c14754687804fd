// Package webhook receives Stripe's events: it checks their signature,
// keeps the ledger that makes processing idempotent and order-safe, and
// dispatches each event type to the handler the shop registered
// (DESIGN.md §5 rules 2–4).
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// Event is the event a handler sees.
type Event = stripeapi.Event

// Apply writes an event's effects. It runs inside the ledger's write
// transaction, which may be a shared Batch that runs it more than once: it
// must only touch the store through tx (mail goes to the outbox in tx).
type Apply func(tx *store.Tx) error

// Handler prepares an event outside any transaction (re-fetching the
// object from Stripe, so a network call never holds bbolt's single writer)
// and returns the Apply to run in the ledger's transaction. A nil Apply
// means nothing to do. ctx carries a Scope: a handler that takes an
// object's lock (Locks.Hold) before re-fetching it keeps it until that
// transaction has committed.
type Handler func(ctx context.Context, ev Event) (Apply, error)

// Ledger records every event and runs its handler exactly once.
type Ledger struct {
	store    *store.Store
	log      *slog.Logger
	mu       sync.RWMutex
	handlers map[string]Handler
}

// NewLedger returns a ledger with no handlers: every event is ignored
// until the shop registers handlers for its types.
func NewLedger(st *store.Store, log *slog.Logger) *Ledger {
	return &Ledger{store: st, log: log, handlers: map[string]Handler{}}
}

// Handle registers h for the event types (set up at start-up).
func (l *Ledger) Handle(h Handler, types ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range types {
		l.handlers[t] = h
	}
}

func (l *Ledger) handler(typ string) Handler {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.handlers[typ]
}

// Result is what processing an event did.
type Result struct {
	Outcome   string // store.EventApplied, EventIgnored, EventFailed
	Reason    string // why an ignored event was left alone
	Duplicate bool   // the ledger had already processed it: nothing changed
}

// ErrHandler wraps a handler's failure: the event is recorded as failed and
// Stripe is answered 5xx so it retries.
var ErrHandler = errors.New("event handler failed")

// IgnoredError is a handler's (or its Apply's) answer for an object it
// leaves alone on purpose, such as another shop's session (DESIGN.md §5
// rule 9): the event is recorded as ignored with the reason, answered 2xx
// and never retried.
type IgnoredError struct{ Reason string }

func (e *IgnoredError) Error() string { return "ignored: " + e.Reason }

// Ignore is the error a handler or an Apply returns to leave an event's
// object alone; reason is shown to the admin (store.ReasonForeign…). An
// Apply may return it (wrapped or not) after reading the store: whatever it
// wrote is rolled back.
func Ignore(reason string) error { return &IgnoredError{Reason: reason} }

// Process runs one event through the ledger. It returns only after the
// transaction that recorded the event committed, so answering 2xx after
// it never acknowledges an event a crash could lose.
func (l *Ledger) Process(ctx context.Context, ev Event, source string) (Result, error) {
	return l.process(ctx, ev, source, false)
}

// Replay re-runs a recorded event through its handler, whatever its
// outcome was (an admin action). Handlers are idempotent in the domain
// (one order per session, one activation per subscription), so replaying a
// success changes nothing and replaying a failure may now succeed.
func (l *Ledger) Replay(ctx context.Context, id string) (Result, error) {
	rec, err := l.store.Event(ctx, id)
	if err != nil {
		return Result{}, fmt.Errorf("replay %s: %w", id, err)
	}
	ev := Event{ID: rec.ID, Type: rec.Type, Created: rec.Created, ObjectID: rec.ObjectID, Raw: rec.Payload}
	return l.process(ctx, ev, "replay", true)
}

func (l *Ledger) process(ctx context.Context, ev Event, source string, replay bool) (Result, error) {
	// A lock the handler takes on the event's object (Locks.Hold) lasts
	// until the transaction that applied what it fetched has committed.
	ctx, release := Scope(ctx)
	defer release()
	// A cheap read first: most duplicates stop here without a write.
	if !replay {
		rec, err := l.store.Event(ctx, ev.ID)
		found, err := app.Found(err)
		if err != nil {
			return Result{}, fmt.Errorf("read ledger: %w", err)
		}
		if found && rec.Done() {
			return Result{Outcome: rec.Outcome, Reason: rec.Reason, Duplicate: true}, nil
		}
	}

	h := l.handler(ev.Type)
	var apply Apply
	reason := ""
	if h == nil {
		reason = store.ReasonUnhandled
	} else {
		var err error
		apply, err = h(ctx, ev)
		if r, ok := ignored(err); ok {
			apply, reason = nil, r
		} else if err != nil {
			return l.fail(ctx, ev, source, err)
		}
	}
	res, err := l.record(ctx, ev, source, replay, apply, reason)
	if r, ok := ignored(err); ok {
		// The Apply left the object alone after reading the store: its
		// transaction was rolled back; record the event as ignored in one
		// of its own.
		res, err = l.record(ctx, ev, source, replay, nil, r)
	}
	if err != nil {
		return l.fail(ctx, ev, source, err)
	}
	if res.Reason != "" && res.Reason != store.ReasonUnhandled && !res.Duplicate {
		l.log.Info("stripe event ignored", "event", ev.ID, "type", ev.Type, "object", ev.ObjectID, "reason", res.Reason)
	}
	return res, nil
}

// ignored reports whether err is a handler's Ignore, and its reason.
func ignored(err error) (string, bool) {
	var ie *IgnoredError
	if errors.As(err, &ie) {
		return ie.Reason, true
	}
	return "", false
}

// record runs apply (when not nil) and writes the event's ledger record in
// one transaction. A non-empty reason records the event as ignored without
// running anything.
func (l *Ledger) record(ctx context.Context, ev Event, source string, replay bool, apply Apply, reason string) (Result, error) {
	var res Result
	err := l.store.Batch(ctx, func(tx *store.Tx) error {
		res = Result{}
		rec, err := tx.Event(ev.ID)
		found, err := app.Found(err)
		if err != nil {
			return err
		}
		// Checked again inside the transaction: a concurrent delivery of
		// the same event may have committed since the read above.
		if found && rec.Done() && !replay {
			res = Result{Outcome: rec.Outcome, Reason: rec.Reason, Duplicate: true}
			return nil
		}
		outcome := store.EventIgnored
		if reason == "" {
			outcome = store.EventApplied
			if apply != nil {
				if err := apply(tx); err != nil {
					if _, ok := ignored(err); ok {
						return err // rolls back what apply wrote
					}
					return fmt.Errorf("%w: %w", ErrHandler, err)
				}
			}
		}
		if replay && found && rec.Done() && reason == "" {
			outcome, reason = rec.Outcome, rec.Reason
		}
		res.Outcome, res.Reason = outcome, reason
		return tx.PutEvent(&store.EventRecord{
			ID: ev.ID, Type: ev.Type, ObjectID: ev.ObjectID, Created: ev.Created, ProcessedAt: tx.Now(),
			Outcome: outcome, Reason: reason, Attempts: rec.Attempts + 1, Source: source, Payload: ev.Raw,
		})
	})
	return res, err
}

// fail records a failed attempt in its own transaction (the handler's was
// rolled back), unless a concurrent delivery has succeeded meanwhile.
func (l *Ledger) fail(ctx context.Context, ev Event, source string, cause error) (Result, error) {
	l.log.Error("stripe event failed", "event", ev.ID, "type", ev.Type, "object", ev.ObjectID, "err", cause)
	// Record even when the request's context is gone: the failure must be
	// visible to the admin.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := l.store.Update(rctx, func(tx *store.Tx) error {
		rec, err := tx.Event(ev.ID)
		found, err := app.Found(err)
		if err != nil {
			return err
		}
		if found && rec.Done() {
			return nil
		}
		return tx.PutEvent(&store.EventRecord{
			ID: ev.ID, Type: ev.Type, ObjectID: ev.ObjectID, Created: ev.Created, ProcessedAt: tx.Now(),
			Outcome: store.EventFailed, Error: cause.Error(), Attempts: rec.Attempts + 1, Source: source, Payload: ev.Raw,
		})
	})
	if err != nil {
		l.log.Error("record failed stripe event", "event", ev.ID, "err", err)
	}
	return Result{Outcome: store.EventFailed}, fmt.Errorf("process %s (%s): %w", ev.ID, ev.Type, cause)
}
