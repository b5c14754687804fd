package shop_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// keyFixture is a shop with one customer and keys in every standing a
// license can have, written straight to the store (the ways they come
// about — refunds, disputes, plans ending — have their own tests).
type keyFixture struct {
	*fixture
	cust, other app.Customer
	keys        map[string]app.License // by standing name
}

func newKeyFixture(t *testing.T, limit int) *keyFixture {
	t.Helper()
	f := &keyFixture{fixture: newFixture(t), keys: map[string]app.License{}}
	ctx := context.Background()
	f.product.Licensed, f.product.ActivationLimit = true, limit
	if err := f.store.PutProduct(ctx, &f.product); err != nil {
		t.Fatal(err)
	}
	plan := app.Plan{Slug: "pro", Name: "Pro", Credits: 2, Monthly: app.PlanPrice{Price: app.Money{Amount: 1900, Currency: "usd"}, StripePriceID: "price_pro_m"},
		Yearly: app.PlanPrice{Price: app.Money{Amount: 19000, Currency: "usd"}, StripePriceID: "price_pro_y"}}
	if err := f.store.PutPlan(ctx, &plan); err != nil {
		t.Fatal(err)
	}
	err := f.store.Update(ctx, func(tx *store.Tx) error {
		f.cust = app.Customer{Email: "owner@example.com", Name: "Ada Owner"}
		f.other = app.Customer{Email: "someone-else@example.com"}
		for _, c := range []*app.Customer{&f.cust, &f.other} {
			if err := tx.PutCustomer(c); err != nil {
				return err
			}
		}
		order := func(session, status string) string {
			o := app.Order{CustomerID: f.cust.ID, Email: f.cust.Email, CheckoutSessionID: session, Status: status,
				Total: app.Money{Amount: 1200, Currency: "usd"}}
			// The facts the order's state is derived from (app.Order.State).
			o.PaymentStatus = app.PaymentPaid
			switch status {
			case app.OrderRefunded:
				o.AmountRefunded = 1200
			case app.OrderDisputed:
				o.Dispute = &app.OrderDispute{ID: "dp_" + session, Status: "needs_response"}
			case app.OrderDisputeLost:
				o.Dispute = &app.OrderDispute{ID: "dp_" + session, Status: app.DisputeLost}
			}
			if err := tx.PutOrder(&o); err != nil {
				t.Fatal(err)
			}
			return o.ID
		}
		sub := func(stripeID, status string, terminated bool) string {
			s := app.Subscription{StripeID: stripeID, CustomerID: f.cust.ID, PlanID: plan.ID, Status: status, Terminated: terminated,
				Fulfilled: !terminated, CurrentPeriodEnd: time.Date(2031, 5, 1, 12, 0, 0, 0, time.UTC)}
			if err := tx.PutSubscription(&s); err != nil {
				t.Fatal(err)
			}
			return s.ID
		}
		put := func(name string, l app.License) {
			l.Key, l.CustomerID = shop.NewLicenseKey(), f.cust.ID
			if l.Status == "" {
				l.Status = app.LicenseActive
			}
			if err := tx.PutLicense(&l); err != nil {
				t.Fatal(err)
			}
			f.keys[name] = l
		}
		put("active", app.License{ProductID: f.product.ID, OrderID: order("cs_paid", app.OrderPaid)})
		put("spare", app.License{ProductID: f.product.ID, OrderID: order("cs_paid2", app.OrderPaid)})
		put("revoked", app.License{ProductID: f.product.ID, OrderID: order("cs_rev", app.OrderPaid), Status: app.LicenseRevoked, RevokedReason: "shared on a forum"})
		put("refunded", app.License{ProductID: f.product.ID, OrderID: order("cs_ref", app.OrderRefunded), Status: app.LicenseRevoked, RevokedReason: "refunded"})
		// Refunded while its key was still marked active: the order's
		// state decides all the same.
		put("refunded-order", app.License{ProductID: f.product.ID, OrderID: order("cs_ref2", app.OrderRefunded)})
		put("disputed", app.License{ProductID: f.product.ID, OrderID: order("cs_dis", app.OrderDisputed)})
		put("dispute-lost", app.License{ProductID: f.product.ID, OrderID: order("cs_lost", app.OrderDisputeLost), Status: app.LicenseRevoked, RevokedReason: "dispute_lost"})
		put("plan", app.License{PlanID: plan.ID, SubscriptionID: sub("sub_live", "active", false)})
		put("plan-past-due", app.License{PlanID: plan.ID, SubscriptionID: sub("sub_late", "past_due", false)})
		put("plan-ended", app.License{PlanID: plan.ID, SubscriptionID: sub("sub_gone", "canceled", true), Status: app.LicenseRevoked, RevokedReason: "subscription ended"})
		put("plan-canceled", app.License{PlanID: plan.ID, SubscriptionID: sub("sub_canceled", "canceled", false)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestLicenseActivationOutcomes is the table of what activating a key
// answers in each standing: activated, or refused with the reason, and
// the same JSON shape either way, naming nobody.
func TestLicenseActivationOutcomes(t *testing.T) {
	f := newKeyFixture(t, 3)
	ctx := context.Background()
	for _, tc := range []struct {
		key        string // a standing of newKeyFixture, or a literal key
		activated  bool
		status     string
		limit      int // 0: unlimited (null)
		wantError  string
		wantExpiry bool
	}{
		{key: "active", activated: true, status: shop.KeyActive, limit: 3},
		{key: "VENDO-2222-3333-4444-5555", status: shop.KeyUnknown, wantError: "not valid"},
		{key: "revoked", status: shop.KeyRevoked, limit: 3, wantError: "revoked"},
		{key: "refunded", status: shop.KeyRefunded, limit: 3, wantError: "refunded"},
		{key: "refunded-order", status: shop.KeyRefunded, limit: 3, wantError: "refunded"},
		{key: "disputed", status: shop.KeyDisputed, limit: 3, wantError: "disputed"},
		{key: "dispute-lost", status: shop.KeyDisputed, limit: 3, wantError: "disputed"},
		{key: "plan", activated: true, status: shop.KeyActive, wantExpiry: true},
		{key: "plan-past-due", activated: true, status: shop.KeyActive, wantExpiry: true},
		{key: "plan-ended", status: shop.KeyExpired, wantError: "subscription has ended", wantExpiry: true},
		{key: "plan-canceled", status: shop.KeyExpired, wantError: "subscription has ended", wantExpiry: true},
	} {
		t.Run(tc.key, func(t *testing.T) {
			key := tc.key
			if l, ok := f.keys[tc.key]; ok {
				key = l.Key
			}
			out, err := f.shop.ActivateLicense(ctx, key, "  build-server\u202e-01 ", "203.0.113.9")
			if err != nil {
				t.Fatal(err)
			}
			if out.Activated != tc.activated || out.License.Status != tc.status || !strings.Contains(out.Error, tc.wantError) ||
				(tc.activated && out.Error != "") || (out.License.ExpiresAt != nil) != tc.wantExpiry {
				t.Fatalf("answer %+v", out)
			}
			if got := out.License.ActivationLimit; (tc.limit == 0) != (got == nil) || (got != nil && *got != tc.limit) {
				t.Fatalf("activation_limit %v, want %d (0: null)", got, tc.limit)
			}
			if tc.activated {
				if out.Instance == nil || !strings.HasPrefix(out.Instance.ID, "ins_") || out.Instance.Name != "build-server-01" || out.License.ActivationUsage != 1 {
					t.Fatalf("instance %+v, usage %d", out.Instance, out.License.ActivationUsage)
				}
			} else if out.Instance != nil || out.License.ActivationUsage != 0 {
				t.Fatalf("a refused activation made an instance: %+v", out)
			}
			// One shape for every outcome, and never the owner.
			b, _ := json.Marshal(out)
			var shape map[string]any
			json.Unmarshal(b, &shape)
			for _, k := range []string{"activated", "instance", "license"} {
				if _, ok := shape[k]; !ok {
					t.Errorf("the answer has no %q: %s", k, b)
				}
			}
			lic, _ := shape["license"].(map[string]any)
			for _, k := range []string{"status", "activation_limit", "activation_usage", "expires_at"} {
				if _, ok := lic[k]; !ok {
					t.Errorf("the license object has no %q: %s", k, b)
				}
			}
			for _, secret := range []string{f.cust.Email, f.cust.ID, "Ada", "cust_"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("the answer reveals %q: %s", secret, b)
				}
			}
		})
	}
	if _, err := f.shop.ActivateLicense(ctx, f.keys["active"].Key, " \t\u200b ", ""); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("a blank instance name: %v, want invalid", err)
	}
}

// TestActivationLimitAndDeactivation: a key activates up to its product's
// limit, is refused beyond it, and a deactivation frees a place; each
// change is audited; a validation can name its instance.
func TestActivationLimitAndDeactivation(t *testing.T) {
	f := newKeyFixture(t, 2)
	ctx := context.Background()
	key := f.keys["active"].Key
	a, _ := f.shop.ActivateLicense(ctx, key, "laptop", "198.51.100.1")
	b, _ := f.shop.ActivateLicense(ctx, key, "desktop", "198.51.100.1")
	c, _ := f.shop.ActivateLicense(ctx, key, "third", "198.51.100.1")
	if !a.Activated || !b.Activated || b.License.ActivationUsage != 2 {
		t.Fatalf("first two: %+v %+v", a, b)
	}
	if c.Activated || !strings.Contains(c.Error, "2 of 2") || c.License.ActivationUsage != 2 {
		t.Fatalf("over the limit: %+v", c)
	}

	// Validation with and without an instance.
	if v, _ := f.shop.ValidateActivation(ctx, key, a.Instance.ID, ""); !v.Valid || v.Instance == nil || v.Instance.Name != "laptop" || v.License.ActivationUsage != 2 {
		t.Fatalf("validate with its instance: %+v", v)
	}
	other, _ := f.shop.ActivateLicense(ctx, f.keys["spare"].Key, "elsewhere", "")
	if v, _ := f.shop.ValidateActivation(ctx, key, other.Instance.ID, ""); v.Valid || v.Instance != nil || v.Error == "" {
		t.Fatalf("validate with another key's instance: %+v", v)
	}
	if v, _ := f.shop.ValidateActivation(ctx, f.keys["refunded"].Key, "", ""); v.Valid || v.Status != app.LicenseRevoked || v.License.Status != shop.KeyRefunded {
		t.Fatalf("validate a refunded key: %+v", v)
	}

	// Deactivation: only this key's instance, once.
	if d, _ := f.shop.DeactivateLicense(ctx, key, other.Instance.ID, ""); d.Deactivated || d.Error == "" {
		t.Fatalf("deactivate another key's instance: %+v", d)
	}
	if d, _ := f.shop.DeactivateLicense(ctx, key, a.Instance.ID, "198.51.100.1"); !d.Deactivated || d.License.ActivationUsage != 1 {
		t.Fatalf("deactivate: %+v", d)
	}
	if d, _ := f.shop.DeactivateLicense(ctx, key, a.Instance.ID, ""); d.Deactivated {
		t.Fatalf("deactivated twice: %+v", d)
	}
	if v, _ := f.shop.ValidateActivation(ctx, key, a.Instance.ID, ""); v.Valid {
		t.Fatalf("a deactivated instance still validates: %+v", v)
	}
	if c, _ := f.shop.ActivateLicense(ctx, key, "third", ""); !c.Activated || c.License.ActivationUsage != 2 {
		t.Fatalf("after freeing a place: %+v", c)
	}
	if d, _ := f.shop.DeactivateLicense(ctx, "VENDO-2222-3333-4444-5555", a.Instance.ID, ""); d.Deactivated || d.License.Status != shop.KeyUnknown {
		t.Fatalf("deactivate with an unknown key: %+v", d)
	}

	// A lower limit applies to keys already sold: no new activation
	// until enough are freed.
	f.product.ActivationLimit = 1
	f.store.PutProduct(ctx, &f.product)
	if c, _ := f.shop.ActivateLicense(ctx, key, "fourth", ""); c.Activated || !strings.Contains(c.Error, "2 of 1") {
		t.Fatalf("after the limit was lowered: %+v", c)
	}

	acts := auditActions(t, f.store)
	if acts["license.activate"] != 4 || acts["license.deactivate"] != 1 {
		t.Fatalf("audit: %v", acts)
	}
}

// TestCustomersAndAdminsManageActivations: the owner deactivates one of
// their activations from the account page, nobody else can; the account
// shows them; an admin resets a key; all audited.
func TestCustomersAndAdminsManageActivations(t *testing.T) {
	f := newKeyFixture(t, 0)
	ctx := context.Background()
	key := f.keys["active"]
	a, _ := f.shop.ActivateLicense(ctx, key.Key, "laptop", "")
	f.shop.ActivateLicense(ctx, key.Key, "desktop", "")
	if a.License.ActivationLimit != nil {
		t.Fatalf("a product without a limit: %+v", a.License)
	}
	if err := f.shop.DeactivateInstance(ctx, f.other.ID, a.Instance.ID, f.other.Email); !app.IsNotFound(err) {
		t.Fatalf("someone else's deactivation: %v", err)
	}
	v, err := f.shop.Account(ctx, f.cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lv *shop.LicenseView
	for i := range v.Licenses {
		if v.Licenses[i].ID == key.ID {
			lv = &v.Licenses[i]
		}
	}
	if lv == nil || len(lv.Instances) != 2 || lv.Instances[0].Name != "laptop" || lv.Info.ActivationUsage != 2 {
		t.Fatalf("the account's view of the key: %+v", lv)
	}
	if err := f.shop.DeactivateInstance(ctx, f.cust.ID, a.Instance.ID, f.cust.Email); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.shop.DeactivateLicense(ctx, key.Key, a.Instance.ID, ""); d.Deactivated || d.License.ActivationUsage != 1 {
		t.Fatalf("after the owner deactivated it: %+v", d)
	}
	if n, err := f.shop.ResetActivations(ctx, key.ID, "boss@example.com"); err != nil || n != 1 {
		t.Fatalf("reset: %d %v", n, err)
	}
	if _, err := f.shop.ResetActivations(ctx, key.ID, "boss@example.com"); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a second reset: %v", err)
	}
	if v, _ := f.shop.ValidateActivation(ctx, key.Key, "", ""); !v.Valid || v.License.ActivationUsage != 0 {
		t.Fatalf("after the reset: %+v", v)
	}
	acts := auditActions(t, f.store)
	if acts["license.deactivate"] != 1 || acts["license.reset"] != 1 {
		t.Fatalf("audit: %v", acts)
	}
}

func auditActions(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	acts := map[string]int{}
	st.View(context.Background(), func(tx *store.Tx) error {
		es, _, err := tx.AuditLog(store.AuditFilter{})
		for _, e := range es {
			acts[e.Action]++
		}
		return err
	})
	return acts
}

// TestKeyFollowsTheOrdersDerivedState: a licensed purchase's key, with an
// activation, through its order's story as Stripe's truth changes (issue
// 15's reconcile): a dispute suspends it (validate invalid, activate
// refused) without losing the activation; the dispute won gives the same
// key back, still activated there; a full refund ends it. The key's
// standing is read from the order's derived state each time.
func TestKeyFollowsTheOrdersDerivedState(t *testing.T) {
	f := newFixture(t)
	f.licensed(t)
	ctx := context.Background()
	f.paidSession("cs_k", "keys@example.com", 1)
	order, err := f.shop.FulfilCheckout(ctx, "cs_k")
	if err != nil {
		t.Fatal(err)
	}
	var key string
	f.store.View(ctx, func(tx *store.Tx) error { ls, _ := tx.LicensesOf(order.CustomerID); key = ls[0].Key; return nil })
	act, err := f.shop.ActivateLicense(ctx, key, "studio-mac", "")
	if err != nil || !act.Activated {
		t.Fatalf("activate: %+v %v", act, err)
	}
	ins := act.Instance.ID
	check := func(when, status string, valid bool) {
		t.Helper()
		st, err := f.shop.ValidateActivation(ctx, key, ins, "")
		if err != nil {
			t.Fatal(err)
		}
		if st.Valid != valid || st.License.Status != status || st.License.ActivationUsage != 1 || (valid && st.Instance == nil) {
			t.Fatalf("%s: validate %+v", when, st)
		}
		a, err := f.shop.ActivateLicense(ctx, key, "second-machine", "")
		if err != nil {
			t.Fatal(err)
		}
		if a.Activated != valid || a.License.Status != status {
			t.Fatalf("%s: activate %+v", when, a)
		}
		if a.Activated {
			if d, err := f.shop.DeactivateLicense(ctx, key, a.Instance.ID, ""); err != nil || !d.Deactivated {
				t.Fatalf("%s: deactivate %+v %v", when, d, err)
			}
		}
	}
	check("paid", shop.KeyActive, true)
	f.setDispute("cs_k", "needs_response")
	if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.dispute.created", "dp_cs_k"); err != nil {
		t.Fatal(err)
	}
	check("disputed", shop.KeyDisputed, false)
	f.setDispute("cs_k", app.DisputeWon)
	if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.dispute.closed", "dp_cs_k"); err != nil {
		t.Fatal(err)
	}
	check("dispute won", shop.KeyActive, true)
	f.setCharge("cs_k", stripeapi.RefundInfo{ID: "re_k", Amount: 1200, Status: "succeeded"})
	if err := f.deliver(t, f.shop.HandlePaymentEvent, "charge.refunded", "ch_cs_k"); err != nil {
		t.Fatal(err)
	}
	check("refunded", shop.KeyRefunded, false)
}

// TestLimitMailOncePerCause: with the setting off (the default) a
// refusal at the limit mails nobody; on, the first refusal mails the
// key's owner and later ones do not, until an activation is removed
// (by the API, the account or an admin's reset) and the key fills up
// again.
func TestLimitMailOncePerCause(t *testing.T) {
	f := newKeyFixture(t, 1)
	ctx := context.Background()
	key := f.keys["active"].Key
	sent := func() int {
		f.mail.mu.Lock()
		defer f.mail.mu.Unlock()
		n := 0
		for _, m := range f.mail.sent {
			if m == "license_limit:"+f.cust.Email {
				n++
			}
		}
		return n
	}
	refuse := func(want int) {
		t.Helper()
		out, err := f.shop.ActivateLicense(ctx, key, "one-too-many", "")
		if err != nil || out.Activated || !strings.Contains(out.Error, "already activated") {
			t.Fatalf("at the limit: %+v %v", out, err)
		}
		if got := sent(); got != want {
			t.Fatalf("%d limit mails, want %d", got, want)
		}
	}
	first, err := f.shop.ActivateLicense(ctx, key, "desk", "")
	if err != nil || !first.Activated {
		t.Fatal(first, err)
	}
	refuse(0) // off by default
	st, _ := f.store.Settings(ctx)
	st.LicenseLimitMail = true
	if _, err := f.shop.SaveSettings(ctx, st, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	refuse(1)
	refuse(1)
	if d, err := f.shop.DeactivateLicense(ctx, key, first.Instance.ID, ""); err != nil || !d.Deactivated {
		t.Fatal(d, err)
	}
	again, _ := f.shop.ActivateLicense(ctx, key, "desk", "")
	refuse(2)
	refuse(2)
	if _, err := f.shop.ResetActivations(ctx, f.keys["active"].ID, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if a, _ := f.shop.ActivateLicense(ctx, key, "desk", ""); !a.Activated || a.Instance.ID == again.Instance.ID {
		t.Fatalf("after the reset: %+v", a)
	}
	refuse(3)
	// Another key's owner is never mailed for this one.
	f.mail.mu.Lock()
	defer f.mail.mu.Unlock()
	for _, m := range f.mail.sent {
		if m != "license_limit:"+f.cust.Email {
			t.Errorf("unexpected mail %s", m)
		}
	}
}
