package shop

import "vendo/app/webhook"

// RegisterEvents is the table of the Stripe event types the shop acts on:
// it plugs each type's handler into the webhook ledger (DESIGN.md §5 rules
// 4, 5 and 7). The ledger records any other type as ignored. The README's
// "Going live" lists the same types for the webhook endpoint.
func (s *Shop) RegisterEvents(l *webhook.Ledger) {
	l.Handle(s.HandleCheckoutEvent, "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed")
	l.Handle(s.HandlePaymentEvent, "charge.refunded", "charge.refund.updated", "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
	l.Handle(s.HandleSubscriptionEvent, "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted")
	l.Handle(s.HandleTrialWillEnd, "customer.subscription.trial_will_end")
	l.Handle(s.HandleScheduleCanceled, "subscription_schedule.canceled")
	l.Handle(s.HandleInvoiceEvent, "invoice.paid", "invoice.payment_failed")
}
