package shop

import (
	"context"
	"fmt"

	"vendo/app"
	"vendo/app/store"
)

// CartLine is a cart item priced now.
type CartLine struct {
	Product  app.Product
	Quantity int64
	Total    app.Money
}

// CartView is a cart as the customer sees it: current prices, totals
// computed here (never trusted from a form), and notes about items that
// left the catalog.
type CartView struct {
	ID    string
	Lines []CartLine
	Total app.Money
	Count int64
	Notes []string
}

// Empty reports whether there is nothing to buy.
func (v *CartView) Empty() bool { return len(v.Lines) == 0 }

// viewCart prices a cart inside a transaction, dropping products that are
// gone or archived.
func viewCart(tx *store.Tx, c app.Cart) (CartView, error) {
	v := CartView{ID: c.ID}
	for _, it := range c.Items {
		p, err := tx.Product(it.ProductID)
		if app.IsNotFound(err) || (err == nil && !p.Active) {
			v.Notes = append(v.Notes, "An item in your cart is no longer for sale and was removed.")
			continue
		}
		if err != nil {
			return v, err
		}
		line := CartLine{Product: p, Quantity: it.Quantity, Total: p.Price.Times(it.Quantity)}
		if v.Total.Currency == "" {
			v.Total.Currency = p.Price.Currency
		}
		if p.Price.Currency == v.Total.Currency {
			v.Total = v.Total.Add(line.Total)
		}
		v.Count += it.Quantity
		v.Lines = append(v.Lines, line)
		if it.Quantity > 1 {
			v.Notes = append(v.Notes, oneCopy(p))
		}
	}
	return v, nil
}

// oneCopy is the sentence for a download in the cart more than once: one
// copy is bought once, with one licence key; Checkout refuses more.
func oneCopy(p app.Product) string {
	return fmt.Sprintf("%s is a download: one copy is all you need. Set its quantity to 1.", p.Title)
}

// Cart returns the priced cart.
func (s *Shop) Cart(ctx context.Context, cartID string) (CartView, error) {
	var v CartView
	if cartID == "" {
		return v, nil
	}
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Cart(cartID)
		if err != nil {
			return err
		}
		v, err = viewCart(tx, c)
		return err
	})
	return v, err
}

// ValidateQuantity checks a quantity typed by a person.
func ValidateQuantity(q int64) error {
	if q < app.MinQuantity || q > app.MaxQuantity {
		return &app.Error{Code: app.EINVALID, Field: "quantity", Message: fmt.Sprintf("Choose a quantity from %d to %d.", app.MinQuantity, app.MaxQuantity)}
	}
	return nil
}

// AddToCart adds quantity of a product (adding to what is there, capped
// at the maximum).
func (s *Shop) AddToCart(ctx context.Context, cartID, productID string, quantity int64) (CartView, error) {
	if err := ValidateQuantity(quantity); err != nil {
		return CartView{}, err
	}
	return s.changeCart(ctx, cartID, func(tx *store.Tx, c *app.Cart) error {
		p, err := tx.Product(productID)
		if err != nil {
			return err
		}
		if !p.Active {
			return app.Errorf(app.EINVALID, "%s is no longer for sale.", p.Title)
		}
		for i := range c.Items {
			if c.Items[i].ProductID == productID {
				c.Items[i].Quantity = min(c.Items[i].Quantity+quantity, app.MaxQuantity)
				return nil
			}
		}
		if len(c.Items) >= 50 {
			return app.Errorf(app.EINVALID, "A cart holds at most 50 different products.")
		}
		c.Items = append(c.Items, app.CartItem{ProductID: productID, Quantity: quantity})
		return nil
	})
}

// SetQuantity changes a line's quantity.
func (s *Shop) SetQuantity(ctx context.Context, cartID, productID string, quantity int64) (CartView, error) {
	if err := ValidateQuantity(quantity); err != nil {
		return CartView{}, err
	}
	return s.changeCart(ctx, cartID, func(tx *store.Tx, c *app.Cart) error {
		for i := range c.Items {
			if c.Items[i].ProductID == productID {
				c.Items[i].Quantity = quantity
				return nil
			}
		}
		return app.Errorf(app.ENOTFOUND, "That product is not in your cart.")
	})
}

// RemoveFromCart removes a line.
func (s *Shop) RemoveFromCart(ctx context.Context, cartID, productID string) (CartView, error) {
	return s.changeCart(ctx, cartID, func(tx *store.Tx, c *app.Cart) error {
		for i := range c.Items {
			if c.Items[i].ProductID == productID {
				c.Items = append(c.Items[:i], c.Items[i+1:]...)
				return nil
			}
		}
		return nil // already gone: removing twice is fine
	})
}

func (s *Shop) changeCart(ctx context.Context, cartID string, fn func(*store.Tx, *app.Cart) error) (CartView, error) {
	if cartID == "" {
		return CartView{}, app.Errorf(app.EINVALID, "Your browser did not keep the cart. Allow cookies for this shop and try again.")
	}
	var v CartView
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Cart(cartID)
		if err != nil {
			return err
		}
		if err := fn(tx, &c); err != nil {
			return err
		}
		if err := tx.PutCart(&c); err != nil {
			return err
		}
		v, err = viewCart(tx, c)
		return err
	})
	return v, err
}

// MergeCarts moves an anonymous cart into a customer's cart at sign-in
// (quantities add up, capped) and deletes the anonymous one.
func (s *Shop) MergeCarts(ctx context.Context, fromCartID, customerID string) error {
	if fromCartID == "" || customerID == "" {
		return nil
	}
	to := app.CustomerCartID(customerID)
	if fromCartID == to {
		return nil
	}
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		from, err := tx.Cart(fromCartID)
		if err != nil || len(from.Items) == 0 {
			return err
		}
		dst, err := tx.Cart(to)
		if err != nil {
			return err
		}
		dst.CustomerID = customerID
	next:
		for _, it := range from.Items {
			for i := range dst.Items {
				if dst.Items[i].ProductID == it.ProductID {
					dst.Items[i].Quantity = min(dst.Items[i].Quantity+it.Quantity, app.MaxQuantity)
					continue next
				}
			}
			dst.Items = append(dst.Items, it)
		}
		if err := tx.PutCart(&dst); err != nil {
			return err
		}
		return tx.DeleteCart(fromCartID)
	})
}
