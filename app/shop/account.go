package shop

import (
	"context"
	"time"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// AccountView is everything /account shows a customer.
type AccountView struct {
	Library      []LibraryItem
	Orders       []app.Order
	Subscription *app.Subscription
	Plan         *app.Plan
	// CreditStatus is the current plan's credits now (nil without one).
	CreditStatus *CreditStatus
	Licenses     []LicenseView
	// Credits is the credit history, newest first, with a refill that is
	// due (and will be stored by the next spend or sync) on top.
	Credits  []app.CreditEntry
	Invoices []stripeapi.Invoice
	// InvoicesError is set when Stripe could not be asked for invoices:
	// the rest of the page still works.
	InvoicesError string
	// Until is how long the page may be shown as it was rendered: its
	// download links keep most of their life, and nothing it shows turns
	// with time before (a credit month, a grace period, a paid period or
	// a key's expiry). A change to the customer's records is seen through
	// the store's customer version instead.
	Until time.Time
}

// LicenseView is a license with what it is for, how it stands and where
// it is activated.
type LicenseView struct {
	app.License
	For       string
	Info      LicenseInfo
	Instances []app.LicenseInstance
}

// Account gathers a customer's account page.
func (s *Shop) Account(ctx context.Context, customerID string) (AccountView, error) {
	var v AccountView
	var err error
	// The clock is read first: a moment that passes while the page is
	// read bounds it too (until).
	now := s.now()
	if v.Library, err = s.Library(ctx, customerID); err != nil {
		return v, err
	}
	var linkExpiry time.Duration
	err = s.Store.View(ctx, func(tx *store.Tx) error {
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		linkExpiry = settings.DownloadExpiry
		if v.Orders, _, err = tx.Orders(store.OrderFilter{CustomerID: customerID, Limit: 50}); err != nil {
			return err
		}
		subs, err := tx.SubscriptionsOf(customerID)
		if err != nil {
			return err
		}
		for i := range subs {
			// The current one, else the most recent.
			if subs[i].Fulfilled && !subs[i].Terminated {
				v.Subscription = &subs[i]
				break
			}
		}
		if v.Subscription == nil && len(subs) > 0 {
			v.Subscription = &subs[0]
		}
		if v.Subscription != nil {
			if p, err := tx.Plan(v.Subscription.PlanID); err == nil {
				v.Plan = &p
			}
		}
		lics, err := tx.LicensesOf(customerID)
		if err != nil {
			return err
		}
		for _, l := range lics {
			lv := LicenseView{License: l}
			switch {
			case l.PlanID != "":
				if p, err := tx.Plan(l.PlanID); err == nil {
					lv.For = p.Name + " plan"
				}
			case l.ProductID != "":
				if p, err := tx.Product(l.ProductID); err == nil {
					lv.For = p.Title
				}
			}
			if lv.Info, err = KeyInfo(tx, l); err != nil {
				return err
			}
			if lv.Info.Status != KeyActive {
				lv.Status = app.LicenseRevoked
			}
			if lv.Instances, err = tx.LicenseInstances(l.ID); err != nil {
				return err
			}
			v.Licenses = append(v.Licenses, lv)
		}
		if v.CreditStatus, err = s.creditsIn(tx, customerID); err != nil {
			return err
		}
		if v.Credits, err = tx.CreditsOf(customerID, 20); err != nil {
			return err
		}
		if cs := v.CreditStatus; cs != nil && len(cs.Pending) > 0 {
			pending := make([]app.CreditEntry, 0, len(cs.Pending)+len(v.Credits))
			for i := len(cs.Pending) - 1; i >= 0; i-- {
				e := cs.Pending[i]
				e.At = e.From
				if e.Reason == app.CreditExpired {
					e.At = e.Until
				}
				pending = append(pending, e)
			}
			v.Credits = append(pending, v.Credits...)
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	v.Until = v.until(now, linkExpiry)
	if inv, err := s.Invoices(ctx, customerID); err != nil {
		s.Log.Warn("list invoices for account page", "customer", customerID, "err", err)
		v.InvoicesError = "Your invoices cannot be shown right now. Try again in a moment."
	} else {
		v.Invoices = inv
	}
	return v, nil
}

// maxAccountKeep is the longest an account page is shown as rendered.
const maxAccountKeep = time.Minute

// until is when the view stops being what the page should show at now:
// a tenth of a download link's life (a link on the page keeps nine
// tenths of it), at most maxAccountKeep, and never past the next moment
// something it shows turns by the clock.
func (v *AccountView) until(now time.Time, linkExpiry time.Duration) time.Time {
	end := now.Add(min(maxAccountKeep, linkExpiry/10))
	turn := func(t time.Time) {
		if t.After(now) && t.Before(end) {
			end = t
		}
	}
	creditTurns(v.CreditStatus, v.Subscription, turn)
	for _, l := range v.Licenses {
		turn(l.ExpiresAt)
		if l.Info.ExpiresAt != nil {
			turn(*l.Info.ExpiresAt)
		}
	}
	return end
}

// creditTurns calls turn with every moment at which a customer's credits
// or subscription, as pages show them, change by the clock alone (a
// credit month ends, a grace period, a paid period, a trial).
func creditTurns(cs *CreditStatus, sub *app.Subscription, turn func(time.Time)) {
	if cs != nil {
		turn(cs.NextRefill)
		turn(cs.MonthEnd)
		turn(cs.GraceUntil)
		for _, e := range cs.Pending {
			turn(e.Until)
		}
		if sub == nil {
			sub = &cs.Subscription
		}
	}
	if sub != nil {
		turn(sub.CurrentPeriodEnd)
		turn(sub.TrialEnd)
	}
}
