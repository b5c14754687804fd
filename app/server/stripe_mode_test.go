package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"vendo/app"
	"vendo/app/demo"
	"vendo/app/server"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// The Stripe-mode suite (issue 14): shop A runs in sandbox mode and is
// shop B's Stripe. B, in Stripe mode, takes the same code path it takes
// with stripe.com: its customers pay on A's hosted Checkout, manage their
// plan in A's portal, and B learns what happened from A's webhooks to the
// endpoint it registered through A's API. After each flow, B's orders,
// subscriptions, entitlements and licences must equal what A's API says,
// and B's outbox must hold exactly the mails the flows call for. The whole
// suite runs twice: with A delivering each event once in order, and with
// every event delivered twice and shuffled; both end in the same state.
func TestStripeModeAgainstAnotherVendo(t *testing.T) {
	t.Parallel()
	runs := []struct {
		name string
		env  map[string]string
	}{
		{"once in order", nil},
		{"twice and shuffled", map[string]string{"VENDO_SANDBOX_DELIVER_TWICE": "1", "VENDO_SANDBOX_SHUFFLE": "8"}},
	}
	ends := make([]endState, len(runs))
	t.Run("runs", func(t *testing.T) {
		for i, run := range runs {
			t.Run(run.name, func(t *testing.T) {
				t.Parallel()
				ends[i] = twoShops(t, run.env)
			})
		}
	})
	if t.Failed() {
		return
	}
	t.Logf("B ended with %d orders, %d subscriptions, %d entitlements, %d licences and %d mails in both runs",
		len(ends[0].Orders), len(ends[0].Subscriptions), len(ends[0].Entitlements), len(ends[0].Licenses), len(ends[0].Mails))
	if !reflect.DeepEqual(ends[0], ends[1]) {
		t.Errorf("the runs ended differently:\n%s: %+v\n%s: %+v", runs[0].name, ends[0], runs[1].name, ends[1])
	}
}

// pair is shop A (the Stripe) and shop B (the merchant in Stripe mode).
// In sandbox mode (newPair with stripeMode false) they are one shop: the
// merchant and its own sandbox.
type pair struct {
	t    *testing.T
	a, b *vendotest.Shop
	// api is A's Stripe API, called with A's key.
	api *client.API
	// endpoint is B's webhook endpoint at A ("" in sandbox mode, where
	// the shop's own webhook is A's only destination).
	endpoint string
	// mails is what B's outbox must hold: template and recipient.
	mails []string
	// foreign are the Checkout sessions another app made at A: B leaves
	// them alone, so they have no order.
	foreign map[string]bool
	// visitors, when set, gives each new browser of B's its own address
	// (X-Forwarded-For from a trusted proxy), so that many buyers are not
	// one address's rate limit; it counts the browsers made.
	visitors *int
}

// browser is a new signed-out browser on B.
func (p *pair) browser() *vendotest.Client {
	c := p.b.NewClient()
	if p.visitors != nil {
		*p.visitors++
		n := *p.visitors
		c.HTTP.Transport = fromAddress{fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)}
	}
	return c
}

// fromAddress sends every request as if a trusted proxy forwarded it
// from addr.
type fromAddress struct{ addr string }

func (f fromAddress) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return http.DefaultTransport.RoundTrip(r)
}

// boss is the merchant's admin address (VENDO_ADMIN_EMAILS): disputes are
// mailed there.
const boss = "boss@b.example"

func twoShops(t *testing.T, envA map[string]string) endState {
	p := newPair(t, true, envA)
	a, b := p.a, p.b

	// B's pages may send the browser to A's hosted pages: its CSP says so,
	// or a browser would block the redirect after the form post.
	resp, _ := b.Customer.Get("/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, a.URL) {
		t.Errorf("B's CSP does not let forms go to A's hosted pages: %q", csp)
	}

	p.purchase()
	p.declined()
	p.codes()
	monthly, yearly, failing := p.subscriptions()
	p.renewals(failing)
	p.portal(monthly, yearly)
	p.refund()
	return p.endState()
}

// newPair starts the shops: in Stripe mode, A in sandbox mode and B in
// Stripe mode against A's sandbox; otherwise one sandbox-mode shop that
// is both. envA is A's environment.
func newPair(t *testing.T, stripeMode bool, envA map[string]string) *pair {
	return newPairEnv(t, stripeMode, envA, nil, nil)
}

// newPairEnv is newPair with more of B's environment (in sandbox mode,
// the one shop's) and, when setupB is set, a change to B before it
// serves.
func newPairEnv(t *testing.T, stripeMode bool, envA, envB map[string]string, setupB func(*server.Server)) *pair {
	env := map[string]string{"VENDO_ADMIN_EMAILS": boss}
	for k, v := range envA {
		env[k] = v
	}
	for k, v := range envB {
		env[k] = v
	}
	if !stripeMode {
		s := vendotest.Start(t, vendotest.Options{Env: env, Setup: setupB})
		return &pair{t: t, a: s, b: s, api: stripeAPI(s)}
	}
	a := vendotest.Start(t, vendotest.Options{Env: envA})
	api := stripeAPI(a)

	// B's webhook endpoint is registered at A through the API before B
	// starts, so B starts with its whsec_ secret; B's address is known
	// once it listens, and the endpoint is pointed at it then.
	we, err := api.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String("http://127.0.0.1:1/webhooks/stripe"),
		EnabledEvents: stripe.StringSlice([]string{"*"}), Description: stripe.String("shop B")})
	if err != nil {
		t.Fatal(err)
	}
	b := vendotest.Start(t, vendotest.Options{StripeFrom: a,
		Env: envWith(envB, "STRIPE_WEBHOOK_SECRET", we.Secret, "VENDO_ADMIN_EMAILS", boss),
		// B is a merchant with its own catalog (the demo's) and no sandbox.
		Setup: func(srv *server.Server) {
			if _, err := demo.Seed(context.Background(), srv.Store, srv.Files); err != nil {
				t.Fatal(err)
			}
			if setupB != nil {
				setupB(srv)
			}
		}})
	if _, err := api.WebhookEndpoints.Update(we.ID, &stripe.WebhookEndpointParams{URL: stripe.String(b.URL + "/webhooks/stripe")}); err != nil {
		t.Fatal(err)
	}
	if b.Sandbox != nil || b.Config.SandboxMode() {
		t.Fatal("B runs a sandbox")
	}
	return &pair{t: t, a: a, b: b, api: api, endpoint: we.ID}
}

// envWith is env (which it leaves alone) with more name, value pairs.
func envWith(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// stripeAPI is a sandbox-mode shop's Stripe API, called with its key.
func stripeAPI(s *vendotest.Shop) *client.API {
	cfg := &stripe.BackendConfig{URL: stripe.String(s.URL + "/sandbox/stripe"), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		MaxNetworkRetries: stripe.Int64(0), EnableTelemetry: stripe.Bool(false)}
	return client.New(s.Sandbox.SecretKey(), &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, cfg)})
}

// purchase buys two products as a guest, pays on A's Checkout, comes back
// to B's success page and downloads every file, checking its bytes.
func (p *pair) purchase() {
	t, a, b := p.t, p.a, p.b
	buyer := b.NewClient()
	buyer.AddToCart("field-notes-icon-pack")
	buyer.AddToCart("the-calm-inbox")
	resp, page := buyer.Checkout()
	if !strings.HasPrefix(resp.Request.URL.String(), a.URL+"/sandbox/stripe/checkout/cs_test_") {
		t.Fatalf("B's checkout landed on %s, not A's hosted Checkout", resp.Request.URL)
	}
	mustContain(t, page, "Field Notes Icon Pack", "The Calm Inbox", "$31.00", `href="`+b.URL+`/checkout/cancel`)
	resp, page = buyer.Pay("buyer@example.com", "4242 4242 4242 4242")
	if resp.Request.URL.Host != strings.TrimPrefix(b.URL, "http://") || resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("after paying on A: %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	mustContain(t, page, "Thank you for your order", "buyer@example.com")
	links := downloadRE.FindAllStringSubmatch(page, -1)
	var files []app.FileRef
	for _, slug := range []string{"field-notes-icon-pack", "the-calm-inbox"} {
		pr, err := b.Store.ProductBySlug(context.Background(), slug)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, pr.Files...)
	}
	if len(links) != len(files) || len(files) < 2 {
		t.Fatalf("%d download links for %d files", len(links), len(files))
	}
	got := map[string]bool{}
	for _, l := range links {
		resp, body := buyer.Get(l[1])
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("download %s: %d", l[1], resp.StatusCode)
		}
		got[sha([]byte(body))] = true
	}
	for _, f := range files {
		if !got[f.SHA256] {
			t.Errorf("no download had the bytes of %s (sha256 %s)", f.Name, f.SHA256)
		}
	}
	p.mails = append(p.mails, "receipt buyer@example.com")
	p.settle("the purchase")
}

// codes sells with a discount code of B's (a Coupon and Promotion Code
// at A): one buyer follows its shared link, another types it on A's
// Checkout; both of B's orders name it and take A's discount, and the
// code counts both uses and their revenue, however A delivers the events.
func (p *pair) codes() {
	t, b := p.t, p.b
	b.Admin.SignInAdmin()
	createCode(t, b, url.Values{"code": {"PAIR10"}, "name": {"Pair"}, "percent_off": {"10"}, "currency": {"usd"}, "max_redemptions": {"5"}})
	linked := b.NewClient()
	linked.Get("/cart?code=PAIR10")
	linked.AddToCart("the-calm-inbox")
	linked.Checkout()
	if resp, _ := linked.Pay("linked@example.com", "4242 4242 4242 4242"); resp.Request.URL.Path != "/checkout/success" {
		t.Fatalf("pay with PAIR10 from its link: %s", resp.Request.URL)
	}
	buyWithTypedCode(t, b.NewClient(), "the-calm-inbox", "pair10", "typed@example.com")
	p.mails = append(p.mails, "receipt linked@example.com", "receipt typed@example.com")
	p.settle("the coded purchases")
	inbox := mustProduct(t, b, "the-calm-inbox")
	off := inbox.Price.Amount / 10
	var uses store.CodeUses
	b.Store.View(context.Background(), func(tx *store.Tx) error {
		os, _, _ := tx.Orders(store.OrderFilter{})
		for _, o := range os {
			if (o.Email == "linked@example.com" || o.Email == "typed@example.com") && (o.DiscountCode != "PAIR10" || o.Discount.Amount != off) {
				t.Errorf("%s's order: discount %v with %q, want %d off with PAIR10", o.Email, o.Discount, o.DiscountCode, off)
			}
		}
		uses, _ = tx.CodeUsesOf("PAIR10")
		return nil
	})
	if uses.Orders != 2 || uses.Revenue["usd"] != 2*(inbox.Price.Amount-off) || uses.Off["usd"] != 2*off {
		t.Errorf("PAIR10's uses at B: %+v, want 2 orders of %d with %d off each", uses, inbox.Price.Amount-off, off)
	}
}

// declined pays with a declined card on A's Checkout: A shows the error,
// B makes no order and sends no mail.
func (p *pair) declined() {
	t := p.t
	buyer := p.b.NewClient()
	buyer.AddToCart("sunrise-wallpapers")
	buyer.Checkout()
	resp, page := buyer.Pay("declined@example.com", "4000 0000 0000 0002")
	if resp.StatusCode != http.StatusPaymentRequired || !strings.Contains(strings.ToLower(page), "declined") {
		t.Fatalf("declined card: %d", resp.StatusCode)
	}
	p.settle("the declined card")
}

// subscriptions subscribes three customers: monthly, yearly, and monthly
// on the card that fails every renewal.
func (p *pair) subscriptions() (monthly, yearly, failing *vendotest.Client) {
	sub := func(email, plan, interval, card string) *vendotest.Client {
		c := p.b.NewClient()
		c.SignIn(email)
		c.Subscribe(plan, interval, card)
		if c.At.Host != strings.TrimPrefix(p.b.URL, "http://") {
			p.t.Fatalf("after subscribing on A: %s", c.At)
		}
		p.mails = append(p.mails, "login "+email, "subscription_started "+email)
		return c
	}
	monthly = sub("monthly@example.com", "starter", "month", "4242424242424242")
	yearly = sub("yearly@example.com", "pro", "year", "5555555555554444")
	failing = sub("failing@example.com", "starter", "month", "4000000000000341")
	p.settle("the subscriptions")
	return monthly, yearly, failing
}

// renewals moves A's clock: the monthly plans renew, the failing card's
// renewal fails, is retried twice and the plan ends.
func (p *pair) renewals(failing *vendotest.Client) {
	p.a.AdvanceClock("32d")
	p.mails = append(p.mails, "renewal_failed failing@example.com")
	p.settle("the renewals")
	if _, page := failing.Get("/account"); !strings.Contains(page, "Your last payment failed") {
		p.t.Error("the failing subscriber's account does not say the payment failed")
	}
	p.a.AdvanceClock("4d")
	p.mails = append(p.mails, "renewal_failed failing@example.com")
	p.settle("the first retry")
	p.a.AdvanceClock("6d")
	p.mails = append(p.mails, "renewal_failed failing@example.com", "subscription_ended failing@example.com")
	p.settle("the last retry")
}

var (
	switchRE = `action="([^"]+/switch)"><input type="hidden" name="subscription" value="([^"]+)"><input type="hidden" name="price" value="%s"`
	cancelRE = regexp.MustCompile(`action="([^"]+/cancel)"><input type="hidden" name="subscription" value="([^"]+)"`)
)

// portal: the monthly subscriber switches to Pro and the yearly one
// cancels, both in A's portal, and each comes back to B.
func (p *pair) portal(monthly, yearly *vendotest.Client) {
	t, a, b := p.t, p.a, p.b
	open := func(c *vendotest.Client) string {
		c.Get("/account")
		resp, page := c.Submit("/account/billing-portal", url.Values{})
		if !strings.HasPrefix(resp.Request.URL.String(), a.URL+"/sandbox/stripe/portal/bps_") {
			t.Fatalf("B's portal button went to %s", resp.Request.URL)
		}
		mustContain(t, page, `href="`+b.URL+`/account"`)
		return page
	}
	page := open(monthly)
	var pro app.Plan
	b.Store.View(context.Background(), func(tx *store.Tx) (err error) { pro, err = tx.PlanBySlug("pro"); return })
	m := regexp.MustCompile(fmt.Sprintf(switchRE, pro.Monthly.StripePriceID)).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("A's portal offers no switch to Pro monthly:\n%.2000s", page)
	}
	if resp, _ := monthly.Submit(onPage(monthly, m[1]), url.Values{"subscription": {m[2]}, "price": {pro.Monthly.StripePriceID}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("switch: %d", resp.StatusCode)
	}
	p.settle("the plan switch")

	page = open(yearly)
	c := cancelRE.FindStringSubmatch(page)
	if c == nil {
		t.Fatal("A's portal offers no cancel")
	}
	if resp, _ := yearly.Submit(onPage(yearly, c[1]), url.Values{"subscription": {c[2]}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	p.mails = append(p.mails, "subscription_canceled yearly@example.com")
	p.settle("the cancel")
	if _, page := yearly.Get("/account"); !strings.Contains(page, "Your plan ends on") {
		t.Error("the yearly subscriber's account does not show the coming end")
	}
}

// onPage resolves a form's action against the page the browser is on, as
// a browser does (A's portal forms post to A).
func onPage(c *vendotest.Client, action string) string {
	u, err := url.Parse(action)
	if err != nil {
		return action
	}
	return c.At.ResolveReference(u).String()
}

// refund: B's admin refunds the purchase in full from B's admin; A
// refunds the charge and B revokes the downloads and the licence.
func (p *pair) refund() {
	t, b := p.t, p.b
	var order app.Order
	b.Store.View(context.Background(), func(tx *store.Tx) error {
		os, _, _ := tx.Orders(store.OrderFilter{})
		for _, o := range os {
			if o.Email == "buyer@example.com" {
				order = o
			}
		}
		return nil
	})
	if order.ID == "" {
		t.Fatal("no order to refund")
	}
	b.Admin.SignInAdmin()
	b.Admin.Get(fmt.Sprintf("/admin/orders/%s/refund?amount=%s&reason=requested_by_customer", order.ID, order.Total.Decimal()))
	resp, _ := b.Admin.Submit("/admin/orders/"+order.ID+"/refund", url.Values{"amount_minor": {fmt.Sprint(order.Total.Amount)}, "reason": {"requested_by_customer"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.RawQuery, "refund=re_") {
		t.Fatalf("admin refund: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	p.mails = append(p.mails, "order_refunded buyer@example.com")
	p.settle("the refund")
}

// settle waits until B mirrors A and its outbox holds exactly the
// expected mails, then checks that it stays so.
func (p *pair) settle(after string) {
	p.t.Helper()
	// A bound on the wait, not on the time it should take: A delivers one
	// event at a time to both shops, and under -race on a loaded machine a
	// flow's deliveries can take most of a minute.
	deadline := time.Now().Add(90 * time.Second)
	var err error
	for {
		if err = p.mirrors(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("after %s, B does not mirror A: %v", after, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Late duplicates must change nothing: wait for A to have delivered
	// everything, then look again.
	p.waitDelivered(after)
	if err := p.mirrors(); err != nil {
		p.t.Fatalf("after %s, once every delivery was made: %v", after, err)
	}
}

// waitDelivered waits until A has no event still to deliver to B.
func (p *pair) waitDelivered(after string) {
	p.t.Helper()
	vendotest.WaitFor(p.t, "A's deliveries after "+after, func() bool { return p.undelivered() == 0 })
}

// undelivered counts A's deliveries still to make (queued, in flight,
// waiting to retry, or held): the sum of its events' pending_webhooks,
// read from A's sandbox in the test process. Listing every event through
// A's API to add them up, twenty times a second, was a tenth of the CPU
// of the Stripe-mode suite under -race.
func (p *pair) undelivered() int {
	p.t.Helper()
	queued, err := p.a.Sandbox.Queued()
	if err != nil {
		p.t.Fatal(err)
	}
	held, err := p.a.Sandbox.Held()
	if err != nil {
		p.t.Fatal(err)
	}
	return queued + len(held)
}

// mirrors compares B's records with A's API and B's outbox with the
// expected mails; it returns the first difference.
func (p *pair) mirrors() error {
	ctx := context.Background()
	var orders []app.Order
	var subs []app.Subscription
	var licenses []app.License
	var mails []app.Mail
	ents := map[string][]app.Entitlement{}
	err := p.b.Store.View(ctx, func(tx *store.Tx) (err error) {
		if orders, _, err = tx.Orders(store.OrderFilter{Limit: 1000}); err != nil {
			return err
		}
		if subs, _, err = tx.Subscriptions(store.SubscriptionFilter{Limit: 1000}); err != nil {
			return err
		}
		if licenses, _, err = tx.Licenses(store.LicenseFilter{Limit: 1000}); err != nil {
			return err
		}
		if mails, _, err = tx.Outbox(store.MailFilter{Limit: 1000}); err != nil {
			return err
		}
		for _, o := range orders {
			if ents[o.CustomerID], err = tx.EntitlementsOf(o.CustomerID, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	// Orders: one per completed payment session at A, with its amounts
	// and refunds.
	sp := &stripe.CheckoutSessionListParams{Status: stripe.String("complete")}
	sp.AddExpand("data.payment_intent.latest_charge")
	sp.Limit = stripe.Int64(100)
	paid := map[string]*stripe.CheckoutSession{}
	for it := p.api.CheckoutSessions.List(sp); it.Next(); {
		if s := it.CheckoutSession(); s.Mode == stripe.CheckoutSessionModePayment && !p.foreign[s.ID] {
			paid[s.ID] = s
		}
	}
	if len(orders) != len(paid) {
		return fmt.Errorf("B has %d orders, A %d paid checkouts", len(orders), len(paid))
	}
	access := map[string]bool{} // order id → gives access
	for _, o := range orders {
		s, ok := paid[o.CheckoutSessionID]
		if !ok {
			return fmt.Errorf("order %s is for session %s, which A has not completed", o.ID, o.CheckoutSessionID)
		}
		ch := s.PaymentIntent.LatestCharge
		var dispute *stripe.Dispute
		if ch.Disputed {
			it := p.api.Disputes.List(&stripe.DisputeListParams{Charge: stripe.String(ch.ID)})
			if !it.Next() {
				return fmt.Errorf("A's charge %s is disputed and lists no dispute: %v", ch.ID, it.Err())
			}
			dispute = it.Dispute()
		}
		// Stripe's facts, and what they mean for the order.
		want, on := app.OrderPaid, true
		switch {
		case dispute != nil && dispute.Status == stripe.DisputeStatusLost:
			want, on = app.OrderDisputeLost, false
		case dispute != nil && dispute.Status != stripe.DisputeStatusWon && dispute.Status != stripe.DisputeStatusWarningClosed:
			want, on = app.OrderDisputed, false
		case ch.Refunded:
			want, on = app.OrderRefunded, false
		case ch.AmountRefunded > 0:
			want = app.OrderPartiallyRefunded
		}
		if o.Total.Amount != s.AmountTotal || o.AmountRefunded != ch.AmountRefunded || o.Status != want {
			return fmt.Errorf("order %s: total %d refunded %d status %s; A: total %d refunded %d (%s)", o.ID, o.Total.Amount, o.AmountRefunded, o.Status, s.AmountTotal, ch.AmountRefunded, want)
		}
		if dispute != nil && (o.Dispute == nil || o.Dispute.ID != dispute.ID || o.Dispute.Status != string(dispute.Status)) {
			return fmt.Errorf("order %s: dispute %+v; A: %s %s", o.ID, o.Dispute, dispute.ID, dispute.Status)
		}
		items := p.api.CheckoutSessions.ListLineItems(&stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(s.ID)})
		n := 0
		for items.Next() {
			li := items.LineItem()
			if n >= len(o.Lines) || o.Lines[n].StripePriceID != li.Price.ID || o.Lines[n].Quantity != li.Quantity || o.Lines[n].ProductID == "" {
				return fmt.Errorf("order %s line %d differs from A's line item %s", o.ID, n, li.ID)
			}
			n++
		}
		if n != len(o.Lines) {
			return fmt.Errorf("order %s has %d lines, A's session %d", o.ID, len(o.Lines), n)
		}
		access[o.ID] = on
		// Downloads stand unless all was refunded or the money is disputed
		// (an order that never gave access may have no entitlement at all).
		for _, l := range o.Lines {
			if hasActive(ents[o.CustomerID], l.ProductID, app.SourceOrder, o.ID) != on {
				return fmt.Errorf("order %s: an active entitlement to %s: want %v", o.ID, l.ProductID, on)
			}
		}
	}

	// Subscriptions: each of A's, with its status, price, period and
	// cancellation; the plan's grants stand while Stripe says active.
	lp := &stripe.SubscriptionListParams{Status: stripe.String("all")}
	lp.Limit = stripe.Int64(100)
	theirs := map[string]*stripe.Subscription{}
	for it := p.api.Subscriptions.List(lp); it.Next(); {
		theirs[it.Subscription().ID] = it.Subscription()
	}
	if len(subs) != len(theirs) {
		return fmt.Errorf("B has %d subscriptions, A %d", len(subs), len(theirs))
	}
	active := map[string]bool{} // B subscription id → active
	for _, s := range subs {
		them, ok := theirs[s.StripeID]
		if !ok {
			return fmt.Errorf("B's subscription %s is not at A", s.StripeID)
		}
		on := app.ActiveStatus(string(them.Status))
		if s.Status != string(them.Status) || s.PriceID != them.Items.Data[0].Price.ID || s.CurrentPeriodEnd.Unix() != them.CurrentPeriodEnd ||
			s.CancelAtPeriodEnd != them.CancelAtPeriodEnd || s.Fulfilled != on || s.Terminated == on {
			return fmt.Errorf("subscription %s: B %s %s ends %d cancel %v fulfilled %v; A %s %s ends %d cancel %v", s.StripeID,
				s.Status, s.PriceID, s.CurrentPeriodEnd.Unix(), s.CancelAtPeriodEnd, s.Fulfilled,
				them.Status, them.Items.Data[0].Price.ID, them.CurrentPeriodEnd, them.CancelAtPeriodEnd)
		}
		active[s.ID] = on
	}

	// Licences: one per subscription, valid while it is active; one per
	// licensed product bought, valid while its order gives access.
	perSub := map[string]int{}
	for _, l := range licenses {
		var want bool
		switch {
		case l.SubscriptionID != "":
			perSub[l.SubscriptionID]++
			want = active[l.SubscriptionID]
		case l.OrderID != "":
			want = access[l.OrderID]
		}
		if (l.Status == app.LicenseActive) != want {
			return fmt.Errorf("licence %s (subscription %q, order %q) is %s", l.Key, l.SubscriptionID, l.OrderID, l.Status)
		}
	}
	for _, s := range subs {
		if perSub[s.ID] != 1 {
			return fmt.Errorf("subscription %s has %d licences", s.StripeID, perSub[s.ID])
		}
	}

	// The outbox: exactly the expected mails.
	var got []string
	for _, m := range mails {
		got = append(got, m.Template+" "+m.To)
	}
	want := slices.Clone(p.mails)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("B's outbox holds %v, want %v", got, want)
	}
	return nil
}

// hasActive reports an active entitlement to product from source.
func hasActive(es []app.Entitlement, product, source, sourceID string) bool {
	for _, e := range es {
		if e.ProductID == product && e.Source == source && e.SourceID == sourceID && e.Active() {
			return true
		}
	}
	return false
}

// endState is what B ends with, without ids or times, to compare runs.
type endState struct {
	Orders, Subscriptions, Entitlements, Licenses, Mails []string
}

func (p *pair) endState() endState {
	var st endState
	ctx := context.Background()
	p.b.Store.View(ctx, func(tx *store.Tx) error {
		email := func(id string) string { c, _ := tx.Customer(id); return c.Email }
		slug := func(id string) string { pr, _ := tx.Product(id); return pr.Slug }
		plan := func(id string) string { pl, _ := tx.Plan(id); return pl.Slug }
		orders, _, _ := tx.Orders(store.OrderFilter{Limit: 1000})
		for _, o := range orders {
			var lines []string
			for _, l := range o.Lines {
				lines = append(lines, fmt.Sprintf("%s×%d", slug(l.ProductID), l.Quantity))
			}
			st.Orders = append(st.Orders, fmt.Sprintf("%s %s %d refunded %d %v code %q off %d", o.Email, o.Status, o.Total.Amount, o.AmountRefunded, lines, o.DiscountCode, o.Discount.Amount))
			es, _ := tx.EntitlementsOf(o.CustomerID, false)
			for _, e := range es {
				st.Entitlements = append(st.Entitlements, fmt.Sprintf("%s %s %s active=%v", o.Email, slug(e.ProductID), e.Source, e.Active()))
			}
		}
		subs, _, _ := tx.Subscriptions(store.SubscriptionFilter{Limit: 1000})
		for _, s := range subs {
			st.Subscriptions = append(st.Subscriptions, fmt.Sprintf("%s %s %s %s cancel=%v fulfilled=%v credits=%d", email(s.CustomerID), plan(s.PlanID), s.Interval, s.Status, s.CancelAtPeriodEnd, s.Fulfilled, s.Credits))
		}
		lics, _, _ := tx.Licenses(store.LicenseFilter{Limit: 1000})
		for _, l := range lics {
			st.Licenses = append(st.Licenses, fmt.Sprintf("%s %s plan=%s product=%s", email(l.CustomerID), l.Status, plan(l.PlanID), slug(l.ProductID)))
		}
		mails, _, _ := tx.Outbox(store.MailFilter{Limit: 1000})
		for _, m := range mails {
			st.Mails = append(st.Mails, m.Template+" "+m.To)
		}
		return nil
	})
	for _, l := range [][]string{st.Orders, st.Subscriptions, st.Entitlements, st.Licenses, st.Mails} {
		sort.Strings(l)
	}
	return st
}
