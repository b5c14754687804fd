package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	stripewebhook "github.com/stripe/stripe-go/v76/webhook"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestStorm (issue 15): hundreds of events about purchases, refunds
// before and after fulfilment, disputes (open, won, lost, and Stripe's
// 0259 card), plan switches and objects another app made, each delivered
// three times, shuffled, by 32 senders at once — then once more by the
// Stripe. The merchant ends with every order, entitlement, licence key
// and credit balance equal to what the Stripe says, and each mail sent
// once. It runs in two waves: the first fulfils the purchases, the
// second brings what happened to them afterwards (with the first wave's
// events all over again).
func TestStorm(t *testing.T) {
	eachMode(t, func(t *testing.T, stripeMode bool) {
		// Many buyers, each from an address of their own.
		storm(newPairEnv(t, stripeMode, nil, map[string]string{"VENDO_TRUSTED_PROXIES": "127.0.0.1"}, nil))
	})
}

// storm is TestStorm in one mode.
func storm(p *pair) {
	p.visitors = new(int)
	p.foreign = map[string]bool{}
	p.hold("*") // the Stripe's own deliveries wait until the end

	// Wave 1: purchases (half come back to the success page, half
	// closed the tab) and subscriptions.
	const buyers = 30
	first := make([]string, buyers)
	for i := range first {
		email := fmt.Sprintf("first%d@example.com", i)
		first[i], _ = p.buy(iconPack, email, "4242424242424242", i%2 == 0)
		p.mails = append(p.mails, "receipt "+email)
	}
	var subscribers []*vendotest.Client
	for i := 0; i < 6; i++ {
		email := fmt.Sprintf("member%d@example.com", i)
		c := p.browser()
		c.SignIn(email)
		c.Subscribe("starter", "month", "4242424242424242")
		p.mails = append(p.mails, "login "+email, "subscription_started "+email)
		subscribers = append(subscribers, c)
	}
	p.foreignSale(0)
	n1 := p.storm()

	// Wave 2: what happens to the first purchases after fulfilment,
	// new purchases refunded or disputed before the shop hears of
	// them, plan switches, and another app's sales.
	for i, id := range first {
		email := fmt.Sprintf("first%d@example.com", i)
		switch i % 9 {
		case 0: // refunded in full after fulfilment
			p.refundAtStripe(id, 0)
			p.mails = append(p.mails, "order_refunded "+email)
		case 1: // partly refunded after fulfilment
			p.refundAtStripe(id, 400)
			p.mails = append(p.mails, "order_refunded "+email)
		case 2: // disputed, still open
			p.bank("/charges/"+p.session(id).PaymentIntent.LatestCharge.ID+"/dispute", nil)
			p.mails = append(p.mails, "dispute_opened "+boss)
		case 3, 4: // disputed and ruled on before the shop heard of it
			d := p.bank("/charges/"+p.session(id).PaymentIntent.LatestCharge.ID+"/dispute", nil)
			p.bank("/disputes/"+d["id"].(string)+"/close", url.Values{"outcome": {map[int]string{3: "won", 4: "lost"}[i%9]}})
		}
	}
	for i := 0; i < buyers; i++ {
		email := fmt.Sprintf("second%d@example.com", i)
		card := "4242424242424242"
		if i%6 == 5 {
			card = "4000000000000259" // disputed at once
		}
		id, _ := p.buy(iconPack, email, card, false)
		switch {
		case i%6 == 5:
			p.mails = append(p.mails, "dispute_opened "+boss)
		case i%6 == 0: // refunded in full before fulfilment: never a receipt
			p.refundAtStripe(id, 0)
		case i%6 == 1: // partly refunded before fulfilment
			p.refundAtStripe(id, 900)
			p.mails = append(p.mails, "receipt "+email)
		default:
			p.mails = append(p.mails, "receipt "+email)
		}
	}
	var pro app.Plan
	p.b.Store.View(context.Background(), func(tx *store.Tx) (err error) { pro, err = tx.PlanBySlug("pro"); return })
	for _, c := range subscribers[:3] {
		page := openPortal(p, c)
		m := regexpFind(fmt.Sprintf(switchRE, pro.Monthly.StripePriceID), page)
		if m == nil {
			p.t.Fatal("no switch to Pro in the portal")
		}
		if resp, _ := c.Submit(onPage(c, m[1]), url.Values{"subscription": {m[2]}, "price": {pro.Monthly.StripePriceID}}); resp.StatusCode != http.StatusOK {
			p.t.Fatalf("switch: %d", resp.StatusCode)
		}
	}
	p.foreignSale(1)
	p.foreignSale(2)
	n := p.storm()
	if n < 500 {
		p.t.Errorf("the storm delivered %d events (%d in the first wave), want at least 500", n, n1)
	}
	p.t.Logf("the storm: %d events (%d in the first wave), each delivered three times by 32 senders", n, n1)

	// The Stripe's own deliveries come last, as a fourth copy.
	p.releaseRest()
	p.drained()
	p.settle("the storm")
	p.creditsMatchPlans()
	p.statsMatchRecount()
}

// foreignSale is a sale another app makes on the same Stripe account: a
// Checkout session for a product the shop does not sell, paid.
func (p *pair) foreignSale(i int) {
	p.t.Helper()
	sess, err := p.api.CheckoutSessions.New(&stripe.CheckoutSessionParams{
		Mode: stripe.String("payment"), SuccessURL: stripe.String("https://elsewhere.example/thanks"), CancelURL: stripe.String("https://elsewhere.example/"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{Quantity: stripe.Int64(1), PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
			Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900), ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String("Their ebook")}}}},
	})
	if err != nil {
		p.t.Fatal(err)
	}
	resp, _ := p.a.NewClient().NoFollow().Post(sess.URL, url.Values{"email": {fmt.Sprintf("their%d@example.com", i)}, "name": {"Their Buyer"},
		"card_number": {"4242 4242 4242 4242"}, "exp": {"12/34"}, "cvc": {"123"}})
	if resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("paying their session: %d", resp.StatusCode)
	}
	p.foreign[sess.ID] = true
}

// storm delivers every event the Stripe has made so far to the merchant
// three times, shuffled, from 32 senders at once, each signed as the
// Stripe signs it; every delivery must be answered 200. It returns the
// number of events.
func (p *pair) storm() int {
	p.t.Helper()
	events := p.rawEvents()
	secret := p.b.Config.StripeWebhookSecret
	if secret == "" {
		secret = p.a.Sandbox.WebhookSecret()
	}
	var copies [][]byte
	for _, ev := range events {
		copies = append(copies, ev, ev, ev)
	}
	rand.Shuffle(len(copies), func(i, j int) { copies[i], copies[j] = copies[j], copies[i] })
	work := make(chan []byte)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for payload := range work {
				sig := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()}).Header
				req, _ := http.NewRequest(http.MethodPost, p.b.URL+"/webhooks/stripe", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Stripe-Signature", sig)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%d %s", resp.StatusCode, body))
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range copies {
		work <- c
	}
	close(work)
	wg.Wait()
	if len(failures) > 0 {
		p.t.Fatalf("%d of %d deliveries were not answered 200, first: %s", len(failures), len(copies), failures[0])
	}
	return len(events)
}

// rawEvents lists every event at the Stripe as it sent it.
func (p *pair) rawEvents() [][]byte {
	p.t.Helper()
	var out [][]byte
	after := ""
	for {
		u := p.a.URL + "/sandbox/stripe/v1/events?limit=100"
		if after != "" {
			u += "&starting_after=" + after
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+p.a.Sandbox.SecretKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			p.t.Fatal(err)
		}
		var page struct {
			Data    []json.RawMessage `json:"data"`
			HasMore bool              `json:"has_more"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			p.t.Fatalf("list events: %d %v", resp.StatusCode, err)
		}
		for _, raw := range page.Data {
			var ev struct {
				ID string `json:"id"`
			}
			json.Unmarshal(raw, &ev)
			after = ev.ID
			out = append(out, raw)
		}
		if !page.HasMore || len(page.Data) == 0 {
			return out
		}
	}
}

// creditsMatchPlans: nobody spent a credit, so each active subscription's
// balance is its plan's monthly allowance at the Stripe — Pro's after a
// switch, whatever order the shop heard of it in.
// statsMatchRecount: the dashboard's aggregates, kept in the storm's
// transactions, equal a recount of the records the storm left, and saw
// its purchases, refunds and disputes.
func (p *pair) statsMatchRecount() {
	p.t.Helper()
	err := p.b.Store.View(context.Background(), func(tx *store.Tx) error {
		kept, err := tx.StatsSince(time.Time{})
		if err != nil {
			return err
		}
		recounted, err := tx.RecountStats()
		if err != nil {
			return err
		}
		if !kept.Equal(recounted) {
			return fmt.Errorf("kept %+v, recounted %+v", kept, recounted)
		}
		orders, refunded := 0, false
		for _, b := range kept.Buckets {
			orders += b.Orders
			if s := b.Sales["usd"]; s.Orders > 0 && s.Net%1900 != 0 { // a part refund
				refunded = true
			}
		}
		if orders < 50 || !refunded || len(kept.Subscriptions.Active) == 0 {
			return fmt.Errorf("the aggregates missed the storm: %d orders, a part refund %v, subscriptions %+v",
				orders, refunded, kept.Subscriptions)
		}
		return nil
	})
	if err != nil {
		p.t.Errorf("dashboard aggregates after the storm: %v", err)
	}
}

func (p *pair) creditsMatchPlans() {
	p.t.Helper()
	ctx := context.Background()
	var subs []app.Subscription
	p.b.Store.View(ctx, func(tx *store.Tx) (err error) {
		subs, _, err = tx.Subscriptions(store.SubscriptionFilter{Limit: 1000})
		return err
	})
	for _, s := range subs {
		if !app.ActiveStatus(s.Status) {
			continue
		}
		them, err := p.api.Subscriptions.Get(s.StripeID, nil)
		if err != nil {
			p.t.Fatal(err)
		}
		var plan app.Plan
		p.b.Store.View(ctx, func(tx *store.Tx) (err error) {
			plan, _, err = tx.PlanByStripePrice(them.Items.Data[0].Price.ID)
			return err
		})
		st, err := p.b.Shop.Credits(ctx, s.CustomerID)
		if err != nil || st == nil {
			p.t.Fatalf("credits of %s: %v", s.StripeID, err)
		}
		if st.Balance != plan.Credits || st.Plan.ID != plan.ID {
			p.t.Errorf("subscription %s on %s at the Stripe: %d credits on %s, want %d", s.StripeID, plan.Slug, st.Balance, st.Plan.Slug, plan.Credits)
		}
	}
}

// drained waits until the Stripe has made every delivery. In Stripe mode
// it is a shop too, and delivers every event to its own webhook one at a
// time: hundreds of them take a while on a loaded machine, so the wait
// lasts as long as deliveries keep going out and fails only when none
// has gone out for a minute.
func (p *pair) drained() {
	p.t.Helper()
	last, progress := int64(-1), time.Now()
	for {
		pending := int64(p.undelivered())
		switch {
		case pending == 0:
			return
		case last < 0 || pending < last:
			last, progress = pending, time.Now()
		case time.Since(progress) > time.Minute:
			p.t.Fatalf("the Stripe has made no delivery for a minute, %d still to go", pending)
		}
		time.Sleep(time.Second)
	}
}
