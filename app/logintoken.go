package app

import "time"

// Token purposes.
const (
	PurposeEmailLogin = "email-login"
	PurposeAdminLink  = "admin-link"
	PurposeFreeClaim  = "free-claim" // a free product, added to the address's library
)

// LoginToken is a one-time sign-in credential. The store keys it by the
// link's id (email links, whose token adds an HMAC of the id under the
// install's secret) or by the link's nonce (admin links), never by
// anything that lets a database reader sign in.
type LoginToken struct {
	Purpose   string    `json:"purpose"`
	Email     string    `json:"email,omitempty"`
	Next      string    `json:"next,omitempty"`
	ProductID string    `json:"product_id,omitempty"` // PurposeFreeClaim: the product it adds
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitempty"`
	// Ref is an email link's id, from which the shop (and only it, with
	// its secret) makes the link again; Sent counts the messages that
	// carried it.
	Ref  string `json:"ref,omitempty"`
	Sent int    `json:"sent,omitempty"`
}
