package auth

import (
	"context"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// FreeLinkTTL is how long a free product's emailed link works: a day,
// since the visitor may read the mail later, and it gives only a free
// product and a sign-in to the address it was sent to.
const FreeLinkTTL = 24 * time.Hour

// FreeLinkPath is where a free product's links point; the token follows.
const FreeLinkPath = "/free/"

// RequestFreeLink mails email a one-time link that adds the free product
// productID to that address's library, as Gumroad does for visitors:
// opening it proves the address. Over the rate limits (per address and
// per client address, counted apart from sign-in links) nothing is sent
// and the caller answers the same; the refusal is only logged. The caller
// checks the product is free first (shop.FreeProduct).
func (s *Service) RequestFreeLink(ctx context.Context, email, ip string, product app.Product) error {
	email = app.NormalizeEmail(email)
	if !app.LooksLikeEmail(email) {
		return app.FieldError("email", "Enter a valid email address, like you@example.com.")
	}
	return s.store.Update(ctx, func(tx *store.Tx) error {
		okEmail, err := tx.Allow("free-email:"+email, s.EmailLimit, s.RateWindow)
		if err != nil {
			return err
		}
		okIP, err := tx.Allow("free-ip:"+ip, s.IPLimit, s.RateWindow)
		if err != nil {
			return err
		}
		if !okEmail || !okIP {
			s.log.Warn("free product link over the rate limit; nothing sent", "email", email, "ip", ip,
				"address_limited", !okEmail, "ip_limited", !okIP)
			return nil
		}
		id := randomToken(16)
		if err := tx.PutLoginToken(freeLinks+":"+id, app.LoginToken{Purpose: app.PurposeFreeClaim, Email: email,
			ProductID: product.ID, Next: "/account", Ref: id, ExpiresAt: tx.Now().Add(FreeLinkTTL)}); err != nil {
			return err
		}
		return s.mail.Queue(tx, "free_product", email, map[string]any{"Link": s.cfg.BaseURL + FreeLinkPath + s.SignFreeRef(id),
			"Product": product.Title, "Hours": int(FreeLinkTTL / time.Hour)})
	})
}

// PendingFreeLink tells which product and address a free link is for,
// without spending it: the link opens a page with one button, since mail
// scanners fetch links. An unknown, used or expired token is EGONE.
func (s *Service) PendingFreeLink(ctx context.Context, token string) (app.LoginToken, error) {
	var tok app.LoginToken
	key := s.linkKey(freeLinks, token)
	if key == "" {
		return tok, store.ErrLinkGone
	}
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		tok, err = tx.LoginToken(key)
		if app.IsNotFound(err) || (err == nil && (tok.Purpose != app.PurposeFreeClaim || !tok.UsedAt.IsZero() || !tx.Now().Before(tok.ExpiresAt))) {
			return store.ErrLinkGone
		}
		return err
	})
	return tok, err
}

// RedeemFreeLink spends a free link, signs its address in (creating the
// customer the first time, verified: the link proved the address) and,
// in the same transaction, runs claim with the customer and the link's
// product, so the link is spent only when the product is given.
func (s *Service) RedeemFreeLink(ctx context.Context, token, oldSessionID string,
	claim func(tx *store.Tx, customerID, productID string) error) (app.Session, app.Customer, error) {
	key := s.linkKey(freeLinks, token)
	if key == "" {
		return app.Session{}, app.Customer{}, store.ErrLinkGone
	}
	var productID string
	return s.signInThen(ctx, oldSessionID, func(tx *store.Tx) (app.Customer, error) {
		tok, err := tx.UseLoginToken(key, app.PurposeFreeClaim)
		if err != nil {
			return app.Customer{}, err
		}
		if tok.Email == app.OwnerEmail {
			return app.Customer{}, store.ErrLinkGone
		}
		productID = tok.ProductID
		c, err := tx.CustomerByEmail(tok.Email)
		if app.IsNotFound(err) {
			return app.Customer{Email: tok.Email, EmailVerified: true}, nil
		}
		c.EmailVerified = true
		return c, err
	}, func(tx *store.Tx, c app.Customer) error { return claim(tx, c.ID, productID) })
}
