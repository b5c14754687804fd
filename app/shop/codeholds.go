package shop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// A limited discount code is counted when a Checkout using it is paid;
// between its opening and its payment, the use is held (app.CodeHold), so
// a code with one use left is never in two payable Checkouts: the second
// buyer hears so before leaving the shop, instead of the code being
// redeemed twice (or Stripe turning the second buyer away on its page).

// holdLifetime is how long a Checkout with a limited code stays payable:
// the session's expires_at (Stripe allows 30 minutes to 24 hours), and
// the hold lasts as long, so an abandoned Checkout gives its use back
// within the hour.
const holdLifetime = time.Hour

// cartHolder and planHolder name whose Checkout holds a use: a cart's,
// or a customer's for a plan ("" when there is no one yet).
func cartHolder(cartID string) string {
	if cartID == "" {
		return ""
	}
	return "cart:" + cartID
}

func planHolder(customerID string) string {
	if customerID == "" {
		return ""
	}
	return "plan:" + customerID
}

// holdCode sets one use of code aside for the Checkout holder is about to
// open with idempotency key key, in the write transaction that checks a
// use is left, so two buyers at once cannot both take the last one. A
// code without a limit holds nothing (the zero hold). The same key again
// (a double click) gets the same hold, so the same session; another
// Checkout of the same holder replaces the hold, and expire names the
// session of the one it replaces, which must be closed before the new
// one opens.
func (s *Shop) holdCode(ctx context.Context, code, customerID, holder, key string) (h app.CodeHold, expire string, err error) {
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		d, refused, err := codeRefusal(tx, app.NormalizeCode(code), customerID, holder)
		if err != nil {
			return err
		}
		if refused != "" {
			return &app.Error{Code: app.EINVALID, Field: "code", Message: refused}
		}
		if d.MaxRedemptions == 0 || holder == "" {
			return nil
		}
		own, err := tx.CodeHold(d.Code, holder)
		found, err := app.Found(err)
		if err != nil {
			return err
		}
		now := tx.Now()
		// Stripe takes an expires_at at least 30 minutes ahead.
		if found && own.Key == key && own.ExpiresAt.Sub(now) > 31*time.Minute {
			h = own
			return nil
		}
		if found && own.SessionID != "" && own.Live(now) {
			expire = own.SessionID
		}
		h = app.CodeHold{Code: d.Code, Holder: holder, Key: key, ExpiresAt: now.Add(holdLifetime).Truncate(time.Second)}
		return tx.PutCodeHold(&h)
	})
	return h, expire, err
}

// closeHeldSession expires the Checkout a replaced hold was for, so only
// the newest of a holder's Checkouts can be paid with the code. One
// already paid or expired is fine: its payment counts as a use.
func (s *Shop) closeHeldSession(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	err := s.Stripe.ExpireCheckoutSession(ctx, id)
	if err == nil {
		return nil
	}
	if sess, gerr := s.Stripe.GetCheckoutSession(ctx, id); gerr == nil && sess.Status != "open" {
		return nil
	}
	return fmt.Errorf("close the previous checkout %s before opening another with its code: %w", id, err)
}

// settleHold records the session a hold's Checkout opened, or, when
// Stripe refused it, lets the hold go at once.
func (s *Shop) settleHold(ctx context.Context, h app.CodeHold, sessionID string, failed error) {
	if h.ID == "" {
		return
	}
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		if failed != nil {
			return tx.DeleteCodeHold(h.Code, h.Holder, h.ID)
		}
		cur, err := tx.CodeHold(h.Code, h.Holder)
		found, err := app.Found(err)
		if err != nil || !found || cur.ID != h.ID || cur.SessionID == sessionID {
			return err
		}
		cur.SessionID = sessionID
		return tx.PutCodeHold(&cur)
	})
	if err != nil {
		// The hold then ends on its own at ExpiresAt.
		s.Log.Error("record a discount code's hold", "code", h.Code, "session", sessionID, "err", err)
	}
}

// releaseHold lets go of the hold a paid Checkout was opened with (its
// metadata's vendo_hold), in the transaction that records the use.
func releaseHold(tx *store.Tx, code, holder string, meta map[string]string) error {
	id := meta["vendo_hold"]
	if id == "" || code == "" || holder == "" {
		return nil
	}
	return tx.DeleteCodeHold(code, holder, id)
}

// withoutCodeHint adds to a refused code's sentence how to go on without
// it ("check out", "subscribe").
func withoutCodeHint(err error, action string) error {
	var e *app.Error
	if errors.As(err, &e) && e.Field == "code" {
		return &app.Error{Code: e.Code, Field: "code", Message: e.Message + " Remove it to " + action + " without it."}
	}
	return err
}
