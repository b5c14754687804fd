package server

import (
	"vendo/app/auth"
	"vendo/app/shop"
)

// openShop builds the use cases and registers their handlers with the
// webhook ledger.
func (s *Server) openShop() {
	s.Shop = &shop.Shop{
		Store: s.Store, Stripe: s.Stripe, Mail: s.Mail, Files: s.Files,
		Signer:  shop.NewSigner(auth.DeriveKey(s.secret, "downloads")),
		BaseURL: s.Config.BaseURL, Log: s.log.With("component", "shop"),
	}
	if s.Sandbox != nil {
		// Billing periods live on the sandbox's test clock: the credit rule
		// (DESIGN.md §5 rule 6) must compare them with the same clock.
		s.Shop.Now = s.Sandbox.Now
	}
	s.Shop.RegisterEvents(s.Ledger)
}
