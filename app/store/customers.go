package store

import (
	"context"
	"fmt"
	"strings"

	"vendo/app"
)

// Customer returns the customer with id.
func (t *Tx) Customer(id string) (app.Customer, error) {
	var c app.Customer
	data := t.tx.Bucket(bCustomers).Get([]byte(id))
	if data == nil {
		return c, notFound("customer")
	}
	err := t.memos.customers.get(id, data, &c)
	return c, err
}

// CustomerByEmail returns the customer with the (normalized) address.
func (t *Tx) CustomerByEmail(email string) (app.Customer, error) {
	return t.customerBy(bCustomersByEmail, app.NormalizeEmail(email))
}

// CustomerByStripeID returns the customer with the Stripe customer id.
func (t *Tx) CustomerByStripeID(stripeID string) (app.Customer, error) {
	return t.customerBy(bCustomersByStripe, stripeID)
}

// CustomerByIdentity returns the customer linked to a provider login.
func (t *Tx) CustomerByIdentity(provider, subject string) (app.Customer, error) {
	return t.customerBy(bIdentities, app.Identity{Provider: provider, Subject: subject}.Key())
}

func (t *Tx) customerBy(bucket []byte, key string) (app.Customer, error) {
	if key == "" {
		return app.Customer{}, notFound("customer")
	}
	id := index{t.tx.Bucket(bucket)}.get(key)
	if id == "" {
		return app.Customer{}, notFound("customer")
	}
	return t.Customer(id)
}

// PutCustomer creates (empty ID) or updates a customer, keeping the email,
// Stripe and identity indexes in step in the same transaction: keys the
// record no longer has are freed, and a key held by another customer is a
// conflict that leaves everything as it was (the caller's transaction rolls
// back on the error).
func (t *Tx) PutCustomer(c *app.Customer) error {
	c.Email = app.NormalizeEmail(c.Email)
	if c.Email == "" {
		return app.FieldError("email", "Enter an email address.")
	}
	b := t.tx.Bucket(bCustomers)
	var old app.Customer
	var prev *app.Customer // the stored record, for the aggregates
	created := c.ID == ""
	if created {
		c.ID = t.NewID("cust_")
		c.CreatedAt = t.now
	} else {
		found, err := getRecord(b, c.ID, &old)
		if err != nil {
			return err
		}
		if found {
			c.CreatedAt, prev = old.CreatedAt, &old
		} else if c.CreatedAt.IsZero() {
			c.CreatedAt = t.now
		}
		created = !found
	}
	for i := range c.Identities {
		if c.Identities[i].LinkedAt.IsZero() {
			c.Identities[i].LinkedAt = t.now
		}
	}

	type ix struct {
		bucket   []byte
		old, new []string
		what     string
	}
	idKeys := func(c *app.Customer) []string {
		var out []string
		for _, i := range c.Identities {
			out = append(out, i.Key())
		}
		return out
	}
	nonEmpty := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	for _, x := range []ix{
		{bCustomersByEmail, nonEmpty(old.Email), nonEmpty(c.Email), "email address"},
		{bCustomersByStripe, nonEmpty(old.StripeCustomerID), nonEmpty(c.StripeCustomerID), "Stripe customer"},
		{bIdentities, idKeys(&old), idKeys(c), "sign-in"},
	} {
		idx := index{t.tx.Bucket(x.bucket)}
		keep := map[string]bool{}
		for _, k := range x.new {
			keep[k] = true
		}
		for _, k := range x.old {
			if !keep[k] && idx.get(k) == c.ID {
				if err := idx.del(k); err != nil {
					return err
				}
			}
		}
		for _, k := range x.new {
			clash, err := idx.set(k, c.ID)
			if err != nil {
				return err
			}
			if clash != "" {
				return &app.Error{Code: app.ECONFLICT, Message: fmt.Sprintf("That %s already belongs to another account.", x.what)}
			}
		}
	}
	c.UpdatedAt = t.now
	t.customerChanged(c.ID)
	if err := recordChange(t, (*statDelta).customer, prev, c); err != nil {
		return err
	}
	if err := putRecord(b, c.ID, c); err != nil {
		return err
	}
	if created {
		// Every way a customer comes to be (a sign-in, a checkout, a
		// subscription made elsewhere) passes here, so the merchant's
		// tools hear of each once, in the transaction that made it.
		return t.QueueHook(app.HookCustomerCreated, c.ID, app.HookCustomerData(*c))
	}
	return nil
}

// CustomerFilter narrows Customers.
type CustomerFilter struct {
	Query  string // substring of the email or (folded) name
	Before string // cursor: the last id of the previous page
	Limit  int    // 0 means all
}

// Customers lists customers newest first, optionally those whose email or
// name contains the query, paging with a cursor.
func (t *Tx) Customers(f CustomerFilter) (out []app.Customer, next string, err error) {
	q := app.Fold(strings.TrimSpace(f.Query))
	return newestFirst(t.tx.Bucket(bCustomers), f.Before, f.Limit, func(cu *app.Customer) bool {
		return q == "" || strings.Contains(cu.Email, q) || strings.Contains(app.Fold(cu.Name), q)
	}, nil, func(cu *app.Customer) string { return cu.ID })
}

// CountCustomers counts the customers.
func (t *Tx) CountCustomers() int { return t.tx.Bucket(bCustomers).Stats().KeyN }

// HasAdminCustomer reports whether a customer record is marked admin (the
// owner account an admin link creates).
func (t *Tx) HasAdminCustomer() (bool, error) {
	cur := t.tx.Bucket(bCustomers).Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		var c app.Customer
		if err := decode(v, &c); err != nil {
			return false, fmt.Errorf("customer %s: %w", k, err)
		}
		if c.Admin {
			return true, nil
		}
	}
	return false, nil
}

// Customer reads one customer in its own transaction.
func (s *Store) Customer(ctx context.Context, id string) (c app.Customer, err error) {
	err = s.View(ctx, func(tx *Tx) error { c, err = tx.Customer(id); return err })
	return c, err
}

// CustomerByEmail reads one customer by address in its own transaction.
func (s *Store) CustomerByEmail(ctx context.Context, email string) (c app.Customer, err error) {
	err = s.View(ctx, func(tx *Tx) error { c, err = tx.CustomerByEmail(email); return err })
	return c, err
}
