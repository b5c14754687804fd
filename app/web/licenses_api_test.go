package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// licenseAPI posts a JSON body to one of the license API's endpoints and
// decodes the answer.
func licenseAPI(t *testing.T, c *vendotest.Client, endpoint, body string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", c.URL("/api/licenses/"+endpoint), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, page := c.Do(req)
	var out map[string]any
	if err := json.Unmarshal([]byte(page), &out); err != nil {
		t.Fatalf("%s answered %d, not JSON: %s", endpoint, resp.StatusCode, page)
	}
	return resp.StatusCode, out
}

func jsonBody(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

var instanceItemRE = regexp.MustCompile(`action="/account/licenses/instances/(ins_[a-z0-9]+)/deactivate"`)

// TestLicenseActivationsThroughTheAPIAndTheAccount: a buyer's key is
// activated by software up to its product's limit, the account page
// lists the activations and deactivates one, the API sees the place
// freed; a stranger cannot touch them; the admin sees and resets them.
func TestLicenseActivationsThroughTheAPIAndTheAccount(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	prod, err := s.Store.ProductBySlug(ctx, "field-notes-icon-pack")
	if err != nil || !prod.Licensed {
		t.Fatalf("the demo's licensed product: %+v %v", prod, err)
	}
	prod.ActivationLimit = 2
	if err := s.Store.PutProduct(ctx, &prod); err != nil {
		t.Fatal(err)
	}
	buyer := s.NewClient()
	buy(t, s, buyer, "licensee@example.com", prod.Slug)
	cust, _ := s.Store.CustomerByEmail(ctx, "licensee@example.com")
	var key string
	vendotest.WaitFor(t, "the purchase's license key", func() bool {
		s.Store.View(ctx, func(tx *store.Tx) error {
			if lics, _ := tx.LicensesOf(cust.ID); len(lics) > 0 {
				key = lics[0].Key
			}
			return nil
		})
		return key != ""
	})

	software := s.NewClient()
	ids := map[string]string{}
	for _, name := range []string{"laptop", "studio-mac"} {
		code, out := licenseAPI(t, software, "activate", jsonBody("key", strings.ToLower(key), "instance_name", name))
		inst, _ := out["instance"].(map[string]any)
		if code != 200 || out["activated"] != true || inst == nil || inst["name"] != name {
			t.Fatalf("activate %s: %d %v", name, code, out)
		}
		ids[name] = inst["id"].(string)
	}
	code, out := licenseAPI(t, software, "activate", jsonBody("key", key, "instance_name", "third"))
	lic, _ := out["license"].(map[string]any)
	if code != 200 || out["activated"] != false || out["instance"] != nil || !strings.Contains(out["error"].(string), "2 of 2") ||
		lic["activation_limit"] != 2.0 || lic["activation_usage"] != 2.0 || lic["status"] != "active" {
		t.Fatalf("over the limit: %d %v", code, out)
	}
	if code, out := licenseAPI(t, software, "validate", jsonBody("key", key, "instance_id", ids["laptop"])); code != 200 || out["valid"] != true ||
		out["instance"].(map[string]any)["name"] != "laptop" || out["product"] != prod.Slug {
		t.Fatalf("validate with the instance: %d %v", code, out)
	}
	for _, name := range []string{"licensee@example.com", cust.ID, "Test Buyer"} {
		if strings.Contains(software.Page, name) {
			t.Fatalf("the API reveals the owner (%q): %s", name, software.Page)
		}
	}

	// The account page lists both and deactivates one.
	_, page := buyer.Get("/account")
	if !strings.Contains(page, "laptop") || !strings.Contains(page, "studio-mac") || !strings.Contains(page, "Activated on 2 of 2 devices") {
		t.Fatalf("the account page does not list the activations:\n%s", between(page, `id="licenses"`, `id="orders"`))
	}
	stranger := s.NewClient()
	stranger.SignIn("stranger@example.com")
	if resp, _ := stranger.Submit("/account/licenses/instances/"+ids["laptop"]+"/deactivate", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a stranger's deactivation: %d, want 404", resp.StatusCode)
	}
	buyer.Get("/account")
	resp, page := buyer.Submit("/account/licenses/instances/"+ids["laptop"]+"/deactivate", nil)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/account" || !strings.Contains(page, "the key has a free activation again") {
		t.Fatalf("deactivate from the account: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if m := instanceItemRE.FindAllStringSubmatch(page, -1); len(m) != 1 || m[0][1] != ids["studio-mac"] {
		t.Fatalf("the account lists %v after the deactivation", m)
	}
	if _, out := licenseAPI(t, software, "validate", jsonBody("key", key, "instance_id", ids["laptop"])); out["valid"] != false || out["error"] == nil {
		t.Fatalf("a deactivated instance validates: %v", out)
	}
	if _, out := licenseAPI(t, software, "activate", jsonBody("key", key, "instance_name", "third")); out["activated"] != true {
		t.Fatalf("activation after a place was freed: %v", out)
	}
	if _, out := licenseAPI(t, software, "deactivate", jsonBody("key", key, "instance_id", ids["studio-mac"])); out["deactivated"] != true {
		t.Fatalf("deactivate through the API: %v", out)
	}

	// The admin sees the activation and resets the key.
	s.Admin.SignInAdmin()
	_, page = s.Admin.Get("/admin/licenses?q=" + url.QueryEscape("licensee@example.com"))
	if !strings.Contains(page, "third") || !strings.Contains(page, "1 of 2") {
		t.Fatalf("the admin's license list:\n%s", between(page, "<table", "</table>"))
	}
	l, _ := s.Store.LicenseByKey(ctx, key)
	resp, page = s.Admin.Submit("/admin/licenses/"+l.ID+"/reset", url.Values{"q": {"licensee@example.com"}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Activations reset") || strings.Contains(page, "third") {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, between(page, "<table", "</table>"))
	}
	_, page = s.Admin.Get("/admin/audit")
	for _, want := range []string{"license.activate", "license.deactivate", "license.reset"} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit log has no %s", want)
		}
	}
}

// TestLicenseAPIAnswersOneShapeAndLimitsPerKey: malformed requests are
// 400 in the endpoint's shape; writes for one key are limited per minute
// whatever the address, and another key is not held back.
func TestLicenseAPIAnswersOneShapeAndLimitsPerKey(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	var keys []string
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		c := app.Customer{Email: "many@example.com"}
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			l := app.License{Key: shop.NewLicenseKey(), CustomerID: c.ID, Status: app.LicenseActive}
			if err := tx.PutLicense(&l); err != nil {
				return err
			}
			keys = append(keys, l.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := s.NewClient()
	for _, tc := range []struct{ endpoint, body, flag string }{
		{"activate", `{"key":"nope","instance_name":"x"}`, "activated"},
		{"activate", jsonBody("key", keys[0]), "activated"},
		{"deactivate", jsonBody("key", keys[0]), "deactivated"},
		{"validate", jsonBody("key", keys[0], "instance_id", "<script>"), "valid"},
		{"validate", `{"key":`, "valid"},
	} {
		code, out := licenseAPI(t, c, tc.endpoint, tc.body)
		if _, hasLicense := out["license"]; code != 400 || out[tc.flag] != false || out["error"] == "" || !hasLicense {
			t.Errorf("%s %s: %d %v", tc.endpoint, tc.body, code, out)
		}
	}
	// Unknown keys answer like any refusal: 200, the shape, status unknown.
	if code, out := licenseAPI(t, c, "activate", jsonBody("key", "VENDO-2222-3333-4444-5555", "instance_name", "x")); code != 200 ||
		out["activated"] != false || out["license"].(map[string]any)["status"] != "unknown" {
		t.Errorf("an unknown key: %d %v", code, out)
	}

	codes := map[int]int{}
	for i := 0; i < 12; i++ {
		code, out := licenseAPI(t, c, "activate", jsonBody("key", keys[0], "instance_name", "ci-runner"))
		codes[code]++
		if code == 429 && (!strings.Contains(out["error"].(string), "this license key") || out["activated"] != false) {
			t.Fatalf("429 answer: %v", out)
		}
	}
	if codes[200] != 10 || codes[429] != 2 {
		t.Fatalf("activations of one key: %v, want 10×200 then 2×429", codes)
	}
	if code, out := licenseAPI(t, c, "activate", jsonBody("key", keys[1], "instance_name", "ci-runner")); code != 200 || out["activated"] != true {
		t.Fatalf("another key after the first was limited: %d %v", code, out)
	}
	if code, out := licenseAPI(t, c, "validate", jsonBody("key", keys[0])); code != 200 || out["valid"] != true {
		t.Fatalf("validating the limited key: %d %v", code, out)
	}
}

// between is the part of page from the first from to the next to after it.
func between(page, from, to string) string {
	i := strings.Index(page, from)
	if i < 0 {
		return page
	}
	j := strings.Index(page[i:], to)
	if j < 0 {
		return page[i:]
	}
	return page[i : i+j+len(to)]
}

// TestAdminTurnsOnTheLimitMail: the activation-limit mail is off in a
// new shop, and the settings page turns it on and off again.
func TestAdminTurnsOnTheLimitMail(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	s.Admin.SignInAdmin()
	ctx := context.Background()
	checkbox := regexp.MustCompile(`<input type="checkbox" name="license_limit_mail"[^>]*>`)
	_, page := s.Admin.Get("/admin/settings")
	if box := checkbox.FindString(page); box == "" || strings.Contains(box, "checked") {
		t.Fatalf("the setting's checkbox: %q", box)
	}
	form := url.Values{"shop_name": {"Vendo Demo Shop"}, "currency": {"usd"}, "download_expiry": {"24"}, "download_limit": {"10"},
		"past_due_grace": {"7"}, "unlocks_at_plan_end": {"end"}, "license_limit_mail": {"1"}}
	for _, on := range []bool{true, false} {
		if !on {
			form.Del("license_limit_mail")
		}
		if resp, _ := s.Admin.Submit("/admin/settings", form); resp.StatusCode != 200 {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		if st, _ := s.Store.Settings(ctx); st.LicenseLimitMail != on {
			t.Fatalf("saved %v, want %v", st.LicenseLimitMail, on)
		}
		_, page := s.Admin.Get("/admin/settings")
		if box := checkbox.FindString(page); strings.Contains(box, "checked") != on {
			t.Fatalf("after saving %v: %q", on, box)
		}
	}
}

// TestAdminPreviewsEveryMail: the settings page links a preview of each
// email template; a preview shows the template composed with sample data
// and the shop's name; an unknown one is 404, and customers see none.
func TestAdminPreviewsEveryMail(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	s.Admin.SignInAdmin()
	_, page := s.Admin.Get("/admin/settings")
	links := regexp.MustCompile(`href="/admin/settings/mails/([a-z_]+)"`).FindAllStringSubmatch(page, -1)
	var names []string
	for _, l := range links {
		names = append(names, l[1])
	}
	for _, want := range []string{"license_limit", "order_refunded", "receipt", "subscription_started"} {
		if !slices.Contains(names, want) {
			t.Errorf("the settings page previews %v, not %s", names, want)
		}
	}
	for _, name := range names {
		resp, page := s.Admin.Get("/admin/settings/mails/" + name)
		if resp.StatusCode != 200 || !strings.Contains(page, "Vendo Demo Shop") || strings.Contains(page, "&lt;no value&gt;") {
			t.Errorf("preview of %s: %d", name, resp.StatusCode)
		}
	}
	if _, page := s.Admin.Get("/admin/settings/mails/receipt"); !strings.Contains(page, "#1042") || !strings.Contains(page, "Field Notes Icon Pack") {
		t.Errorf("the receipt's preview lacks the sample order")
	}
	if resp, _ := s.Admin.Get("/admin/settings/mails/nope"); resp.StatusCode != 404 {
		t.Errorf("an unknown template: %d", resp.StatusCode)
	}
	customer := s.NewClient()
	customer.SignIn("curious@example.com")
	if resp, page := customer.Get("/admin/settings/mails/receipt"); resp.StatusCode != 403 || strings.Contains(page, "#1042") {
		t.Errorf("a customer previewed a mail: %d", resp.StatusCode)
	}
}
