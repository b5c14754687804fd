package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// EmailLinkTTL is how long an email sign-in link works.
const EmailLinkTTL = 15 * time.Minute

// EmailLinkPath is where email links point; the token follows.
const EmailLinkPath = "/login/email/"

// tokenKey is what the store keeps of an email link: its SHA-256, so a
// copy of the database cannot sign anyone in.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "email:" + hex.EncodeToString(sum[:])
}

// RequestEmailLogin sends a one-time sign-in link to email. Whether the
// address belongs to a customer makes no difference (no enumeration), and
// over the rate limits (per address and per client IP) nothing is sent
// but the caller answers the same: the refusal is only logged. An address
// that is not an address is an EINVALID field error.
func (s *Service) RequestEmailLogin(ctx context.Context, email, ip, next string) error {
	email = app.NormalizeEmail(email)
	if !app.LooksLikeEmail(email) {
		return app.FieldError("email", "Enter a valid email address, like you@example.com.")
	}
	next = SafeNext(next)
	return s.store.Update(ctx, func(tx *store.Tx) error {
		okEmail, err := tx.Allow("login-email:"+email, s.EmailLimit, s.RateWindow)
		if err != nil {
			return err
		}
		okIP, err := tx.Allow("login-ip:"+ip, s.IPLimit, s.RateWindow)
		if err != nil {
			return err
		}
		if !okEmail || !okIP {
			s.log.Warn("email sign-in request over the rate limit; nothing sent", "email", email, "ip", ip,
				"address_limited", !okEmail, "ip_limited", !okIP)
			return nil
		}
		token := randomToken(32)
		if err := tx.PutLoginToken(tokenKey(token), app.LoginToken{Purpose: app.PurposeEmailLogin, Email: email, Next: next,
			ExpiresAt: tx.Now().Add(EmailLinkTTL)}); err != nil {
			return err
		}
		link := s.cfg.BaseURL + EmailLinkPath + token
		return s.mail.Queue(tx, "login", email, map[string]any{"Link": link, "Minutes": int(EmailLinkTTL / time.Minute)})
	})
}

// PendingEmailLogin tells who an email link would sign in, without
// spending it: the link opens a confirmation page first, because mail
// scanners fetch links and a link sent by someone else must not sign the
// opener into the sender's account (issue 17, hole 7). An unknown, used
// or expired token is EGONE.
func (s *Service) PendingEmailLogin(ctx context.Context, token string) (string, error) {
	if token == "" || len(token) > 100 {
		return "", store.ErrLinkGone
	}
	var email string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		tok, err := tx.LoginToken(tokenKey(token))
		if app.IsNotFound(err) {
			return store.ErrLinkGone
		}
		if err != nil {
			return err
		}
		if tok.Purpose != app.PurposeEmailLogin || !tok.UsedAt.IsZero() || !tx.Now().Before(tok.ExpiresAt) || tok.Email == app.OwnerEmail {
			return store.ErrLinkGone
		}
		email = tok.Email
		return nil
	})
	return email, err
}

// RedeemEmailLogin spends an email link's token and signs its owner in,
// creating the customer the first time (the link proved the address). It
// returns the new session and where to go next. An unknown, used or
// expired token is EGONE.
func (s *Service) RedeemEmailLogin(ctx context.Context, token, oldSessionID string) (app.Session, app.Customer, string, error) {
	var next string
	if token == "" || len(token) > 100 {
		return app.Session{}, app.Customer{}, "", store.ErrLinkGone
	}
	sess, cust, err := s.signIn(ctx, oldSessionID, func(tx *store.Tx) (app.Customer, error) {
		tok, err := tx.UseLoginToken(tokenKey(token), app.PurposeEmailLogin)
		if err != nil {
			return app.Customer{}, err
		}
		if tok.Email == app.OwnerEmail { // reachable only through an admin link
			return app.Customer{}, store.ErrLinkGone
		}
		next = tok.Next
		c, err := tx.CustomerByEmail(tok.Email)
		if app.IsNotFound(err) {
			return app.Customer{Email: tok.Email, EmailVerified: true}, nil
		}
		c.EmailVerified = true
		return c, err
	})
	return sess, cust, next, err
}
