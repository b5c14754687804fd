package store

import (
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
	if len(c.Items) == 0 {
		return t.tx.Bucket(bCarts).Delete([]byte(c.ID))
	}
	c.UpdatedAt = t.now
	return putRecord(t.tx.Bucket(bCarts), c.ID, c)
}

// DeleteCart removes a cart.
func (t *Tx) DeleteCart(id string) error { return t.tx.Bucket(bCarts).Delete([]byte(id)) }
