package server_test

import (
	"regexp"
	"testing"

	"vendo/app/vendotest"
)

// TestTheSettingsPageDescribesEachWayToSell: the admin's settings page
// says in a sentence what each way of selling of issue 19 does and where
// it is set up — free products, pay what you want, tax (with invoices
// for orders), discount codes (on plans too, and typed on Checkout) and
// free trials.
func TestTheSettingsPageDescribesEachWayToSell(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	_, page := srv.Admin.Get("/admin/settings")
	section := regexp.MustCompile(`(?s)<section[^>]*id="selling".*?</section>`).FindString(page)
	if section == "" {
		t.Fatalf("no Ways to sell section:\n%.3000s", page)
	}
	for _, want := range []string{
		"<strong>Free products</strong>", "<em>Get it free</em>",
		"<strong>Pay what you want</strong>", "suggested price",
		"<strong>Tax</strong>", "Stripe Tax", "each one-time order gets a Stripe invoice",
		"<strong>Discount codes</strong>", `href="/admin/discounts"`, "plans", "share it as a link", "type it on Stripe's Checkout page", "uses and revenue",
		"<strong>Free trials</strong>", `href="/admin/plans"`, "trial days", "without a card", "mailed three days before it ends",
	} {
		mustContain(t, section, want)
	}
}
