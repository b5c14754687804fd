package auth

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/markbates/goth"

	"vendo/app"
	"vendo/app/config"
)

func TestSafeNextAllowsOnlyLocalPaths(t *testing.T) {
	for next, want := range map[string]string{
		"/account":                      "/account",
		"/products?q=calm&after=x":      "/products?q=calm&after=x",
		"/admin/orders#refunds":         "/admin/orders#refunds",
		"":                              "",
		"account":                       "",
		"//evil.example/x":              "",
		"/\\evil.example":               "",
		"\\\\evil.example":              "",
		"https://evil.example/":         "",
		"javascript:alert(1)":           "",
		"/ok\r\nSet-Cookie: x=1":        "",
		"/%0d%0aLocation:%20//evil":     "/%0d%0aLocation:%20//evil", // stays encoded: a path on this site
		"/" + strings.Repeat("a", 3000): "",
		"/\tx":                          "",
	} {
		if got := SafeNext(next); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestLoadSecretIsCreatedOnceAndPrivate(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadSecret(dir, "")
	if err != nil || len(first) != 64 {
		t.Fatalf("first: %q %v", first, err)
	}
	fi, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi.Mode(), err)
	}
	again, _ := LoadSecret(dir, "")
	if again != first {
		t.Error("the secret changed between starts")
	}
	if env, _ := LoadSecret(dir, "from-the-environment-0123456789abcdef"); env != "from-the-environment-0123456789abcdef" {
		t.Error("VENDO_SECRET does not win")
	}
	os.WriteFile(filepath.Join(dir, SecretFile), []byte("short\n"), 0o600)
	if _, err := LoadSecret(dir, ""); err == nil {
		t.Error("a short secret file is accepted")
	}
}

func TestAdminTokens(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	secret := strings.Repeat("s", 64)
	link, err := NewAdminLink(secret, "https://shop.example/", now)
	if err != nil {
		t.Fatal(err)
	}
	token, ok := strings.CutPrefix(link, "https://shop.example"+AdminLinkPath)
	if !ok {
		t.Fatalf("link %q", link)
	}
	nonce, exp, err := parseAdminToken(secret, token, now.Add(time.Minute))
	if err != nil || len(nonce) != 32 || !exp.Equal(now.Add(AdminLinkTTL)) {
		t.Fatalf("parse: %q %v %v", nonce, exp, err)
	}
	other, _ := NewAdminLink(secret, "https://shop.example", now)
	if other == link {
		t.Error("two links are the same")
	}
	parts := strings.Split(token, ".")
	for name, tc := range map[string]struct {
		secret, token string
		at            time.Time
	}{
		"expired":         {secret, token, now.Add(AdminLinkTTL)},
		"other secret":    {strings.Repeat("t", 64), token, now},
		"later expiry":    {secret, parts[0] + "." + "9999999999" + "." + parts[2], now},
		"other nonce":     {secret, strings.Repeat("0", 32) + "." + parts[1] + "." + parts[2], now},
		"no signature":    {secret, parts[0] + "." + parts[1], now},
		"garbage":         {secret, "x", now},
		"signature moved": {secret, parts[2] + "." + parts[1] + "." + parts[0], now},
	} {
		if _, _, err := parseAdminToken(tc.secret, tc.token, tc.at); app.ErrorCode(err) != app.EGONE {
			t.Errorf("%s: %v, want gone", name, err)
		}
	}
}

func TestIdentityEmailIsVerifiedOnlyWhenTheProviderSaysSo(t *testing.T) {
	s := &Service{cfg: &config.Config{OIDCIssuer: "https://idp.example"}, providers: &providers{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		provider string
		raw      map[string]any
		verified bool
	}{
		{OIDC, map[string]any{"email_verified": true}, true},
		{OIDC, map[string]any{"email_verified": "true"}, true},
		{OIDC, map[string]any{"email_verified": false}, false},
		{OIDC, map[string]any{}, false},
		{Google, map[string]any{"verified_email": true}, true},
		{Google, map[string]any{"verified_email": false}, false},
		{Google, map[string]any{}, true},
		{GitHub, nil, true},
	} {
		id, err := s.identityOf(tc.provider, goth.User{UserID: "u1", Email: "Ada@Example.com", RawData: tc.raw})
		if err != nil {
			t.Fatal(err)
		}
		if got := id.VerifiedEmail != ""; got != tc.verified {
			t.Errorf("%s %v: verified %v, want %v", tc.provider, tc.raw, got, tc.verified)
		}
		if tc.provider == OIDC && id.Subject != "u1@https://idp.example" {
			t.Errorf("OIDC subject %q is not scoped to the issuer", id.Subject)
		}
	}
	if _, err := s.identityOf(GitHub, goth.User{Email: "a@b.co"}); err == nil {
		t.Error("a user without an id is accepted")
	}
}
