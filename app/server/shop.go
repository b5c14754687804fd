package server

import (
	"vendo/app/auth"
	"vendo/app/shop"
)

// openShop builds the use cases and registers their handlers with the
// webhook ledger.
func (s *Server) openShop() {
	s.shop = &shop.Shop{
		Store: s.store, Stripe: s.stripe, Mail: s.mail, Files: s.files,
		Signer:  shop.NewSigner(auth.DeriveKey(s.secret, "downloads")),
		BaseURL: s.cfg.BaseURL, Log: s.log.With("component", "shop"),
	}
	if s.sandbox != nil {
		// Billing periods live on the sandbox's test clock: the credit rule
		// (DESIGN.md §5 rule 6) must compare them with the same clock.
		s.shop.Now = s.sandbox.Now
	}
	s.shop.RegisterEvents(s.ledger)
}

// Shop is the use cases (tests).
func (s *Server) Shop() *shop.Shop { return s.shop }
