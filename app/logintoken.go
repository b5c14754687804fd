package app

import "time"

// Token purposes.
const (
	PurposeEmailLogin = "email-login"
	PurposeAdminLink  = "admin-link"
	PurposeFreeClaim  = "free-claim" // a free product, added to the address's library
)

// LoginToken is a one-time sign-in credential. The store keys it by the
// SHA-256 of the secret (email links) or by the link's nonce (admin links),
// never by anything that lets a database reader sign in.
type LoginToken struct {
	Purpose   string    `json:"purpose"`
	Email     string    `json:"email,omitempty"`
	Next      string    `json:"next,omitempty"`
	ProductID string    `json:"product_id,omitempty"` // PurposeFreeClaim: the product it adds
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitempty"`
}
