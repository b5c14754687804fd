package server_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestDiscountCodesOnPlans: a code made for plans in the admin (its
// duration and the plans it is for) shared as /plans?code= shows the
// discounted price on the plans page, goes to the subscription's Checkout
// as its Promotion Code and takes off the first payment and, by its
// duration, the renewals; codes that cannot be used on a plan get a
// sentence on the plans page and at /subscribe, never a Checkout.
func TestDiscountCodesOnPlans(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	pro, starter := planBySlug(t, srv, "pro"), planBySlug(t, srv, "starter")
	inbox := mustProduct(t, srv, "the-calm-inbox")
	createCode(t, srv, url.Values{"code": {"PRO20"}, "name": {"Pro for less"}, "percent_off": {"20"}, "currency": {"usd"},
		"plans": {pro.ID}, "duration": {"forever"}})
	createCode(t, srv, url.Values{"code": {"FIRST5"}, "name": {"Five off"}, "amount_off": {"5"}, "currency": {"usd"}, "duration": {"once"}})
	createCode(t, srv, url.Values{"code": {"THREEMONTHS"}, "name": {"Three months"}, "percent_off": {"50"}, "currency": {"usd"},
		"duration": {"repeating"}, "duration_months": {"3"}})
	createCode(t, srv, url.Values{"code": {"INBOXONLY"}, "name": {"Inbox"}, "percent_off": {"10"}, "currency": {"usd"}, "products": {inbox.ID}})
	createCode(t, srv, url.Values{"code": {"PAUSEDPLAN"}, "name": {"Later"}, "percent_off": {"10"}, "currency": {"usd"}})
	createCode(t, srv, url.Values{"code": {"ENDED"}, "name": {"Over"}, "percent_off": {"10"}, "currency": {"usd"}, "ends_on": {"2020-01-31"}})
	createCode(t, srv, url.Values{"code": {"ONEUSE"}, "name": {"One use"}, "percent_off": {"10"}, "currency": {"usd"}, "max_redemptions": {"1"}})
	var paused app.Discount
	srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { paused, err = tx.DiscountByCode("PAUSEDPLAN"); return err })
	srv.Admin.Get("/admin/discounts")
	if resp, _ := srv.Admin.Submit("/admin/discounts/"+paused.ID+"/pause", nil); resp.StatusCode != 200 {
		t.Fatalf("pause: %d", resp.StatusCode)
	}
	// Refused by the admin's form: months without a number.
	srv.Admin.Get("/admin/discounts")
	if resp, body := srv.Admin.Submit("/admin/discounts", url.Values{"code": {"NOMONTHS"}, "name": {"x"}, "percent_off": {"5"}, "currency": {"usd"}, "duration": {"repeating"}}); resp.StatusCode != 422 || !strings.Contains(body, "for how many months") {
		t.Fatalf("repeating without months: %d", resp.StatusCode)
	}
	// ONEUSE is used up by a purchase.
	buyer := srv.NewClient()
	buyer.Get("/cart?code=ONEUSE")
	buyer.AddToCart("the-calm-inbox")
	buyer.Checkout()
	if resp, _ := buyer.Pay("oneuse@example.com", "4242424242424242"); resp.StatusCode != 200 {
		t.Fatalf("the ONEUSE purchase: %d", resp.StatusCode)
	}
	vendotest.WaitFor(t, "the ONEUSE order", func() bool {
		n := 0
		srv.Store.View(context.Background(), func(tx *store.Tx) error {
			os, _, _ := tx.Orders(store.OrderFilter{})
			for _, o := range os {
				if o.DiscountCode == "ONEUSE" && o.PaymentState() == app.PaymentPaid {
					n++
				}
			}
			return nil
		})
		return n == 1
	})

	money := func(n int64) string { return app.Money{Amount: n, Currency: "usd"}.String() }
	applied := []struct {
		code, plan string
		first      int64 // the first payment
		second     int64 // the renewal a month later
		fourth     int64 // the fourth payment
		lasts      string
	}{
		{"PRO20", "pro", pro.Monthly.Price.Amount * 80 / 100, pro.Monthly.Price.Amount * 80 / 100, pro.Monthly.Price.Amount * 80 / 100, "on every payment"},
		{"FIRST5", "starter", starter.Monthly.Price.Amount - 500, starter.Monthly.Price.Amount, starter.Monthly.Price.Amount, "on the first payment"},
		{"THREEMONTHS", "starter", starter.Monthly.Price.Amount / 2, starter.Monthly.Price.Amount / 2, starter.Monthly.Price.Amount, "for the first 3 months"},
	}
	for _, tc := range applied {
		t.Run(tc.code, func(t *testing.T) {
			email := strings.ToLower(tc.code) + "@example.com"
			c := subscriber(srv, email)
			_, page := c.Get("/plans?code=" + strings.ToLower(tc.code))
			mustContain(t, page, "Code "+tc.code, tc.lasts, money(tc.first))
			resp, checkout := c.Submit("/subscribe", url.Values{"plan": {tc.plan}, "interval": {"month"}})
			if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/") {
				t.Fatalf("subscribe with %s: %s (%d)\n%.600s", tc.code, resp.Request.URL, resp.StatusCode, checkout)
			}
			mustContain(t, checkout, "Discount", money(tc.first))
			if strings.Contains(checkout, `name="promotion_code"`) {
				t.Error("Checkout offers a code field beside the code applied")
			}
			if resp, _ := c.Pay(email, "4242424242424242"); resp.Request.URL.Path != "/account" {
				t.Fatalf("pay: %s", resp.Request.URL)
			}
			sub := currentSub(t, srv, email, "the discounted subscription", func(s app.Subscription) bool { return s.Fulfilled })
			paid := func(want int64, what string) {
				t.Helper()
				vendotest.WaitFor(t, what, func() bool {
					st, err := srv.Shop.Stripe.GetSubscription(context.Background(), sub.StripeID)
					if err != nil {
						return false
					}
					in, err := srv.Shop.Stripe.GetInvoice(context.Background(), st.LatestInvoiceID)
					if err == nil && in.Paid && in.AmountPaid != want {
						t.Fatalf("%s: paid %d, want %d", what, in.AmountPaid, want)
					}
					return err == nil && in.Paid && in.AmountPaid == want
				})
			}
			paid(tc.first, "the first payment")
			srv.AdvanceClock("31d")
			paid(tc.second, "the second payment")
			srv.AdvanceClock("31d")
			srv.AdvanceClock("31d")
			paid(tc.fourth, "the fourth payment")
		})
	}

	refused := []struct{ code, plan, sentence string }{
		{"PRO20", "starter", "The code PRO20 is not for the Starter plan."},
		{"INBOXONLY", "pro", "The code INBOXONLY is not for the Pro plan."},
		{"PAUSEDPLAN", "pro", "The code PAUSEDPLAN is paused for now."},
		{"ENDED", "pro", "The code ENDED ended on"},
		{"ONEUSE", "pro", "The code ONEUSE has been used as many times as it allows."},
		{"NOSUCH", "pro", "The code NOSUCH is not one of this shop's."},
	}
	for _, tc := range refused {
		t.Run("refused "+tc.code+" on "+tc.plan, func(t *testing.T) {
			email := "refused-" + strings.ToLower(tc.code) + "@example.com"
			c := subscriber(srv, email)
			_, page := c.Get("/plans?code=" + tc.code)
			if tc.code == "INBOXONLY" {
				mustContain(t, page, "The code INBOXONLY is not for any of the plans.")
			} else if tc.code != "PRO20" {
				mustContain(t, page, html.EscapeString(tc.sentence))
			}
			resp, body := c.Submit("/subscribe", url.Values{"plan": {tc.plan}, "interval": {"month"}})
			if strings.Contains(resp.Request.URL.Path, "/sandbox/") || !strings.Contains(body, html.EscapeString(tc.sentence)) {
				t.Fatalf("subscribe with %s: %s (%d)\n%.1500s", tc.code, resp.Request.URL, resp.StatusCode, body)
			}
		})
	}
	// Without a code, Checkout lets the customer type one, and a code
	// typed there is checked and applied by Stripe.
	c := subscriber(srv, "typed@example.com")
	c.Get("/plans")
	resp, checkout := c.Submit("/subscribe", url.Values{"plan": {"pro"}, "interval": {"month"}})
	if !strings.Contains(checkout, `name="promotion_code"`) {
		t.Fatalf("no code field on Checkout without a code (%s)", resp.Request.URL)
	}
	at := c.At.String()
	if resp, page := c.Post(at+"/code", url.Values{"promotion_code": {"PAUSEDPLAN"}}); !strings.Contains(page, "This code is invalid.") {
		i := strings.Index(page, "promo")
		t.Fatalf("a paused code typed at Checkout: %d %s\n%.1500s", resp.StatusCode, resp.Request.URL, page[max(i, 0):])
	}
	if _, page := c.Post(at+"/code", url.Values{"promotion_code": {"pro20"}}); !strings.Contains(page, money(pro.Monthly.Price.Amount*80/100)) {
		t.Fatalf("PRO20 typed at Checkout:\n%.1500s", page)
	}
}

// TestEditingADiscountCode: an edit of a code's amount and limit makes a
// new Stripe Coupon and Promotion Code with the same code and
// deactivates the old one; the next Checkout takes the new amount off and
// the code's orders count across both versions.
func TestEditingADiscountCode(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	createCode(t, srv, url.Values{"code": {"EDITME"}, "name": {"Edit me"}, "percent_off": {"10"}, "currency": {"usd"}, "max_redemptions": {"2"}})
	code := func() (d app.Discount) {
		srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { d, err = tx.DiscountByCode("EDITME"); return err })
		return d
	}
	before := code()
	buy := func(email string) app.Order {
		t.Helper()
		c := srv.NewClient()
		c.Get("/cart?code=EDITME")
		c.AddToCart("the-calm-inbox")
		c.Checkout()
		if resp, _ := c.Pay(email, "4242424242424242"); resp.Request.URL.Path != "/checkout/success" {
			t.Fatalf("pay: %s", resp.Request.URL)
		}
		var order app.Order
		vendotest.WaitFor(t, "the order of "+email, func() bool {
			for _, o := range ordersOf(t, srv.Store) {
				if o.Email == email {
					order = o
				}
			}
			return order.ID != ""
		})
		return order
	}
	first := buy("first-edit@example.com")
	if first.Discount.Amount != first.Subtotal.Amount/10 {
		t.Fatalf("the first order: %+v", first)
	}

	_, page := srv.Admin.Get("/admin/discounts/" + before.ID)
	mustContain(t, page, "Edit EDITME", `value="10"`, "Save EDITME")
	resp, body := srv.Admin.Submit("/admin/discounts/"+before.ID, url.Values{"code": {"IGNORED"}, "name": {"Edited"}, "percent_off": {"30"},
		"currency": {"usd"}, "max_redemptions": {"3"}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/admin/discounts" {
		t.Fatalf("save the edit: %d %s\n%.1500s", resp.StatusCode, resp.Request.URL, body)
	}
	after := code()
	if after.ID != before.ID || after.Code != "EDITME" || after.PercentOff != 30 || after.MaxRedemptions != 3 ||
		after.StripeCouponID == before.StripeCouponID || after.StripePromotionCodeID == before.StripePromotionCodeID {
		t.Fatalf("after the edit: %+v (before %+v)", after, before)
	}
	api := stripeAPI(srv)
	old, err := api.PromotionCodes.Get(before.StripePromotionCodeID, nil)
	if err != nil || old.Active {
		t.Fatalf("the old promotion code: %+v, %v", old, err)
	}
	cur, err := api.PromotionCodes.Get(after.StripePromotionCodeID, nil)
	if err != nil || !cur.Active || cur.Code != "EDITME" || cur.Coupon.PercentOff != 30 || cur.MaxRedemptions != 2 {
		t.Fatalf("the new promotion code (2 uses left of 3): %+v, %v", cur, err)
	}
	second := buy("second-edit@example.com")
	if second.Discount.Amount != second.Subtotal.Amount*30/100 || second.DiscountCode != "EDITME" {
		t.Fatalf("the order after the edit: %+v", second)
	}
	_, list := srv.Admin.Get("/admin/discounts")
	mustContain(t, list, "Edited", "30% off")
	ds, err := srv.Shop.Discounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Discount.Code == "EDITME" && d.Redemptions.Orders != 2 {
			t.Errorf("EDITME has %d orders, want 2 across its versions", d.Redemptions.Orders)
		}
	}
	// An edit that changes nothing makes nothing new.
	srv.Admin.Get("/admin/discounts/" + before.ID)
	srv.Admin.Submit("/admin/discounts/"+before.ID, url.Values{"name": {"Edited"}, "percent_off": {"30"}, "currency": {"usd"}, "max_redemptions": {"3"}})
	if again := code(); again.StripePromotionCodeID != after.StripePromotionCodeID {
		t.Errorf("an unchanged save made a new promotion code")
	}
}
