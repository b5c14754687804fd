package app

import "time"

// Cart is a visitor's cart. Anonymous carts are keyed by a random id in a
// cookie; a signed-in customer's cart is keyed by the customer, and the
// anonymous one is merged into it at sign-in.
type Cart struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customer_id,omitempty"`
	Items      []CartItem `json:"items"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// CartItem is a product and a quantity. Prices are never stored in the
// cart: totals are computed from current prices.
type CartItem struct {
	ProductID string `json:"product_id"`
	Quantity  int64  `json:"quantity"`
}

// Quantity limits for one cart line.
const (
	MinQuantity = 1
	MaxQuantity = 99
)

// CustomerCartID is the cart id of a signed-in customer.
func CustomerCartID(customerID string) string { return "cart_c_" + customerID }

// Count is the number of items in the cart (for the header badge).
func (c *Cart) Count() int64 {
	var n int64
	for _, it := range c.Items {
		n += it.Quantity
	}
	return n
}
