package shop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"vendo/app"
)

// DownloadClaim is what a download link states: the holder of this
// entitlement may fetch this file until Expires. The entitlement says
// whose it is; the link never names the customer, since links leave the
// shop (mail, browser history, shared screens) and a customer id was once
// enough to open someone's order (issue 17, hole 2).
type DownloadClaim struct {
	EntitlementID string
	FileSHA256    string
	Expires       time.Time
}

// DownloadPath is where download links point; the token follows.
const DownloadPath = "/downloads/"

// Signer signs and checks download tokens with the install's secret.
type Signer struct{ key []byte }

// NewSigner derives the download-link key from the install's secret, so
// a token for one purpose can never be replayed as another.
func NewSigner(secret []byte) *Signer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("vendo download links v1"))
	return &Signer{key: m.Sum(nil)}
}

// tokenVersion 2 is "2|entitlement|file|expiry". Version 1 also named
// the customer; Verify still reads it, ignoring the customer, until the
// last of those links expires (the download expiry setting, a day by
// default).
const tokenVersion = "2"

// Sign returns the URL-safe token for a claim.
func (s *Signer) Sign(c DownloadClaim) string {
	payload := strings.Join([]string{tokenVersion, c.EntitlementID, c.FileSHA256, strconv.FormatInt(c.Expires.Unix(), 10)}, "|")
	return s.SignRef(base64.RawURLEncoding.EncodeToString([]byte(payload)))
}

// SignRef completes a token's payload (the part before the dot) into the
// token: the outbox stores download links as their payloads only, and
// the mailer makes them links again as it sends (issue 17, hole 8).
func (s *Signer) SignRef(p string) string {
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

func (s *Signer) mac(p string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(p))
	return m.Sum(nil)[:20]
}

// Verify checks the signature first (a forged token is refused without
// looking at its content), then the expiry.
func (s *Signer) Verify(token string, now time.Time) (DownloadClaim, error) {
	forged := app.Errorf(app.EFORBIDDEN, "This download link is not valid. Open your library to get a fresh one.")
	if len(token) > 512 {
		return DownloadClaim{}, forged
	}
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return DownloadClaim{}, forged
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return DownloadClaim{}, forged
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return DownloadClaim{}, forged
	}
	parts := strings.Split(string(raw), "|")
	switch {
	case len(parts) == 4 && parts[0] == tokenVersion:
	case len(parts) == 5 && parts[0] == "1":
		parts = append(parts[:1], parts[2:]...) // drop the customer
	default:
		return DownloadClaim{}, forged
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return DownloadClaim{}, forged
	}
	c := DownloadClaim{EntitlementID: parts[1], FileSHA256: parts[2], Expires: time.Unix(exp, 0)}
	if !now.Before(c.Expires) {
		return c, app.Errorf(app.EGONE, "This download link has expired. Open your library to get a fresh one.")
	}
	return c, nil
}
