package server

import (
	"vendo/app/auth"
	"vendo/app/shop"
)

// openShop builds the use cases and plugs their handlers into the webhook
// ledger (DESIGN.md §5 rules 4, 5 and 7).
func (s *Server) openShop() {
	s.shop = &shop.Shop{
		Store: s.store, Stripe: s.stripe, Mail: s.mail, Files: s.files,
		Signer:  shop.NewSigner(auth.DeriveKey(s.secret, "downloads")),
		BaseURL: s.cfg.BaseURL, Log: s.log.With("component", "shop"),
	}
	if s.sandbox != nil {
		// Billing periods live on the sandbox's test clock: the credit rule
		// (DESIGN.md §5 rule 6) must compare them with the same clock.
		s.shop.Now = s.sandbox.Now
	}
	s.ledger.Handle(s.shop.HandleCheckoutEvent, "checkout.session.completed", "checkout.session.async_payment_succeeded")
	s.ledger.Handle(s.shop.HandleAsyncPaymentFailed, "checkout.session.async_payment_failed")
	s.ledger.Handle(s.shop.HandleChargeRefunded, "charge.refunded")
	s.ledger.Handle(s.shop.HandleSubscriptionEvent, "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted")
	s.ledger.Handle(s.shop.HandleScheduleCanceled, "subscription_schedule.canceled")
	s.ledger.Handle(s.shop.HandleInvoiceEvent, "invoice.paid", "invoice.payment_failed")
}

// Shop is the use cases (tests).
func (s *Server) Shop() *shop.Shop { return s.shop }
