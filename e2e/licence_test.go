package e2e

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

// licenseCall posts JSON to the license API as a customer's software
// would, and decodes the answer.
func licenseCall(t *testing.T, s *shop, endpoint string, body map[string]string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.url("/api/licenses/"+endpoint), "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s answered %d, not JSON: %v", endpoint, resp.StatusCode, err)
	}
	return out
}

// A customer buys a licensed product; their software activates the key;
// the account page shows the activation and the customer deactivates it
// there, which the API then knows. The owner exports the orders list as
// CSV from its page and finds the sale in it.
func TestLicenceActivationAndOrderExport(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	customer := newBrowserFor(t, s, "customer")
	const email = "licensee@example.com"
	var key, instance string

	customer.Step("buy", func() {
		signIn(customer, email)
		buyNow(customer, "field-notes-icon-pack", email)
	})

	customer.Step("software-activates", func() {
		customer.Open("/account")
		customer.ReloadUntil("the license key", `!!document.querySelector("#licenses code.license-key")`)
		key = customer.Text("#licenses code.license-key")
		if !licenseKeyRE.MatchString(key) {
			customer.fail("the account shows %q, not a key", key)
		}
		out := licenseCall(t, s, "activate", map[string]string{"key": key, "instance_name": "studio-mac"})
		in, _ := out["instance"].(map[string]any)
		if out["activated"] != true || in == nil {
			customer.fail("activation answered %v", out)
		}
		instance, _ = in["id"].(string)
	})

	customer.Step("account-deactivates", func() {
		customer.Reload()
		customer.Sees("studio-mac")
		customer.MustSee("Activated on 1")
		customer.Click(`#licenses button[aria-label="Deactivate studio-mac"]`)
		customer.WaitPath(`^/account`)
		customer.Sees("Activated on 0")
		if evalJS[bool](customer, `document.querySelector("#licenses").innerText.includes("studio-mac")`) {
			customer.fail("the deactivated instance is still listed")
		}
		out := licenseCall(t, s, "validate", map[string]string{"key": key, "instance_id": instance})
		if out["valid"] != false || !strings.Contains(out["error"].(string), "not activated") {
			customer.fail("validate after the deactivation answered %v", out)
		}
	})

	owner := newBrowserFor(t, s, "owner")
	owner.Step("export-orders", func() {
		s.signInAdmin(owner)
		owner.Open("/admin/orders")
		owner.MustSee(email)
		path, name := owner.Download(`#orders-table a[href^="/admin/orders.csv"]`)
		if !strings.HasPrefix(name, "orders-") || !strings.HasSuffix(name, ".csv") {
			owner.fail("the export is named %q", name)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil || len(recs) != 2 || recs[0][0] != "number" {
			owner.fail("the export (%v): %v", err, recs)
		}
		if row := strings.Join(recs[1], ","); !strings.Contains(row, email) || !strings.Contains(row, "Field Notes Icon Pack") || !strings.Contains(row, ",paid,") {
			owner.fail("the order's row: %s", row)
		}
	})
	customer.NoCSPViolations()
	owner.NoCSPViolations()
}
