package shop

import (
	"vendo/app"
	"vendo/app/store"
)

// Disputes: a cardholder asks their bank for the money back. While the
// bank decides, the order's downloads and licence keys are suspended;
// a won dispute gives them back, a lost one takes them for good, like a
// full refund (order.go's State, DESIGN.md §5 rule 7). The merchant is
// told when a dispute opens, since only they can answer it, in Stripe's
// dashboard, before its deadline.

// disputeRecipients are who hears of a dispute: the admins named in
// VENDO_ADMIN_EMAILS, else the support address in the settings.
func (s *Shop) disputeRecipients(tx *store.Tx) ([]string, error) {
	if len(s.AdminEmails) > 0 {
		return s.AdminEmails, nil
	}
	settings, err := tx.Settings()
	if err != nil || settings.SupportEmail == "" {
		return nil, err
	}
	return []string{settings.SupportEmail}, nil
}

// queueDisputeMail tells the merchant an order's dispute opened.
func (s *Shop) queueDisputeMail(tx *store.Tx, o app.Order) error {
	if s.Mail == nil {
		return nil
	}
	to, err := s.disputeRecipients(tx)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		s.Log.Warn("an order is disputed and no one can be told: set VENDO_ADMIN_EMAILS or the support email in the settings",
			"order", o.ID, "dispute", o.Dispute.ID)
		return nil
	}
	tx.OnCommit(s.Mail.Notify)
	for _, addr := range to {
		if err := s.Mail.Queue(tx, "dispute_opened", addr, map[string]any{
			"Order": o, "Dispute": *o.Dispute, "OrderURL": s.BaseURL + "/admin/orders/" + o.ID,
		}); err != nil {
			return err
		}
	}
	return nil
}
