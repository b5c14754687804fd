package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// renewalReminders are the reminders the shop queued to email.
func renewalReminders(t *testing.T, srv *vendotest.Shop, email string) []app.Mail {
	t.Helper()
	var out []app.Mail
	for _, m := range srv.Outbox() {
		if m.To == email && m.Template == "renewal_reminder" {
			out = append(out, m)
		}
	}
	return out
}

// TestYearlyRenewalReminderOncePerPeriod subscribes yearly, moves the
// sandbox's test clock past the reminder point (7 days before renewal by
// default) and sweeps: one reminder, however many sweeps, and none more
// after a restart; turned off (0 days) none; after the renewal, one for
// the new period.
func TestYearlyRenewalReminderOncePerPeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := vendotest.Start(t, vendotest.Options{})
	email := "yearly@example.com"
	subscriber(srv, email).Subscribe("pro", "year", "4242424242424242")
	first := currentSub(t, srv, email, "activation", func(s app.Subscription) bool { return s.Fulfilled })
	if n, err := srv.Shop.SendRenewalReminders(ctx); err != nil || n != 0 {
		t.Fatalf("a sweep a year before renewal queued %d (%v)", n, err)
	}

	srv.AdvanceClock("359d") // six days before the renewal
	for i := range 3 {
		want := 0
		if i == 0 {
			want = 1
		}
		n, err := srv.Shop.SendRenewalReminders(ctx)
		if err != nil || n != want {
			t.Fatalf("sweep %d queued %d (%v)", i, n, err)
		}
	}
	ms := renewalReminders(t, srv, email)
	if len(ms) != 1 {
		t.Fatalf("%d reminders, want 1", len(ms))
	}
	day := first.CurrentPeriodEnd.Format("January 2, 2006")
	for _, want := range []string{day, srv.URL + "/account", "Vendo", "190.00"} {
		if !strings.Contains(ms[0].Text, want) {
			t.Errorf("the reminder lacks %q:\n%s\n%s", want, ms[0].Subject, ms[0].Text)
		}
	}
	if !strings.Contains(ms[0].Subject, day) || !strings.Contains(ms[0].HTML, day) || !strings.Contains(ms[0].HTML, `href="`+srv.URL+`/account"`) {
		t.Errorf("the HTML part has no link to the account:\n%s", ms[0].HTML)
	}

	// A restart (which sweeps at once) does not send it again.
	srv.Stop()
	srv = vendotest.Start(t, vendotest.Options{DataDir: srv.Dir})
	if n, _ := srv.Shop.SendRenewalReminders(ctx); n != 0 || len(renewalReminders(t, srv, email)) != 1 {
		t.Fatalf("after a restart: %d more queued, %d in all", n, len(renewalReminders(t, srv, email)))
	}

	// Renewed: the next period's reminder, unless the setting is off.
	srv.AdvanceClock("10d")
	second := currentSub(t, srv, email, "the renewal", func(s app.Subscription) bool { return s.CurrentPeriodEnd.After(first.CurrentPeriodEnd) })
	srv.AdvanceClock("355d")
	srv.Store.UpdateSettings(ctx, func(s *app.Settings) error { s.RenewalReminderDays = 0; return nil })
	if n, _ := srv.Shop.SendRenewalReminders(ctx); n != 0 {
		t.Fatalf("reminders off, yet %d queued", n)
	}
	srv.Store.UpdateSettings(ctx, func(s *app.Settings) error { s.RenewalReminderDays = 7; return nil })
	if n, _ := srv.Shop.SendRenewalReminders(ctx); n != 1 {
		t.Fatalf("the second period's sweep queued %d, want 1", n)
	}
	ms = renewalReminders(t, srv, email)
	if len(ms) != 2 || !strings.Contains(ms[0].Text, second.CurrentPeriodEnd.Format("January 2, 2006")) {
		t.Fatalf("%d reminders; the newest: %s", len(ms), ms[0].Text)
	}
	srv.Store.View(ctx, func(tx *store.Tx) error {
		sub, _ := tx.Subscription(second.ID)
		if !sub.RenewalReminder.Equal(second.CurrentPeriodEnd) {
			t.Errorf("reminded for %s, want %s", sub.RenewalReminder, second.CurrentPeriodEnd)
		}
		return nil
	})

	// The setting on the settings page: a sentence for a bad value, and 0
	// saved as "off".
	srv.Admin.SignInAdmin()
	_, page := srv.Admin.Get("/admin/settings")
	mustContain(t, page, "Remind yearly subscribers before renewal (days)", `name="renewal_reminder_days" value="7"`)
	form := url.Values{"shop_name": {"Vendo"}, "currency": {"usd"}, "download_expiry": {"24"}, "download_limit": {"10"},
		"past_due_grace": {"7"}, "unlocks_at_plan_end": {"end"}, "renewal_reminder_days": {"soon"}}
	if resp, page := srv.Admin.Submit("/admin/settings", form); resp.StatusCode != 422 || !strings.Contains(page, "from 0 (no reminder) to 60") {
		t.Fatalf("a bad reminder setting: %d", resp.StatusCode)
	}
	form.Set("renewal_reminder_days", "0")
	if resp, _ := srv.Admin.Submit("/admin/settings", form); resp.StatusCode != 200 {
		t.Fatalf("saving the settings: %d", resp.StatusCode)
	}
	if st, _ := srv.Store.Settings(ctx); st.RenewalReminderDays != 0 {
		t.Fatalf("reminder days %d after saving 0", st.RenewalReminderDays)
	}
}
