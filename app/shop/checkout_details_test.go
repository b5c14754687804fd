package shop_test

import (
	"context"
	"testing"

	"vendo/app"
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
	if _, err := f.shop.AddToCart(ctx, "cart_a_x", f.product.ID, 1); err != nil {
		t.Fatal(err)
	}
	f.paidSession("cs_tab", "tab@example.com", 1) // Checkout began for the ebook
	if _, err := f.shop.AddToCart(ctx, "cart_a_x", later.ID, 1); err != nil {
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
