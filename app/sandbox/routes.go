package sandbox

import (
	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76"
)

// mountPath is where the shop mounts the sandbox (DESIGN.md §3).
const mountPath = "/sandbox/stripe"

// Mount registers every sandbox route on r, which the shop creates with
// app.Group("/sandbox/stripe"). API parameters are checked against the
// stripe-go v76 params type of each call.
func (s *Sandbox) Mount(r fiber.Router) {
	// API (stripe-go appends /v1/... to APIBase).
	r.Post("/v1/customers", s.apiWrite(&stripe.CustomerParams{}, apiCreateCustomer))
	r.Get("/v1/customers", s.apiRead(&stripe.CustomerListParams{}, apiListCustomers))
	r.Get("/v1/customers/:id", s.apiRead(&stripe.CustomerParams{}, apiGetCustomer))
	r.Post("/v1/customers/:id", s.apiWrite(&stripe.CustomerParams{}, apiUpdateCustomer))

	r.Post("/v1/products", s.apiWrite(&stripe.ProductParams{}, apiCreateProduct))
	r.Get("/v1/products", s.apiRead(&stripe.ProductListParams{}, apiListProducts))
	r.Get("/v1/products/:id", s.apiRead(&stripe.ProductParams{}, apiGetProduct))
	r.Post("/v1/products/:id", s.apiWrite(&stripe.ProductParams{}, apiUpdateProduct))

	r.Post("/v1/prices", s.apiWrite(&stripe.PriceParams{}, apiCreatePrice))
	r.Get("/v1/prices", s.apiRead(&stripe.PriceListParams{}, apiListPrices))
	r.Get("/v1/prices/:id", s.apiRead(&stripe.PriceParams{}, apiGetPrice))
	r.Post("/v1/prices/:id", s.apiWrite(&stripe.PriceParams{}, apiUpdatePrice))

	r.Post("/v1/coupons", s.apiWrite(&stripe.CouponParams{}, apiCreateCoupon))
	r.Get("/v1/coupons/:id", s.apiRead(&stripe.CouponParams{}, apiGetCoupon))
	r.Post("/v1/promotion_codes", s.apiWrite(&stripe.PromotionCodeParams{}, apiCreatePromotionCode))
	r.Get("/v1/promotion_codes/:id", s.apiRead(&stripe.PromotionCodeParams{}, apiGetPromotionCode))
	r.Post("/v1/promotion_codes/:id", s.apiWrite(&stripe.PromotionCodeParams{}, apiUpdatePromotionCode))

	r.Get("/v1/tax_rates/:id", s.apiRead(&stripe.TaxRateParams{}, apiGetTaxRate))

	r.Post("/v1/checkout/sessions", s.apiWrite(&stripe.CheckoutSessionParams{}, apiCreateSession))
	r.Get("/v1/checkout/sessions", s.apiRead(&stripe.CheckoutSessionListParams{}, apiListSessions))
	r.Get("/v1/checkout/sessions/:id", s.apiRead(&stripe.CheckoutSessionParams{}, apiGetSession))
	r.Get("/v1/checkout/sessions/:id/line_items", s.apiRead(&stripe.CheckoutSessionListLineItemsParams{}, apiListLineItems))
	r.Post("/v1/checkout/sessions/:id/expire", s.apiWrite(&stripe.CheckoutSessionExpireParams{}, apiExpireSession))

	r.Get("/v1/payment_intents", s.apiRead(&stripe.PaymentIntentListParams{}, apiListPaymentIntents))
	r.Get("/v1/payment_intents/:id", s.apiRead(&stripe.PaymentIntentParams{}, apiGetPaymentIntent))
	r.Get("/v1/charges", s.apiRead(&stripe.ChargeListParams{}, apiListCharges))
	r.Get("/v1/charges/:id", s.apiRead(&stripe.ChargeParams{}, apiGetCharge))
	r.Get("/v1/payment_methods/:id", s.apiRead(&stripe.PaymentMethodParams{}, apiGetPaymentMethod))

	r.Post("/v1/refunds", s.apiWrite(&stripe.RefundParams{}, apiCreateRefund))
	r.Get("/v1/refunds", s.apiRead(&stripe.RefundListParams{}, apiListRefunds))
	r.Get("/v1/refunds/:id", s.apiRead(&stripe.RefundParams{}, apiGetRefund))

	r.Get("/v1/disputes", s.apiRead(&stripe.DisputeListParams{}, apiListDisputes))
	r.Get("/v1/disputes/:id", s.apiRead(&stripe.DisputeParams{}, apiGetDispute))
	r.Post("/v1/disputes/:id/close", s.apiWrite(&stripe.DisputeParams{}, apiCloseDispute))

	r.Get("/v1/subscriptions", s.apiRead(&stripe.SubscriptionListParams{}, apiListSubscriptions))
	r.Get("/v1/subscriptions/:id", s.apiRead(&stripe.SubscriptionParams{}, apiGetSubscription))
	r.Post("/v1/subscriptions/:id", s.apiWrite(&stripe.SubscriptionParams{}, apiUpdateSubscription))
	r.Delete("/v1/subscriptions/:id", s.apiWrite(&stripe.SubscriptionCancelParams{}, apiCancelSubscription))

	r.Get("/v1/invoices", s.apiRead(&stripe.InvoiceListParams{}, apiListInvoices))
	r.Get("/v1/invoices/:id", s.apiRead(&stripe.InvoiceParams{}, apiGetInvoice))
	r.Get("/v1/invoices/:id/lines", s.apiRead(&stripe.InvoiceListLinesParams{}, apiListInvoiceLines))
	r.Post("/v1/invoices/:id/pay", s.apiWrite(&stripe.InvoicePayParams{}, apiPayInvoice))

	r.Post("/v1/billing_portal/configurations", s.apiWrite(&stripe.BillingPortalConfigurationParams{}, apiCreatePortalConfig))
	r.Get("/v1/billing_portal/configurations", s.apiRead(&stripe.BillingPortalConfigurationListParams{}, apiListPortalConfigs))
	r.Get("/v1/billing_portal/configurations/:id", s.apiRead(&stripe.BillingPortalConfigurationParams{}, apiGetPortalConfig))
	r.Post("/v1/billing_portal/configurations/:id", s.apiWrite(&stripe.BillingPortalConfigurationParams{}, apiUpdatePortalConfig))
	r.Post("/v1/billing_portal/sessions", s.apiWrite(&stripe.BillingPortalSessionParams{}, apiCreatePortalSession))

	r.Post("/v1/webhook_endpoints", s.apiWrite(&stripe.WebhookEndpointParams{}, apiCreateEndpoint))
	r.Get("/v1/webhook_endpoints", s.apiRead(&stripe.WebhookEndpointListParams{}, apiListEndpoints))
	r.Get("/v1/webhook_endpoints/:id", s.apiRead(&stripe.WebhookEndpointParams{}, apiGetEndpoint))
	r.Post("/v1/webhook_endpoints/:id", s.apiWrite(&stripe.WebhookEndpointParams{}, apiUpdateEndpoint))
	r.Delete("/v1/webhook_endpoints/:id", s.apiWrite(&stripe.WebhookEndpointParams{}, apiDeleteEndpoint))

	r.Get("/v1/events", s.apiRead(&stripe.EventListParams{}, apiListEvents))
	r.Get("/v1/events/:id", s.apiRead(&stripe.EventParams{}, apiGetEvent))

	r.All("/v1/*", s.unknownRoute)

	// Hosted pages.
	r.Get("/assets/sandbox.css", serveCSS)
	r.Get("/checkout/:id", s.checkoutPage)
	r.Post("/checkout/:id", s.checkoutSubmit)
	r.Post("/checkout/:id/code", s.checkoutCode)
	r.Get("/portal/:id", s.portalPage)
	r.Post("/portal/:id/switch", s.portalSwitch)
	r.Post("/portal/:id/cancel", s.portalCancel)
	r.Post("/portal/:id/resume", s.portalResume)
	r.Get("/portal/:id/card", s.portalCardPage)
	r.Post("/portal/:id/card", s.portalCardSubmit)
	r.Get("/invoices/:id", s.invoicePage(false))
	r.Get("/invoices/:id/pdf", s.invoicePage(true))
	r.Post("/invoices/:id/pay", s.invoicePay)
	r.Get("/events", s.eventsPage)
	r.Get("/clock", s.clockPage)
	r.Post("/clock", s.clockAdvance)

	// What a bank would do (disputes) and the ordering knob, for admins
	// and this machine (holds.go, disputes.go).
	r.Post("/charges/:id/dispute", s.staffAction(disputeCharge))
	r.Post("/disputes/:id/close", s.staffAction(ruleDispute))
	r.Post("/deliveries/hold", s.holdsAPI(s.deliveriesHold))
	r.Post("/deliveries/unhold", s.holdsAPI(s.deliveriesUnhold))
	r.Get("/deliveries/held", s.holdsAPI(s.deliveriesHeld))
	r.Post("/deliveries/release", s.holdsAPI(s.deliveriesRelease))
}
