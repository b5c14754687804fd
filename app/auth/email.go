package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// EmailLinkTTL is how long an email sign-in link works.
const EmailLinkTTL = 15 * time.Minute

// EmailLinkPath is where email links point; the token follows.
const EmailLinkPath = "/login/email/"

// emailLinkSends is how many times one pending link is mailed at most:
// asking again while a link is pending sends that link again rather than
// a new one, so requests made by someone else neither flood the inbox
// nor use up the address's limit (issue 17, hole 6).
const emailLinkSends = 3

// An emailed link's token is "<id>.<mac>": a random id and its HMAC
// under a key derived from the install's secret and the link's kind. The
// store keeps the id only, so a copy of the database (a backup) cannot
// sign anyone in, while the shop can make the same link again from the
// id: to re-send a pending link, and to render the outbox's reference to
// it when the mail is sent (issue 17, hole 8).
func (s *Service) linkMAC(kind, id string) string {
	m := hmac.New(sha256.New, DeriveKey(s.secret, kind+" links"))
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Link kinds, which are also their store key prefixes.
const (
	emailLinks = "email"
	freeLinks  = "free"
)

// SignEmailRef completes an email sign-in link's id into its token; the
// mailer calls it as it sends a message that refers to the link.
func (s *Service) SignEmailRef(id string) string { return id + "." + s.linkMAC(emailLinks, id) }

// SignFreeRef does the same for a free product's link.
func (s *Service) SignFreeRef(id string) string { return id + "." + s.linkMAC(freeLinks, id) }

// linkKey is the store key of a kind's token, or "" when the token was
// not made by this shop.
func (s *Service) linkKey(kind, token string) string {
	id, mac, ok := strings.Cut(token, ".")
	if !ok || id == "" || len(token) > 100 || subtle.ConstantTimeCompare([]byte(mac), []byte(s.linkMAC(kind, id))) != 1 {
		return ""
	}
	return kind + ":" + id
}

// RequestEmailLogin sends a one-time sign-in link to email. Whether the
// address belongs to a customer makes no difference (no enumeration), and
// over the rate limits nothing is sent but the caller answers the same:
// the refusal is only logged. While a link for the address is pending,
// a request mails that same link again (emailLinkSends times at most) and
// counts against no per-address limit; a new link counts against the
// address's limit for this client address only, so no one can use up
// someone else's. An address that is not an address is an EINVALID field
// error.
func (s *Service) RequestEmailLogin(ctx context.Context, email, ip, next string) error {
	email = app.NormalizeEmail(email)
	if !app.LooksLikeEmail(email) {
		return app.FieldError("email", "Enter a valid email address, like you@example.com.")
	}
	next = SafeNext(next)
	return s.store.Update(ctx, func(tx *store.Tx) error {
		okIP, err := tx.Allow("login-ip:"+ip, s.IPLimit, s.RateWindow)
		if err != nil {
			return err
		}
		if !okIP {
			s.log.Warn("email sign-in request over the client's rate limit; nothing sent", "email", email, "ip", ip)
			return nil
		}
		key, tok, err := tx.PendingLoginToken(email)
		switch {
		case err == nil && tok.Sent >= emailLinkSends:
			s.log.Warn("email sign-in request while a link is pending, already sent the most times; nothing sent", "email", email, "ip", ip)
			return nil
		case err == nil:
			tok.Sent++
			if err := tx.PutLoginToken(key, tok); err != nil {
				return err
			}
			s.log.Info("email sign-in request while a link is pending: the same link is sent again", "email", email, "sends", tok.Sent)
			return s.queueEmailLink(tx, email, tok.Ref)
		case !app.IsNotFound(err):
			return err
		}
		okEmail, err := tx.Allow("login-email:"+email+"|"+ip, s.EmailLimit, s.RateWindow)
		if err != nil {
			return err
		}
		if !okEmail {
			s.log.Warn("email sign-in request over the address's rate limit for this client; nothing sent", "email", email, "ip", ip)
			return nil
		}
		id := randomToken(16)
		if err := tx.PutPendingLoginToken(emailLinks+":"+id, app.LoginToken{Purpose: app.PurposeEmailLogin, Email: email, Next: next,
			Ref: id, Sent: 1, ExpiresAt: tx.Now().Add(EmailLinkTTL)}); err != nil {
			return err
		}
		return s.queueEmailLink(tx, email, id)
	})
}

func (s *Service) queueEmailLink(tx *store.Tx, email, id string) error {
	link := s.cfg.BaseURL + EmailLinkPath + s.SignEmailRef(id)
	return s.mail.Queue(tx, "login", email, map[string]any{"Link": link, "Minutes": int(EmailLinkTTL / time.Minute)})
}

// PendingEmailLogin tells who an email link would sign in, without
// spending it: the link opens a confirmation page first, because mail
// scanners fetch links and a link sent by someone else must not sign the
// opener into the sender's account (issue 17, hole 7). An unknown, used
// or expired token is EGONE.
func (s *Service) PendingEmailLogin(ctx context.Context, token string) (string, error) {
	key := s.linkKey(emailLinks, token)
	if key == "" {
		return "", store.ErrLinkGone
	}
	var email string
	err := s.store.View(ctx, func(tx *store.Tx) error {
		tok, err := tx.LoginToken(key)
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
	key := s.linkKey(emailLinks, token)
	if key == "" {
		return app.Session{}, app.Customer{}, "", store.ErrLinkGone
	}
	sess, cust, err := s.signIn(ctx, oldSessionID, func(tx *store.Tx) (app.Customer, error) {
		tok, err := tx.UseLoginToken(key, app.PurposeEmailLogin)
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
