package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"vendo/app/hooks"
)

// The owner signs in with `vendo admin-link`, creates a product with a
// file (the upload shows its progress), finds it in the shop, and refunds
// a customer's order; the customer's download link is then refused.
func TestAdminProductAndRefund(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	owner := newBrowserFor(t, s, "owner")
	const title = "Harbour Field Recordings"

	owner.Step("admin-link", func() {
		s.signInAdmin(owner)
		owner.MustSee("Admin")
	})

	owner.Step("new-product", func() {
		owner.PressIn("nav.admin-nav", "Products")
		owner.WaitPath(`^/admin/products$`)
		owner.Press("New product")
		owner.WaitPath(`^/admin/products/new$`)
		owner.Type("#title", title)
		owner.Type("#summary", "Two hours of a harbour at dawn, in 24-bit WAV.")
		owner.Type("#description", "Gulls, ropes and engines.\n\nRecorded on a quiet morning.")
		owner.Type("#price", "4.00")
		if !evalJS[bool](owner, `document.querySelector("input[name=active]").checked`) {
			owner.Click("input[name=active]")
		}
		owner.Press("Create product")
		owner.WaitPath(`^/admin/products/prod_`)
		owner.MustSee(title, "No files yet")
	})

	upload := filepath.Join(t.TempDir(), "harbour-dawn.wav")
	owner.Step("upload-with-progress", func() {
		data := make([]byte, 3<<20)
		rand.Read(data)
		if err := os.WriteFile(upload, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Slow the upload down, as on a real connection, so the progress
		// bar has time to show.
		owner.throttleUpload(2 << 20)
		owner.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{upload}))
		owner.PressIn("#product-files form.upload", "Upload")
		owner.Until("the upload progress bar", `(p => p && !p.hidden && p.value > 0)(document.querySelector("#product-files progress[data-upload-progress]"))`)
		owner.snap(owner.step + "-progress")
		owner.Until("the file to be listed", `document.querySelector("#product-files ul.files") && document.querySelector("#product-files ul.files").innerText.includes("harbour-dawn.wav")`)
		owner.throttleUpload(-1)
	})

	owner.Step("in-the-shop", func() {
		owner.Open("/products")
		owner.MustSee(title)
		owner.PressIn("#product-results", title)
		owner.WaitPath(`^/products/harbour-field-recordings$`)
		owner.MustSee(title, "$4.00", "harbour-dawn.wav", "Add to cart")
	})

	// A customer, in their own browser, buys it and gets the very bytes
	// the owner uploaded.
	customer := newBrowserFor(t, s, "customer")
	const email = "listener@example.com"
	var link string
	customer.Step("customer-buys", func() {
		buyNow(customer, "harbour-field-recordings", email)
		link = evalJS[string](customer, `document.querySelector("#checkout-status a[download]").href`)
		path, name := customer.Download("#checkout-status a[download]")
		if name != "harbour-dawn.wav" {
			customer.fail("the download is named %q, want harbour-dawn.wav", name)
		}
		got, _ := os.ReadFile(path)
		want, _ := os.ReadFile(upload)
		if sha256.Sum256(got) != sha256.Sum256(want) {
			customer.fail("the download (%d bytes) differs from the uploaded file (%d bytes)", len(got), len(want))
		}
	})

	owner.Step("find-order", func() {
		owner.Open("/admin")
		owner.PressIn("nav.admin-nav", "Orders")
		owner.WaitPath(`^/admin/orders$`)
		owner.MustSee(email, title, "$4.00")
		number := evalJS[string](owner, fmt.Sprintf(`[...document.querySelectorAll("#orders-table tbody tr")].find(tr => tr.innerText.includes(%q)).querySelector("a[href^='/admin/orders/']").textContent.trim()`, email))
		owner.PressIn("#orders-table", number)
		owner.WaitPath(`^/admin/orders/[^/]+$`)
		owner.MustSee("Order "+number, email, title)
		if st := owner.Text(".section-head .status"); st != "Paid" {
			owner.fail("order status %q, want Paid", st)
		}
	})

	owner.Step("refund", func() {
		owner.Press("Review the refund…")
		owner.WaitPath(`^/admin/orders/[^/]+/refund`)
		owner.MustSee("Refund $4.00?", "download links for it stop working")
		owner.Press("Refund $4.00")
		owner.WaitPath(`^/admin/orders/[^/]+(\?|$)`)
		owner.ReloadUntil("the order to be refunded", `document.querySelector(".section-head .status").textContent.trim() === "Refunded"`)
		owner.MustSee("Refunded $4.00 of $4.00")
	})

	customer.Step("download-refused", func() {
		resp := run(customer, "open the download link", chromedp.NavigateResponse(link))
		if resp.Status != 403 {
			customer.fail("the download link of a refunded order answered %d, want 403", resp.Status)
		}
	})
	owner.NoCSPViolations()
	customer.NoCSPViolations()
}

// throttleUpload limits the browser's upload speed (bytes a second), or
// lifts the limit for -1.
func (b *browser) throttleUpload(bytesPerSecond float64) {
	b.t.Helper()
	rules := []*network.Conditions{}
	if bytesPerSecond > 0 {
		rules = append(rules, &network.Conditions{UploadThroughput: bytesPerSecond, DownloadThroughput: -1})
	}
	run(b, "throttle uploads", func(ctx context.Context, t *chromedp.Target) (network.EmulateNetworkConditionsByRuleResult, error) {
		return cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
	})
}

// The owner adds a webhook endpoint for their own tool on
// /admin/webhooks, copies the signing secret shown once, and, after a
// customer buys, sees the signed order.paid delivered to it.
func TestAdminWebhookEndpoint(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []string // event types received with a good signature
		bad int
	)
	var secret atomic.Value
	secret.Store("")
	tool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		if hooks.Verify(r.Header.Get(hooks.SignatureHeader), secret.Load().(string), body, time.Now(), 5*time.Minute) == nil {
			got = append(got, r.Header.Get("Vendo-Event-Type"))
		} else {
			bad++
		}
		mu.Unlock()
	}))
	defer tool.Close()
	s := startShop(t)
	owner := newBrowserFor(t, s, "owner")

	owner.Step("admin-link", func() {
		s.signInAdmin(owner)
	})
	owner.Step("new-endpoint", func() {
		owner.PressIn("nav.admin-nav", "Webhooks")
		owner.WaitPath(`^/admin/webhooks$`)
		owner.MustSee("No endpoints yet")
		owner.Type("#hook-url", tool.URL+"/vendo")
		owner.Press("Create endpoint")
		owner.WaitVisible("#hook-secret")
		owner.MustSee("Endpoint created", "shown this once", tool.URL+"/vendo")
		key := owner.Text("#hook-secret")
		if !strings.HasPrefix(key, "whsec_") {
			owner.fail("the secret shown is %q", key)
		}
		secret.Store(key)
	})
	customer := newBrowserFor(t, s, "customer")
	customer.Step("customer-buys", func() { buyNow(customer, "cafe-budget-planner", "hooked@example.com") })
	owner.Step("delivered", func() {
		owner.Open("/admin/webhooks")
		owner.ReloadUntil("order.paid delivered", `[...document.querySelectorAll("#webhook-deliveries tbody tr")].some(tr => tr.innerText.includes("order.paid") && tr.innerText.includes("delivered"))`)
		if strings.Contains(owner.Text("main"), secret.Load().(string)) {
			owner.fail("the webhooks page shows the secret again")
		}
		mu.Lock()
		defer mu.Unlock()
		if bad != 0 || !slices.Contains(got, "order.paid") || !slices.Contains(got, "customer.created") {
			owner.fail("the tool received %v with a good signature and %d with a bad one", got, bad)
		}
	})
	owner.NoCSPViolations()
}
