package auth

import (
	"context"
	"fmt"

	"vendo/app"
	"vendo/app/store"
)

// NeedsAdmin reports whether the shop has no way into /admin yet: no
// VENDO_ADMIN_EMAILS and no owner account made by an admin link. The
// server then prints an admin link at start-up.
func (s *Service) NeedsAdmin(ctx context.Context) (bool, error) {
	if len(s.cfg.AdminEmails) > 0 {
		return false, nil
	}
	var has bool
	err := s.store.View(ctx, func(tx *store.Tx) (err error) { has, err = tx.HasAdminCustomer(); return })
	return !has, err
}

// AdminLink makes a one-time admin sign-in link.
func (s *Service) AdminLink() (string, error) {
	return NewAdminLink(s.secret, s.cfg.BaseURL, s.store.Now())
}

// PendingAdminLink checks an admin link without spending it and returns
// the address it signs in: opening the link shows a page with one button
// (a mail scanner or a chat preview opening it must not sign anybody in
// nor use it up), and the button redeems it.
func (s *Service) PendingAdminLink(ctx context.Context, token string) (string, error) {
	nonce, _, err := parseAdminToken(s.secret, token, s.store.Now())
	if err != nil {
		return "", err
	}
	err = s.store.View(ctx, func(tx *store.Tx) error { return adminNonceUnused(tx, nonce) })
	if err != nil {
		return "", err
	}
	return s.adminEmail(), nil
}

// adminEmail is who an admin link signs in: the first VENDO_ADMIN_EMAILS
// address, or the owner account.
func (s *Service) adminEmail() string {
	if len(s.cfg.AdminEmails) > 0 {
		return s.cfg.AdminEmails[0]
	}
	return app.OwnerEmail
}

// adminNonceUnused fails with the link's "gone" error once its nonce has
// been used.
func adminNonceUnused(tx *store.Tx, nonce string) error {
	if _, err := tx.LoginToken("admin:" + nonce); err == nil {
		return errAdminLinkGone
	} else if !app.IsNotFound(err) {
		return err
	}
	return nil
}

// RedeemAdminLink checks an admin link and signs in as the shop owner: the
// first VENDO_ADMIN_EMAILS address when set (created and marked verified
// if new), otherwise the owner account (app.OwnerEmail, marked Admin). The
// link's nonce is recorded in the same transaction, so it works once.
func (s *Service) RedeemAdminLink(ctx context.Context, token, oldSessionID, ip string) (app.Session, app.Customer, error) {
	nonce, expires, err := parseAdminToken(s.secret, token, s.store.Now())
	if err != nil {
		return app.Session{}, app.Customer{}, err
	}
	return s.signIn(ctx, oldSessionID, func(tx *store.Tx) (app.Customer, error) {
		if err := adminNonceUnused(tx, nonce); err != nil {
			return app.Customer{}, err
		}
		if err := tx.PutLoginToken("admin:"+nonce, app.LoginToken{Purpose: app.PurposeAdminLink, ExpiresAt: expires, UsedAt: tx.Now()}); err != nil {
			return app.Customer{}, err
		}
		email, owner := s.adminEmail(), len(s.cfg.AdminEmails) == 0
		c, err := tx.CustomerByEmail(email)
		switch {
		case app.IsNotFound(err):
			c = app.Customer{Email: email}
			if owner {
				c.Name = "Shop owner"
			}
		case err != nil:
			return app.Customer{}, err
		}
		if owner {
			c.Admin = true
		} else {
			c.EmailVerified = true
		}
		if err := tx.Audit(app.AuditEntry{Actor: email, Action: "admin.link_used", IP: ip,
			Detail: fmt.Sprintf("signed in with a one-time admin link (nonce %s…)", nonce[:8])}); err != nil {
			return app.Customer{}, err
		}
		return c, nil
	})
}
