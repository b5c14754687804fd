package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// createCode creates a discount through the admin's form.
func createCode(t *testing.T, srv *vendotest.Shop, form url.Values) {
	t.Helper()
	srv.Admin.Get("/admin/discounts")
	resp, body := srv.Admin.Submit("/admin/discounts", form)
	if resp.StatusCode != 200 || !strings.Contains(body, strings.ToUpper(form.Get("code"))) {
		t.Fatalf("create %s: %d\n%.2000s", form.Get("code"), resp.StatusCode, body)
	}
}

// TestDiscountCodes: an admin's code, shared as a link, shows the
// discounted price on the product page and in the cart, goes to Checkout
// as its Promotion Code, and the order shows what it took off; the admin
// sees the redemption. Codes that cannot be used get a sentence and no
// Checkout.
func TestDiscountCodes(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	inbox := mustProduct(t, srv, "the-calm-inbox")
	createCode(t, srv, url.Values{"code": {"spring25"}, "name": {"Spring sale"}, "percent_off": {"25"}, "currency": {"usd"},
		"products": {inbox.ID}})
	createCode(t, srv, url.Values{"code": {"ONCE"}, "name": {"One go"}, "amount_off": {"2"}, "currency": {"usd"}, "max_redemptions": {"1"}})
	createCode(t, srv, url.Values{"code": {"PAUSED"}, "name": {"Later"}, "percent_off": {"10"}, "currency": {"usd"}})

	// Refused by the admin's form: no amount, a taken code.
	srv.Admin.Get("/admin/discounts")
	if resp, body := srv.Admin.Submit("/admin/discounts", url.Values{"code": {"SPRING25"}, "name": {"Again"}, "percent_off": {"5"}, "currency": {"usd"}}); resp.StatusCode != 422 || !strings.Contains(body, "already uses the code SPRING25") {
		t.Fatalf("a taken code: %d", resp.StatusCode)
	}
	srv.Admin.Get("/admin/discounts")
	if resp, body := srv.Admin.Submit("/admin/discounts", url.Values{"code": {"NOTHING"}, "name": {"Nothing"}, "currency": {"usd"}}); resp.StatusCode != 422 || !strings.Contains(body, "Say how much it takes off") {
		t.Fatalf("no amount: %d", resp.StatusCode)
	}
	var paused app.Discount
	if err := srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { paused, err = tx.DiscountByCode("paused"); return err }); err != nil {
		t.Fatal(err)
	}
	pausedID := paused.ID
	srv.Admin.Get("/admin/discounts")
	if resp, _ := srv.Admin.Submit("/admin/discounts/"+pausedID+"/pause", nil); resp.StatusCode != 200 {
		t.Fatalf("pause: %d", resp.StatusCode)
	}

	// The shared link: the page shows the price with the code.
	b := srv.NewClient()
	_, page := b.Get("/products/the-calm-inbox?code=spring25")
	mustContain(t, page, "With the code <strong>SPRING25</strong>", "$9.00")
	b.AddToCart("the-calm-inbox")
	b.AddToCart("sunrise-wallpapers")
	_, cart := b.Get("/cart")
	mustContain(t, cart, "SPRING25 · 25% off", "−$3.00", "$14.00")
	resp, page := b.Checkout()
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/") {
		t.Fatalf("checkout: %s %d\n%.1500s", resp.Request.URL, resp.StatusCode, page)
	}
	mustContain(t, page, "Discount", "$3.00", "Pay $14.00") // the sandbox's Checkout page
	resp, page = b.Pay("coded@example.com", "4242 4242 4242 4242")
	if resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("pay: %s\n%.800s", resp.Request.URL, page)
	}
	var order app.Order
	vendotest.WaitFor(t, "the order", func() bool {
		for _, o := range ordersOf(t, srv.Store) {
			order = o
		}
		return order.ID != ""
	})
	if order.Total.Amount != 1400 || order.Discount.Amount != 300 || order.DiscountCode != "SPRING25" {
		t.Fatalf("order total %v, discount %v (%q); want $14.00 after $3.00 off with SPRING25", order.Total, order.Discount, order.DiscountCode)
	}
	_, admin := srv.Admin.Get("/admin/orders/" + order.ID)
	mustContain(t, admin, "SPRING25", "−$3.00")
	_, list := srv.Admin.Get("/admin/discounts")
	mustContain(t, list, "$14.00") // SPRING25's revenue

	// Refused codes: a sentence on the cart, and Checkout refuses with it.
	for _, tc := range []struct{ code, want string }{
		{"NOPE", "The code NOPE is not one of this shop"},
		{"PAUSED", "The code PAUSED is paused for now."},
		{"SPRING25", "The code SPRING25 does not apply to anything in your cart."},
	} {
		v := srv.NewClient()
		v.AddToCart("sunrise-wallpapers")
		_, cart := v.Get("/cart?code=" + tc.code)
		mustContain(t, cart, tc.want)
		resp, body := v.Submit("/checkout", url.Values{})
		if resp.StatusCode != 422 || !strings.Contains(body, tc.want) || strings.Contains(resp.Request.URL.Path, "/sandbox/") {
			t.Fatalf("checkout with %s: %d at %s", tc.code, resp.StatusCode, resp.Request.URL)
		}
		// Removed, the cart checks out.
		v.Get("/cart")
		v.Submit("/cart/code", url.Values{"remove": {"1"}})
		if resp, _ := v.Checkout(); !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/") {
			t.Fatalf("after removing %s: %s", tc.code, resp.Request.URL)
		}
	}

	// Typed on the cart, used once, then used up.
	first := srv.NewClient()
	first.AddToCart("sunrise-wallpapers")
	first.Get("/cart")
	_, cart = first.Submit("/cart/code", url.Values{"code": {"once"}})
	mustContain(t, cart, "ONCE · $2.00 off", "$3.00")
	first.Checkout()
	if resp, _ := first.Pay("once@example.com", "4242 4242 4242 4242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("pay with ONCE: %s", resp.Request.URL)
	}
	vendotest.WaitFor(t, "the second order", func() bool { return len(ordersOf(t, srv.Store)) == 2 })
	second := srv.NewClient()
	second.AddToCart("sunrise-wallpapers")
	_, cart = second.Get("/cart?code=ONCE")
	mustContain(t, cart, "The code ONCE has been used as many times as it allows.")
}

// TestSellingInStripeMode is the main cases against Stripe's real API
// shape: shop B in Stripe mode uses shop A's sandbox as its Stripe. B's
// admin makes a code (a Coupon and Promotion Code at A), a buyer follows
// its link, names a price for a pay-what-you-want product and pays on
// A's Checkout; B's order has the discount and the named amount, and a
// free product is had without A hearing of it.
func TestSellingInStripeMode(t *testing.T) {
	t.Parallel()
	p := newPair(t, true, nil)
	b := p.b
	b.Admin.SignInAdmin()
	inbox := mustProduct(t, b, "the-calm-inbox")
	createCode(t, b, url.Values{"code": {"SPRING25"}, "name": {"Spring sale"}, "percent_off": {"25"}, "currency": {"usd"}, "products": {inbox.ID}})
	var d app.Discount
	if err := b.Store.View(context.Background(), func(tx *store.Tx) (err error) { d, err = tx.DiscountByCode("SPRING25"); return err }); err != nil {
		t.Fatal(err)
	}
	pc, err := p.api.PromotionCodes.Get(d.StripePromotionCodeID, nil)
	if err != nil || pc.Code != "SPRING25" || !pc.Active || pc.Coupon.PercentOff != 25 || len(pc.Coupon.AppliesTo.Products) != 1 {
		t.Fatalf("the promotion code at A: %+v, %v", pc, err)
	}
	named := pwywProduct(t, b, "tip-jar-presets", 500, 1000)
	free := freeProduct(t, b, "free-brushes")

	buyer := p.browser()
	buyer.Get("/products/the-calm-inbox?code=SPRING25")
	buyer.AddToCart("the-calm-inbox")
	buyer.Get("/products/" + named.Slug)
	buyer.Submit("/cart/items", url.Values{"product": {named.ID}, "amount": {"12.50"}})
	_, cart := buyer.Get("/cart")
	mustContain(t, cart, "−$3.00", "$21.50")
	resp, page := buyer.Checkout()
	if !strings.HasPrefix(resp.Request.URL.String(), p.a.URL+"/sandbox/stripe/checkout/") {
		t.Fatalf("checkout landed on %s\n%.1000s", resp.Request.URL, page)
	}
	mustContain(t, page, "Pay $21.50")
	if resp, _ := buyer.Pay("spring@example.com", "4242 4242 4242 4242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("pay: %s", resp.Request.URL)
	}
	var order app.Order
	vendotest.WaitFor(t, "B's order", func() bool {
		for _, o := range ordersOf(t, b.Store) {
			order = o
		}
		return order.ID != ""
	})
	if order.Total.Amount != 2150 || order.Discount.Amount != 300 || order.DiscountCode != "SPRING25" {
		t.Fatalf("B's order: total %v, discount %v %q", order.Total, order.Discount, order.DiscountCode)
	}
	for _, l := range order.Lines {
		if l.ProductID == named.ID && l.UnitAmount.Amount != 1250 {
			t.Fatalf("the named price's line: %+v", l)
		}
	}
	if pc, _ = p.api.PromotionCodes.Get(d.StripePromotionCodeID, nil); pc.TimesRedeemed != 1 {
		t.Fatalf("A counts %d redemptions", pc.TimesRedeemed)
	}

	// Typed on A's Checkout by a buyer who brought no code: B's order
	// names it too, and A counts the second use.
	buyWithTypedCode(t, p.browser(), "the-calm-inbox", "spring25", "typist@example.com")
	var typed app.Order
	vendotest.WaitFor(t, "B's order with the typed code", func() bool {
		for _, o := range ordersOf(t, b.Store) {
			if o.Email == "typist@example.com" {
				typed = o
			}
		}
		return typed.ID != ""
	})
	if typed.Discount.Amount != inbox.Price.Amount/4 || typed.DiscountCode != "SPRING25" {
		t.Fatalf("B's order with SPRING25 typed at A: discount %v %q", typed.Discount, typed.DiscountCode)
	}
	if pc, _ = p.api.PromotionCodes.Get(d.StripePromotionCodeID, nil); pc.TimesRedeemed != 2 {
		t.Fatalf("A counts %d redemptions, want 2", pc.TimesRedeemed)
	}

	// Paused on B, inactive at A.
	srvAdmin := b.Admin
	srvAdmin.Get("/admin/discounts")
	if resp, _ := srvAdmin.Submit("/admin/discounts/"+d.ID+"/pause", nil); resp.StatusCode != 200 {
		t.Fatalf("pause: %d", resp.StatusCode)
	}
	if pc, _ = p.api.PromotionCodes.Get(d.StripePromotionCodeID, nil); pc.Active {
		t.Fatal("a paused code is still active at A")
	}

	// Free: signed in, at once, and A never hears of the product.
	fan := p.browser()
	fan.SignIn("fan@example.com")
	fan.Get("/products/" + free.Slug)
	if resp, _ := fan.Submit("/products/"+free.Slug+"/free", nil); resp.StatusCode != 200 {
		t.Fatalf("get it free: %d", resp.StatusCode)
	}
	if ok, _ := owns(t, b, "fan@example.com", free); !ok {
		t.Fatal("the free product is not in the library")
	}
	if got := mustProduct(t, b, free.Slug); got.StripeProductID != "" {
		t.Fatalf("a free product reached Stripe: %s", got.StripeProductID)
	}
}

// typeCodeAt types a code on the sandbox's Checkout page the client is on
// (a session that allows promotion codes) and comes back to the page to
// pay.
func typeCodeAt(t *testing.T, c *vendotest.Client, code string) {
	t.Helper()
	at := c.At.String()
	if !strings.Contains(at, "/sandbox/stripe/checkout/") {
		t.Fatalf("not on Checkout: %s", at)
	}
	if _, page := c.Post(at+"/code", url.Values{"promotion_code": {code}}); !strings.Contains(page, "Discount") {
		t.Fatalf("%s typed at Checkout:\n%.1500s", code, page)
	}
	c.Get(at)
}

// buyWithTypedCode buys a product with a code typed on Checkout (the
// sandbox's, the shop's own or another's) and pays.
func buyWithTypedCode(t *testing.T, c *vendotest.Client, slug, code, email string) {
	t.Helper()
	c.AddToCart(slug)
	c.Checkout()
	typeCodeAt(t, c, code)
	if resp, _ := c.Pay(email, "4242 4242 4242 4242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("pay with %s typed on Checkout: %s", code, resp.Request.URL)
	}
}

// TestACodeTypedOnStripesCheckout: a customer who brings no code may type
// one on Stripe's Checkout page (allow_promotion_codes); the order and the
// subscription bought with it name the code, which counts them among its
// uses and revenue, as it does for a code brought by a link — the shop
// learns it from the re-fetched session's total_details.breakdown and the
// subscription's discount, whose coupons carry the code's id.
func TestACodeTypedOnStripesCheckout(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	createCode(t, srv, url.Values{"code": {"TYPED20"}, "name": {"Typed"}, "percent_off": {"20"}, "currency": {"usd"}})

	buyer := subscriber(srv, "typist@example.com")
	buyer.AddToCart("the-calm-inbox")
	_, checkout := buyer.Checkout()
	if !strings.Contains(checkout, `name="promotion_code"`) {
		t.Fatalf("no code field on Checkout without a code (%s)", buyer.At)
	}
	typeCodeAt(t, buyer, "typed20")
	if resp, page := buyer.Pay("typist@example.com", "4242 4242 4242 4242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("pay: %s\n%.800s", resp.Request.URL, page)
	}
	var order app.Order
	vendotest.WaitFor(t, "the order", func() bool {
		for _, o := range ordersOf(t, srv.Store) {
			order = o
		}
		return order.ID != "" && order.Status == app.OrderPaid
	})
	inbox := mustProduct(t, srv, "the-calm-inbox")
	off := inbox.Price.Amount / 5
	if order.Discount.Amount != off || order.Total.Amount != inbox.Price.Amount-off || order.DiscountCode != "TYPED20" {
		t.Fatalf("order discount %v (%q), total %v; want %d off with TYPED20", order.Discount, order.DiscountCode, order.Total, off)
	}
	// The customer's receipt page names the code and what it took off.
	_, receipt := buyer.Get("/account/orders/" + order.ID)
	mustContain(t, receipt, "Discount TYPED20", "−"+order.Discount.String())

	c := subscriber(srv, "typed-plan@example.com")
	c.Get("/plans")
	c.Submit("/subscribe", url.Values{"plan": {"pro"}, "interval": {"month"}})
	typeCodeAt(t, c, "TYPED20")
	if resp, _ := c.Pay("typed-plan@example.com", "4242424242424242"); resp.Request.URL.Path != "/account" {
		t.Fatalf("subscribe: %s", resp.Request.URL)
	}
	sub := currentSub(t, srv, "typed-plan@example.com", "the subscription", func(s app.Subscription) bool { return s.Fulfilled })
	if sub.DiscountCode != "TYPED20" {
		t.Fatalf("subscription's code %q, want TYPED20", sub.DiscountCode)
	}
	// The account's invoices say what the code took off.
	pro := planBySlug(t, srv, "pro")
	planOff := app.Money{Amount: pro.Monthly.Price.Amount / 5, Currency: "usd"}.String() + " off"
	vendotest.WaitFor(t, "the invoice's discount on the account", func() bool {
		_, account := c.Get("/account")
		return strings.Contains(account, planOff)
	})
	var uses store.CodeUses
	if err := srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { uses, err = tx.CodeUsesOf("TYPED20"); return err }); err != nil {
		t.Fatal(err)
	}
	if uses.Orders != 1 || uses.Subscriptions != 1 || uses.Revenue["usd"] != order.Total.Amount {
		t.Fatalf("TYPED20's uses %+v, want the order (%v) and the plan", uses, order.Total)
	}
	_, list := srv.Admin.Get("/admin/discounts")
	mustContain(t, list, "1 on plans", order.Total.String())
}

// TestFirstPurchaseOnlyAndDeletedCodes: a first-purchase code takes its
// share off a customer's first order and is refused with a sentence on
// their next (the cart and Checkout), and Stripe's promotion code carries
// the same restriction for guests; a deleted code is refused like an
// unknown one and its Promotion Code is inactive at Stripe.
func TestFirstPurchaseOnlyAndDeletedCodes(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	api := stripeAPI(srv)
	srv.Admin.SignInAdmin()
	createCode(t, srv, url.Values{"code": {"WELCOME"}, "name": {"Welcome"}, "percent_off": {"10"}, "currency": {"usd"}, "first_purchase_only": {"1"}})
	createCode(t, srv, url.Values{"code": {"GONE"}, "name": {"Gone"}, "percent_off": {"10"}, "currency": {"usd"}})
	var welcome, gone app.Discount
	srv.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		if welcome, err = tx.DiscountByCode("WELCOME"); err != nil {
			return err
		}
		gone, err = tx.DiscountByCode("GONE")
		return err
	})
	if pc, err := api.PromotionCodes.Get(welcome.StripePromotionCodeID, nil); err != nil || !pc.Restrictions.FirstTimeTransaction {
		t.Fatalf("WELCOME at Stripe: %+v %v, want first_time_transaction", pc, err)
	}

	c := subscriber(srv, "newcomer@example.com")
	c.AddToCart("sunrise-wallpapers")
	_, cart := c.Get("/cart?code=welcome")
	mustContain(t, cart, "WELCOME · 10% off")
	c.Checkout()
	if resp, _ := c.Pay("newcomer@example.com", "4242424242424242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("first purchase: %s", resp.Request.URL)
	}
	vendotest.WaitFor(t, "the first order", func() bool {
		os := ordersOf(t, srv.Store)
		return len(os) == 1 && os[0].DiscountCode == "WELCOME" && os[0].Status == app.OrderPaid
	})
	const again = "The code WELCOME is for a first purchase only."
	c.AddToCart("the-calm-inbox")
	_, cart = c.Get("/cart?code=WELCOME")
	mustContain(t, cart, again)
	if resp, body := c.Submit("/checkout", url.Values{}); resp.StatusCode != 422 || !strings.Contains(body, again) || strings.Contains(resp.Request.URL.Path, "/sandbox/") {
		t.Fatalf("checkout with WELCOME again: %d at %s", resp.StatusCode, resp.Request.URL)
	}

	srv.Admin.Get("/admin/discounts")
	if resp, _ := srv.Admin.Submit("/admin/discounts/"+gone.ID+"/delete", nil); resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if pc, err := api.PromotionCodes.Get(gone.StripePromotionCodeID, nil); err != nil || pc.Active {
		t.Fatalf("a deleted code at Stripe: %+v %v, want inactive", pc, err)
	}
	v := srv.NewClient()
	v.AddToCart("sunrise-wallpapers")
	_, cart = v.Get("/cart?code=GONE")
	mustContain(t, cart, "The code GONE is not one of this shop")
	if _, list := srv.Admin.Get("/admin/discounts"); strings.Contains(list, "Delete GONE") {
		t.Fatal("the admin still lists the deleted code")
	}
}
