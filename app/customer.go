package app

import (
	"strings"
	"time"
)

// OwnerEmail is the address of the shop owner's account that an admin link
// creates when VENDO_ADMIN_EMAILS is empty. "localhost" has no dot, so no
// email form accepts it and no mail can prove it: the account is reachable
// only through an admin link.
const OwnerEmail = "owner@localhost"

// Customer is a person who signs in: a buyer, a subscriber, or an admin.
type Customer struct {
	ID    string `json:"id"`
	Email string `json:"email"` // normalized (NormalizeEmail); unique
	// EmailVerified is true once the address was proved: by an email link,
	// or by a provider that vouches for it.
	EmailVerified    bool       `json:"email_verified"`
	Name             string     `json:"name,omitempty"`
	StripeCustomerID string     `json:"stripe_customer_id,omitempty"`
	Identities       []Identity `json:"identities,omitempty"`
	// Admin marks the shop owner's account made by an admin link. Customers
	// whose verified email is in VENDO_ADMIN_EMAILS are admins without it
	// (see auth.IsAdmin).
	Admin        bool      `json:"admin,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	LastSignInAt time.Time `json:"last_sign_in_at,omitempty"`
}

// Identity is a login at an outside provider linked to a customer.
type Identity struct {
	Provider string    `json:"provider"` // github, google, oidc
	Subject  string    `json:"subject"`  // the provider's stable user id
	Email    string    `json:"email,omitempty"`
	LinkedAt time.Time `json:"linked_at"`
}

// Key is the identity's index key, unique across providers.
func (i Identity) Key() string { return i.Provider + ":" + i.Subject }

// HasIdentity reports whether the customer has the provider login.
func (c *Customer) HasIdentity(provider, subject string) bool {
	for _, i := range c.Identities {
		if i.Provider == provider && i.Subject == subject {
			return true
		}
	}
	return false
}

// DisplayName is the name to greet the customer with.
func (c *Customer) DisplayName() string {
	if strings.TrimSpace(c.Name) != "" {
		return c.Name
	}
	return c.Email
}

// Session is a visitor's server-side session. The cookie carries ID; the
// store keeps only its SHA-256, so a copy of the database holds no live
// session ids.
type Session struct {
	ID         string      `json:"-"`
	CustomerID string      `json:"customer_id,omitempty"` // empty while anonymous
	CSRF       string      `json:"csrf"`                  // the synchronizer token of every form
	OAuth      *OAuthState `json:"oauth,omitempty"`       // a provider sign-in under way
	CreatedAt  time.Time   `json:"created_at"`
	LastSeenAt time.Time   `json:"last_seen_at"`
	ExpiresAt  time.Time   `json:"expires_at"`
}

// SignedIn reports whether the session belongs to a customer.
func (s *Session) SignedIn() bool { return s != nil && s.CustomerID != "" }

// OAuthState ties a provider's callback to the session that started the
// sign-in: goth does not check the state parameter itself.
type OAuthState struct {
	Provider  string    `json:"provider"`
	State     string    `json:"state"`
	Verifier  string    `json:"verifier,omitempty"` // PKCE code verifier
	Data      string    `json:"data"`               // goth.Session.Marshal()
	Next      string    `json:"next,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// Token purposes.
const (
	PurposeEmailLogin = "email-login"
	PurposeAdminLink  = "admin-link"
)

// LoginToken is a one-time sign-in credential. The store keys it by the
// SHA-256 of the secret (email links) or by the link's nonce (admin links),
// never by anything that lets a database reader sign in.
type LoginToken struct {
	Purpose   string    `json:"purpose"`
	Email     string    `json:"email,omitempty"`
	Next      string    `json:"next,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitempty"`
}

// MailStatus is where a message is in the outbox.
type MailStatus string

const (
	MailPending MailStatus = "pending" // waiting for (another) attempt
	MailSent    MailStatus = "sent"    // accepted by the SMTP server
	MailFailed  MailStatus = "failed"  // gave up after the last attempt
	MailLogged  MailStatus = "logged"  // no SMTP configured: written to the log only
)

// Mail is an email in the outbox. It is queued in the transaction that
// decided to send it and sent by the outbox worker after the commit.
type Mail struct {
	ID            string     `json:"id"`
	To            string     `json:"to"`
	Subject       string     `json:"subject"`
	Text          string     `json:"text"`
	HTML          string     `json:"html,omitempty"`
	Template      string     `json:"template,omitempty"` // which views/emails template made it
	Status        MailStatus `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        time.Time  `json:"sent_at,omitempty"`
}

// AuditEntry is one line of the admin audit log.
type AuditEntry struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`  // who: an email, or "system"
	Action string    `json:"action"` // what, like "admin.sign_in"
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
	IP     string    `json:"ip,omitempty"`
}
