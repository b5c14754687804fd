package app

import "time"

// Session is a visitor's server-side session. The cookie carries ID; the
// store keeps only its SHA-256, so a copy of the database holds no live
// session ids.
type Session struct {
	ID         string    `json:"-"`
	CustomerID string    `json:"customer_id,omitempty"` // empty while anonymous
	CSRF       string    `json:"csrf"`                  // the synchronizer token of every form
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// SignedIn reports whether the session belongs to a customer.
func (s *Session) SignedIn() bool { return s != nil && s.CustomerID != "" }

// OAuthState ties a provider's callback to the browser that started the
// sign-in (goth does not check the state parameter itself); it travels
// sealed in a cookie, never stored.
type OAuthState struct {
	Provider  string    `json:"provider"`
	State     string    `json:"state"`
	Verifier  string    `json:"verifier,omitempty"` // PKCE code verifier
	Data      string    `json:"data"`               // goth.Session.Marshal()
	Next      string    `json:"next,omitempty"`
	StartedAt time.Time `json:"started_at"`
}
