// Command bench is `make bench`: it seeds a large shop (10,000 products,
// 1,000 customers, 5,000 orders) in a temp data directory, starts the
// release binary on it in Stripe mode, and measures each scenario of
// issue 10 beside a baseline taken in the same run — a bare Fiber handler
// built with the same flags (bench/baseline), raw bbolt, a plain scan, an
// empty shop — so the ratios hold on a shared, noisy machine. Issue 21
// added scenario 7 (webhooks whose handler re-fetches from a Stripe 20 ms
// away, stripehooks.go) and the growth table (shops of 1k, 10k and, with
// -scale 100000, 100k products, growth.go). The tables are printed and
// written to bench/results.md.
//
//	go run ./bench -bin ./vendo [-baseline .bin/bench-baseline] [-scale 100000]
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	var o options
	bin := flag.String("bin", "./vendo", "the release binary to measure (make build)")
	flag.StringVar(&o.baseline, "baseline", "", "the bare-Fiber baseline binary (make bench builds it); empty: build ./bench/baseline into the temp directory")
	out := flag.String("out", "bench/results.md", "where to write the results table (empty: do not write)")
	flag.DurationVar(&o.dur, "d", 3*time.Second, "length of each load run: pages (5 alternating rounds per side and page set) and webhooks (3 per side)")
	flag.IntVar(&o.conns, "c", 64, "connections for the page load")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp data directory")
	flag.BoolVar(&o.goLoad, "go-load", false, "use the Go load generator even when wrk is installed")
	flag.IntVar(&o.scale, "scale", 0, "also measure the growth table at this many products (100000: 100k products, 10k customers, 100k orders); the table always has 1k and 10k")
	flag.StringVar(&o.rows, "rows", "", `only the page rows whose name contains this ("signed in", "gzip"); all when empty`)
	only := flag.String("only", "", "comma-separated scenarios to run (pages,webhooks,downloads,search,startup,bucket,stripe,growth); all when empty")
	flag.Parse()
	o.only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.only[s] = true
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *out, o); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// buildBaseline builds bench/baseline into dir the way `make build` builds
// Vendo (static, trimmed, stripped), for `go run ./bench` without make.
func buildBaseline(dir string) (string, error) {
	bin := filepath.Join(dir, "bench-baseline")
	logf("building the baseline (bench/baseline)")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "vendo/bench/baseline")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the baseline: %w\n%s", err, out)
	}
	return bin, nil
}

func logf(format string, a ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

// options are the command line's knobs.
type options struct {
	baseline string // the baseline binary; built when empty
	dur      time.Duration
	conns    int
	keep     bool
	goLoad   bool
	only     map[string]bool // scenarios to run; all when empty
	scale    int             // the largest shop of the growth table (-scale)
	rows     string          // only the page rows whose name contains it; all when empty
}

func (o options) want(s string) bool { return len(o.only) == 0 || o.only[s] }

const (
	pageRounds    = 5 // alternating load runs per side and page set
	webhookRounds = 3 // alternating webhook runs per side
	downloadRuns  = 7 // alternating 1 GiB transfers per side
)

func run(ctx context.Context, bin, outFile string, o options) (err error) {
	began := time.Now()
	bin, err = filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("no binary at %s: run `make build` first (%v)", bin, err)
	}
	tmp, err := os.MkdirTemp("", "vendo-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("temp directory %s (kept)", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()

	rep := &report{}
	ld := &loader{conns: o.conns, threads: 2, duration: o.dur, tmp: tmp}
	if path, err := exec.LookPath("wrk"); err == nil && !o.goLoad {
		ld.wrk = path
	} else if err != nil && o.want("pages") {
		msg := "NOTE: wrk is not installed (apt-get install -y wrk failed or was skipped): the page load uses the Go load generator in bench/load.go instead."
		fmt.Println(msg)
		rep.note("%s", strings.TrimPrefix(msg, "NOTE: "))
	}

	// Seed.
	dataDir, emptyDir := filepath.Join(tmp, "data"), filepath.Join(tmp, "empty")
	t0 := time.Now()
	data, err := seed(ctx, dataDir, defaultSize)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	logf("seeded %s products, %s customers, %s orders and a 1 GiB sparse file in %s (database %.1f MiB)",
		fmtCount(numProducts), fmtCount(numCustomers), fmtCount(numOrders), time.Since(t0).Round(time.Millisecond), float64(data.dbBytes)/(1<<20))

	// 4. Search, in-process, before any server competes for the CPU.
	if o.want("search") {
		logf("search: %d queries over %s active products", len(searchQueries), fmtCount(float64(len(data.products))))
		sr := runSearch(data.products, 200)
		logf("  index p50 %s, p99 %s, build %s; scan p50 %s, p99 %s", fmtDur(sr.p50), fmtDur(sr.p99), fmtDur(sr.build), fmtDur(sr.scanP50), fmtDur(sr.scanP99))
		rep.add(row{Scenario: fmt.Sprintf("4. search, %s products", fmtCount(float64(sr.docs))), Measure: "p50 latency", Vendo: fmtDur(sr.p50),
			Baseline: fmtDur(sr.scanP50) + " (substring scan)", Ratio: ratio(float64(sr.p50), float64(sr.scanP50))},
			row{Measure: "p99 latency", Vendo: fmtDur(sr.p99), Baseline: fmtDur(sr.scanP99), Ratio: ratio(float64(sr.p99), float64(sr.scanP99))},
			row{Measure: "index build", Vendo: fmtDur(sr.build), Ratio: math.NaN()})
		rep.note("Search (in-process, app/search): %s searches of %d typical queries, limit %d as the catalog asks; the baseline is a case-insensitive substring scan over pre-lowered title, summary and description. The build is the median of 5.",
			fmtCount(float64(sr.searches)), sr.queries, searchLimit)
	}

	// 5. Start-up: the large shop against an empty one, alternately; the
	// last large start serves the other scenarios.
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	closedAddr, err := freeAddr() // nothing listens: a Stripe call fails fast
	if err != nil {
		return err
	}
	var sec [16]byte
	rand.Read(sec[:])
	whsec := "whsec_bench" + hex.EncodeToString(sec[:])
	env := func(dir string) []string {
		return []string{"VENDO_ADDR=" + addr, "VENDO_DATA=" + dir, "VENDO_BASE_URL=", "VENDO_SECRET=", "VENDO_ADMIN_EMAILS=" + adminEmail, "VENDO_TRUSTED_PROXIES=",
			"VENDO_LOG_LEVEL=warn", "VENDO_LOG_FORMAT=text", "VENDO_SYNC_INTERVAL=0", "VENDO_DEV=", "SMTP_URL=",
			"STRIPE_SECRET_KEY=sk_test_bench", "STRIPE_WEBHOOK_SECRET=" + whsec, "STRIPE_API_BASE=http://" + closedAddr,
			"GITHUB_KEY=", "GITHUB_SECRET=", "GOOGLE_KEY=", "GOOGLE_SECRET=", "OIDC_ISSUER=", "OIDC_KEY=", "OIDC_SECRET="}
	}
	starts := 1
	if o.want("startup") {
		starts = 3
		logf("start-up: exec to the first 200 on /healthz, %d times each, alternating with an empty shop", starts)
	}
	var upLarge, upEmpty []time.Duration
	var rssLarge, rssEmpty []int64
	var vendo *proc
	for i := 0; i < starts; i++ {
		for _, large := range []bool{false, true} {
			if !large && !o.want("startup") {
				continue
			}
			dir := emptyDir
			if large {
				dir = dataDir
			}
			p, took, err := start(ctx, "vendo", bin, nil, env(dir), addr)
			if err != nil {
				return err
			}
			time.Sleep(time.Second)
			rss, err := rssKiB(p.pid())
			if err != nil {
				p.stop()
				return err
			}
			if large {
				upLarge, rssLarge = append(upLarge, took), append(rssLarge, rss)
			} else {
				upEmpty, rssEmpty = append(upEmpty, took), append(rssEmpty, rss)
			}
			if large && i == starts-1 {
				vendo = p
				procs = append(procs, p)
				continue
			}
			if err := p.stop(); err != nil {
				return err
			}
		}
	}
	if o.want("startup") {
		logf("  large shop %s (idle RSS %s), empty shop %s (idle RSS %s)", fmtDur(median(upLarge)), fmtKiB(median(rssLarge)),
			fmtDur(median(upEmpty)), fmtKiB(median(rssEmpty)))
		rep.add(row{Scenario: "5. start-up, large data set", Measure: "exec → first 200 /healthz", Vendo: fmtDur(median(upLarge)),
			Baseline: fmtDur(median(upEmpty)) + " (empty shop)", Ratio: ratio(float64(median(upLarge)), float64(median(upEmpty)))},
			row{Measure: "idle RSS", Vendo: fmtKiB(median(rssLarge)), Baseline: fmtKiB(median(rssEmpty)),
				Ratio: ratio(float64(median(rssLarge)), float64(median(rssEmpty)))})
		rep.note("Start-up: median of %d, alternating with the same binary on an empty data directory; Stripe mode (no demo seeding, no Stripe call); idle RSS 1 s after the first 200.", starts)
	}

	// The baseline server: the same page bytes from memory, the same file.
	sets := pageSets(data)
	if o.rows != "" {
		sets = slices.DeleteFunc(sets, func(s pageSet) bool { return !strings.Contains(s.name, o.rows) })
	}
	bodies, err := fetchBodies(addr, tmp, sets)
	if err != nil {
		return fmt.Errorf("fetch pages: %w", err)
	}
	baseAddr, err := freeAddr()
	if err != nil {
		return err
	}
	baseBin := o.baseline
	if baseBin == "" {
		if baseBin, err = buildBaseline(tmp); err != nil {
			return err
		}
	}
	baseArgs := []string{"-addr", baseAddr, "-file", data.bigFile}
	for _, b := range bodies {
		baseArgs = append(baseArgs, "-body", b)
	}
	base, _, err := start(ctx, "baseline", baseBin, baseArgs, nil, baseAddr)
	if err != nil {
		return err
	}
	procs = append(procs, base)

	// 1. Pages.
	if o.want("pages") {
		logf("pages: anonymous visitors, %s, %d rounds per side", ld.name(), pageRounds)
		pages, err := runPages(ld, pageRounds, addr, baseAddr, sets, bodies)
		if err != nil {
			return err
		}
		var rows []row
		for _, p := range pages {
			name := fmt.Sprintf("1. %s, %.1f KiB", p.set.name, float64(p.bytes)/1024)
			rr := ratio(p.vendo.RPS, p.base.RPS)
			head := row{Scenario: name, Measure: "requests/s", Vendo: fmtCount(p.vendo.RPS), Baseline: fmtCount(p.base.RPS), Ratio: rr}
			if p.set.target > 0 {
				head.Target, head.Met = fmt.Sprintf("≥ %.1f", p.set.target), met(rr >= p.set.target)
			}
			rows = append(rows, head)
			// Issue 21: p99 within 3× the baseline's on every page row.
			p99 := float64(p.vendo.P99) / float64(p.base.P99)
			rows = append(rows, row{Measure: "p99 latency", Vendo: fmtDur(p.vendo.P99), Baseline: fmtDur(p.base.P99),
				Ratio: ratio(float64(p.vendo.P99), float64(p.base.P99)), Target: "≤ 3", Met: met(p99 <= 3)})
			if p.errors > 0 {
				rep.note("Page load %s: %d errors (socket errors or non-2xx answers) over all rounds.", p.set.name, p.errors)
			}
		}
		rep.add(rows...)
		rep.note("Pages: %s, %d alternating rounds per side; the round with the median ratio is shown; visitors without cookies, URLs rotated request by request; the baseline serves the very bytes Vendo answered, from memory, with a bare fiber.New() built with the release flags (bench/baseline).",
			ld.name(), pageRounds)
		rep.note("Compressed rows: the requests say Accept-Encoding: gzip or br; the baseline serves the compressed bytes Vendo answered (fetched twice, as Vendo brotli-encodes a page on its second request) with that Content-Encoding, so both sides compress nothing per request. A page with a CSRF token (product pages) is spliced into gzip per request: its token goes in as a stored block and only the token's bytes are checksummed (the fixed parts' CRCs are combined); each request without a cookie also mints the visitor's anonymous cookie and token, which the baseline does not. A cached page for a visitor without a session is answered before the middleware chain (servePageHit in app/web/pagecache.go: the security headers, the token and the encoding by the chain's own functions); what Vendo still does that the baseline does not: 13 security headers, Vary, Cache-Control and an ETag (about 840 bytes more a response), Fiber's Immutable copies of the path, and the server's read and idle timeouts (two read deadlines set per request).")
		rep.note("Signed-in rows: every request carries a seeded customer's session cookie (the customer owns none of the pages' products and has no plan). Each request reads the session and its customer in one read transaction. Product, catalog and plan pages come from the signed-in page cache, keyed by the address and what the page shows of the visitor (admin, cart count, library, credits, plan): that standing is kept between requests under the customer's store version (moved by every commit writing their orders, entitlements, licenses, subscription, credits or cart), the catalog's versions and at most a minute; the CSRF token is spliced in. The account page is kept per customer the same way, also keyed by the invoice list it shows, at most a minute and a tenth of a download link's life (the bench's Stripe is a closed port, so the kept list is the failure's sentence, refreshed in the background every 10 s).")
	}

	// 2. Webhooks.
	var wh *webhookResult
	if o.want("webhooks") {
		logf("webhooks: %d senders, %d rounds of %s per side, about %.0f%% repeats", webhookSenders, webhookRounds, o.dur, repeatShare*100)
		wh = &webhookResult{sent: map[string]bool{}}
		type pair struct{ v, b float64 }
		var pairs []pair
		for r := 0; r < webhookRounds; r++ {
			w, err := runWebhooks(ctx, addr, whsec, o.dur, r)
			if err != nil {
				return err
			}
			b, err := baselineBatch(tmp, w.recordBytes, o.dur, r)
			if err != nil {
				return err
			}
			logf("  round %d: Vendo %s events/s (%d repeats answered as duplicates), raw bbolt Batch of %d-byte records %s/s: %.2f",
				r+1, fmtCount(w.rate), w.repeats, w.recordBytes, fmtCount(b), w.rate/b)
			pairs = append(pairs, pair{w.rate, b})
			wh.newEvents += w.newEvents
			wh.repeats += w.repeats
			wh.recordBytes = w.recordBytes
			for id := range w.sent {
				wh.sent[id] = true
			}
		}
		slices.SortFunc(pairs, func(x, y pair) int { return cmp.Compare(x.v/x.b, y.v/y.b) })
		wh.rate, wh.baseRate = pairs[len(pairs)/2].v, pairs[len(pairs)/2].b
	}

	// 3. Downloads.
	if o.want("downloads") {
		logf("downloads: 1 GiB through a signed link and through c.SendFile, %d runs each", downloadRuns)
		dl, err := runDownloads(addr, "/downloads/"+data.downloadToken, vendo.pid(), baseAddr, base.pid(), downloadRuns)
		if err != nil {
			return err
		}
		drr := ratio(dl.vendo.mibps(), dl.base.mibps())
		rows := []row{
			{Scenario: "3. download 1 GiB, loopback", Measure: "throughput", Vendo: fmt.Sprintf("%s MiB/s", fmtCount(dl.vendo.mibps())),
				Baseline: fmt.Sprintf("%s MiB/s (c.SendFile)", fmtCount(dl.base.mibps())), Ratio: drr, Target: "≥ 0.9", Met: met(drr >= 0.9)},
			{Measure: "time to first byte", Vendo: fmtDur(dl.vendo.ttfb), Baseline: fmtDur(dl.base.ttfb),
				Ratio: ratio(float64(dl.vendo.ttfb), float64(dl.base.ttfb))},
			{Measure: "peak RSS growth", Vendo: fmtKiB(dl.vendoRSSMax), Baseline: fmtKiB(dl.baseRSSMax),
				Ratio: math.NaN(), Target: "< 32 MiB", Met: met(dl.vendoRSSMax < 32<<10)},
		}
		rep.add(rows...)
		rep.note("Downloads: %d alternating pairs of transfers (the pair with the median ratio shown) of a sparse 1 GiB file through a signed /downloads/{token} link and through c.SendFile, each read into a 1 MiB buffer on a fresh connection; Vendo's time to first byte includes checking the link and counting the download in an fsync'd transaction (DESIGN.md: the limit is checked and counted in one transaction); RSS sampled every 5 ms from /proc, growth over the value just before the transfer (largest of the runs).", dl.runs)
	}

	// Stop the shop, then count its ledger.
	if err := vendo.stop(); err != nil {
		return err
	}
	base.stop()
	if wh != nil {
		if wh.check, err = checkLedger(ctx, filepath.Join(dataDir, "vendo.db"), wh.sent); err != nil {
			return fmt.Errorf("check the ledger: %w", err)
		}
		logf("  ledger: %s benchmark events, %d lost, %d duplicated", fmtCount(float64(wh.check.inLedger)), wh.check.lost, wh.check.duplicated)
		wr := ratio(wh.rate, wh.baseRate)
		rows := []row{
			{Scenario: "2. webhook ingestion, 32 senders, fsync'd", Measure: "events/s",
				Vendo: fmtCount(wh.rate), Baseline: fmtCount(wh.baseRate) + " (raw bbolt Batch)", Ratio: wr, Target: "≥ 0.7", Met: met(wr >= 0.7)},
			{Measure: "lost / duplicated", Vendo: fmt.Sprintf("%d / %d of %s (+%s repeats)", wh.check.lost, wh.check.duplicated,
				fmtCount(float64(wh.newEvents)), fmtCount(float64(wh.repeats))), Ratio: math.NaN(), Target: "0 / 0",
				Met: met(wh.check.lost == 0 && wh.check.duplicated == 0)},
		}
		rep.add(rows...)
		rep.note("Webhooks: signed `%s` events (Vendo has no handler for them, so it records them as ignored without calling Stripe; %d-byte ledger records), about %.0f%% of deliveries repeat an acknowledged event; both sides count distinct records committed per second; %d alternating rounds, the one with the median ratio shown; the ledger was counted after a clean stop.",
			eventType, wh.recordBytes, repeatShare*100, webhookRounds)
	}

	// 6. Downloads from a bucket, the shop stopped above started again
	// with VENDO_FILES_URL.
	if o.want("bucket") {
		logf("bucket: 1 GiB through the shop's redirect to SeaweedFS and straight from SeaweedFS, %d runs each", downloadRuns)
		br, err := runBucket(ctx, bin, env(dataDir), addr, data.downloadToken, data.bigSHA, downloadRuns)
		if err != nil {
			return fmt.Errorf("bucket: %w", err)
		}
		r := ratio(br.vendo.mibps(), br.direct.mibps())
		rep.add(row{Scenario: "6. download 1 GiB from a bucket (SeaweedFS), loopback", Measure: "throughput",
			Vendo: fmt.Sprintf("%s MiB/s", fmtCount(br.vendo.mibps())), Baseline: fmt.Sprintf("%s MiB/s (presigned GET)", fmtCount(br.direct.mibps())),
			Ratio: r, Target: "≥ 0.9", Met: met(r >= 0.9)},
			row{Measure: "time to first byte", Vendo: fmtDur(br.vendo.ttfb), Baseline: fmtDur(br.direct.ttfb),
				Ratio: ratio(float64(br.vendo.ttfb), float64(br.direct.ttfb))})
		rep.note("Bucket: the 1 GiB file in a bucket on a SeaweedFS (`weed mini`, .bin/weed) on loopback; %d alternating pairs (the median ratio shown) of a download through the shop's signed link — checked, counted in an fsync'd transaction, answered with a redirect to a 60 s presigned URL, then read from SeaweedFS — and a read of the same object through a presigned URL the bench signs; each on fresh connections into a 1 MiB buffer, the shop's time includes both hops.", br.runs)
	}

	// 7. Webhooks that call Stripe: the stopped shop started again
	// against a stand-in Stripe that answers every GET after 20 ms.
	var sh *stripeHookResult
	if o.want("stripe") {
		if sh, err = stripeScenario(ctx, bin, env(dataDir), dataDir, tmp, addr, whsec, data.slugs, o.dur); err != nil {
			return fmt.Errorf("webhooks calling Stripe: %w", err)
		}
		limit := float64(webhookSenders) / stripeLatency.Seconds()
		r := sh.rate / limit
		rep.add(row{Scenario: fmt.Sprintf("7. webhooks that re-fetch from Stripe (%s away), 32 senders", fmtDur(stripeLatency)), Measure: "events/s",
			Vendo: fmtCount(sh.rate), Baseline: fmtCount(limit) + " (senders ÷ latency)", Ratio: r, Target: "≥ 0.7", Met: met(r >= 0.7)},
			row{Measure: "lost / duplicated / wrong", Vendo: fmt.Sprintf("%d / %d / %d: %s orders, %s subscriptions", sh.lost, sh.duplicated, sh.wrong,
				fmtCount(float64(sh.orders)), fmtCount(float64(sh.subsFound))), Ratio: math.NaN(), Target: "0 / 0 / 0",
				Met: met(sh.lost == 0 && sh.duplicated == 0 && sh.wrong == 0)},
			row{Measure: "Stripe GETs per event", Vendo: fmt.Sprintf("%.2f", float64(sh.gets)/float64(sh.newEvents+sh.again)), Ratio: math.NaN()})
		rep.note("Webhooks that call Stripe: the shop in Stripe mode against a stand-in in the bench process — the sandbox's API (app/sandbox, Stripe's wire format) answering every GET after %s. %s checkout sessions (a cart of one product, POST /checkout, paid on the hosted Checkout) and %s subscriptions (signed-in customers, POST /subscribe, paid) were made through the shop's own pages first, without the delay. Then 32 senders deliver signed `checkout.session.completed` and `customer.subscription.updated` events for %s or until every object was announced: each a new event about the next object, about %.0f%% a new event about an object already announced (it waits for that object's lock: the stale-read ordering), about %.0f%% a repeat of an acknowledged event (answered as a duplicate, not counted); events/s counts the new events applied. The ceiling is 32 ÷ %s; a handler that makes two GETs in a row halves it. After a clean stop the store holds exactly one paid order per announced session and one active subscription per announced subscription (lost / duplicated), and nothing for the others nor in another state (wrong). This run: %s new events, %s second events, %s repeats in %s.",
			fmtDur(stripeLatency), fmtCount(float64(sh.sessions)), fmtCount(float64(sh.subs)), o.dur, againShare*100, repeatShare*100, fmtDur(stripeLatency),
			fmtCount(float64(sh.newEvents)), fmtCount(float64(sh.again)), fmtCount(float64(sh.repeats)), sh.elapsed.Round(time.Millisecond))
	}

	// The growth table, on shops seeded afresh at each size.
	if o.want("growth") {
		gl := *ld
		gl.duration, gl.conns = 2*time.Second, 16
		rows, err := runGrowth(ctx, bin, env, addr, &gl, tmp, growthSizes(o.scale))
		if err != nil {
			return fmt.Errorf("growth: %w", err)
		}
		rep.growth = growthTable(rows)
		rep.growthNotes = append(growthNotes(rows), fmt.Sprintf("Each size is its own shop, seeded afresh (products as above, a tenth as many customers, as many orders as products, each order 1–3 lines with their entitlements) and started 3 times (median shown; Stripe mode; idle RSS 1 s after the background index build finished, when a search first answers). Search: 2,400 in-process searches of the 12 typical queries over the active products. Product edit: 400 edits as the shop applies them after the commit (server.catalogChanged): a product takes another's title and summary and is upserted into the index, one in four is made a draft (removed); the cached pages that show it are dropped by key then, which costs the same at every size. Catalog and admin lists: %s, on /products anonymously and /admin/orders signed in as the admin (the first page of 50). Dashboard: 21 GETs of /admin one after the other, median.", gl.name()))
	}

	rep.notes = append([]string{"Ratio is Vendo ÷ baseline: above 1 is better for requests/s, events/s and throughput, worse for latency, time and memory."}, rep.notes...)
	fmt.Println()
	fmt.Print(rep.table())
	fmt.Println()
	for _, n := range rep.notes {
		fmt.Println("- " + n)
	}
	if rep.growth != "" {
		fmt.Println()
		fmt.Print(rep.growth)
	}
	if outFile != "" {
		if err := writeResults(outFile, rep, time.Since(began)); err != nil {
			return err
		}
		logf("wrote %s (whole run %s)", outFile, time.Since(began).Round(time.Second))
	}
	if wh != nil && (wh.check.lost > 0 || wh.check.duplicated > 0) {
		return fmt.Errorf("the ledger lost %d and duplicated %d events", wh.check.lost, wh.check.duplicated)
	}
	return nil
}

func writeResults(name string, rep *report, took time.Duration) error {
	var b strings.Builder
	b.WriteString("# Vendo performance — `make bench`\n\n")
	b.WriteString("Written by `go run ./bench` (see bench/main.go). Every baseline was measured in the same run on the same machine; compare ratios, not absolute figures, across machines.\n\n")
	fmt.Fprintf(&b, "Run %s on %s, %d CPUs, %s/%s, %s; took %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), cpuModel(),
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), took.Round(time.Second))
	fmt.Fprintf(&b, "Data set: %s products (1 in 50 a draft), %s customers, %s orders with their entitlements, %d small files and a 1 GiB sparse file.\n\n",
		fmtCount(numProducts), fmtCount(numCustomers), fmtCount(numOrders), numBlobs)
	b.WriteString(rep.table())
	b.WriteString("\n")
	for _, n := range rep.notes {
		b.WriteString("- " + n + "\n")
	}
	if rep.growth != "" {
		b.WriteString("\n## Growth: 1k, 10k and 100k products\n\n")
		b.WriteString(rep.growth)
		b.WriteString("\n")
		for _, n := range rep.growthNotes {
			b.WriteString("- " + n + "\n")
		}
	}
	return os.WriteFile(name, []byte(b.String()), 0o644)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
