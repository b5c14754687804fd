package store

import (
	"time"

	"vendo/app"
)

// Cart returns a cart; a missing cart is an empty one with that id.
func (t *Tx) Cart(id string) (app.Cart, error) {
	c := app.Cart{ID: id}
	_, err := getRecord(t.tx.Bucket(bCarts), id, &c)
	return c, err
}

// PutCart stores a cart, deleting it when it is empty.
func (t *Tx) PutCart(c *app.Cart) error {
	if c.ID == "" {
		return app.Errorf(app.EINVALID, "A cart needs an id.")
	}
	t.cartChanged(c.ID)
	if len(c.Items) == 0 {
		return t.tx.Bucket(bCarts).Delete([]byte(c.ID))
	}
	c.UpdatedAt = t.now
	return putRecord(t.tx.Bucket(bCarts), c.ID, c)
}

// SweepCarts removes the carts nobody changed since before and returns
// how many: a visitor who added something and left does not keep a
// record forever (issue 17, hole 5).
func (t *Tx) SweepCarts(before time.Time) (int, error) {
	n, err := deleteWhere(t.tx.Bucket(bCarts), func(c *app.Cart) bool { return c.UpdatedAt.Before(before) })
	if n > 0 {
		t.customerChanged("") // whose carts is not told
	}
	return n, err
}

// DeleteCart removes a cart.
func (t *Tx) DeleteCart(id string) error {
	t.cartChanged(id)
	return t.tx.Bucket(bCarts).Delete([]byte(id))
}
