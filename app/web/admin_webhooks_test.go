package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/hooks"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// TestAdminWebhooks: the admin makes an endpoint on /admin/webhooks and
// sees its signing secret once; a new customer is delivered to it signed
// with that secret; the endpoint's 503 and its answer are on the
// delivery's page, whose Resend (with CSRF) sends it again. A bad address
// is refused with a sentence and stores nothing; a customer gets no page.
func TestAdminWebhooks(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	var secret atomic.Value
	secret.Store("")
	var hits, badSig atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if hooks.Verify(r.Header.Get(hooks.SignatureHeader), secret.Load().(string), body, time.Now(), time.Minute) != nil {
			badSig.Add(1)
		}
		hits.Add(1)
		w.WriteHeader(503)
		io.WriteString(w, "CRM is napping")
	}))
	defer recv.Close()

	s.Admin.SignInAdmin()
	s.Admin.Get("/admin/webhooks")
	resp, page := s.Admin.Submit("/admin/webhooks", url.Values{"url": {"not a url"}, "events": {app.HookCustomerCreated}, "enabled": {"1"}})
	if resp.StatusCode != 422 || !strings.Contains(html.UnescapeString(page), "Enter the full address of the endpoint") {
		t.Fatalf("a bad address: %d\n%.400s", resp.StatusCode, page)
	}
	resp, page = s.Admin.Submit("/admin/webhooks", url.Values{"url": {recv.URL + "/in"}, "events": {app.HookCustomerCreated}, "enabled": {"1"}})
	m := regexp.MustCompile(`id="hook-secret">(whsec_[0-9a-f]{64})<`).FindStringSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("creating an endpoint: %d, no secret shown\n%.2000s", resp.StatusCode, page)
	}
	secret.Store(m[1])
	var eps []app.HookEndpoint
	s.Store.View(context.Background(), func(tx *store.Tx) (err error) { eps, err = tx.HookEndpoints(); return err })
	if len(eps) != 1 || eps[0].URL != recv.URL+"/in" || !eps[0].Enabled || len(eps[0].Events) != 1 {
		t.Fatalf("stored endpoints %+v (the bad one must not be stored)", eps)
	}
	if _, page := s.Admin.Get("/admin/webhooks"); strings.Contains(page, m[1]) || !strings.Contains(page, recv.URL+"/in") {
		t.Fatal("the list shows the secret again, or not the endpoint")
	}

	s.NewClient().SignIn("new-hooked@example.com") // customer.created
	delivery := func() app.HookDelivery {
		var ds []app.HookDelivery
		s.Store.View(context.Background(), func(tx *store.Tx) (err error) { ds, _, err = tx.HookDeliveries(store.HookDeliveryFilter{}); return err })
		if len(ds) == 0 {
			return app.HookDelivery{}
		}
		return ds[0]
	}
	vendotest.WaitFor(t, "the first attempt", func() bool { return len(delivery().Attempts) >= 1 })
	d := delivery()
	if d.EventType != app.HookCustomerCreated || d.Status != app.HookPending || badSig.Load() != 0 {
		t.Fatalf("delivery %+v, %d bad signatures", d, badSig.Load())
	}
	_, page = s.Admin.Get("/admin/webhooks/deliveries/" + d.ID)
	for _, want := range []string{"503", "CRM is napping", "customer.created", `"api_version":"` + app.HookAPIVersion + `"`, "new-hooked@example.com"} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("the delivery page lacks %q", want)
		}
	}
	if resp, _ := s.Admin.Post("/admin/webhooks/deliveries/"+d.ID+"/resend", url.Values{}); resp.StatusCode != 403 {
		t.Fatalf("resend without a CSRF token: %d", resp.StatusCode)
	}
	before := hits.Load()
	s.Admin.Get("/admin/webhooks/deliveries/" + d.ID)
	if resp, page := s.Admin.Submit("/admin/webhooks/deliveries/"+d.ID+"/resend", url.Values{}); resp.StatusCode != 200 || !strings.Contains(page, "queued again") {
		t.Fatalf("resend: %d", resp.StatusCode)
	}
	vendotest.WaitFor(t, "the resent attempt", func() bool { return hits.Load() > before })
	if _, page := s.Admin.Get("/admin/audit"); !strings.Contains(page, "webhook.resend") || !strings.Contains(page, "webhook.create") {
		t.Error("the audit log lacks the webhook actions")
	}

	c := s.NewClient()
	c.SignIn("nosy@example.com")
	if resp, _ := c.Get("/admin/webhooks"); resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Fatalf("a customer on /admin/webhooks: %d", resp.StatusCode)
	}
}

// TestDashboardNamesFailedDeliveries: a webhook delivery that failed is
// under "Needs attention" on the dashboard, linked to the failed
// deliveries; without one the dashboard does not mention webhooks.
func TestDashboardNamesFailedDeliveries(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	s.Admin.SignInAdmin()
	link := `<a href="/admin/webhooks?status=failed">1 failed webhook delivery</a>`
	if _, page := s.Admin.Get("/admin"); strings.Contains(page, "webhooks?status=failed") {
		t.Fatal("the dashboard names failed deliveries when there are none")
	}
	// Queued and failed in one transaction: the sender never sees it.
	err := s.Store.Update(context.Background(), func(tx *store.Tx) error {
		e := app.HookEndpoint{URL: "https://tools.example.com/in", Events: []string{app.HookOrderPaid}, Enabled: true, Secret: "whsec_x"}
		if err := tx.PutHookEndpoint(&e); err != nil {
			return err
		}
		if err := tx.QueueHook(app.HookOrderPaid, "ord_x", map[string]any{}); err != nil {
			return err
		}
		due, err := tx.DueHookDeliveries(0)
		if err != nil || len(due) != 1 {
			return fmt.Errorf("%d due deliveries: %v", len(due), err)
		}
		d := due[0]
		d.Status, d.FailedAt = app.HookFailed, tx.Now()
		return tx.PutHookDelivery(&d)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, page := s.Admin.Get("/admin")
	if !strings.Contains(page, link) || !strings.Contains(page, "stat-bad") {
		t.Fatalf("the dashboard lacks %s:\n%s", link, between(page, "Needs attention", "</div>"))
	}
}
