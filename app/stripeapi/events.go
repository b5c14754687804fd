package stripeapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// Event is a Stripe event as Vendo keeps it: identity, type, the id of the
// object it is about, and the raw JSON. The payload is a notification, not
// the truth: handlers re-fetch the object (DESIGN.md §5 rule 3).
type Event struct {
	ID         string
	Type       string
	Created    time.Time
	ObjectID   string
	ObjectType string
	Raw        []byte
}

// FromStripe converts a verified stripe-go event.
func FromStripe(ev *stripe.Event, raw []byte) Event {
	e := Event{ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0).UTC(), Raw: raw}
	if ev.Data != nil && ev.Data.Object != nil {
		if id, ok := ev.Data.Object["id"].(string); ok {
			e.ObjectID = id
		}
		if o, ok := ev.Data.Object["object"].(string); ok {
			e.ObjectType = o
		}
	}
	return e
}

// ListEvents calls fn for each event created at or after since, oldest
// first (Stripe lists newest first; reconciliation wants history order),
// paging through the API with starting_after.
func (c *Client) ListEvents(ctx context.Context, since time.Time, fn func(Event) error) (int, error) {
	p := &stripe.EventListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	p.Context = ctx
	p.Limit = stripe.Int64(100)
	it := c.api.Events.List(p)
	var all []Event
	for it.Next() {
		ev := it.Event()
		raw, err := json.Marshal(ev)
		if err != nil {
			return 0, wrap("encode event", err)
		}
		all = append(all, FromStripe(ev, raw))
	}
	if err := it.Err(); err != nil {
		return 0, wrap("list events", err)
	}
	for i := len(all) - 1; i >= 0; i-- {
		if err := fn(all[i]); err != nil {
			return len(all) - 1 - i, err
		}
	}
	return len(all), nil
}

// ListSubscriptionIDs returns the ids of every subscription (any status).
func (c *Client) ListSubscriptionIDs(ctx context.Context) ([]string, error) {
	p := &stripe.SubscriptionListParams{Status: stripe.String("all")}
	p.Context = ctx
	p.Limit = stripe.Int64(100)
	it := c.api.Subscriptions.List(p)
	var ids []string
	for it.Next() {
		ids = append(ids, it.Subscription().ID)
	}
	return ids, wrap("list subscriptions", it.Err())
}

// ListCompletedSessionIDs returns the ids of Checkout Sessions completed
// since a time.
func (c *Client) ListCompletedSessionIDs(ctx context.Context, since time.Time) ([]string, error) {
	p := &stripe.CheckoutSessionListParams{Status: stripe.String("complete"), CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	p.Context = ctx
	p.Limit = stripe.Int64(100)
	it := c.api.CheckoutSessions.List(p)
	var ids []string
	for it.Next() {
		ids = append(ids, it.CheckoutSession().ID)
	}
	return ids, wrap("list checkout sessions", it.Err())
}
