package web_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// startIdP runs a mock OpenID Connect provider for the test.
func startIdP(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

func oidcEnv(m *mockoidc.MockOIDC) map[string]string {
	return map[string]string{"OIDC_ISSUER": m.Issuer(), "OIDC_KEY": m.ClientID, "OIDC_SECRET": m.ClientSecret}
}

// beginOIDC starts a sign-in at the shop and returns the identity
// provider's authorization URL it redirected to.
func beginOIDC(t *testing.T, b *vendotest.Client, next string) *url.URL {
	t.Helper()
	path := "/auth/oidc"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	resp, body := b.Get(path)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET %s: %d\n%.500s", path, resp.StatusCode, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// atIdP visits the provider's authorization URL; mockoidc answers at once
// with a redirect to the shop's callback, which is returned.
func atIdP(t *testing.T, b *vendotest.Client, auth *url.URL) string {
	t.Helper()
	resp, body := b.Get(auth.String())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("identity provider: %d\n%s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

func TestOIDCSignInThroughTheRealCodeFlow(t *testing.T) {
	t.Parallel()
	idp := startIdP(t)
	shop := newAcctShop(t, vendotest.Options{Env: oidcEnv(idp)})
	b := shop.browser()

	_, body := b.Get("/login")
	if !strings.Contains(body, `href="/auth/oidc"`) || !strings.Contains(body, "Continue with 127.0.0.1") {
		t.Fatalf("the sign-in page does not offer OpenID Connect:\n%.1000s", body)
	}
	if strings.Contains(body, "/auth/github") || strings.Contains(body, "/auth/google") {
		t.Error("unconfigured providers are shown")
	}
	anonymous := b.Cookie("vendo_session")

	idp.QueueUser(&mockoidc.MockUser{Subject: "sub-ada", Email: "Ada@Example.com", EmailVerified: true})
	authURL := beginOIDC(t, b, "/plans")
	q := authURL.Query()
	if !strings.HasPrefix(authURL.String(), idp.AuthorizationEndpoint()) || q.Get("state") == "" ||
		q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" ||
		q.Get("redirect_uri") != shop.URL+"/auth/oidc/callback" {
		t.Fatalf("authorization URL: %s", authURL)
	}
	callback := atIdP(t, b, authURL)
	if !strings.HasPrefix(callback, shop.URL+"/auth/oidc/callback?") {
		t.Fatalf("the provider sent the browser to %s", callback)
	}
	resp, body := b.Get(callback)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/plans" {
		t.Fatalf("callback: %d → %q\n%.600s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if b.Cookie("vendo_session") == anonymous {
		t.Error("the session was not rotated at sign-in")
	}
	if who := b.SignedInAs(); who != "ada@example.com" {
		t.Fatalf("signed in as %q", who)
	}
	var ada app.Customer
	shop.Store.View(context.Background(), func(tx *store.Tx) (err error) {
		ada, err = tx.CustomerByIdentity("oidc", "sub-ada@"+idp.Issuer())
		return err
	})
	if ada.Email != "ada@example.com" || !ada.EmailVerified {
		t.Fatalf("customer: %+v", ada)
	}

	// The callback cannot be replayed: its state was spent.
	replay := shop.browser()
	if resp, _ := replay.Get(callback); resp.StatusCode != http.StatusForbidden {
		t.Errorf("replayed callback in another browser: %d", resp.StatusCode)
	}
	if resp, _ := b.Get(callback); resp.StatusCode != http.StatusForbidden {
		t.Errorf("replayed callback in the same browser: %d", resp.StatusCode)
	}

	// Signing in again later finds the same customer by the identity.
	b.Get("/account")
	b.Post("/logout", url.Values{"_csrf": {b.CSRF()}})
	idp.QueueUser(&mockoidc.MockUser{Subject: "sub-ada", Email: "ada@example.com", EmailVerified: true})
	b.Get(atIdP(t, b, beginOIDC(t, b, "")))
	shop.Store.View(context.Background(), func(tx *store.Tx) error {
		if n := tx.CountCustomers(); n != 1 {
			t.Errorf("%d customers after signing in twice, want 1", n)
		}
		return nil
	})
	if b.SignedInAs() != "ada@example.com" {
		t.Error("second sign-in failed")
	}
}

func TestOIDCForgedStateIsRefused(t *testing.T) {
	t.Parallel()
	idp := startIdP(t)
	shop := newAcctShop(t, vendotest.Options{Env: oidcEnv(idp)})
	b := shop.browser()
	b.Get("/login")

	// A real code from the provider, but with a state this browser did not
	// start: refused, and nobody is signed in.
	authURL := beginOIDC(t, b, "")
	q := authURL.Query()
	q.Set("state", "forged-"+q.Get("state"))
	authURL.RawQuery = q.Encode()
	resp, body := b.Get(atIdP(t, b, authURL))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "could not be verified") {
		t.Fatalf("forged state: %d\n%.600s", resp.StatusCode, body)
	}
	if b.SignedInAs() != "" {
		t.Fatal("a forged state signed someone in")
	}
	shop.Store.View(context.Background(), func(tx *store.Tx) error {
		if n := tx.CountCustomers(); n != 0 {
			t.Errorf("%d customers created", n)
		}
		return nil
	})

	// A refused callback spends the attempt: the genuine answer that
	// follows it is refused as well (a state works once).
	genuine := atIdP(t, b, beginOIDC(t, b, ""))
	tampered, _ := url.Parse(genuine)
	tq := tampered.Query()
	tq.Set("state", "x"+tq.Get("state"))
	tampered.RawQuery = tq.Encode()
	if resp, _ := b.Get(tampered.String()); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered callback: %d", resp.StatusCode)
	}
	if resp, _ := b.Get(genuine); resp.StatusCode != http.StatusForbidden || b.SignedInAs() != "" {
		t.Fatalf("the genuine callback after a refused one: %d", resp.StatusCode)
	}

	// A callback that another browser started (login CSRF) is refused too.
	victim := shop.browser()
	victim.Get("/login")
	callback := atIdP(t, b, beginOIDC(t, b, ""))
	if resp, _ := victim.Get(callback); resp.StatusCode != http.StatusForbidden || victim.SignedInAs() != "" {
		t.Fatalf("someone else's callback: %d", resp.StatusCode)
	}
	// The refusal touched only the victim's session: the browser that
	// started the sign-in can still finish it.
	if resp, _ := b.Get(callback); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the rightful browser's callback: %d", resp.StatusCode)
	}
}

func TestOIDCUnverifiedEmailDoesNotTakeOverACustomer(t *testing.T) {
	t.Parallel()
	idp := startIdP(t)
	shop := newAcctShop(t, vendotest.Options{Env: oidcEnv(idp)})
	owner := shop.browser()
	owner.SignIn("ada@example.com")

	b := shop.browser()
	b.Get("/login")
	idp.QueueUser(&mockoidc.MockUser{Subject: "attacker", Email: "ada@example.com", EmailVerified: false})
	resp, body := b.Get(atIdP(t, b, beginOIDC(t, b, "")))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "no verified email address") {
		t.Fatalf("unverified email: %d\n%.600s", resp.StatusCode, body)
	}
	if b.SignedInAs() != "" {
		t.Fatal("an unverified email signed in")
	}
	shop.Store.View(context.Background(), func(tx *store.Tx) error {
		c, _ := tx.CustomerByEmail("ada@example.com")
		if len(c.Identities) != 0 {
			t.Errorf("an identity was linked: %+v", c.Identities)
		}
		if n := tx.CountCustomers(); n != 1 {
			t.Errorf("%d customers, want 1", n)
		}
		return nil
	})

	// A verified email links the identity to the existing customer.
	idp.QueueUser(&mockoidc.MockUser{Subject: "ada-at-idp", Email: "ada@example.com", EmailVerified: true})
	b.Get(atIdP(t, b, beginOIDC(t, b, "")))
	if b.SignedInAs() != "ada@example.com" {
		t.Fatal("verified email did not sign in")
	}
	shop.Store.View(context.Background(), func(tx *store.Tx) error {
		c, _ := tx.CustomerByEmail("ada@example.com")
		if len(c.Identities) != 1 || c.Identities[0].Provider != "oidc" {
			t.Errorf("identities: %+v", c.Identities)
		}
		if n := tx.CountCustomers(); n != 1 {
			t.Errorf("%d customers, want 1", n)
		}
		return nil
	})
}

func TestOIDCProviderDownDoesNotStopTheShop(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	shop := newAcctShop(t, vendotest.Options{Env: map[string]string{"OIDC_ISSUER": dead, "OIDC_KEY": "k", "OIDC_SECRET": "s"}})
	b := shop.browser()
	if resp, body := b.Get("/login"); resp.StatusCode != 200 || !strings.Contains(body, "/auth/oidc") {
		t.Fatalf("login page: %d", resp.StatusCode)
	}
	resp, body := b.Get("/auth/oidc")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "unavailable right now") {
		t.Fatalf("provider down: %d\n%.500s", resp.StatusCode, body)
	}
	if resp, _ := b.Get("/auth/github"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unconfigured provider: %d", resp.StatusCode)
	}
}

// TestOIDCSignInContinuesToTheChosenPlansCheckout: a visitor who chose a
// plan before signing in with a provider lands in Checkout for it after
// the callback, as after an emailed link.
func TestOIDCSignInContinuesToTheChosenPlansCheckout(t *testing.T) {
	t.Parallel()
	idp := startIdP(t)
	shop := newAcctShop(t, vendotest.Options{Env: oidcEnv(idp)})
	b := shop.browser()
	idp.QueueUser(&mockoidc.MockUser{Subject: "sub-lin", Email: "lin@example.com", EmailVerified: true})
	next := "/subscribe?" + url.Values{"plan": {"pro"}, "interval": {"year"}}.Encode()
	resp, _ := b.Get(atIdP(t, b, beginOIDC(t, b, next)))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/sandbox/stripe/checkout/cs_") {
		t.Fatalf("callback with a chosen plan: %d → %q, want the sandbox's Checkout", resp.StatusCode, loc)
	}
	_, page := b.Get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Pro") || !strings.Contains(page, "$190.00") {
		t.Fatalf("Checkout is not for yearly Pro:\n%.800s", page)
	}
}
