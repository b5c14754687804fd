package shop_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

var _ shop.Payments = (*priceStripe)(nil)

// priceStripe records the catalog's Stripe calls; any other call panics
// (the embedded interface is nil), so a test sees an unexpected call.
type priceStripe struct {
	shop.Payments
	mu          sync.Mutex
	keys        []string
	specs       []stripeapi.PriceSpec
	deactivated []string
	portals     [][]stripeapi.PortalProduct
	failCreate  bool
}

func (p *priceStripe) EnsureProduct(ctx context.Context, id, vendoID, name string) (string, error) {
	if id != "" {
		return id, nil
	}
	return "prod_" + vendoID, nil
}

func (p *priceStripe) CreatePrice(ctx context.Context, productID string, spec stripeapi.PriceSpec, vendoID, key string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failCreate {
		return "", app.Errorf(app.EUNAVAILABLE, "Stripe is down.")
	}
	p.keys = append(p.keys, key)
	p.specs = append(p.specs, spec)
	return "price_new_" + string(rune('a'+len(p.keys)-1)), nil
}

func (p *priceStripe) DeactivatePrice(ctx context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deactivated = append(p.deactivated, id)
	return nil
}

func (p *priceStripe) EnsurePortalConfiguration(ctx context.Context, id string, products []stripeapi.PortalProduct, returnURL string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.portals = append(p.portals, products)
	return "bpc_admin", nil
}

type adminFixture struct {
	shop   *shop.Shop
	store  *store.Store
	stripe *priceStripe
	clock  *time.Time
}

func newAdminFixture(t *testing.T) *adminFixture {
	t.Helper()
	now := time.Date(2026, 5, 20, 15, 0, 0, 0, time.UTC)
	f := &adminFixture{stripe: &priceStripe{}, clock: &now}
	clock := func() time.Time { return *f.clock }
	st, err := store.Open(t.TempDir()+"/vendo.db", store.Options{NoSync: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	f.shop = &shop.Shop{Store: st, Stripe: f.stripe, BaseURL: "http://shop.test", Now: clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return f
}

func (f *adminFixture) audit(t *testing.T) []app.AuditEntry {
	t.Helper()
	var out []app.AuditEntry
	f.store.View(context.Background(), func(tx *store.Tx) (err error) {
		out, _, err = tx.AuditLog(store.AuditFilter{})
		return
	})
	return out
}

const admin = "boss@example.com"

func TestSaveProductMakesANewStripePriceOnlyWhenThePriceChanges(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	p := app.Product{Title: "Field Guide", Slug: "field-guide", Price: app.Money{Amount: 1200, Currency: "usd"}, Active: true}
	if err := f.shop.SaveProduct(ctx, &p, admin); err != nil {
		t.Fatal(err)
	}
	// As the first checkout leaves it: in Stripe, with a file.
	err := f.store.Update(ctx, func(tx *store.Tx) error {
		cur, _ := tx.Product(p.ID)
		cur.StripeProductID, cur.StripePriceID = "prod_guide", "price_1"
		cur.Files = []app.FileRef{{SHA256: strings.Repeat("a", 64), Name: "guide.pdf", Size: 10}}
		return tx.PutProduct(&cur)
	})
	if err != nil {
		t.Fatal(err)
	}

	// A title edit (from a form that knows nothing of files or Stripe)
	// touches no price and keeps the files.
	edit := app.Product{ID: p.ID, Title: "The Field Guide", Slug: "field-guide", Price: app.Money{Amount: 1200, Currency: "usd"}, Active: true}
	if err := f.shop.SaveProduct(ctx, &edit, admin); err != nil {
		t.Fatal(err)
	}
	if len(f.stripe.keys) != 0 || edit.StripePriceID != "price_1" || len(edit.Files) != 1 {
		t.Fatalf("a title edit: prices %v, stored %+v", f.stripe.keys, edit)
	}

	// A new amount: a new Price, the old one deactivated after the write.
	edit.Price.Amount = 1500
	if err := f.shop.SaveProduct(ctx, &edit, admin); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Product(ctx, p.ID)
	if got.Price.Amount != 1500 || got.StripePriceID != "price_new_a" || got.StripeProductID != "prod_guide" {
		t.Fatalf("after the price change: %+v", got)
	}
	if f.stripe.specs[0] != (stripeapi.PriceSpec{Amount: 1500, Currency: "usd", TaxBehavior: stripeapi.TaxExclusive}) || len(f.stripe.deactivated) != 1 || f.stripe.deactivated[0] != "price_1" {
		t.Fatalf("Stripe calls: %v %v", f.stripe.specs, f.stripe.deactivated)
	}
	// Back to the first amount: a fresh Price, not a replay of the old
	// (deactivated) one through its idempotency key.
	edit.Price.Amount = 1200
	if err := f.shop.SaveProduct(ctx, &edit, admin); err != nil {
		t.Fatal(err)
	}
	if len(f.stripe.keys) != 2 || f.stripe.keys[0] == f.stripe.keys[1] || !strings.Contains(f.stripe.keys[1], p.ID) ||
		!strings.Contains(f.stripe.keys[1], "1200") || !strings.Contains(f.stripe.keys[1], "usd") {
		t.Fatalf("idempotency keys: %v", f.stripe.keys)
	}

	// An invalid form asks Stripe for nothing and changes nothing.
	edit.Price.Amount = 10
	err = f.shop.SaveProduct(ctx, &edit, admin)
	var inv *app.InvalidForm
	if !errors.As(err, &inv) || inv.Fields["price"] == "" || len(f.stripe.keys) != 2 {
		t.Fatalf("a price under 0.50: %v, %d prices", err, len(f.stripe.keys))
	}
	// Stripe down: the product keeps its price.
	f.stripe.failCreate = true
	edit.Price.Amount = 2000
	if err := f.shop.SaveProduct(ctx, &edit, admin); app.ErrorCode(err) != app.EUNAVAILABLE {
		t.Fatalf("Stripe down: %v", err)
	}
	if got, _ := f.store.Product(ctx, p.ID); got.Price.Amount != 1200 || got.StripePriceID != "price_new_b" {
		t.Fatalf("a failed price change changed the product: %+v", got)
	}

	// The price now includes tax: a new Price with tax_behavior
	// inclusive (Stripe cannot change it on a Price), the old one
	// deactivated.
	f.stripe.failCreate = false
	edit.Price.Amount = 1200
	edit.TaxInclusive = true
	before, _ := f.store.Product(ctx, p.ID)
	if err := f.shop.SaveProduct(ctx, &edit, admin); err != nil {
		t.Fatal(err)
	}
	got, _ = f.store.Product(ctx, p.ID)
	last := f.stripe.specs[len(f.stripe.specs)-1]
	if !got.TaxInclusive || got.StripePriceID == before.StripePriceID || last != (stripeapi.PriceSpec{Amount: 1200, Currency: "usd", TaxBehavior: stripeapi.TaxInclusive}) ||
		f.stripe.deactivated[len(f.stripe.deactivated)-1] != before.StripePriceID {
		t.Fatalf("price includes tax: product %+v, last price %+v, deactivated %v", got, last, f.stripe.deactivated)
	}

	var details []string
	for _, e := range f.audit(t) {
		if e.Target == p.ID && e.Actor == admin {
			details = append(details, e.Action+": "+e.Detail)
		}
	}
	all := strings.Join(details, "\n")
	for _, want := range []string{"product.create: created “Field Guide”", "title “Field Guide” → “The Field Guide”",
		"price $12.00 → $15.00; Stripe price price_1 → price_new_a", "price $15.00 → $12.00", "price includes tax no → yes"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit lacks %q:\n%s", want, all)
		}
	}
}

func TestDeleteOnlyANeverSoldProduct(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	fresh := app.Product{Title: "Fresh", Slug: "fresh", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
	sold := app.Product{Title: "Sold", Slug: "sold", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
	for _, p := range []*app.Product{&fresh, &sold} {
		if err := f.shop.SaveProduct(ctx, p, admin); err != nil {
			t.Fatal(err)
		}
	}
	f.store.Update(ctx, func(tx *store.Tx) error {
		p, _ := tx.Product(fresh.ID)
		p.StripeProductID, p.StripePriceID = "prod_fresh", "price_fresh" // a checkout was started, never paid
		tx.PutProduct(&p)
		return tx.PutOrder(&app.Order{CheckoutSessionID: "cs_1", Status: app.OrderPaid, Lines: []app.OrderLine{{ProductID: sold.ID, Title: "Sold", Quantity: 1}}})
	})

	archived, _, err := f.shop.DeleteProduct(ctx, fresh.ID, admin)
	if err != nil || archived {
		t.Fatalf("delete fresh: archived=%v %v", archived, err)
	}
	if _, err := f.store.Product(ctx, fresh.ID); !app.IsNotFound(err) {
		t.Fatalf("fresh still exists: %v", err)
	}
	if _, err := f.store.ProductBySlug(ctx, "fresh"); !app.IsNotFound(err) {
		t.Error("the slug still points at the deleted product")
	}
	if len(f.stripe.deactivated) != 1 || f.stripe.deactivated[0] != "price_fresh" {
		t.Errorf("deactivated %v", f.stripe.deactivated)
	}

	archived, reason, err := f.shop.DeleteProduct(ctx, sold.ID, admin)
	if err != nil || !archived || !strings.Contains(reason, "It was sold") {
		t.Fatalf("delete sold: archived=%v %q %v", archived, reason, err)
	}
	if p, err := f.store.Product(ctx, sold.ID); err != nil || p.Active {
		t.Fatalf("sold after delete: %+v %v", p, err)
	}
	var actions []string
	for _, e := range f.audit(t) {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "product.delete") || !strings.Contains(got, "product.archive") {
		t.Errorf("audit: %s", got)
	}
}

func seedPlans(t *testing.T, f *adminFixture) []app.Plan {
	t.Helper()
	var plans []app.Plan
	err := f.store.Update(context.Background(), func(tx *store.Tx) error {
		for i, slug := range []string{"starter", "pro", "team"} {
			p := app.Plan{Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:], Credits: 3 * (i + 1), Position: i + 1,
				StripeProductID: "prod_" + slug,
				Monthly:         app.PlanPrice{Price: app.Money{Amount: int64(900 * (i + 1)), Currency: "usd"}, StripePriceID: "price_" + slug + "_m"},
				Yearly:          app.PlanPrice{Price: app.Money{Amount: int64(9000 * (i + 1)), Currency: "usd"}, StripePriceID: "price_" + slug + "_y"}}
			if err := tx.PutPlan(&p); err != nil {
				return err
			}
			plans = append(plans, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return plans
}

func TestSavePlanReplacesAChangedRecurringPriceAndUpdatesThePortal(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	plans := seedPlans(t, f)
	pro := plans[1]

	edit := pro
	edit.Name, edit.Credits, edit.Features = "Pro+", app.Unlimited, []string{"Everything", "Priority support"}
	edit.Monthly.Price.Amount = 2400
	if err := f.shop.SavePlan(ctx, &edit, admin); err != nil {
		t.Fatal(err)
	}
	if len(f.stripe.specs) != 1 || f.stripe.specs[0] != (stripeapi.PriceSpec{Amount: 2400, Currency: "usd", Interval: "month", TaxBehavior: stripeapi.TaxExclusive}) {
		t.Fatalf("prices created: %v", f.stripe.specs)
	}
	if len(f.stripe.deactivated) != 1 || f.stripe.deactivated[0] != "price_pro_m" {
		t.Fatalf("deactivated: %v", f.stripe.deactivated)
	}
	var got app.Plan
	f.store.View(ctx, func(tx *store.Tx) error {
		got, _ = tx.Plan(pro.ID)
		// The retired price still finds the plan, as monthly: subscribers
		// on it keep their plan.
		old, iv, err := tx.PlanByStripePrice("price_pro_m")
		if err != nil || old.ID != pro.ID || iv != app.Monthly {
			t.Errorf("the retired price: %v %v %v", old.ID, iv, err)
		}
		return nil
	})
	if got.Name != "Pro+" || got.Credits != app.Unlimited || got.Monthly.StripePriceID != "price_new_a" || got.Yearly.StripePriceID != "price_pro_y" || len(got.Features) != 2 {
		t.Fatalf("stored plan: %+v", got)
	}
	// The portal now offers the new monthly price.
	last := f.stripe.portals[len(f.stripe.portals)-1]
	if len(last) != 3 || last[1].PriceIDs[0] != "price_new_a" {
		t.Fatalf("portal products: %+v", last)
	}
	if s, _ := f.store.Settings(ctx); s.PortalConfigID != "bpc_admin" {
		t.Errorf("portal id not stored: %q", s.PortalConfigID)
	}
	var detail string
	for _, e := range f.audit(t) {
		if e.Action == "plan.update" && e.Actor == admin {
			detail = e.Detail
		}
	}
	if !strings.Contains(detail, "monthly $18.00 → $24.00 (Stripe price price_pro_m → price_new_a)") || !strings.Contains(detail, "credits 6 → unlimited") {
		t.Errorf("plan audit: %q", detail)
	}

	// A tagline edit makes no new Price.
	edit = got
	edit.Tagline = "For makers"
	if err := f.shop.SavePlan(ctx, &edit, admin); err != nil {
		t.Fatal(err)
	}
	if len(f.stripe.specs) != 1 {
		t.Errorf("a tagline edit created a price: %v", f.stripe.specs)
	}
}

func TestMovePlanReordersThePlansPage(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	plans := seedPlans(t, f)
	order := func() string {
		ps, _ := f.store.Plans(ctx)
		var s []string
		for _, p := range ps {
			s = append(s, p.Slug)
		}
		return strings.Join(s, ",")
	}
	if err := f.shop.MovePlan(ctx, plans[2].ID, -1, admin); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "starter,team,pro" {
		t.Fatalf("after moving team up: %s", got)
	}
	if err := f.shop.MovePlan(ctx, plans[0].ID, -1, admin); err != nil || order() != "starter,team,pro" {
		t.Fatalf("moving the first up: %v %s", err, order())
	}
	if err := f.shop.MovePlan(ctx, plans[0].ID, 1, admin); err != nil || order() != "team,starter,pro" {
		t.Fatalf("moving starter down: %v %s", err, order())
	}
}

func TestManualGrantsAndRevocationsAreRecordedWithWhoAndWhy(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	p := app.Product{Title: "Gift", Slug: "gift", Price: app.Money{Amount: 500, Currency: "usd"}, Active: true}
	if err := f.shop.SaveProduct(ctx, &p, admin); err != nil {
		t.Fatal(err)
	}
	c := app.Customer{Email: "friend@example.com"}
	f.store.Update(ctx, func(tx *store.Tx) error { return tx.PutCustomer(&c) })

	if _, err := f.shop.GrantEntitlement(ctx, c.ID, p.ID, "  ", admin); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("a grant without a reason: %v", err)
	}
	e, err := f.shop.GrantEntitlement(ctx, c.ID, p.ID, "Support case 42", admin)
	if err != nil {
		t.Fatal(err)
	}
	if e.Source != app.SourceManual || e.SourceID != admin || e.Note != "Support case 42" || !e.Active() {
		t.Fatalf("grant: %+v", e)
	}
	if _, err := f.shop.GrantEntitlement(ctx, c.ID, p.ID, "again", admin); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a second grant: %v", err)
	}
	if err := f.shop.RevokeEntitlement(ctx, "cust_other", e.ID, "x", admin); !app.IsNotFound(err) {
		t.Fatalf("revoking through another customer: %v", err)
	}
	if err := f.shop.RevokeEntitlement(ctx, c.ID, e.ID, "Refunded by hand", admin); err != nil {
		t.Fatal(err)
	}
	es, _ := f.store.EntitlementsOf(ctx, c.ID, false)
	if len(es) != 1 || es[0].Active() || !strings.Contains(es[0].RevokedReason, admin) || !strings.Contains(es[0].RevokedReason, "Refunded by hand") {
		t.Fatalf("after revoke: %+v", es)
	}
	log := f.audit(t)
	var grant, revoke bool
	for _, a := range log {
		grant = grant || (a.Action == "entitlement.grant" && a.Actor == admin && strings.Contains(a.Detail, "Support case 42"))
		revoke = revoke || (a.Action == "entitlement.revoke" && a.Actor == admin && strings.Contains(a.Detail, "Refunded by hand"))
	}
	if !grant || !revoke {
		t.Errorf("audit: grant=%v revoke=%v", grant, revoke)
	}
}

func TestRevokeLicense(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	l := app.License{Key: "VENDO-AAAA-BBBB", CustomerID: "cust_1", Status: app.LicenseActive}
	f.store.Update(ctx, func(tx *store.Tx) error { return tx.PutLicense(&l) })
	if err := f.shop.RevokeLicense(ctx, l.ID, "", admin); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("without a reason: %v", err)
	}
	if err := f.shop.RevokeLicense(ctx, l.ID, "Leaked on a forum", admin); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.LicenseByKey(ctx, "vendo-aaaa-bbbb")
	if got.Status != app.LicenseRevoked || got.RevokedReason != "Leaked on a forum" || got.RevokedAt.IsZero() {
		t.Fatalf("license: %+v", got)
	}
	if v, _ := f.shop.ValidateLicense(ctx, l.Key, ""); v.Valid {
		t.Error("a revoked key still validates")
	}
	if err := f.shop.RevokeLicense(ctx, l.ID, "again", admin); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("twice: %v", err)
	}
}

func TestSettingsAndResendAreAudited(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	in := app.DefaultSettings()
	in.ShopName, in.DownloadExpiry, in.DownloadLimit = "Paper Goods", 48*time.Hour, 5
	in.PastDueGrace, in.UnlocksAtPlanEnd = 3*24*time.Hour, app.UnlocksKept
	if _, err := f.shop.SaveSettings(ctx, in, admin); err != nil {
		t.Fatal(err)
	}
	in.SupportEmail = "not an email"
	if _, err := f.shop.SaveSettings(ctx, in, admin); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("a bad support email: %v", err)
	}
	if s, _ := f.store.Settings(ctx); s.ShopName != "Paper Goods" || s.DownloadExpiry != 48*time.Hour || s.SupportEmail != "" || s.PastDueGrace != 3*24*time.Hour || !s.KeepsUnlocks() {
		t.Fatalf("settings: %+v", s)
	}
	orig := app.Mail{To: "a@example.com", Subject: "Your receipt", Text: "Thanks"}
	f.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.QueueMail(&orig); err != nil {
			return err
		}
		orig.Status = app.MailFailed
		return tx.PutMail(&orig)
	})
	copyMail, err := f.shop.ResendMail(ctx, orig.ID, admin)
	if err != nil || copyMail.ID == orig.ID || copyMail.Status != app.MailPending || copyMail.Subject != "Your receipt" {
		t.Fatalf("resend: %+v %v", copyMail, err)
	}
	var settings, resend string
	for _, e := range f.audit(t) {
		switch e.Action {
		case "settings.update":
			settings = e.Detail
		case "mail.resend":
			resend = e.Detail
		}
	}
	if !strings.Contains(settings, "shop name “Vendo” → “Paper Goods”") || !strings.Contains(settings, "download links last 24h → 48h") ||
		!strings.Contains(settings, "grace after a failed payment 7 days → 3 days") ||
		!strings.Contains(settings, "credit-unlocked products at plan end: they end with the plan → customers keep them") ||
		!strings.Contains(resend, orig.ID) {
		t.Errorf("audit: %q / %q", settings, resend)
	}
}

func TestDashboardFigures(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	plans := seedPlans(t, f)
	now := *f.clock
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	put := func(at time.Time, fn func(tx *store.Tx) error) {
		t.Helper()
		*f.clock = at
		if err := f.store.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
		*f.clock = now
	}
	order := func(session, status string, total, refunded int64, cur string) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			return tx.PutOrder(&app.Order{CheckoutSessionID: session, Status: status, Total: app.Money{Amount: total, Currency: cur},
				AmountRefunded: refunded, PaidAt: tx.Now()})
		}
	}
	put(now.AddDate(0, 0, -40), order("cs_old", app.OrderPaid, 99900, 0, "usd")) // outside the window
	put(now.AddDate(0, 0, -40), func(tx *store.Tx) error { return tx.PutCustomer(&app.Customer{Email: "old@example.com"}) })
	put(now.AddDate(0, 0, -2), order("cs_a", app.OrderPaid, 1000, 0, "usd"))
	put(now.AddDate(0, 0, -2), order("cs_b", app.OrderPartiallyRefunded, 2000, 500, "usd"))
	put(now, order("cs_c", app.OrderRefunded, 3000, 3000, "usd"))
	put(now, order("cs_d", app.OrderFailed, 4000, 0, "usd"))
	put(now, order("cs_e", app.OrderPaid, 700, 0, "eur"))
	put(now, func(tx *store.Tx) error {
		for i, s := range []struct {
			status string
			iv     app.Interval
			plan   int
			term   bool
		}{{"active", app.Monthly, 0, false}, {"active", app.Yearly, 1, false}, {"past_due", app.Monthly, 1, false}, {"canceled", app.Monthly, 2, true}} {
			c := app.Customer{Email: string(rune('a'+i)) + "@example.com"}
			if err := tx.PutCustomer(&c); err != nil {
				return err
			}
			sub := app.Subscription{StripeID: "sub_" + string(rune('a'+i)), CustomerID: c.ID, PlanID: plans[s.plan].ID, Interval: s.iv,
				Status: s.status, Fulfilled: true, Terminated: s.term}
			if err := tx.PutSubscription(&sub); err != nil {
				return err
			}
		}
		if err := tx.PutEvent(&store.EventRecord{ID: "evt_bad", Type: "invoice.paid", Outcome: store.EventFailed}); err != nil {
			return err
		}
		return tx.PutEvent(&store.EventRecord{ID: "evt_ok", Type: "invoice.paid", Outcome: store.EventApplied})
	})

	d, err := f.shop.Dashboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Net sales: 1000 + (2000-500) + (3000-3000) in usd; eur apart.
	if d.Revenue != usd(2500) || len(d.Other) != 1 || d.Other[0] != (app.Money{Amount: 700, Currency: "eur"}) || d.Orders != 5 {
		t.Errorf("sales: %v other %v orders %d", d.Revenue, d.Other, d.Orders)
	}
	if len(d.Days) != shop.DashboardDays || d.Days[len(d.Days)-3].Amount != 2500 || d.Days[len(d.Days)-1].Amount != 0 || d.Days[len(d.Days)-3].Orders != 2 {
		t.Errorf("days: %+v … %+v", d.Days[len(d.Days)-3], d.Days[len(d.Days)-1])
	}
	// MRR: starter monthly 900 + pro yearly 18000/12 + pro past_due monthly 1800.
	if d.MRR != usd(900+1500+1800) || d.Active != 3 || d.Plans[0].Count != 1 || d.Plans[1].Count != 2 || d.Plans[2].Count != 0 {
		t.Errorf("MRR %v active %d plans %+v", d.MRR, d.Active, d.Plans)
	}
	if d.NewCustomers != 4 || d.FailedEvents != 1 || d.PastDue != 1 || d.FailedOrders != 1 || d.FailedPayments() != 3 {
		t.Errorf("new %d failed events %d past due %d failed orders %d", d.NewCustomers, d.FailedEvents, d.PastDue, d.FailedOrders)
	}
	if len(d.RecentOrders) != 6 || len(d.RecentEvents) != 2 {
		t.Errorf("recent: %d orders, %d events", len(d.RecentOrders), len(d.RecentEvents))
	}
}

// The owner account an admin link signs in is the merchant, not a customer
// who joined the shop.
func TestDashboardDoesNotCountTheOwnerAsANewCustomer(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	err := f.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutCustomer(&app.Customer{Email: app.OwnerEmail, Admin: true}); err != nil {
			return err
		}
		return tx.PutCustomer(&app.Customer{Email: "ada@example.com"})
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.shop.Dashboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.NewCustomers != 1 {
		t.Errorf("new customers = %d, want 1 (ada, not the owner)", d.NewCustomers)
	}
}
