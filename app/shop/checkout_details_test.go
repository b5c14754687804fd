package shop_test

import (
	"context"
	"testing"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// TestFulfilmentTakesOnlyThePurchasedLinesOutOfTheCart: the buyer adds a
// second product in another tab while paying for the first. Fulfilment
// takes the purchased product out of the cart and leaves the one added
// after Checkout began (before, it deleted the whole cart).
func TestFulfilmentTakesOnlyThePurchasedLinesOutOfTheCart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	later := app.Product{Slug: "later", Title: "Later", Price: app.Money{Amount: 800, Currency: "usd"}, Active: true}
	if err := f.store.PutProduct(ctx, &later); err != nil {
		t.Fatal(err)
	}
	if _, err := f.shop.AddToCart(ctx, "cart_a_x", f.product.ID); err != nil {
		t.Fatal(err)
	}
	f.paidSession("cs_tab", "tab@example.com", 1) // Checkout began for the ebook
	if _, err := f.shop.AddToCart(ctx, "cart_a_x", later.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the webhook, then the success page
		if err := f.deliver(t, f.shop.HandleCheckoutEvent, "checkout.session.completed", "cs_tab"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.shop.FulfilCheckout(ctx, "cs_tab"); err != nil {
			t.Fatal(err)
		}
		v, err := f.shop.Cart(ctx, "cart_a_x")
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Lines) != 1 || v.Lines[0].Product.ID != later.ID || v.Count != 1 {
			var got []string
			for _, l := range v.Lines {
				got = append(got, l.Product.Slug)
			}
			t.Fatalf("cart after the purchase holds %v, want only the product added after Checkout began", got)
		}
	}
}

// TestADigitalProductIsBoughtOnce: a download is bought once. A cart line
// with a quantity above one (typed in the cart's quantity field, or two
// presses of "Add to cart") is not sent to Checkout, where it would be
// charged twice for one download: a cart holds one of each product.
// A session that reaches fulfilment with a quantity above one anyway
// (made before, or from the Stripe dashboard) grants the product and its
// licence key once.
func TestADigitalProductIsBoughtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.product.Licensed = true
	if err := f.store.PutProduct(ctx, &f.product); err != nil {
		t.Fatal(err)
	}
	// Added twice, it is in the cart once; a cart stored before with two
	// copies checks out one.
	for range 2 {
		if _, err := f.shop.AddToCart(ctx, "cart_a_twice", f.product.ID); err != nil {
			t.Fatal(err)
		}
	}
	f.store.Update(ctx, func(tx *store.Tx) error {
		return tx.PutCart(&app.Cart{ID: "cart_a_old", Items: []app.CartItem{{ProductID: f.product.ID, Quantity: 2}}})
	})
	for _, cart := range []string{"cart_a_twice", "cart_a_old"} {
		if _, err := f.shop.Checkout(ctx, cart, shop.Buyer{}); err != nil {
			t.Fatalf("checkout of %s: %v", cart, err)
		}
	}
	for _, c := range f.stripe.created {
		if len(c.Lines) != 1 || c.Lines[0].Quantity != 1 {
			t.Fatalf("checkout requests: %+v", f.stripe.created)
		}
	}

	// A session that was charged for three copies, on two lines.
	f.paidSession("cs_three", "three@example.com", 2)
	three := f.stripe.sessions["cs_three"]
	three.Lines = append(three.Lines, three.Lines[0])
	three.Lines[1].Quantity = 1
	f.stripe.sessions["cs_three"] = three
	order, err := f.shop.FulfilCheckout(ctx, "cs_three")
	if err != nil {
		t.Fatal(err)
	}
	var lics []app.License
	var ents []app.Entitlement
	f.store.View(ctx, func(tx *store.Tx) (err error) {
		if lics, err = tx.LicensesOf(order.CustomerID); err != nil {
			return err
		}
		ents, err = tx.EntitlementsOf(order.CustomerID, false)
		return err
	})
	if len(lics) != 1 || len(ents) != 1 {
		t.Fatalf("three copies in one session gave %d licence keys and %d entitlements, want one each", len(lics), len(ents))
	}
}
