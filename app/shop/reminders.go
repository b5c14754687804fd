package shop

import (
	"context"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Renewal reminders (issue 20): a subscriber on a yearly plan is told,
// the shop's RenewalReminderDays before the plan renews, that it will
// and for how much, once per billing period. The sweep reads the period
// end stored from Stripe and the shop's clock (the sandbox's test clock
// in sandbox mode), so moving that clock past the reminder point sends
// it; the period it was sent for is kept on the subscription, so
// repeated sweeps and restarts send it once.

// reminderDue reports whether sub should be reminded now of its renewal.
func reminderDue(sub app.Subscription, days int, now time.Time) bool {
	end := sub.CurrentPeriodEnd
	return days > 0 && sub.Interval == app.Yearly && sub.Fulfilled && !sub.Terminated && sub.Status == "active" &&
		!sub.CancelAtPeriodEnd && !end.IsZero() && !now.Before(end.AddDate(0, 0, -days)) && now.Before(end) &&
		!sub.RenewalReminder.Equal(end)
}

// SendRenewalReminders queues the renewal reminders due now and returns
// how many. The due subscriptions are found in a read transaction (a
// sweep usually finds none); each is then checked again and reminded in
// one write transaction, which marks its period reminded.
func (s *Shop) SendRenewalReminders(ctx context.Context) (int, error) {
	if s.Mail == nil {
		return 0, nil
	}
	now := s.now()
	var due []string
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		settings, err := tx.Settings()
		if err != nil || settings.RenewalReminderDays == 0 {
			return err
		}
		return tx.ForEachSubscription(func(sub *app.Subscription) error {
			if reminderDue(*sub, settings.RenewalReminderDays, now) {
				due = append(due, sub.ID)
			}
			return nil
		})
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	sent := 0
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		sent = 0
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		for _, id := range due {
			sub, err := tx.Subscription(id)
			if err != nil {
				return err
			}
			if !reminderDue(sub, settings.RenewalReminderDays, now) {
				continue // changed since the read: renewed, canceled, reminded
			}
			plan, err := tx.Plan(sub.PlanID)
			if err != nil {
				return err
			}
			var amount app.Money
			if plan.Yearly.StripePriceID == sub.PriceID {
				amount = plan.Yearly.Price // a retired price's amount is Stripe's to say
			}
			err = s.mailSubscriber(tx, sub.CustomerID, "renewal_reminder", func(app.Settings) map[string]any {
				return map[string]any{"Plan": plan, "Subscription": sub, "Amount": amount, "AccountURL": s.BaseURL + "/account"}
			})
			if err != nil {
				return err
			}
			sub.RenewalReminder = sub.CurrentPeriodEnd
			if err := tx.PutSubscription(&sub); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if sent > 0 {
		s.Log.Info("renewal reminders queued", "count", sent)
	}
	return sent, err
}

// RunRenewalReminders sweeps for due reminders now and every interval
// until ctx ends.
func (s *Shop) RunRenewalReminders(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.SendRenewalReminders(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("renewal reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
