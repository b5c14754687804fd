package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/openidConnect"

	"vendo/app"
	"vendo/app/config"
	"vendo/app/store"
)

// Provider names as they appear in URLs (/auth/{name}) and identities.
const (
	GitHub = "github"
	Google = "google"
	OIDC   = "oidc"
)

// OAuthTTL is how long a started provider sign-in may take.
const OAuthTTL = 15 * time.Minute

// ProviderInfo describes a configured provider for the sign-in page.
type ProviderInfo struct {
	Name  string // github, google, oidc
	Label string // "GitHub", …
}

// providers holds the goth providers the config enables. GitHub and Google
// are built at once (no network); OpenID Connect fetches its discovery
// document when constructed, so it is built at first use, and retried on
// the next use when the identity provider was down.
type providers struct {
	cfg  *config.Config
	log  *slog.Logger
	list []ProviderInfo
	http *http.Client

	ready map[string]goth.Provider

	oidcMu      sync.Mutex
	oidc        *openidConnect.Provider
	oidcPending chan struct{} // closed when a construction in flight ends
	// SkipUserInfo skips the OIDC userinfo request and reads the claims
	// of the ID token only (mockoidc's userinfo has no "sub").
	skipUserInfo bool
	// discoveryWait bounds how long a request waits for discovery.
	discoveryWait time.Duration
}

func newProviders(cfg *config.Config, log *slog.Logger) *providers {
	p := &providers{cfg: cfg, log: log, ready: map[string]goth.Provider{},
		http: &http.Client{Timeout: 15 * time.Second}, discoveryWait: 10 * time.Second}
	if cfg.GitHubKey != "" {
		gh := github.New(cfg.GitHubKey, cfg.GitHubSecret, callbackURL(cfg, GitHub), "read:user", "user:email")
		gh.HTTPClient = p.http
		p.ready[GitHub] = gh
		p.list = append(p.list, ProviderInfo{GitHub, "GitHub"})
	}
	if cfg.GoogleKey != "" {
		g := google.New(cfg.GoogleKey, cfg.GoogleSecret, callbackURL(cfg, Google), "openid", "email", "profile")
		g.HTTPClient = p.http
		p.ready[Google] = g
		p.list = append(p.list, ProviderInfo{Google, "Google"})
	}
	if cfg.OIDCIssuer != "" {
		label := "single sign-on"
		if u, err := url.Parse(cfg.OIDCIssuer); err == nil && u.Host != "" {
			label = u.Hostname()
		}
		p.list = append(p.list, ProviderInfo{OIDC, label})
	}
	return p
}

func callbackURL(cfg *config.Config, name string) string {
	return cfg.BaseURL + "/auth/" + name + "/callback"
}

// Providers lists the configured providers, for the sign-in page.
func (s *Service) Providers() []ProviderInfo { return s.providers.list }

// SkipOIDCUserInfo makes OpenID Connect sign-in read the ID token's claims
// only, without the userinfo request (for identity providers, like
// mockoidc, whose userinfo answer lacks the subject).
func (s *Service) SkipOIDCUserInfo(skip bool) { s.providers.skipUserInfo = skip }

var errProviderUnknown = app.Errorf(app.ENOTFOUND, "That sign-in method is not available here.")

func (p *providers) get(name string) (goth.Provider, error) {
	if gp, ok := p.ready[name]; ok {
		return gp, nil
	}
	if name != OIDC || p.cfg.OIDCIssuer == "" {
		return nil, errProviderUnknown
	}
	return p.getOIDC()
}

// getOIDC builds the OpenID Connect provider on first use. One
// construction runs at a time; a request waits for it at most
// discoveryWait and is then told the provider is unavailable, while the
// construction may still finish for the next visitor.
func (p *providers) getOIDC() (goth.Provider, error) {
	p.oidcMu.Lock()
	if p.oidc != nil {
		defer p.oidcMu.Unlock()
		return p.oidc, nil
	}
	pending := p.oidcPending
	if pending == nil {
		pending = make(chan struct{})
		p.oidcPending = pending
		go func() {
			discovery := p.cfg.OIDCIssuer + "/.well-known/openid-configuration"
			prov, err := openidConnect.New(p.cfg.OIDCKey, p.cfg.OIDCSecret, callbackURL(p.cfg, OIDC), discovery, "openid", "email", "profile")
			p.oidcMu.Lock()
			if err == nil {
				prov.SetName(OIDC)
				prov.HTTPClient = p.http
				prov.SkipUserInfoRequest = p.skipUserInfo
				p.oidc = prov
			} else {
				p.log.Error("OpenID Connect discovery failed; will retry at the next sign-in", "issuer", p.cfg.OIDCIssuer, "err", err)
			}
			p.oidcPending = nil
			p.oidcMu.Unlock()
			close(pending)
		}()
	}
	p.oidcMu.Unlock()
	select {
	case <-pending:
	case <-time.After(p.discoveryWait):
	}
	p.oidcMu.Lock()
	defer p.oidcMu.Unlock()
	if p.oidc == nil {
		return nil, app.Errorf(app.EUNAVAILABLE, "Signing in with %s is unavailable right now. Try again in a moment, or sign in with an email link.", p.label(OIDC))
	}
	return p.oidc, nil
}

// configured reports whether name is one of the shop's providers.
func (p *providers) configured(name string) bool {
	for _, i := range p.list {
		if i.Name == name {
			return true
		}
	}
	return false
}

func (p *providers) label(name string) string {
	for _, i := range p.list {
		if i.Name == name {
			return i.Label
		}
	}
	return name
}

// BeginOAuth starts a provider sign-in: it makes a fresh random state
// (and, for OpenID Connect, a PKCE verifier) and returns the provider's
// authorization URL to redirect to, with the attempt sealed (signed with
// the install's secret) for a cookie. Nothing is stored: a visitor who
// has not signed in writes nothing to the database (issue 17, hole 5).
// An unknown provider is ENOTFOUND.
func (s *Service) BeginOAuth(ctx context.Context, name, next string) (string, string, error) {
	gp, err := s.providers.get(name)
	if err != nil {
		return "", "", err
	}
	state := randomToken(32)
	gs, err := gp.BeginAuth(state)
	if err != nil {
		return "", "", fmt.Errorf("begin %s sign-in: %w", name, err)
	}
	authURL, err := gs.GetAuthURL()
	if err != nil {
		return "", "", fmt.Errorf("begin %s sign-in: %w", name, err)
	}
	var verifier string
	if name == OIDC {
		// PKCE binds the code to this browser's flow even if the code leaks.
		verifier = randomToken(32)
		sum := sha256.Sum256([]byte(verifier))
		u, err := url.Parse(authURL)
		if err != nil {
			return "", "", fmt.Errorf("begin %s sign-in: %w", name, err)
		}
		q := u.Query()
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
		u.RawQuery = q.Encode()
		authURL = u.String()
	}
	st := app.OAuthState{Provider: name, State: state, Verifier: verifier, Data: gs.Marshal(),
		Next: SafeNext(next), StartedAt: s.store.Now()}
	return authURL, s.sealAttempt(st), nil
}

// sealAttempt and openAttempt carry a provider sign-in in the browser's
// cookie: JSON, then an HMAC under a key for this purpose only.
func (s *Service) sealAttempt(st app.OAuthState) string {
	raw, _ := json.Marshal(st)
	p := base64.RawURLEncoding.EncodeToString(raw)
	return p + "." + s.attemptMAC(p)
}

func (s *Service) openAttempt(sealed string) *app.OAuthState {
	p, mac, ok := strings.Cut(sealed, ".")
	if !ok || len(sealed) > 4000 || subtle.ConstantTimeCompare([]byte(mac), []byte(s.attemptMAC(p))) != 1 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil
	}
	var st app.OAuthState
	if json.Unmarshal(raw, &st) != nil {
		return nil
	}
	return &st
}

func (s *Service) attemptMAC(p string) string {
	m := hmac.New(sha256.New, DeriveKey(s.secret, "oauth attempts"))
	m.Write([]byte(p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// errOAuthState is the answer to a callback that does not belong to a
// sign-in this browser started (a forged or replayed state).
var errOAuthState = app.Errorf(app.EFORBIDDEN, "This sign-in could not be verified: it was not started here, or it took too long. Please try again.")

// CompleteOAuth finishes a provider sign-in from the callback's query and
// the attempt BeginOAuth sealed (the browser's cookie). The state must
// match the attempt's (goth does not check it); the caller clears the
// cookie whatever the outcome, so an attempt answers one callback. The code is exchanged and the user fetched outside
// any transaction; the customer is then found or linked and the session
// rotated in one.
func (s *Service) CompleteOAuth(ctx context.Context, name, sessionID, attempt string, query url.Values) (app.Session, app.Customer, string, error) {
	if !s.providers.configured(name) {
		return app.Session{}, app.Customer{}, "", errProviderUnknown
	}
	st := s.openAttempt(attempt)
	got := query.Get("state")
	if st == nil || st.Provider != name || got == "" ||
		subtle.ConstantTimeCompare([]byte(got), []byte(st.State)) != 1 || s.store.Now().Sub(st.StartedAt) > OAuthTTL {
		s.log.Warn("provider callback refused: state does not match", "provider", name)
		return app.Session{}, app.Customer{}, "", errOAuthState
	}
	if e := query.Get("error"); e != "" {
		s.log.Info("provider sign-in cancelled or refused", "provider", name, "error", e, "description", query.Get("error_description"))
		return app.Session{}, app.Customer{}, "", app.Errorf(app.EUNAUTHORIZED, "%s did not sign you in. You can try again, or sign in with an email link.", s.providers.label(name))
	}
	gp, err := s.providers.get(name)
	if err != nil {
		return app.Session{}, app.Customer{}, "", err
	}
	gs, err := gp.UnmarshalSession(st.Data)
	if err != nil {
		return app.Session{}, app.Customer{}, "", fmt.Errorf("%s session: %w", name, err)
	}
	// Only the code and our verifier go to the token endpoint: goth would
	// also take redirect_uri from these params.
	params := url.Values{"code": {query.Get("code")}}
	if st.Verifier != "" {
		params.Set("code_verifier", st.Verifier)
	}
	if _, err := gs.Authorize(gp, params); err != nil {
		return app.Session{}, app.Customer{}, "", s.providerFailed(name, "exchange the code", err)
	}
	user, err := gp.FetchUser(gs)
	if err != nil {
		return app.Session{}, app.Customer{}, "", s.providerFailed(name, "fetch the user", err)
	}
	id, err := s.identityOf(name, user)
	if err != nil {
		return app.Session{}, app.Customer{}, "", err
	}
	sess, cust, err := s.signIn(ctx, sessionID, func(tx *store.Tx) (app.Customer, error) { return linkIdentity(tx, id, user.Name) })
	return sess, cust, st.Next, err
}

func (s *Service) providerFailed(name, step string, err error) error {
	s.log.Error("provider sign-in failed", "provider", name, "step", step, "err", err)
	return &app.Error{Code: app.EUNAVAILABLE, Err: err,
		Message: fmt.Sprintf("%s could not confirm who you are. Please try again, or sign in with an email link.", s.providers.label(name))}
}

// verifiedIdentity is a provider login with the address it vouches for
// ("" when none is verified).
type verifiedIdentity struct {
	app.Identity
	VerifiedEmail string
}

// identityOf reads the subject and the verified email from a goth user.
// GitHub only returns verified addresses (a public email must be verified;
// goth picks the primary verified one otherwise); Google and OpenID
// Connect say so in verified_email / email_verified.
func (s *Service) identityOf(name string, u goth.User) (verifiedIdentity, error) {
	if u.UserID == "" {
		return verifiedIdentity{}, s.providerFailed(name, "read the user id", errors.New("empty user id"))
	}
	id := verifiedIdentity{Identity: app.Identity{Provider: name, Subject: u.UserID, Email: app.NormalizeEmail(u.Email)}}
	if name == OIDC {
		// Subjects are unique per issuer only.
		id.Subject = u.UserID + "@" + s.cfg.OIDCIssuer
	}
	verified := false
	switch name {
	case GitHub:
		verified = true
	case Google:
		verified = claimTrue(u.RawData, "verified_email", true) && claimTrue(u.RawData, "email_verified", true)
	case OIDC:
		verified = claimTrue(u.RawData, "email_verified", false)
	}
	if verified && app.LooksLikeEmail(id.Email) {
		id.VerifiedEmail = id.Email
	}
	return id, nil
}

// claimTrue reads a boolean claim that some providers send as a string;
// missing means def.
func claimTrue(raw map[string]any, claim string, def bool) bool {
	switch v := raw[claim].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	case nil:
		return def
	}
	return false
}

// errNeedVerifiedEmail refuses a first sign-in without a verified address:
// an unverified one could take over, or pre-claim, someone else's account.
var errNeedVerifiedEmail = app.Errorf(app.EFORBIDDEN, "Your account there has no verified email address, so we cannot tell which customer you are. Verify your email with that provider, or sign in with an email link.")

// linkIdentity finds the customer for a provider login: the one already
// linked to it; else the customer with the same verified email (the
// identity is linked); else a new customer. An unverified email never
// reaches an existing customer, and the owner account is never linked.
func linkIdentity(tx *store.Tx, id verifiedIdentity, name string) (app.Customer, error) {
	c, err := tx.CustomerByIdentity(id.Provider, id.Subject)
	if err == nil {
		return c, nil
	}
	if !app.IsNotFound(err) {
		return app.Customer{}, err
	}
	if id.VerifiedEmail == "" || id.VerifiedEmail == app.OwnerEmail {
		return app.Customer{}, errNeedVerifiedEmail
	}
	c, err = tx.CustomerByEmail(id.VerifiedEmail)
	switch {
	case app.IsNotFound(err):
		c = app.Customer{Email: id.VerifiedEmail, Name: strings.TrimSpace(name)}
	case err != nil:
		return app.Customer{}, err
	}
	c.EmailVerified = true
	c.Identities = append(c.Identities, id.Identity)
	return c, nil
}
