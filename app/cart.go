package app

import (
	"strings"
	"time"
)

// Cart is a visitor's cart. Anonymous carts are keyed by a random id in a
// cookie; a signed-in customer's cart is keyed by the customer, and the
// anonymous one is merged into it at sign-in.
type Cart struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customer_id,omitempty"`
	Items      []CartItem `json:"items"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// CartItem is a product in the cart. Digital products are one per
// customer, so Quantity is 1 (carts stored before that may say more; the
// cart counts them once). Prices are never stored in the cart: totals are
// computed from current prices.
type CartItem struct {
	ProductID string `json:"product_id"`
	Quantity  int64  `json:"quantity"`
	// Amount is the unit price a pay-what-you-want buyer named, in the
	// product's currency's minor unit (0 for other products). It is
	// checked again against the product at Checkout.
	Amount int64 `json:"amount,omitempty"`
}

// CustomerCartID is the cart id of a signed-in customer.
func CustomerCartID(customerID string) string { return "cart_c_" + customerID }

// CartOwner is the customer whose cart cartID is, "" for an anonymous
// cart.
func CartOwner(cartID string) string {
	if id, ok := strings.CutPrefix(cartID, "cart_c_"); ok {
		return id
	}
	return ""
}

// Count is the number of products in the cart (for the header badge):
// each counts once, whatever an old cart's quantity says.
func (c *Cart) Count() int64 { return int64(len(c.Items)) }
