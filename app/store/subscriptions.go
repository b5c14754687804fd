package store

import (
	"context"
	"fmt"
	"strings"

	"vendo/app"
)

// Subscription returns the subscription with Vendo id.
func (t *Tx) Subscription(id string) (app.Subscription, error) {
	var s app.Subscription
	found, err := getRecord(t.tx.Bucket(bSubscriptions), id, &s)
	if err == nil && !found {
		err = notFound("subscription")
	}
	return s, err
}

// SubscriptionByStripeID returns the mirror of a Stripe subscription,
// ENOTFOUND for one Vendo has never seen.
func (t *Tx) SubscriptionByStripeID(stripeID string) (app.Subscription, error) {
	id := index{t.tx.Bucket(bSubscriptionsByStripe)}.get(stripeID)
	if id == "" {
		return app.Subscription{}, notFound("subscription")
	}
	return t.Subscription(id)
}

// PutSubscription creates or updates a subscription with its indexes.
func (t *Tx) PutSubscription(s *app.Subscription) error {
	if s.StripeID == "" || s.CustomerID == "" {
		return fmt.Errorf("subscription needs a Stripe id and a customer")
	}
	b := t.tx.Bucket(bSubscriptions)
	var prev *app.Subscription // the stored record, for the aggregates
	if s.ID == "" {
		s.ID = t.NewID("sub_")
		s.CreatedAt = t.now
	} else {
		var old app.Subscription
		found, err := getRecord(b, s.ID, &old)
		if err != nil {
			return err
		}
		if found {
			prev = &old
		}
		if found && old.CustomerID != s.CustomerID {
			t.customerChanged(old.CustomerID)
			if err := t.tx.Bucket(bSubscriptionsByCustomer).Delete([]byte(old.CustomerID + "/" + s.ID)); err != nil {
				return err
			}
		}
	}
	t.customerChanged(s.CustomerID)
	if clash, err := (index{t.tx.Bucket(bSubscriptionsByStripe)}).set(s.StripeID, s.ID); err != nil {
		return err
	} else if clash != "" {
		return fmt.Errorf("stripe subscription %s already mirrored as %s", s.StripeID, clash)
	}
	if err := t.tx.Bucket(bSubscriptionsByCustomer).Put([]byte(s.CustomerID+"/"+s.ID), nil); err != nil {
		return err
	}
	s.UpdatedAt = t.now
	if err := recordChange(t, (*statDelta).subscription, prev, s); err != nil {
		return err
	}
	return putRecord(b, s.ID, s)
}

// SubscriptionsOf lists a customer's subscriptions, newest first.
func (t *Tx) SubscriptionsOf(customerID string) ([]app.Subscription, error) {
	var out []app.Subscription
	c := t.tx.Bucket(bSubscriptionsByCustomer).Cursor()
	prefix := customerID + "/"
	for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
		s, err := t.Subscription(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append([]app.Subscription{s}, out...)
	}
	return out, nil
}

// CurrentSubscription is the customer's subscription that grants access
// now; ENOTFOUND when there is none.
func (t *Tx) CurrentSubscription(customerID string) (app.Subscription, error) {
	subs, err := t.SubscriptionsOf(customerID)
	if err != nil {
		return app.Subscription{}, err
	}
	for _, s := range subs {
		if s.Fulfilled && !s.Terminated {
			return s, nil
		}
	}
	return app.Subscription{}, app.Errorf(app.ENOTFOUND, "You have no active plan.")
}

// SubscriptionFilter narrows Subscriptions.
type SubscriptionFilter struct {
	Status string
	PlanID string
	Before string // cursor: the last id of the previous page
	Limit  int    // 0 means all
}

// Subscriptions lists subscriptions newest first.
func (t *Tx) Subscriptions(f SubscriptionFilter) ([]app.Subscription, string, error) {
	return newestFirst(t.tx.Bucket(bSubscriptions), f.Before, f.Limit, func(s *app.Subscription) bool {
		return (f.Status == "" || s.Status == f.Status) && (f.PlanID == "" || s.PlanID == f.PlanID)
	}, nil, func(s *app.Subscription) string { return s.ID })
}

// AddCredit appends to the credit ledger.
func (t *Tx) AddCredit(e *app.CreditEntry) error {
	e.ID = t.NewID("cr_")
	e.At = t.now
	t.customerChanged(e.CustomerID)
	return putRecord(t.tx.Bucket(bCredits), e.ID, e)
}

// CreditsOf lists a customer's credit ledger, newest first.
func (t *Tx) CreditsOf(customerID string, limit int) ([]app.CreditEntry, error) {
	var out []app.CreditEntry
	c := t.tx.Bucket(bCredits).Cursor()
	for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
		var e app.CreditEntry
		if err := decode(v, &e); err != nil {
			return nil, err
		}
		if e.CustomerID == customerID {
			out = append(out, e)
		}
	}
	return out, nil
}

// Subscription reads a subscription in its own transaction.
func (s *Store) Subscription(ctx context.Context, id string) (sub app.Subscription, err error) {
	err = s.View(ctx, func(tx *Tx) error { sub, err = tx.Subscription(id); return err })
	return
}

// ForEachSubscription calls fn for every subscription, oldest first.
func (t *Tx) ForEachSubscription(fn func(*app.Subscription) error) error {
	return t.tx.Bucket(bSubscriptions).ForEach(func(k, v []byte) error {
		var s app.Subscription
		if err := decode(v, &s); err != nil {
			return fmt.Errorf("subscription %s: %w", k, err)
		}
		return fn(&s)
	})
}
