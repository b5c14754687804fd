package shop

import (
	"context"
	"fmt"

	"vendo/app"
	"vendo/app/store"
)

// CartLine is a cart item priced now; Quantity is always 1 (a digital
// product is one per customer).
type CartLine struct {
	Product  app.Product
	Quantity int64
	Unit     app.Money // the price of one: the product's, or the amount named for a pay-what-you-want one
	Total    app.Money
}

// CartView is a cart as the customer sees it: current prices, totals
// computed here (never trusted from a form), and notes about items that
// left the catalog or are already the customer's.
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
// gone or archived, and, in a customer's cart, products they already own
// (a cart filled before signing in may hold one).
func viewCart(tx *store.Tx, c app.Cart) (CartView, error) {
	v := CartView{ID: c.ID}
	owner := app.CartOwner(c.ID)
	for _, it := range c.Items {
		p, err := tx.Product(it.ProductID)
		if app.IsNotFound(err) || (err == nil && !p.Active) {
			v.Notes = append(v.Notes, "An item in your cart is no longer for sale and was removed.")
			continue
		}
		if err != nil {
			return v, err
		}
		if owned, err := owns(tx, owner, p.ID); err != nil {
			return v, err
		} else if owned {
			v.Notes = append(v.Notes, fmt.Sprintf("%s is already in your library, so it is not in your cart.", p.Title))
			continue
		}
		unit := p.UnitPrice(it.Amount)
		line := CartLine{Product: p, Quantity: 1, Unit: unit, Total: unit}
		if v.Total.Currency == "" {
			v.Total.Currency = p.Price.Currency
		}
		if p.Price.Currency == v.Total.Currency {
			v.Total = v.Total.Add(line.Total)
		}
		v.Count++
		v.Lines = append(v.Lines, line)
	}
	return v, nil
}

// owns reports whether a customer ("" for nobody known) has a product in
// their library: bought, unlocked or granted.
func owns(tx *store.Tx, customerID, productID string) (bool, error) {
	if customerID == "" {
		return false, nil
	}
	_, err := tx.ActiveEntitlement(customerID, productID)
	return app.Found(err)
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

// AddToCart puts a product in the cart, once: digital products are one
// per customer, so adding it again changes nothing, and a product the
// cart's customer already owns is refused.
func (s *Shop) AddToCart(ctx context.Context, cartID, productID string) (CartView, error) {
	return s.AddToCartAt(ctx, cartID, productID, "")
}

// AddToCartAt is AddToCart with the amount a buyer typed for a
// pay-what-you-want product (ignored for others; empty means the
// suggested price). The amount is read and checked against the product's
// minimum here, on the server; a new amount replaces the line's.
func (s *Shop) AddToCartAt(ctx context.Context, cartID, productID, amount string) (CartView, error) {
	return s.changeCart(ctx, cartID, func(tx *store.Tx, c *app.Cart) error {
		p, err := tx.Product(productID)
		if err != nil {
			return err
		}
		if !p.Active {
			return app.Errorf(app.EINVALID, "%s is no longer for sale.", p.Title)
		}
		if owned, err := owns(tx, app.CartOwner(cartID), p.ID); err != nil {
			return err
		} else if owned {
			return app.Errorf(app.EINVALID, "You already own %s: it is in your library, ready to download.", p.Title)
		}
		var named int64
		if p.PayWhatYouWant {
			m, err := p.NamedPrice(amount)
			if err != nil {
				return err
			}
			named = m.Amount
		}
		for i := range c.Items {
			if c.Items[i].ProductID == productID {
				c.Items[i].Quantity, c.Items[i].Amount = 1, named
				return nil
			}
		}
		if len(c.Items) >= 50 {
			return app.Errorf(app.EINVALID, "A cart holds at most 50 different products.")
		}
		c.Items = append(c.Items, app.CartItem{ProductID: productID, Quantity: 1, Amount: named})
		return nil
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
// (a product in both stays once) and deletes the anonymous one.
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
					continue next
				}
			}
			dst.Items = append(dst.Items, app.CartItem{ProductID: it.ProductID, Quantity: 1, Amount: it.Amount})
		}
		if err := tx.PutCart(&dst); err != nil {
			return err
		}
		return tx.DeleteCart(fromCartID)
	})
}
