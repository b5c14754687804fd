package app

import "time"

// CodeHold is one use of a limited discount code set aside for a
// Checkout that is still open: a code with uses left for one more buyer
// must not go to two open Checkouts, or both may pay with it. The hold
// lasts as long as its Checkout can be paid (Stripe expires the session
// at ExpiresAt); a paid Checkout's order (or subscription) counts the use
// instead and the hold is let go in the same transaction.
type CodeHold struct {
	Code string `json:"code"`
	// Holder is whose Checkout it is: "cart:" + cart id, or "plan:" +
	// customer id. A holder has one hold per code; opening another
	// Checkout replaces it (and the shop expires the first session).
	Holder string `json:"holder"`
	// ID names this hold in the session's metadata (vendo_hold), so the
	// fulfilment of a session lets go of its own hold and not a newer one.
	ID        string    `json:"id"`
	Key       string    `json:"key"`                  // the Checkout's idempotency key
	SessionID string    `json:"session_id,omitempty"` // once Stripe answered
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
}

// Live reports whether the hold still keeps a use aside at now.
func (h CodeHold) Live(now time.Time) bool { return now.Before(h.ExpiresAt) }
