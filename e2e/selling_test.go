package e2e

import "testing"

// TestSharedCodeAndTrial: the owner makes a discount code and gives the
// Pro plan a free trial; a customer follows the code's shared link, sees
// the discounted price, pays it on the sandbox's Checkout, then signs in
// and starts the trial, which the account shows.
func TestSharedCodeAndTrial(t *testing.T) {
	t.Parallel()
	s := startShop(t)
	owner := newBrowserFor(t, s, "owner")

	owner.Step("admin-link", func() {
		s.signInAdmin(owner)
	})

	owner.Step("create-code", func() {
		owner.Open("/admin/discounts")
		owner.Type("#code", "SHARE20")
		owner.Type("#name", "Friends of the shop")
		owner.Type("#percent_off", "20")
		owner.Press("Create code")
		owner.WaitPath(`^/admin/discounts`)
		owner.Sees("SHARE20")
	})

	owner.Step("pro-trial", func() {
		owner.Open("/admin/plans")
		if !evalJS[bool](owner, `(() => {
			const pro = [...document.querySelectorAll("section.plan-edit")].find(s => s.querySelector("h2").innerText.startsWith("Pro"));
			pro.querySelector("input[name=trial_days]").value = "14";
			return true;
		})()`) {
			owner.fail("no trial field on the Pro plan")
		}
		owner.Press("Save Pro")
		owner.WaitPath(`^/admin/plans`)
		owner.Until("the saved trial", `[...document.querySelectorAll("input[name=trial_days]")].some(i => i.value === "14")`)
	})

	b := newBrowser(t, s)
	const email = "sharer@example.com"
	b.Step("shared-link", func() {
		b.Open("/products/cafe-budget-planner?code=SHARE20")
		b.MustSee(budgetTitle, "$5.60")
		b.Press("Add to cart")
		b.Until("the header badge to count 1", `document.getElementById("cart-badge").textContent.trim() === "1"`)
		b.Open("/cart")
		b.MustSee("SHARE20", "$5.60")
	})

	b.Step("pay-discounted", func() {
		b.Press("Checkout…")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.MustSee("Discount", "$5.60")
		payOnSandbox(b, email, goodCard)
		b.WaitPath(`^/checkout/success\?session_id=cs_`)
		b.Sees("Thank you for your order!")
		b.MustSee("$5.60", budgetTitle)
	})

	b.Step("start-trial", func() {
		signIn(b, email)
		b.Open("/plans")
		b.MustSee("14-day free trial")
		b.PressIn("#plan-grid", "Start free trial")
		b.WaitPath(`^/sandbox/stripe/checkout/cs_`)
		b.MustSee("14 days free", "Start your free trial")
		payOnSandbox(b, email, goodCard)
		b.WaitPath(`^/account`)
		b.ReloadUntil("the trial on the account", `document.getElementById("subscription").innerText.includes("Free trial until")`)
		b.MustSee("Pro", "Trial")
	})
	b.NoCSPViolations()
}
