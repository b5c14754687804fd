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

// LooksLikeEmail is a deliberately loose check: one @, a dot in the domain,
// no spaces. Delivery is the real test.
func LooksLikeEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>,;\"") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-3 && strings.Contains(s[at:], ".") && !strings.HasSuffix(s, ".")
}

// NormalizeEmail lowercases and trims an address so lookups match.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
