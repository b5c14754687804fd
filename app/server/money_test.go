package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"vendo/app"
	"vendo/app/sandbox"
	"vendo/app/server"
	"vendo/app/store"
	"vendo/app/vendotest"
	"vendo/app/webhook"
)

// Issue 15: money and access stay right in any event order. Each scenario
// holds the merchant's deliveries of some events back at the Stripe (the
// sandbox's hold knob), makes things happen there, and releases the held
// deliveries in a chosen order; then the merchant's orders, entitlements,
// licence keys and outbox must equal what the Stripe says (pair.settle).
// Every scenario runs in sandbox mode and in Stripe mode (shop B against
// shop A's sandbox).

// inBothModes runs a theme's scenarios in sandbox mode and in Stripe
// mode, the two in parallel; the scenarios of one mode share one pair and
// run one after the other.
func inBothModes(t *testing.T, run func(t *testing.T, p *pair)) {
	eachMode(t, func(t *testing.T, stripeMode bool) { run(t, newPair(t, stripeMode, nil)) })
}

// eachMode runs a test in sandbox mode and in Stripe mode, in parallel,
// for tests that start their pair themselves.
func eachMode(t *testing.T, run func(t *testing.T, stripeMode bool)) {
	t.Parallel()
	for _, mode := range []struct {
		name   string
		stripe bool
	}{{"sandbox mode", false}, {"Stripe mode", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			run(t, mode.stripe)
		})
	}
}

// scenario runs one named scenario on the pair, as a subtest.
func (p *pair) scenario(t *testing.T, name string, run func()) {
	t.Run(name, func(t *testing.T) {
		outer := p.t
		p.t = t
		defer func() { p.t = outer }()
		run()
	})
}

// buy is a guest buying one product on the Stripe's hosted Checkout. With
// follow the browser comes back to the success page; without, it stops at
// the redirect (the tab was closed) and only webhooks tell the shop. It
// returns the session id and the last page.
func (p *pair) buy(slug, email, card string, follow bool) (string, string) {
	p.t.Helper()
	c := p.browser()
	c.AddToCart(slug)
	resp, _ := c.Checkout()
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/cs_") {
		p.t.Fatalf("checkout landed on %s", resp.Request.URL)
	}
	id := path.Base(resp.Request.URL.Path)
	if follow {
		resp, page := c.Pay(email, card)
		if resp.Request.URL.Path != "/checkout/success" {
			p.t.Fatalf("after paying: %s (%d)", resp.Request.URL, resp.StatusCode)
		}
		return id, page
	}
	resp, page := c.NoFollow().Post(c.At.String(), url.Values{"email": {email}, "name": {"Test Buyer"}, "card_number": {card}, "exp": {"12/34"}, "cvc": {"123"}})
	if resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("pay with %s: %d", card, resp.StatusCode)
	}
	return id, page
}

// session is the Stripe's session with its payment intent and charge.
func (p *pair) session(id string) *stripe.CheckoutSession {
	p.t.Helper()
	sp := &stripe.CheckoutSessionParams{}
	sp.AddExpand("payment_intent.latest_charge")
	s, err := p.api.CheckoutSessions.Get(id, sp)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// refundAtStripe refunds a session's payment at the Stripe, as the
// merchant would in Stripe's dashboard; amount 0 refunds it all.
func (p *pair) refundAtStripe(sessionID string, amount int64) {
	p.t.Helper()
	rp := &stripe.RefundParams{PaymentIntent: stripe.String(p.session(sessionID).PaymentIntent.ID)}
	if amount > 0 {
		rp.Amount = stripe.Int64(amount)
	}
	if _, err := p.api.Refunds.New(rp); err != nil {
		p.t.Fatalf("refund at the Stripe: %v", err)
	}
}

// refundFromAdmin refunds an order in full from the merchant's admin.
func (p *pair) refundFromAdmin(o app.Order) {
	p.t.Helper()
	p.b.Admin.SignInAdmin()
	p.b.Admin.Get(fmt.Sprintf("/admin/orders/%s/refund?amount=%s&reason=requested_by_customer", o.ID, o.Total.Decimal()))
	resp, _ := p.b.Admin.Submit("/admin/orders/"+o.ID+"/refund", url.Values{"amount_minor": {fmt.Sprint(o.Total.Amount)}, "reason": {"requested_by_customer"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.RawQuery, "refund=re_") {
		p.t.Fatalf("admin refund: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

// bank does what a cardholder's bank does, through the sandbox's own
// action (path: /charges/{id}/dispute or /disputes/{id}/close), and
// returns the dispute.
func (p *pair) bank(action string, form url.Values) map[string]any {
	p.t.Helper()
	resp, err := http.PostForm(p.a.URL+"/sandbox/stripe"+action, form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var d map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &d) != nil {
		p.t.Fatalf("bank %s: %d %s", action, resp.StatusCode, body)
	}
	return d
}

// hold holds the merchant's deliveries of these event types back.
func (p *pair) hold(types ...string) {
	p.t.Helper()
	for _, typ := range types {
		if _, err := p.a.Sandbox.Hold(sandbox.HoldRule{Type: typ, Endpoint: p.endpoint}); err != nil {
			p.t.Fatal(err)
		}
	}
}

// heldFor is what is held for the merchant.
func (p *pair) heldFor() []sandbox.HeldDelivery {
	p.t.Helper()
	held, err := p.a.Sandbox.Held()
	if err != nil {
		p.t.Fatal(err)
	}
	var out []sandbox.HeldDelivery
	for _, h := range held {
		if h.Endpoint == p.endpoint {
			out = append(out, h)
		}
	}
	return out
}

// release delivers the merchant's held deliveries of each type, types in
// the order given (waiting for one to be held first), and checks the
// merchant took each.
func (p *pair) release(types ...string) {
	p.t.Helper()
	for _, typ := range types {
		var ids []string
		vendotest.WaitFor(p.t, "a held "+typ, func() bool {
			ids = ids[:0]
			for _, h := range p.heldFor() {
				if h.Type == typ {
					ids = append(ids, h.ID)
				}
			}
			return len(ids) > 0
		})
		p.releaseIDs(ids...)
	}
}

func (p *pair) releaseIDs(ids ...string) {
	p.t.Helper()
	out, err := p.a.Sandbox.Release(context.Background(), ids...)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, r := range out {
		if r.Status != http.StatusOK {
			p.t.Fatalf("the merchant answered %d to %s (%s): %s", r.Status, r.Type, r.Event, r.Error)
		}
	}
}

// releaseRest stops holding and delivers whatever is still held.
func (p *pair) releaseRest() {
	p.t.Helper()
	if err := p.a.Sandbox.Unhold(); err != nil {
		p.t.Fatal(err)
	}
	var ids []string
	for _, h := range p.heldFor() {
		ids = append(ids, h.ID)
	}
	if len(ids) > 0 {
		p.releaseIDs(ids...)
	}
}

// order is the merchant's order for a session (the zero order while there
// is none).
func (p *pair) order(sessionID string) app.Order {
	p.t.Helper()
	var o app.Order
	err := p.b.Store.View(context.Background(), func(tx *store.Tx) (err error) { o, err = tx.OrderByCheckoutSession(sessionID); return })
	if err != nil && !app.IsNotFound(err) {
		p.t.Fatal(err)
	}
	return o
}

// waitStatus waits for the merchant's order of a session to reach status.
func (p *pair) waitStatus(sessionID, status string) app.Order {
	p.t.Helper()
	var o app.Order
	vendotest.WaitFor(p.t, "order of "+sessionID+" "+status, func() bool { o = p.order(sessionID); return o.Status == status })
	return o
}

// licenceOf is the licence key an order came with (the zero licence when
// it never had one: an order that never gave access).
func (p *pair) licenceOf(o app.Order) app.License {
	p.t.Helper()
	var out app.License
	p.b.Store.View(context.Background(), func(tx *store.Tx) error {
		lics, err := tx.LicensesOf(o.CustomerID)
		for _, l := range lics {
			if l.OrderID == o.ID {
				out = l
			}
		}
		return err
	})
	return out
}

// keyWorks reports whether an order's licence key validates at the
// merchant's public API; an order without a key has none that works.
func (p *pair) keyWorks(o app.Order) bool {
	p.t.Helper()
	lic := p.licenceOf(o)
	if lic.Key == "" {
		return false
	}
	if ok := p.validates(lic.Key); ok != (lic.Status == app.LicenseActive) {
		p.t.Errorf("licence %s is %s and validates=%v", lic.Key, lic.Status, ok)
	}
	return lic.Status == app.LicenseActive
}

// validates asks the merchant's public licence API about a key.
func (p *pair) validates(key string) bool {
	p.t.Helper()
	resp, err := http.Post(p.b.URL+"/api/licenses/validate", "application/json", strings.NewReader(`{"key":"`+key+`"}`))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Valid bool `json:"valid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		p.t.Fatal(err)
	}
	return out.Valid
}

// download fetches a download link and returns its status.
func download(t *testing.T, link string) int {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// settledAtA waits, in Stripe mode, until shop A (a shop in its own
// right, on its own webhook) has processed its copies of every event so
// far: a stalled read must be the merchant's, not A's.
func (p *pair) settledAtA() {
	p.t.Helper()
	if p.endpoint == "" {
		return
	}
	vendotest.WaitFor(p.t, "A's own deliveries", func() bool {
		it := p.api.Events.List(&stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(100)}})
		for it.Next() {
			if rec, err := p.a.Store.Event(context.Background(), it.Event().ID); err != nil || !rec.Done() {
				return false
			}
		}
		return it.Err() == nil
	})
}

const iconPack = "field-notes-icon-pack" // a licensed product, $19.00

// TestRefundsInAnyOrder: a refund reaches the shop before its order, with
// it, or after; the buyer's success page comes first or never. Whatever
// the order, the end is Stripe's state: a full refund leaves the order
// refunded, its downloads and licence key revoked, and no receipt (the
// buyer never had the order); a partial refund keeps access and the
// receipt. Today a refund before the order was lost for good.
func TestRefundsInAnyOrder(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pair) {
		for i, tc := range []struct {
			name    string
			amount  int64 // 0: everything
			steps   []string
			status  string
			receipt bool
		}{
			{"a full refund delivered before the order", 0, []string{"charge.refunded", "checkout.session.completed"}, app.OrderRefunded, false},
			{"a full refund delivered after the order", 0, []string{"checkout.session.completed", "charge.refunded"}, app.OrderRefunded, false},
			{"a full refund, then the buyer's success page", 0, []string{"success page", "charge.refunded", "checkout.session.completed"}, app.OrderRefunded, false},
			{"a partial refund delivered before the order", 500, []string{"charge.refunded", "checkout.session.completed"}, app.OrderPartiallyRefunded, true},
		} {
			p.scenario(t, tc.name, func() {
				email := fmt.Sprintf("refund%d@example.com", i)
				p.hold("checkout.session.completed", "charge.refunded")
				id, _ := p.buy(iconPack, email, "4242424242424242", false)
				p.refundAtStripe(id, tc.amount)
				for _, step := range tc.steps {
					if step == "success page" {
						p.b.NewClient().Get("/checkout/success?session_id=" + id)
						continue
					}
					p.release(step)
				}
				o := p.waitStatus(id, tc.status)
				access := tc.status != app.OrderRefunded
				if p.keyWorks(o) != access {
					p.t.Errorf("the licence key works=%v after %s", !access, tc.name)
				}
				if tc.receipt {
					p.mails = append(p.mails, "receipt "+email)
				}
				p.releaseRest()
				p.settle(tc.name)
			})
		}
	})
}

// TestDisputes: a dispute suspends the order's downloads and licence key,
// marks it disputed for the admin and tells the merchant; a won dispute
// gives access back, a lost one takes it like a refund. A dispute that
// comes before the order (Stripe's 0259 card, events in either order)
// makes the order disputed from the start, without a receipt until the
// dispute is won.
func TestDisputes(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pair) {
		p.scenario(t, "disputed after the order, won", func() {
			id, page := p.buy(iconPack, "won@example.com", "4242424242424242", true)
			p.mails = append(p.mails, "receipt won@example.com")
			links := downloadRE.FindAllStringSubmatch(page, -1)
			if len(links) == 0 {
				p.t.Fatal("no download link on the success page")
			}
			p.settle("the purchase")
			o := p.order(id)
			d := p.bank("/charges/"+p.session(id).PaymentIntent.LatestCharge.ID+"/dispute", nil)
			o = p.waitStatus(id, app.OrderDisputed)
			p.mails = append(p.mails, "dispute_opened "+boss)
			p.settle("the dispute")
			if got := download(p.t, links[0][1]); got != http.StatusForbidden {
				p.t.Errorf("a download while disputed: %d, want 403", got)
			}
			if p.keyWorks(o) {
				p.t.Error("the licence key validates while the payment is disputed")
			}
			// The admin sees it: the orders filter, the dashboard, the
			// order page; a disputed order cannot be refunded.
			p.b.Admin.SignInAdmin()
			_, list := p.b.Admin.Get("/admin/orders?status=disputed")
			mustContain(p.t, list, fmt.Sprintf("#%d", o.Number), "status-disputed")
			_, dash := p.b.Admin.Get("/admin")
			mustContain(p.t, dash, "Needs attention", "1 open dispute")
			_, op := p.b.Admin.Get("/admin/orders/" + o.ID)
			mustContain(p.t, op, "disputed this payment", d["id"].(string))
			if resp, _ := p.b.Admin.Submit("/admin/orders/"+o.ID+"/refund", url.Values{"amount_minor": {"100"}}); resp.StatusCode < 400 {
				p.t.Errorf("a disputed order was refunded: %d", resp.StatusCode)
			}

			p.bank("/disputes/"+d["id"].(string)+"/close", url.Values{"outcome": {"won"}})
			p.waitStatus(id, app.OrderPaid)
			p.settle("the dispute won")
			if got := download(p.t, links[0][1]); got != http.StatusOK {
				p.t.Errorf("the same download link after the dispute was won: %d, want 200", got)
			}
			if !p.keyWorks(o) {
				p.t.Error("the licence key does not validate after the dispute was won")
			}
			if _, dash := p.b.Admin.Get("/admin"); !strings.Contains(dash, "0 open disputes") {
				p.t.Error("the dashboard still counts the won dispute")
			}
		})
		p.scenario(t, "disputed after the order, lost", func() {
			id, _ := p.buy(iconPack, "lost@example.com", "4242424242424242", true)
			p.mails = append(p.mails, "receipt lost@example.com")
			d := p.bank("/charges/"+p.session(id).PaymentIntent.LatestCharge.ID+"/dispute", url.Values{"reason": {"product_not_received"}})
			p.waitStatus(id, app.OrderDisputed)
			p.bank("/disputes/"+d["id"].(string)+"/close", url.Values{"outcome": {"lost"}})
			o := p.waitStatus(id, app.OrderDisputeLost)
			p.mails = append(p.mails, "dispute_opened "+boss)
			p.settle("the dispute lost")
			if p.keyWorks(o) {
				p.t.Error("the licence key validates after the dispute was lost")
			}
		})
		for i, first := range []string{"charge.dispute.created", "checkout.session.completed"} {
			p.scenario(t, "card 0259 disputed before the order, "+first+" delivered first", func() {
				email := fmt.Sprintf("chargeback%d@example.com", i)
				p.hold("checkout.session.completed", "charge.dispute.created")
				id, _ := p.buy(iconPack, email, "4000000000000259", false)
				other := map[string]string{"charge.dispute.created": "checkout.session.completed", "checkout.session.completed": "charge.dispute.created"}[first]
				p.release(first, other)
				p.releaseRest()
				o := p.waitStatus(id, app.OrderDisputed)
				p.mails = append(p.mails, "dispute_opened "+boss)
				p.settle("the 0259 purchase")
				if p.keyWorks(o) {
					p.t.Error("a disputed order's licence key validates")
				}
				// Won: access and, now only, the receipt.
				p.bank("/disputes/"+o.Dispute.ID+"/close", url.Values{"outcome": {"won"}})
				o = p.waitStatus(id, app.OrderPaid)
				p.mails = append(p.mails, "receipt "+email)
				p.settle("the dispute won")
				if !p.keyWorks(o) {
					p.t.Error("the licence key does not validate after the dispute was won")
				}
			})
		}
	})
}

// TestFailedRefunds: a refund of Stripe's 5126 card fails an hour after
// it was made; charge.refund.updated says so, and the order gives access
// again, whether or not the shop had seen the refund succeed first.
func TestFailedRefunds(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pair) {
		p.scenario(t, "the refund fails after the shop applied it", func() {
			id, _ := p.buy(iconPack, "unlucky@example.com", "4000000000005126", true)
			p.mails = append(p.mails, "receipt unlucky@example.com")
			p.refundFromAdmin(p.order(id))
			o := p.waitStatus(id, app.OrderRefunded)
			p.mails = append(p.mails, "order_refunded unlucky@example.com")
			p.settle("the refund")
			if p.keyWorks(o) {
				p.t.Error("a refunded order's licence key validates")
			}
			p.a.AdvanceClock("61m")
			o = p.waitStatus(id, app.OrderPaid)
			p.settle("the refund's failure")
			if len(o.Refunds) != 1 || o.Refunds[0].Status != "failed" || o.AmountRefunded != 0 {
				p.t.Errorf("refunds after the failure: %+v, refunded %d", o.Refunds, o.AmountRefunded)
			}
			if !p.keyWorks(o) {
				p.t.Error("the licence key does not validate after the refund failed")
			}
		})
		p.scenario(t, "the failure is delivered before the refund", func() {
			p.hold("charge.refunded", "charge.refund.updated")
			id, _ := p.buy(iconPack, "unlucky2@example.com", "4000000000005126", true)
			p.mails = append(p.mails, "receipt unlucky2@example.com")
			// The purchase's own events first: a checkout.session event
			// still in flight after the refund would re-fetch the payment
			// while its refund still succeeds and rightly mail the buyer,
			// which is the first scenario, not this one.
			p.waitDelivered("the purchase")
			p.refundFromAdmin(p.order(id))
			p.a.AdvanceClock("61m")
			p.release("charge.refund.updated", "charge.refunded")
			p.releaseRest()
			p.settle("the failed refund")
			if o := p.order(id); o.Status != app.OrderPaid || len(o.Refunds) != 1 || o.Refunds[0].Status != "failed" {
				p.t.Errorf("order %s with refunds %+v, want paid with one failed refund", o.Status, o.Refunds)
			}
		})
	})
}

// TestStaleReadsNeverWin: two re-fetches of one object overlap and the
// older answer arrives last (the Stripe stalls it). A plan switch must
// not roll back; an order must not lose a refund.
func TestStaleReadsNeverWin(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pair) {
		p.scenario(t, "a plan switch is not rolled back by an older read", func() {
			c := p.b.NewClient()
			c.SignIn("switcher@example.com")
			c.Subscribe("starter", "month", "4242424242424242")
			p.mails = append(p.mails, "login switcher@example.com", "subscription_started switcher@example.com")
			p.settle("the subscription")
			var sub app.Subscription
			p.b.Store.View(context.Background(), func(tx *store.Tx) error {
				subs, _, err := tx.Subscriptions(store.SubscriptionFilter{Limit: 10})
				for _, s := range subs {
					if s.Status == "active" {
						sub = s
					}
				}
				return err
			})
			p.hold("customer.subscription.updated")
			// A reconciliation reads the subscription (starter); its answer
			// is held up on the way.
			stalled, unstall := p.a.Sandbox.StallRead(sub.StripeID)
			defer unstall()
			synced := make(chan error, 1)
			go func() { _, err := p.b.Sync(context.Background(), nil); synced <- err }()
			select {
			case <-stalled:
			case <-time.After(20 * time.Second):
				p.t.Fatal("the reconciliation never read the subscription")
			}
			// Meanwhile the customer switches to Pro, and the merchant
			// hears of it.
			page := openPortal(p, c)
			var pro app.Plan
			p.b.Store.View(context.Background(), func(tx *store.Tx) (err error) { pro, err = tx.PlanBySlug("pro"); return })
			m := regexpFind(fmt.Sprintf(switchRE, pro.Monthly.StripePriceID), page)
			if m == nil {
				p.t.Fatal("no switch to Pro in the portal")
			}
			if resp, _ := c.Submit(onPage(c, m[1]), url.Values{"subscription": {m[2]}, "price": {pro.Monthly.StripePriceID}}); resp.StatusCode != http.StatusOK {
				p.t.Fatalf("switch: %d", resp.StatusCode)
			}
			released := make(chan struct{})
			go func() { defer close(released); p.release("customer.subscription.updated") }()
			select {
			case <-released: // the shop took the switch before the old answer arrived
			case <-time.After(2 * time.Second): // or waits for it (the fix)
			}
			unstall()
			if err := <-synced; err != nil {
				p.t.Fatal(err)
			}
			<-released
			p.releaseRest()
			p.settle("the plan switch")
		})
		p.scenario(t, "an order does not lose a refund to an older read", func() {
			p.hold("checkout.session.completed", "charge.refunded")
			id, _ := p.buy(iconPack, "racer@example.com", "4242424242424242", false)
			p.settledAtA()
			// The shop reads the order's truth (the session with its payment:
			// paid, nothing refunded); the answer is held up on the way.
			stalled, unstall := p.a.Sandbox.StallRead(id)
			defer unstall()
			first := make(chan struct{})
			go func() { defer close(first); p.release("checkout.session.completed") }()
			select {
			case <-stalled:
			case <-time.After(20 * time.Second):
				p.t.Fatal("the shop never read the payment")
			}
			// Meanwhile the merchant refunds it all, and the shop hears of it.
			p.refundAtStripe(id, 0)
			second := make(chan struct{})
			go func() { defer close(second); p.release("charge.refunded") }()
			select {
			case <-second:
			case <-time.After(2 * time.Second):
			}
			unstall()
			<-first
			<-second
			p.releaseRest()
			// The shop saw it paid, then refunded: a receipt, then the
			// refund notice (never only the receipt).
			p.mails = append(p.mails, "receipt racer@example.com", "order_refunded racer@example.com")
			p.settle("the refund")
			if o := p.order(id); o.Status != app.OrderRefunded {
				p.t.Errorf("order %s, want refunded", o.Status)
			}
		})
	})
}

func openPortal(p *pair, c *vendotest.Client) string {
	p.t.Helper()
	c.Get("/account")
	resp, page := c.Submit("/account/billing-portal", url.Values{})
	if !strings.HasPrefix(resp.Request.URL.String(), p.a.URL+"/sandbox/stripe/portal/bps_") {
		p.t.Fatalf("the portal button went to %s", resp.Request.URL)
	}
	return page
}

func regexpFind(re, s string) []string {
	return regexp.MustCompile(re).FindStringSubmatch(s)
}

// TestSyncCorrectsPaymentsAndListsThem: the merchant never hears of a
// refund or a dispute (its deliveries are held at the Stripe); `vendo
// sync` brings each order to Stripe's state, with its access, and names
// the orders it corrected in its summary. A second sync corrects nothing.
func TestSyncCorrectsPaymentsAndListsThem(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pair) {
		for i, tc := range []struct {
			name   string
			missed string // the event type held back
			act    func(sessionID string)
			status string
			mails  []string
			access bool
		}{
			{"a missed full refund", "charge.refunded", func(id string) { p.refundAtStripe(id, 0) }, app.OrderRefunded, []string{"order_refunded"}, false},
			{"a missed partial refund", "charge.refunded", func(id string) { p.refundAtStripe(id, 700) }, app.OrderPartiallyRefunded, []string{"order_refunded"}, true},
			{"a missed dispute", "charge.dispute.created", func(id string) {
				p.bank("/charges/"+p.session(id).PaymentIntent.LatestCharge.ID+"/dispute", nil)
			}, app.OrderDisputed, []string{"dispute_opened " + boss}, false},
		} {
			p.scenario(t, tc.name, func() {
				email := fmt.Sprintf("synced%d@example.com", i)
				id, _ := p.buy(iconPack, email, "4242424242424242", true)
				p.mails = append(p.mails, "receipt "+email)
				p.settle("the purchase")
				p.hold(tc.missed)
				tc.act(id)
				vendotest.WaitFor(p.t, "the held "+tc.missed, func() bool {
					for _, h := range p.heldFor() {
						if h.Type == tc.missed {
							return true
						}
					}
					return false
				})
				before := p.order(id)
				if before.Status != app.OrderPaid {
					p.t.Fatalf("before the sync the order is %s, want paid (the event was held)", before.Status)
				}
				sum, err := p.b.Sync(context.Background(), nil)
				if err != nil {
					p.t.Fatal(err)
				}
				o := p.order(id)
				if o.Status != tc.status {
					p.t.Errorf("after the sync the order is %s, want %s", o.Status, tc.status)
				}
				if p.keyWorks(o) != tc.access {
					p.t.Errorf("after the sync the licence key works=%v, want %v", !tc.access, tc.access)
				}
				want := fmt.Sprintf("order #%d", o.Number)
				if len(sum.Corrected) != 1 || !strings.Contains(sum.Corrected[0], want) || !strings.Contains(sum.Corrected[0], tc.status) {
					p.t.Errorf("the summary's corrections: %q, want one naming %s (%s)", sum.Corrected, want, tc.status)
				}
				if !strings.Contains(sum.String(), want) {
					p.t.Errorf("the summary does not name %s: %s", want, sum)
				}
				for _, m := range tc.mails {
					if !strings.Contains(m, " ") {
						m += " " + email
					}
					p.mails = append(p.mails, m)
				}
				p.releaseRest()
				p.settle("the sync")
				if sum, err := p.b.Sync(context.Background(), nil); err != nil || len(sum.Corrected) != 0 {
					p.t.Errorf("a second sync: %q %v, want nothing corrected", sum.Corrected, err)
				}
			})
		}
	})
}

// TestPartialRefundOnADebitThatClearedLate: a buyer pays by bank debit
// (the shop's Stripe client sees it processing); the order is pending,
// without access or receipt. The debit clears and the merchant refunds a
// part at once; charge.refunded reaches the shop before
// async_payment_succeeded. The refund is a fact apart from the payment:
// the order is partly refunded and gives access, with one receipt,
// whichever of the two comes first. Before, it stayed blocked.
func TestPartialRefundOnADebitThatClearedLate(t *testing.T) {
	eachMode(t, func(t *testing.T, stripeMode bool) {
		debit := &bankDebit{sessions: map[string]bool{}}
		p := newPairEnv(t, stripeMode, nil, nil, func(s *server.Server) {
			debit.Payments = s.Shop.Stripe
			s.Shop.Stripe = debit
		})
		for i, first := range []string{"charge.refunded", "checkout.session.async_payment_succeeded"} {
			p.scenario(t, first+" first", func() {
				email := fmt.Sprintf("debit%d@example.com", i)
				p.hold("checkout.session.completed", "charge.refunded")
				c := p.browser()
				c.AddToCart(iconPack)
				c.Checkout()
				id := path.Base(c.At.Path)
				debit.mu.Lock()
				debit.sessions[id] = true
				debit.mu.Unlock()
				if resp, _ := c.NoFollow().Post(c.At.String(), url.Values{"email": {email}, "name": {"Test Buyer"}, "card_number": {"4242424242424242"},
					"exp": {"12/34"}, "cvc": {"123"}}); resp.StatusCode != http.StatusSeeOther {
					p.t.Fatalf("pay: %d", resp.StatusCode)
				}
				p.release("checkout.session.completed")
				o := p.waitStatus(id, app.OrderPending)
				if p.keyWorks(o) {
					p.t.Error("a pending order's licence key validates")
				}
				// The debit clears; the merchant refunds $5.00 of it.
				pi := p.session(id).PaymentIntent.ID
				debit.mu.Lock()
				delete(debit.sessions, id)
				delete(debit.pis, pi)
				debit.mu.Unlock()
				p.refundAtStripe(id, 500)
				succeeded := func() {
					res, err := p.b.Ledger.Process(context.Background(), webhook.Event{ID: "evt_cleared_" + id, Type: "checkout.session.async_payment_succeeded",
						ObjectID: id, Created: time.Now()}, "webhook")
					if err != nil || res.Outcome != store.EventApplied {
						p.t.Fatalf("async_payment_succeeded: %+v %v", res, err)
					}
				}
				if first == "charge.refunded" {
					p.release("charge.refunded")
					succeeded()
				} else {
					succeeded()
					p.release("charge.refunded")
				}
				o = p.waitStatus(id, app.OrderPartiallyRefunded)
				if o.PaymentStatus != app.PaymentPaid || o.AmountRefunded != 500 {
					p.t.Errorf("order: payment %s, refunded %d; want paid, 500", o.PaymentStatus, o.AmountRefunded)
				}
				if !p.keyWorks(o) {
					p.t.Error("the partly refunded order's licence key does not validate")
				}
				p.mails = append(p.mails, "receipt "+email)
				p.releaseRest()
				p.settle("the refund")
			})
		}
	})
}

// TestSuccessPageSaysWhatBecameOfTheOrder: the buyer closed the tab
// after paying; by the time they open the success page again the payment
// was refunded in full, or the card's bank disputed it (Stripe's 0259).
// The page says so — no thanks, no receipt on its way, no downloads.
func TestSuccessPageSaysWhatBecameOfTheOrder(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pair) {
		for i, tc := range []struct {
			name, card string
			refund     bool
			says       string
			mail       string
		}{
			{"refunded in full", "4242424242424242", true, "was refunded", ""},
			{"disputed by the bank", "4000000000000259", false, "is disputed", "dispute_opened " + boss},
		} {
			p.scenario(t, tc.name, func() {
				c := p.browser()
				c.AddToCart(iconPack)
				c.Checkout()
				id := path.Base(c.At.Path)
				resp, _ := c.NoFollow().Post(c.At.String(), url.Values{"email": {fmt.Sprintf("closed%d@example.com", i)}, "name": {"Test Buyer"},
					"card_number": {tc.card}, "exp": {"12/34"}, "cvc": {"123"}})
				success := resp.Header.Get("Location")
				if resp.StatusCode != http.StatusSeeOther || !strings.Contains(success, "/checkout/success") {
					p.t.Fatalf("pay: %d to %q", resp.StatusCode, success)
				}
				if tc.refund {
					p.refundAtStripe(id, 0)
				}
				if tc.mail != "" {
					p.mails = append(p.mails, tc.mail)
				}
				_, page := c.Get(success)
				o := p.order(id)
				mustContain(p.t, page, fmt.Sprintf("Order #%d", o.Number), tc.says)
				for _, wrong := range []string{"Thank you", "receipt is on its way", "/downloads/"} {
					if strings.Contains(page, wrong) {
						p.t.Errorf("the success page of an order %s says %q:\n%.1500s", tc.name, wrong, page)
					}
				}
				p.settle(tc.name)
			})
		}
	})
}

// TestSyncCorrectsARefundOlderThanItsWindow: an old bug acknowledged
// charge.refunded with no matching order, so the ledger holds the
// refund's event as applied while the order stays paid; the refund and
// its session are older than the sync's window. `vendo sync` lists
// Stripe's refunds and disputes since the shop's oldest order, brings the
// order to Stripe's state and names it in its summary.
func TestSyncCorrectsARefundOlderThanItsWindow(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pair) {
		ctx := context.Background()
		email := "oldrefund@example.com"
		id, _ := p.buy(iconPack, email, "4242424242424242", true)
		p.mails = append(p.mails, "receipt "+email)
		p.settle("the purchase")
		p.hold("charge.refunded")
		p.refundAtStripe(id, 0)
		var held sandbox.HeldDelivery
		vendotest.WaitFor(p.t, "the held refund", func() bool {
			for _, h := range p.heldFor() {
				if h.Type == "charge.refunded" {
					held = h
					return true
				}
			}
			return false
		})
		now := p.b.Store.Now()
		if err := p.b.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.PutEvent(&store.EventRecord{ID: held.Event, Type: held.Type, ObjectID: held.Object, Created: now,
				ReceivedAt: now, ProcessedAt: now, Outcome: store.EventApplied, Attempts: 1, Source: "webhook"})
		}); err != nil {
			t.Fatal(err)
		}
		// The window starts an hour before the last sync: after the
		// refund, its event and its session.
		if err := p.b.Store.SetLastSync(ctx, now.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if o := p.order(id); o.Status != app.OrderPaid {
			t.Fatalf("before the sync the order is %s, want paid", o.Status)
		}
		sum, err := p.b.Sync(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		o := p.order(id)
		if o.Status != app.OrderRefunded || o.AmountRefunded != o.Total.Amount {
			t.Errorf("after the sync the order is %s, refunded %d of %d; want refunded in full", o.Status, o.AmountRefunded, o.Total.Amount)
		}
		if p.keyWorks(o) {
			t.Error("after the sync the licence key still works")
		}
		want := fmt.Sprintf("order #%d", o.Number)
		if len(sum.Corrected) != 1 || !strings.Contains(sum.Corrected[0], want) || !strings.Contains(sum.Corrected[0], app.OrderRefunded) {
			t.Errorf("the summary's corrections: %q, want one naming %s (refunded)", sum.Corrected, want)
		}
		if !strings.Contains(sum.String(), want) {
			t.Errorf("the summary does not name %s: %s", want, sum)
		}
		p.mails = append(p.mails, "order_refunded "+email)
		p.releaseRest()
		p.settle("the sync")
		if sum, err := p.b.Sync(ctx, nil); err != nil || len(sum.Corrected) != 0 {
			t.Errorf("a second sync: %q %v, want nothing corrected", sum.Corrected, err)
		}
	})
}
