package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"vendo/app"
	"vendo/app/demo"
	"vendo/app/server"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// Issue 15, "Objects the shop did not create", in both modes: the shop
// runs in sandbox mode (its own sandbox is its Stripe) or in Stripe mode
// against another shop's sandbox. Another app on the same Stripe account
// is played by calling that Stripe's API directly with the account's key,
// without any of Vendo's metadata.

// account is a shop under test and the Stripe account it uses.
type account struct {
	shop *vendotest.Shop
	// stripe is the shop whose sandbox is the Stripe (shop itself in
	// sandbox mode).
	stripe *vendotest.Shop
	// api is the account's API, called with its key.
	api *client.API
}

// newAccount starts a shop in the given mode ("sandbox" or "stripe").
// With deaf set, no webhook reaches it: what it knows comes from vendo
// sync only.
func newAccount(t *testing.T, mode string, deaf bool) account {
	t.Helper()
	if mode == "sandbox" {
		s := vendotest.Start(t, vendotest.Options{NoBackground: deaf})
		return account{shop: s, stripe: s, api: sandboxAPI(s)}
	}
	a := vendotest.Start(t, vendotest.Options{})
	api := sandboxAPI(a)
	opts := vendotest.Options{StripeFrom: a, Env: map[string]string{"VENDO_ADMIN_EMAILS": "boss@b.example"},
		Setup: func(srv *server.Server) {
			if _, err := demo.Seed(context.Background(), srv.Store, srv.Files); err != nil {
				t.Fatal(err)
			}
		}}
	var we *stripe.WebhookEndpoint
	if !deaf {
		var err error
		we, err = api.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String("http://127.0.0.1:1/webhooks/stripe"),
			EnabledEvents: stripe.StringSlice([]string{"*"}), Description: stripe.String("shop B")})
		if err != nil {
			t.Fatal(err)
		}
		opts.Env["STRIPE_WEBHOOK_SECRET"] = we.Secret
	}
	b := vendotest.Start(t, opts)
	if we != nil {
		if _, err := api.WebhookEndpoints.Update(we.ID, &stripe.WebhookEndpointParams{URL: stripe.String(b.URL + "/webhooks/stripe")}); err != nil {
			t.Fatal(err)
		}
	}
	return account{shop: b, stripe: a, api: api}
}

// sandboxAPI is a stripe-go client for a shop's sandbox, with its key.
func sandboxAPI(s *vendotest.Shop) *client.API {
	cfg := &stripe.BackendConfig{URL: stripe.String(s.URL + "/sandbox/stripe"), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		MaxNetworkRetries: stripe.Int64(0), EnableTelemetry: stripe.Bool(false)}
	return client.New(s.Sandbox.SecretKey(), &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, cfg)})
}

// pay fills in the hosted Checkout of a session made through the API;
// its success URL is elsewhere, so the redirect is not followed.
func (a account) pay(t *testing.T, sess *stripe.CheckoutSession, email string) {
	t.Helper()
	resp, page := a.stripe.NewClient().NoFollow().Post(sess.URL, url.Values{"email": {email}, "name": {"Their Buyer"},
		"card_number": {"4242 4242 4242 4242"}, "exp": {"12/34"}, "cvc": {"123"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "https://elsewhere.example/") {
		t.Fatalf("paying %s: %d to %q\n%.600s", sess.ID, resp.StatusCode, resp.Header.Get("Location"), page)
	}
}

// delivered waits until the account has delivered every event.
func (a account) delivered(t *testing.T) {
	t.Helper()
	vendotest.WaitFor(t, "every event delivered", func() bool {
		it := a.api.Events.List(&stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(100)}})
		for it.Next() {
			if it.Event().PendingWebhooks > 0 {
				return false
			}
		}
		return it.Err() == nil
	})
}

// TestObjectsMadeElsewhereAreLeftAlone: another app sells a product of
// its own through Checkout and a subscription on a price of its own, and
// its customers pay. The shop hears every event and records each one
// about those objects as ignored, "not created by this shop", answered
// 200 (the account has nothing left to deliver): no order, customer,
// subscription or mail. The admin finds them under their own filter, and
// vendo sync reports them without a failure.
func TestObjectsMadeElsewhereAreLeftAlone(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sandbox", "stripe"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			acct := newAccount(t, mode, false)
			api, shop := acct.api, acct.shop
			ctx := context.Background()

			sale, err := api.CheckoutSessions.New(&stripe.CheckoutSessionParams{
				Mode: stripe.String("payment"), SuccessURL: stripe.String("https://elsewhere.example/thanks"), CancelURL: stripe.String("https://elsewhere.example/"),
				LineItems: []*stripe.CheckoutSessionLineItemParams{{Quantity: stripe.Int64(1), PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
					Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900), ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String("Their ebook")}}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			acct.pay(t, sale, "their-buyer@example.com")

			price, err := api.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(700),
				Recurring:   &stripe.PriceRecurringParams{Interval: stripe.String("month")},
				ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Their club")}})
			if err != nil {
				t.Fatal(err)
			}
			club, err := api.CheckoutSessions.New(&stripe.CheckoutSessionParams{
				Mode: stripe.String("subscription"), SuccessURL: stripe.String("https://elsewhere.example/welcome"), CancelURL: stripe.String("https://elsewhere.example/"),
				LineItems: []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			acct.pay(t, club, "their-member@example.com")
			acct.delivered(t)

			// What the ledger says about each of their objects.
			club, err = api.CheckoutSessions.Get(club.ID, nil)
			if err != nil || club.Subscription == nil {
				t.Fatalf("their subscription session: %v", err)
			}
			sub, err := api.Subscriptions.Get(club.Subscription.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			foreign := map[string]bool{sale.ID: true, club.ID: true, sub.ID: true, sub.LatestInvoice.ID: true}
			var events []store.EventRecord
			shop.Store.View(ctx, func(tx *store.Tx) (err error) { events, _, err = tx.Events(store.EventFilter{}); return })
			seen := map[string]bool{}
			for _, e := range events {
				if !foreign[e.ObjectID] {
					continue
				}
				seen[e.Type] = true
				if e.Outcome != store.EventIgnored || (e.Reason != store.ReasonForeign && e.Reason != store.ReasonUnhandled) {
					t.Errorf("%s about %s: %s (%q), want ignored: %s", e.Type, e.ObjectID, e.Outcome, e.Reason, store.ReasonForeign)
				}
			}
			for _, typ := range []string{"checkout.session.completed", "customer.subscription.created", "invoice.paid"} {
				if !seen[typ] {
					t.Errorf("the shop never recorded %s about their objects (saw %v)", typ, seen)
				}
			}
			shop.Store.View(ctx, func(tx *store.Tx) error {
				orders, _, _ := tx.Orders(store.OrderFilter{})
				subs, _, _ := tx.Subscriptions(store.SubscriptionFilter{})
				if len(orders) != 0 || len(subs) != 0 {
					t.Errorf("%d orders and %d subscriptions from another app's sales", len(orders), len(subs))
				}
				for _, email := range []string{"their-buyer@example.com", "their-member@example.com"} {
					if _, err := tx.CustomerByEmail(email); !app.IsNotFound(err) {
						t.Errorf("%s, another app's buyer, became a customer (%v)", email, err)
					}
				}
				return nil
			})
			if mails := shop.Outbox(); len(mails) != 0 {
				t.Errorf("%d mails about another app's sales, the first %s to %s", len(mails), mails[0].Template, mails[0].To)
			}

			// The admin sees them, and why.
			shop.Admin.SignInAdmin()
			_, page := shop.Admin.Get("/admin/events?outcome=foreign")
			mustContain(t, page, sale.ID, sub.ID, "not created by this shop", `<option value="foreign" selected>`)
			if _, page := shop.Admin.Get("/admin/events?outcome=failed"); !strings.Contains(page, "No event matches.") {
				t.Errorf("failed events listed:\n%.2000s", page)
			}

			// A sync goes over them again: no failure, counted apart.
			sum, err := shop.Sync(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.FailedEvents != 0 || sum.Failed != 0 || sum.Foreign < 2 || sum.ForeignEvents < 3 {
				t.Errorf("sync: %s; want no failure, both their sessions and their subscription left alone", sum)
			}
		})
	}
}

// TestOwnSubscriptionThatEndedBeforeTheShopHeardOfItIsRecorded: no
// webhook reaches the shop; a customer subscribes through it and the
// subscription is canceled at once in Stripe. When the shop first hears
// of it (vendo sync), it records it as canceled, never activated: on the
// admin's and the customer's pages, with no activation mail, no credits
// and no licence.
func TestOwnSubscriptionThatEndedBeforeTheShopHeardOfItIsRecorded(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sandbox", "stripe"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			acct := newAccount(t, mode, true)
			shop, ctx := acct.shop, context.Background()
			c := shop.NewClient()
			c.SignIn("brief@example.com")
			c.Subscribe("pro", "month", "4242424242424242")
			it := acct.api.Subscriptions.List(&stripe.SubscriptionListParams{Status: stripe.String("all")})
			var stripeSub *stripe.Subscription
			for it.Next() {
				stripeSub = it.Subscription()
			}
			if stripeSub == nil || stripeSub.Metadata["vendo_customer_id"] == "" {
				t.Fatalf("no subscription made by the shop at its Stripe (%v)", it.Err())
			}
			if _, err := acct.api.Subscriptions.Cancel(stripeSub.ID, nil); err != nil {
				t.Fatal(err)
			}

			sum, err := shop.Sync(ctx, nil)
			if err != nil || sum.FailedEvents != 0 || sum.Failed != 0 {
				t.Fatalf("sync: %s, %v", sum, err)
			}
			var sub app.Subscription
			var lics []app.License
			var credits []app.CreditEntry
			shop.Store.View(ctx, func(tx *store.Tx) error {
				sub, err = tx.SubscriptionByStripeID(stripeSub.ID)
				lics, _ = tx.LicensesOf(sub.CustomerID)
				credits, _ = tx.CreditsOf(sub.CustomerID, 0)
				return nil
			})
			if err != nil || sub.Status != "canceled" || sub.Fulfilled || !sub.Terminated || sub.Credits != 0 || sub.EndedAt.IsZero() {
				t.Fatalf("the shop's record: %+v (%v); want canceled, never activated", sub, err)
			}
			if len(lics) != 0 || len(credits) != 0 {
				t.Errorf("%d licences and %d credit entries for a subscription that never started", len(lics), len(credits))
			}
			for _, m := range shop.Outbox() {
				if m.Template != "login" {
					t.Errorf("mail %s to %s", m.Template, m.To)
				}
			}
			if _, page := c.Get("/account"); !strings.Contains(page, "plan has ended") {
				t.Errorf("the account does not show the plan as ended:\n%.2000s", page)
			}
			shop.Admin.SignInAdmin()
			if _, page := shop.Admin.Get("/admin/subscriptions"); !strings.Contains(page, "brief@example.com") || !strings.Contains(page, "canceled") {
				t.Errorf("the admin's subscriptions do not list it as canceled:\n%.2000s", page)
			}
		})
	}
}
