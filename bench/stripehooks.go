package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/sandbox"
	"vendo/app/store"
)

// Scenario 7: webhooks whose handler re-fetches its object from Stripe.
// The shop runs in Stripe mode against a stand-in in this process: the
// sandbox's API (app/sandbox, Stripe's wire format) behind a delay on
// every GET, so each re-fetch costs what a round trip to Stripe costs.
// The sessions and subscriptions are real ones the shop created through
// its own pages (cart → Checkout, plan → Checkout) and the sandbox's
// hosted Checkout paid; then the senders deliver signed
// checkout.session.completed and customer.subscription.updated events
// about them.
const (
	stripeLatency    = 20 * time.Millisecond
	stripeSessions   = 2000 // paid checkout sessions made before the run
	stripeSubs       = 500  // paid subscriptions (one per signed-in customer)
	stripeSetupConns = 16
	// Of the deliveries, about 5% repeat an acknowledged event (as in
	// scenario 2) and about 10% are a second, new event about an object
	// already announced: the two take turns on the object's lock, and the
	// stored state must still be Stripe's.
	againShare = 0.10
)

// standin is the Stripe the shop talks to in scenario 7.
type standin struct {
	sb    *sandbox.Sandbox
	app   *fiber.App
	url   string
	delay atomic.Int64 // added to every API GET while set
	gets  atomic.Int64
}

func startStandin(dir string) (*standin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &standin{url: "http://" + ln.Addr().String()}
	s.sb, err = sandbox.Open(sandbox.Config{Path: filepath.Join(dir, "stripe-standin.db"), BaseURL: s.url,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.app = fiber.New(fiber.Config{DisableStartupMessage: true})
	g := s.app.Group("/sandbox/stripe", func(c *fiber.Ctx) error {
		if c.Method() == fiber.MethodGet && strings.Contains(c.Path(), "/v1/") {
			s.gets.Add(1)
			if d := time.Duration(s.delay.Load()); d > 0 {
				time.Sleep(d)
			}
		}
		return c.Next()
	})
	s.sb.Mount(g)
	go s.app.Listener(ln)
	return s, nil
}

func (s *standin) close() {
	s.app.Shutdown()
	s.sb.Close()
}

// stripeHookResult is scenario 7's outcome.
type stripeHookResult struct {
	sessions, subs    int // objects made before the run
	newEvents         int64
	again, repeats    int64
	elapsed           time.Duration
	rate              float64
	gets              int64 // API GETs the stand-in answered during the run
	sentSessions      map[string]bool
	sentSubs          map[string]bool
	orders, subsFound int // effects in the store after a clean stop
	lost, duplicated  int
	wrong             int // an order or subscription whose state is not Stripe's
}

var (
	productIDRE = regexp.MustCompile(`name="product" value="(prod_[a-z0-9]+)"`)
	csrfRE      = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	planSlugRE  = regexp.MustCompile(`name="plan" value="([^"]+)"`)
)

// seedStripeBench adds what scenario 7 needs to the stopped shop's store:
// a plan, and a signed-in session for each of n customers.
func seedStripeBench(ctx context.Context, dbPath string, n int) (cookies, emails []string, err error) {
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	err = st.Update(ctx, func(tx *store.Tx) error {
		plan := app.Plan{Slug: "bench-pro", Name: "Bench Pro", Tagline: "For the benchmark", Credits: 10,
			Monthly: app.PlanPrice{Price: app.Money{Amount: 1500, Currency: "usd"}}, Yearly: app.PlanPrice{Price: app.Money{Amount: 15000, Currency: "usd"}}}
		if err := tx.PutPlan(&plan); err != nil {
			return err
		}
		all, _, err := tx.Customers(store.CustomerFilter{Limit: n + 1})
		if err != nil {
			return err
		}
		var custs []app.Customer
		for _, c := range all {
			if c.Email != adminEmail && len(custs) < n {
				custs = append(custs, c)
			}
		}
		if len(custs) < n {
			return fmt.Errorf("%d customers, %d wanted", len(custs), n)
		}
		for _, c := range custs {
			// The seeded customers' Stripe ids are made up: the shop
			// makes a real one at their first Checkout.
			c.StripeCustomerID = ""
			if err := tx.PutCustomer(&c); err != nil {
				return err
			}
			sess := app.Session{ID: randomHex(rng, 32), CustomerID: c.ID, CSRF: randomHex(rng, 32),
				LastSeenAt: tx.Now(), ExpiresAt: tx.Now().Add(24 * time.Hour)}
			if err := tx.PutSession(&sess); err != nil {
				return err
			}
			cookies, emails = append(cookies, sess.ID), append(emails, c.Email)
		}
		return nil
	})
	return cookies, emails, err
}

// buyer is one browser: its own cookies and its own address (the shop
// trusts the loopback proxy's X-Forwarded-For in this scenario, so its
// per-address limit of 20 checkouts a minute holds per buyer), redirects
// not followed.
func buyer(shopURL string, cookie string, n int) *http.Client {
	jar, _ := cookiejar.New(nil)
	if cookie != "" {
		u, _ := url.Parse(shopURL)
		jar.SetCookies(u, []*http.Cookie{{Name: "vendo_session", Value: cookie, Path: "/"}})
	}
	ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: forwardedFor{ip},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

func getPage(c *http.Client, u string) (string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return string(b), err
}

// postForm posts and expects a 303, returning where it points.
func postForm(c *http.Client, u string, form url.Values) (string, error) {
	resp, err := c.PostForm(u, form)
	if err != nil {
		return "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		return "", fmt.Errorf("POST %s: %s\n%.400s", u, resp.Status, b)
	}
	return resp.Header.Get("Location"), nil
}

// pay fills in the stand-in's hosted Checkout and returns the session id.
func pay(c *http.Client, checkoutURL, email string) (string, error) {
	i := strings.LastIndex(checkoutURL, "/checkout/")
	if i < 0 {
		return "", fmt.Errorf("the shop sent the buyer to %q, not to a Checkout", checkoutURL)
	}
	id := checkoutURL[i+len("/checkout/"):]
	if _, err := postForm(c, checkoutURL, url.Values{"email": {email}, "name": {"Bench Buyer"}, "card_number": {"4242424242424242"},
		"exp": {"12/34"}, "cvc": {"123"}}); err != nil {
		return "", fmt.Errorf("pay %s: %w", id, err)
	}
	return id, nil
}

// buyOne puts one product in a new cart, checks out and pays.
func buyOne(shopURL, slug string, n int) (string, error) {
	c := buyer(shopURL, "", n)
	page, err := getPage(c, shopURL+"/products/"+slug)
	if err != nil {
		return "", err
	}
	m, tok := productIDRE.FindStringSubmatch(page), csrfRE.FindStringSubmatch(page)
	if m == nil || tok == nil {
		return "", fmt.Errorf("no add-to-cart form on %s", slug)
	}
	if _, err := postForm(c, shopURL+"/cart/items", url.Values{"product": {m[1]}, "quantity": {"1"}, "_csrf": {tok[1]}}); err != nil {
		return "", err
	}
	if page, err = getPage(c, shopURL+"/cart"); err != nil {
		return "", err
	}
	if tok = csrfRE.FindStringSubmatch(page); tok == nil {
		return "", errors.New("no CSRF token on the cart")
	}
	to, err := postForm(c, shopURL+"/checkout", url.Values{"_csrf": {tok[1]}})
	if err != nil {
		return "", err
	}
	return pay(c, to, fmt.Sprintf("buyer%06d@bench.example", n))
}

// subscribeOne subscribes a signed-in customer to the plan and pays; it
// returns the subscription's id, read from the paid session.
func subscribeOne(st *standin, shopURL, cookie, email string, n int) (string, error) {
	c := buyer(shopURL, cookie, n)
	page, err := getPage(c, shopURL+"/plans?interval=month")
	if err != nil {
		return "", err
	}
	tok, plan := csrfRE.FindStringSubmatch(page), planSlugRE.FindStringSubmatch(page)
	if tok == nil || plan == nil {
		return "", errors.New("no subscribe form on /plans")
	}
	to, err := postForm(c, shopURL+"/subscribe", url.Values{"_csrf": {tok[1]}, "plan": {plan[1]}, "interval": {"month"}})
	if err != nil {
		return "", err
	}
	id, err := pay(c, to, email)
	if err != nil {
		return "", err
	}
	req, _ := http.NewRequest(http.MethodGet, st.url+"/sandbox/stripe/v1/checkout/sessions/"+id, nil)
	req.SetBasicAuth(st.sb.SecretKey(), "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var sess struct {
		Subscription string `json:"subscription"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil || sess.Subscription == "" {
		return "", fmt.Errorf("session %s has no subscription (%v)", id, err)
	}
	return sess.Subscription, nil
}

// makeObjects runs fn for i in [0, n) on stripeSetupConns workers.
func makeObjects(ctx context.Context, n int, fn func(i int) (string, error)) ([]string, error) {
	out := make([]string, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < stripeSetupConns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && firstErr.Load() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				id, err := fn(i)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				out[i] = id
			}
		}()
	}
	wg.Wait()
	if v := firstErr.Load(); v != nil {
		return nil, v.(error)
	}
	return out, ctx.Err()
}

// stripeEvent is a signed-event body about one object.
func stripeEvent(id, typ, objectID, object string, created time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2023-10-16", "created": created.Unix(), "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{"id": objectID, "object": object}}, "type": typ,
		"request": map[string]any{"id": nil, "idempotency_key": nil},
	})
	return b
}

// runStripeHooks is scenario 7 on a shop already running against st,
// with sessions and subs made: 32 senders for d, each delivery a new
// event about the next object not yet announced, a new event about one
// already announced (againShare) or a repeat (repeatShare).
func runStripeHooks(ctx context.Context, st *standin, addr, secret string, sessions, subs []string, d time.Duration) (*stripeHookResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: webhookSenders, MaxConnsPerHost: webhookSenders}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()
	res := &stripeHookResult{sessions: len(sessions), subs: len(subs), sentSessions: map[string]bool{}, sentSubs: map[string]bool{}}
	type object struct{ id, kind string }
	var objs []object // interleaved in proportion, so both kinds run all along
	for i, j := 0, 0; i < len(sessions) || j < len(subs); {
		if j < len(subs) && (i >= len(sessions) || j*len(sessions) <= i*len(subs)) {
			objs, j = append(objs, object{subs[j], "subscription"}), j+1
		} else {
			objs, i = append(objs, object{sessions[i], "checkout.session"}), i+1
		}
	}
	var nextObj atomic.Int64
	var newEvents, again, repeats, errs atomic.Int64
	var firstErr atomic.Value
	var mu sync.Mutex
	url := "http://" + addr + "/webhooks/stripe"
	st.delay.Store(int64(stripeLatency))
	defer st.delay.Store(0)
	gets0 := st.gets.Load()
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for s := 0; s < webhookSenders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(s), 79))
			type sent struct {
				id   string
				body []byte
				obj  object
			}
			var mine []sent
			for n := 0; time.Now().Before(end) && ctx.Err() == nil; n++ {
				var ev sent
				kind := "new"
				switch r := rng.Float64(); {
				case len(mine) > 0 && r < repeatShare:
					ev, kind = mine[rng.IntN(len(mine))], "repeat"
				case len(mine) > 0 && r < repeatShare+againShare:
					o := mine[rng.IntN(len(mine))].obj
					ev, kind = sent{id: fmt.Sprintf("evt_sbench_%02d_%07d", s, n), obj: o}, "again"
				default:
					i := int(nextObj.Add(1)) - 1
					if i >= len(objs) {
						return // every object announced: the run ends early
					}
					ev.id, ev.obj = fmt.Sprintf("evt_sbench_%02d_%07d", s, n), objs[i]
				}
				if ev.body == nil {
					typ := "checkout.session.completed"
					if ev.obj.kind == "subscription" {
						typ = "customer.subscription.updated"
					}
					ev.body = stripeEvent(ev.id, typ, ev.obj.id, ev.obj.kind, time.Now())
				}
				ans, err := deliver(ctx, client, url, secret, ev.body)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				switch {
				case kind == "repeat" && ans.Duplicate:
					repeats.Add(1)
				case kind == "repeat" || ans.Duplicate || ans.Outcome != store.EventApplied:
					errs.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("event %s (%s about %s): outcome %q, duplicate %v", ev.id, kind, ev.obj.id, ans.Outcome, ans.Duplicate))
				case kind == "again":
					again.Add(1)
				default:
					newEvents.Add(1)
					mine = append(mine, ev)
					mu.Lock()
					if ev.obj.kind == "subscription" {
						res.sentSubs[ev.obj.id] = true
					} else {
						res.sentSessions[ev.obj.id] = true
					}
					mu.Unlock()
				}
			}
		}(s)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.gets = st.gets.Load() - gets0
	res.newEvents, res.again, res.repeats = newEvents.Load(), again.Load(), repeats.Load()
	res.rate = float64(res.newEvents+res.again) / res.elapsed.Seconds()
	if v := firstErr.Load(); v != nil {
		return res, fmt.Errorf("webhook deliveries failed (%d), first: %s", errs.Load(), v)
	}
	return res, nil
}

// checkEffects opens the stopped shop's store: one paid order per
// announced session and one active subscription per announced
// subscription, none for objects never announced.
func checkEffects(ctx context.Context, dbPath string, r *stripeHookResult, sessions, subs []string) error {
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	return st.View(ctx, func(tx *store.Tx) error {
		orders, _, err := tx.Orders(store.OrderFilter{})
		if err != nil {
			return err
		}
		perSession := map[string]int{}
		for _, o := range orders {
			if strings.HasPrefix(o.CheckoutSessionID, "cs_bench_") {
				continue // the seeded history
			}
			perSession[o.CheckoutSessionID]++
			if o.Status != app.OrderPaid {
				r.wrong++
			}
		}
		for _, id := range sessions {
			n := perSession[id]
			switch {
			case r.sentSessions[id] && n == 0:
				r.lost++
			case n > 1:
				r.duplicated += n - 1
			case !r.sentSessions[id] && n > 0:
				r.wrong++ // an effect of an event never acknowledged
			}
			if n > 0 {
				r.orders++
			}
		}
		perSub := map[string]int{}
		err = tx.ForEachSubscription(func(s *app.Subscription) error {
			perSub[s.StripeID]++
			if s.Status != "active" {
				r.wrong++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range subs {
			n := perSub[id]
			switch {
			case r.sentSubs[id] && n == 0:
				r.lost++
			case n > 1:
				r.duplicated += n - 1
			case !r.sentSubs[id] && n > 0:
				r.wrong++
			}
			if n > 0 {
				r.subsFound++
			}
		}
		return nil
	})
}

// stripeScenario makes the objects through the shop's pages, runs the
// senders and counts the effects after a clean stop.
func stripeScenario(ctx context.Context, bin string, env []string, dataDir, tmp, addr, whsec string, slugs []string, d time.Duration) (*stripeHookResult, error) {
	dbPath := filepath.Join(dataDir, "vendo.db")
	cookies, emails, err := seedStripeBench(ctx, dbPath, stripeSubs)
	if err != nil {
		return nil, fmt.Errorf("seed a plan and sessions: %w", err)
	}
	st, err := startStandin(tmp)
	if err != nil {
		return nil, err
	}
	defer st.close()
	// Later entries win: Stripe mode against the stand-in, with the
	// bench's webhook secret (the bench signs the events).
	env = append(env, "STRIPE_SECRET_KEY="+st.sb.SecretKey(), "STRIPE_API_BASE="+st.url+"/sandbox/stripe", "STRIPE_WEBHOOK_SECRET="+whsec,
		"VENDO_BASE_URL=http://"+addr, "VENDO_TRUSTED_PROXIES=127.0.0.1")
	p, _, err := start(ctx, "vendo", bin, nil, env, addr)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	shopURL := "http://" + addr
	logf("webhooks calling Stripe: making %d paid checkout sessions and %d subscriptions through the shop's pages", stripeSessions, stripeSubs)
	t0 := time.Now()
	sessions, err := makeObjects(ctx, stripeSessions, func(i int) (string, error) { return buyOne(shopURL, slugs[i%len(slugs)], i) })
	if err != nil {
		return nil, fmt.Errorf("buy: %w\n%s", err, p.logTail())
	}
	// The first subscribe makes the plan's Stripe Product, Prices and
	// portal configuration, and each of those writes rebuilds the search
	// index; 16 first subscribes at once each did it, one after the
	// other, and the last ones ran past the buyers' 30 s timeout on a
	// loaded machine. One goes first, alone; the others find the prices.
	first, err := subscribeOne(st, shopURL, cookies[0], emails[0], stripeSessions)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w\n%s", err, p.logTail())
	}
	subs, err := makeObjects(ctx, stripeSubs-1, func(i int) (string, error) {
		return subscribeOne(st, shopURL, cookies[i+1], emails[i+1], stripeSessions+i+1)
	})
	subs = append([]string{first}, subs...)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w\n%s", err, p.logTail())
	}
	logf("  made in %s; %d senders for %s, Stripe %s away", time.Since(t0).Round(time.Millisecond), webhookSenders, d, stripeLatency)
	res, err := runStripeHooks(ctx, st, addr, whsec, sessions, subs, d)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, p.logTail())
	}
	if err := p.stop(); err != nil {
		return nil, err
	}
	if err := checkEffects(ctx, dbPath, res, sessions, subs); err != nil {
		return nil, fmt.Errorf("count the effects: %w", err)
	}
	logf("  %s events/s (%s new, %s second, %s repeats in %s; %.2f GETs per event); %d orders, %d subscriptions; lost %d, duplicated %d, wrong %d",
		fmtCount(res.rate), fmtCount(float64(res.newEvents)), fmtCount(float64(res.again)), fmtCount(float64(res.repeats)),
		res.elapsed.Round(time.Millisecond), float64(res.gets)/float64(res.newEvents+res.again), res.orders, res.subsFound, res.lost, res.duplicated, res.wrong)
	return res, nil
}
