package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v76"

	"vendo/app"
	"vendo/app/server"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/vendotest"
	"vendo/app/webhook"
)

// Issue 15, "Checkout and money details", in sandbox mode and in Stripe
// mode against another shop's sandbox (account, in foreign_test.go).

// TestCheckoutAgainAfterSubscribing: a signed-in customer without a Stripe
// customer yet opens Checkout for a cart (sent with customer_email) and
// leaves; then subscribes to a plan (which makes the Stripe customer) and
// checks the same cart out (sent with customer). The two requests differ,
// so they must not share an idempotency key: before, the second was
// refused by Stripe ("Keys for idempotent requests can only be used with
// the same parameters") for 24 hours.
func TestCheckoutAgainAfterSubscribing(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sandbox", "stripe"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			acct := newAccount(t, mode, false)
			c := acct.shop.NewClient()
			c.SignIn("again@example.com")
			c.AddToCart("the-calm-inbox")
			resp, page := c.Checkout()
			if !strings.HasPrefix(resp.Request.URL.String(), acct.stripe.URL+"/sandbox/stripe/checkout/cs_") {
				t.Fatalf("first checkout landed on %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			first := resp.Request.URL.String()
			c.Subscribe("starter", "month", "4242424242424242")

			resp, page = c.Checkout()
			if !strings.HasPrefix(resp.Request.URL.String(), acct.stripe.URL+"/sandbox/stripe/checkout/cs_") {
				t.Fatalf("checkout after subscribing landed on %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			if resp.Request.URL.String() == first {
				t.Fatal("the second checkout reused the first session, made for a customer_email")
			}
			mustContain(t, page, "The Calm Inbox")
			resp, page = c.Pay("again@example.com", "4242424242424242")
			if resp.Request.URL.Path != "/checkout/success" {
				t.Fatalf("after paying: %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			mustContain(t, page, "Thank you for your order")
		})
	}
}

// TestItemsAddedWhilePayingStayInTheCart: the buyer leaves for Checkout
// with one product, adds another in the shop meanwhile, then pays. The
// purchased product leaves the cart; the one added later stays, and the
// cart badge on the success page counts it.
func TestItemsAddedWhilePayingStayInTheCart(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sandbox", "stripe"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			acct := newAccount(t, mode, false)
			c := acct.shop.NewClient()
			c.AddToCart("the-calm-inbox")
			c.Checkout()
			checkout := c.At.String()
			c.AddToCart("sunrise-wallpapers") // in another tab
			c.Get(checkout)
			resp, page := c.Pay("tabs@example.com", "4242424242424242")
			if resp.Request.URL.Path != "/checkout/success" {
				t.Fatalf("after paying: %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			mustContain(t, page, "Thank you for your order", `aria-label="1 items in cart">1</span>`)
			_, cart := c.Get("/cart")
			mustContain(t, cart, "Sunrise Wallpapers")
			if strings.Contains(cart, "The Calm Inbox") {
				t.Error("the purchased product is still in the cart")
			}
		})
	}
}

// bankDebit is the shop's Stripe client with one difference: the
// sessions it names are paid by a bank debit that has not cleared, so
// Checkout reports them complete and unpaid and their PaymentIntent
// processing, until the debit fails (failed): then the PaymentIntent
// needs another payment method, as Stripe's does (the sandbox takes cards
// only, which clear at once).
type bankDebit struct {
	shop.Payments
	mu       sync.Mutex
	sessions map[string]bool
	failed   map[string]bool // payment intent → the debit failed
	pis      map[string]bool // the debit sessions' payment intents
}

func (b *bankDebit) GetPayment(ctx context.Context, pi string) (stripeapi.Payment, error) {
	p, err := b.Payments.GetPayment(ctx, pi)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.failed[pi]:
		p.Status = "requires_payment_method"
	case b.pis[pi]:
		p.Status = "processing"
	}
	return p, err
}

func (b *bankDebit) GetCheckoutSession(ctx context.Context, id string) (stripeapi.Session, error) {
	s, err := b.Payments.GetCheckoutSession(ctx, id)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sessions[id] && s.Status == "complete" {
		s.PaymentStatus = "unpaid"
		if b.pis == nil {
			b.pis = map[string]bool{}
		}
		b.pis[s.PaymentIntentID] = true
	}
	// The payment read with the session is the card's: the shop reads
	// the debit's through GetPayment above.
	s.Payment = nil
	return s, err
}

// TestFailedDelayedPaymentSaysSoOnTheSuccessPage: a buyer pays by bank
// debit; the success page says the payment is processing. The debit
// fails (checkout.session.async_payment_failed): the page the buyer comes
// back to, and the one it polls, say the payment failed and offer to try
// again with the cart, which still holds the product. No "Thank you", no
// receipt wording, no receipt mail.
func TestFailedDelayedPaymentSaysSoOnTheSuccessPage(t *testing.T) {
	t.Parallel()
	debit := &bankDebit{sessions: map[string]bool{}}
	srv := vendotest.Start(t, vendotest.Options{NoBackground: true, Setup: func(s *server.Server) {
		debit.Payments = s.Shop.Stripe
		s.Shop.Stripe = debit
	}})
	c := srv.NewClient()
	c.AddToCart("the-calm-inbox")
	c.Checkout()
	id := c.At.Path[strings.LastIndex(c.At.Path, "/")+1:]
	debit.mu.Lock()
	debit.sessions[id] = true
	debit.mu.Unlock()
	resp, page := c.Pay("debit@example.com", "4242424242424242")
	if resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("after paying: %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	mustContain(t, page, "Processing your payment")
	success := resp.Request.URL.String()

	// The debit fails at Stripe, which tells the shop.
	debit.mu.Lock()
	debit.failed = map[string]bool{}
	for pi := range debit.pis {
		debit.failed[pi] = true
	}
	debit.mu.Unlock()
	res, err := srv.Ledger.Process(context.Background(), webhook.Event{ID: "evt_debit_failed", Type: "checkout.session.async_payment_failed", ObjectID: id}, "webhook")
	if err != nil || res.Outcome != store.EventApplied {
		t.Fatalf("async_payment_failed: %+v %v", res, err)
	}
	for _, htmx := range []bool{false, true} {
		var header []string
		if htmx {
			header = []string{"HX-Request", "true"}
		}
		resp, page := c.Get(success, header...)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("success page (htmx %v): %d", htmx, resp.StatusCode)
		}
		mustContain(t, page, "Your payment did not go through", `action="/checkout"`, `href="/cart"`)
		for _, wrong := range []string{"Thank you", "receipt", "Processing", "hx-trigger"} {
			if strings.Contains(page, wrong) {
				t.Errorf("the failed payment's page (htmx %v) says %q:\n%.1500s", htmx, wrong, page)
			}
		}
	}
	// Someone else holding the link learns only that it failed.
	if _, page := srv.NewClient().Get(success); !strings.Contains(page, "Your payment did not go through") || strings.Contains(page, "debit@example.com") {
		t.Errorf("the failed payment's page to someone else:\n%.1500s", page)
	}
	_, cart := c.Get("/cart")
	mustContain(t, cart, "The Calm Inbox")
	// Trying again opens a new Checkout for the same cart.
	resp, _ = c.Submit("/checkout", nil)
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/cs_") {
		t.Fatalf("try again went to %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	var mails []string
	for _, m := range srv.Outbox() {
		mails = append(mails, m.Template)
	}
	if len(mails) != 1 || mails[0] != "payment_failed" {
		t.Errorf("mails: %v, want one payment_failed", mails)
	}
	var orders []app.Order
	srv.Store.View(context.Background(), func(tx *store.Tx) (err error) { orders, _, err = tx.Orders(store.OrderFilter{}); return })
	if len(orders) != 1 || orders[0].Status != app.OrderFailed {
		t.Errorf("orders: %+v, want one failed", orders)
	}
}

// TestAdminMoneyInput: the admin's price fields read amounts as people
// write them, refuse what could be read two ways with both readings, and
// refuse prices under Stripe's minimum charge in the currency, each with
// a sentence next to the field and nothing saved.
func TestAdminMoneyInput(t *testing.T) {
	t.Parallel()
	a := serveAdmin(t, nil)
	ctx := context.Background()
	boss := a.boss
	tests := []struct {
		price, currency string
		want            int64  // the saved amount; 0 when refused
		wantMsg         string // the sentence next to the field
	}{
		{"12,50", "eur", 1250, ""},
		{"0,99", "usd", 99, ""},
		{"1.250,00", "eur", 125000, ""},
		{"1,250.00", "usd", 125000, ""},
		{"1 250,00 kr", "sek", 125000, ""},
		{"1.200", "jpy", 1200, ""},
		{"1,250", "usd", 0, "could mean 1250.00 or 1.25"},
		{"2,99", "sek", 0, "at least 3.00 SEK"},
		{"9,99", "mxn", 0, "at least 10.00 MXN"},
		{"14", "czk", 0, "at least 15.00 CZK"},
		{"3.99", "hkd", 0, "at least 4.00 HKD"},
		{"0,49", "eur", 0, "at least 0.50 EUR"},
		{"12,5", "jpy", 0, "JPY has no decimals"},
	}
	for i, tt := range tests {
		boss.Get("/admin/products/new")
		title := "Priced " + strings.Repeat("i", i+1)
		resp, page := boss.Submit("/admin/products", map[string][]string{"title": {title}, "price": {tt.price}, "currency": {tt.currency}, "active": {"1"}})
		p, err := a.srv.Store.ProductBySlug(ctx, app.Slugify(title))
		if tt.want == 0 {
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tt.wantMsg) || err == nil {
				t.Errorf("%q %s: %d, saved %v; want 422 saying %q", tt.price, tt.currency, resp.StatusCode, err == nil, tt.wantMsg)
			}
			continue
		}
		if err != nil || p.Price != (app.Money{Amount: tt.want, Currency: tt.currency}) {
			t.Errorf("%q %s: saved %+v (%v, %d), want %d", tt.price, tt.currency, p.Price, err, resp.StatusCode, tt.want)
		}
	}

	// A plan's prices: a comma reads as the decimal point; under Stripe's
	// minimum is refused.
	plans, err := a.srv.Store.Plans(ctx)
	if err != nil || len(plans) == 0 {
		t.Fatalf("plans: %v", err)
	}
	plan := plans[0]
	form := func(monthly, yearly string) map[string][]string {
		return map[string][]string{"name": {plan.Name}, "tagline": {plan.Tagline}, "features": {strings.Join(plan.Features, "\n")},
			"credits": {"5"}, "monthly": {monthly}, "yearly": {yearly}}
	}
	boss.Get("/admin/plans")
	resp, page := boss.Submit("/admin/plans/"+plan.ID, form("0,49", "90,00"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "at least 0.50 USD") {
		t.Errorf("a plan at 0,49 a month: %d\n%.1500s", resp.StatusCode, page)
	}
	boss.Get("/admin/plans")
	boss.Submit("/admin/plans/"+plan.ID, form("9,90", "99,00"))
	var saved app.Plan
	err = a.srv.Store.View(ctx, func(tx *store.Tx) (err error) { saved, err = tx.Plan(plan.ID); return })
	if err != nil || saved.Monthly.Price.Amount != 990 || saved.Yearly.Price.Amount != 9900 {
		t.Errorf("a plan at 9,90 and 99,00: %+v %+v (%v)", saved.Monthly.Price, saved.Yearly.Price, err)
	}
}

// TestADownloadIsBoughtOnce: "Add to cart" pressed twice puts a
// licensed download in the cart once; the buyer pays once and gets one
// licence key. A session made elsewhere on the shop's own
// Stripe price (a Payment Link in the dashboard) for three copies makes
// one order that grants the product and one key, not three.
func TestADownloadIsBoughtOnce(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sandbox", "stripe"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			acct := newAccount(t, mode, false)
			shop, ctx := acct.shop, context.Background()
			c := shop.NewClient()
			c.AddToCart("field-notes-icon-pack")
			c.AddToCart("field-notes-icon-pack")
			if _, cart := c.Get("/cart"); strings.Count(cart, `class="cart-line"`) != 1 || !strings.Contains(cart, "$19.00") {
				t.Errorf("added twice, the cart does not hold it once for $19.00:\n%.1500s", cart)
			}
			c.Checkout()
			resp, page := c.Pay("once@example.com", "4242424242424242")
			if resp.Request.URL.Path != "/checkout/success" {
				t.Fatalf("after paying: %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			mustContain(t, page, "$19.00")

			// Three copies on the shop's price, sold from the dashboard.
			p, _ := shop.Store.ProductBySlug(ctx, "field-notes-icon-pack")
			if p.StripePriceID == "" {
				t.Fatal("the product has no Stripe price after a sale")
			}
			sess, err := acct.api.CheckoutSessions.New(&stripe.CheckoutSessionParams{Mode: stripe.String("payment"),
				SuccessURL: stripe.String("https://elsewhere.example/thanks"), CancelURL: stripe.String("https://elsewhere.example/"),
				LineItems: []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(p.StripePriceID), Quantity: stripe.Int64(3)}}})
			if err != nil {
				t.Fatal(err)
			}
			acct.pay(t, sess, "dashboard@example.com")
			acct.delivered(t)

			for _, email := range []string{"once@example.com", "dashboard@example.com"} {
				var orders []app.Order
				var lics []app.License
				var ents []app.Entitlement
				shop.Store.View(ctx, func(tx *store.Tx) error {
					cust, err := tx.CustomerByEmail(email)
					if err != nil {
						return err
					}
					orders, _, _ = tx.Orders(store.OrderFilter{CustomerID: cust.ID})
					lics, _ = tx.LicensesOf(cust.ID)
					ents, _ = tx.EntitlementsOf(cust.ID, false)
					return nil
				})
				if len(orders) != 1 || len(lics) != 1 || len(ents) != 1 || lics[0].ProductID != p.ID {
					t.Errorf("%s: %d orders, %d licence keys, %d entitlements; want one each", email, len(orders), len(lics), len(ents))
				}
			}
		})
	}
}
