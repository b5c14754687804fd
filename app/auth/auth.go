// Package auth signs people in: Vendo's own server-side sessions (stored
// in bbolt, rotated on sign-in), one-time email links, GitHub, Google and
// OpenID Connect through goth, and the admin door (VENDO_ADMIN_EMAILS and
// one-time admin links). HTTP details (cookies, CSRF, redirects) belong to
// the web package; everything here is plain Go that tests call directly.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"vendo/app"
	"vendo/app/config"
	"vendo/app/store"
)

// Session lifetimes (sliding: each visit extends them).
const (
	SignedInTTL  = 30 * 24 * time.Hour
	AnonymousTTL = 7 * 24 * time.Hour
	// touchEvery limits how often a visit rewrites its session to extend
	// it: at most once an hour, not on every request.
	touchEvery = time.Hour
)

// Mailer queues an email inside a transaction (mail.Mailer).
type Mailer interface {
	Queue(tx *store.Tx, template, to string, data map[string]any) error
}

// Service is the sign-in machinery.
type Service struct {
	store  *store.Store
	cfg    *config.Config
	mail   Mailer
	secret string
	log    *slog.Logger

	// OnSignIn, when set, runs after a sign-in has committed, with the
	// visitor's previous session id (empty when there was none), the new
	// one and the customer: the cart step merges the anonymous cart here.
	OnSignIn func(ctx context.Context, oldSessionID, newSessionID, customerID string)

	// EmailLimit and IPLimit cap email sign-in requests per address and
	// per client address in each RateWindow.
	EmailLimit, IPLimit int
	RateWindow          time.Duration

	providers *providers
}

// Deps are what New needs.
type Deps struct {
	Store  *store.Store
	Config *config.Config
	Mail   Mailer
	Secret string // LoadSecret's result
	Log    *slog.Logger
}

// New builds the service. Identity providers are set up from the config;
// OpenID Connect's discovery is fetched at first use, so start-up does not
// depend on the identity provider being up.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Service{store: d.Store, cfg: d.Config, mail: d.Mail, secret: d.Secret, log: d.Log.With("component", "auth"),
		EmailLimit: 5, IPLimit: 20, RateWindow: time.Hour}
	s.providers = newProviders(d.Config, s.log)
	return s
}

// Secret is the install's signing secret, for other signed links.
func (s *Service) Secret() string { return s.secret }

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewSession creates an anonymous session (a visitor who needs a form
// token or a cart).
func (s *Service) NewSession(ctx context.Context) (app.Session, error) {
	var sess app.Session
	err := s.store.Batch(ctx, func(tx *store.Tx) error {
		sess = newSession(tx, "")
		return tx.PutSession(&sess)
	})
	return sess, err
}

func newSession(tx *store.Tx, customerID string) app.Session {
	ttl := AnonymousTTL
	if customerID != "" {
		ttl = SignedInTTL
	}
	now := tx.Now()
	return app.Session{ID: randomToken(32), CustomerID: customerID, CSRF: randomToken(32),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl)}
}

// Visitor returns the live session with id and, when it is signed in,
// its customer, read in one transaction (every page a signed-in customer
// opens needs both, issue 21); cust is nil for a session not signed in
// or whose customer is gone. found is false for a missing or expired
// session. A session last seen over an hour ago is extended (the expiry
// slides) and changed reports that its cookie should be renewed.
func (s *Service) Visitor(ctx context.Context, id string) (sess app.Session, cust *app.Customer, found, changed bool, err error) {
	err = s.store.View(ctx, func(tx *store.Tx) error {
		if sess, err = tx.Session(id); err != nil || !sess.SignedIn() {
			return err
		}
		switch c, err := tx.Customer(sess.CustomerID); {
		case app.IsNotFound(err):
		case err != nil:
			return err
		default:
			cust = &c
		}
		return nil
	})
	if app.IsNotFound(err) {
		return app.Session{}, nil, false, false, nil
	}
	if err != nil {
		return app.Session{}, nil, false, false, err
	}
	now := s.store.Now()
	if now.Sub(sess.LastSeenAt) < touchEvery {
		return sess, cust, true, false, nil
	}
	err = s.store.Batch(ctx, func(tx *store.Tx) error {
		cur, err := tx.Session(id)
		if err != nil {
			return err
		}
		ttl := AnonymousTTL
		if cur.SignedIn() {
			ttl = SignedInTTL
		}
		cur.LastSeenAt, cur.ExpiresAt = tx.Now(), tx.Now().Add(ttl)
		sess = cur
		return tx.PutSession(&cur)
	})
	if app.IsNotFound(err) { // signed out in between
		return app.Session{}, nil, false, false, nil
	}
	return sess, cust, err == nil, err == nil, err
}

// Customer returns the customer a session belongs to.
func (s *Service) Customer(ctx context.Context, sess app.Session) (app.Customer, error) {
	if !sess.SignedIn() {
		return app.Customer{}, app.Errorf(app.EUNAUTHORIZED, "Please sign in.")
	}
	return s.store.Customer(ctx, sess.CustomerID)
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, sessionID string) error {
	return s.store.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(sessionID) })
}

// signIn runs pick (which finds or creates the customer) and, in the same
// transaction, replaces the visitor's session with a new one bound to the
// customer, so a session id known before sign-in is worthless after it
// (no session fixation). OnSignIn runs after the commit.
func (s *Service) signIn(ctx context.Context, oldSessionID string, pick func(tx *store.Tx) (app.Customer, error)) (app.Session, app.Customer, error) {
	return s.signInThen(ctx, oldSessionID, pick, nil)
}

// signInThen is signIn with then, when not nil, run on the stored
// customer inside the same transaction (a free product's link adds the
// product there, so the link is spent only if the product is given).
func (s *Service) signInThen(ctx context.Context, oldSessionID string, pick func(tx *store.Tx) (app.Customer, error),
	then func(tx *store.Tx, c app.Customer) error) (app.Session, app.Customer, error) {
	var (
		sess app.Session
		cust app.Customer
	)
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		c, err := pick(tx)
		if err != nil {
			return err
		}
		c.LastSignInAt = tx.Now()
		if err := tx.PutCustomer(&c); err != nil {
			return err
		}
		if then != nil {
			if err := then(tx, c); err != nil {
				return err
			}
		}
		if oldSessionID != "" {
			if err := tx.DeleteSession(oldSessionID); err != nil {
				return err
			}
		}
		sess = newSession(tx, c.ID)
		cust = c
		return tx.PutSession(&sess)
	})
	if err != nil {
		return app.Session{}, app.Customer{}, err
	}
	s.log.Info("signed in", "customer", cust.ID, "email", cust.Email)
	if s.OnSignIn != nil {
		s.OnSignIn(ctx, oldSessionID, sess.ID, cust.ID)
	}
	return sess, cust, nil
}

// IsAdmin reports whether the customer may open /admin: the owner account
// an admin link made, or a verified address listed in VENDO_ADMIN_EMAILS.
func (s *Service) IsAdmin(c *app.Customer) bool {
	if c == nil || c.ID == "" {
		return false
	}
	return c.Admin || (c.EmailVerified && slices.Contains(s.cfg.AdminEmails, app.NormalizeEmail(c.Email)))
}

// SafeNext returns next when it is a path on this site, and "" otherwise,
// so ?next= cannot send a visitor to another site (no open redirect).
func SafeNext(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return ""
	}
	for _, r := range next {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return next
}

// Sweep removes what visitors leave behind: expired sessions, old
// sign-in tokens, ended rate-limit windows, holds of discount codes
// whose Checkout has expired, and carts unchanged for the cart lifetime
// (VENDO_CART_LIFETIME).
func (s *Service) Sweep(ctx context.Context) error {
	var sessions, tokens, limits, carts, holds int
	err := s.store.Update(ctx, func(tx *store.Tx) (err error) {
		if s.cfg.CartLifetime > 0 {
			if carts, err = tx.SweepCarts(tx.Now().Add(-s.cfg.CartLifetime)); err != nil {
				return err
			}
		}
		if sessions, err = tx.SweepSessions(); err != nil {
			return err
		}
		if tokens, err = tx.SweepLoginTokens(); err != nil {
			return err
		}
		if holds, err = tx.SweepCodeHolds(); err != nil {
			return err
		}
		limits, err = tx.SweepRateLimits()
		return err
	})
	if err == nil && sessions+tokens+limits+carts+holds > 0 {
		s.log.Info("swept expired records", "sessions", sessions, "tokens", tokens, "rate_limits", limits, "carts", carts, "code_holds", holds)
	}
	return err
}

// RunSweeper sweeps at start and then every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
