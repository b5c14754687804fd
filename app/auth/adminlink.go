package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"vendo/app"
)

// AdminLinkTTL is how long an admin link works.
const AdminLinkTTL = 15 * time.Minute

// AdminLinkPath is where admin links point; the token follows.
const AdminLinkPath = "/login/admin/"

// NewAdminLink makes a one-time admin sign-in link. It needs no database:
// the token is "nonce.expiry.signature", HMAC-signed with a key derived
// from the install's secret, so `vendo admin-link` can print one while the
// shop runs. The shop makes it single-use by recording the nonce when the
// link is redeemed.
func NewAdminLink(secret, baseURL string, now time.Time) (string, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	body := hex.EncodeToString(nonce[:]) + "." + strconv.FormatInt(now.Add(AdminLinkTTL).Unix(), 10)
	return strings.TrimRight(baseURL, "/") + AdminLinkPath + body + "." + signAdmin(secret, body), nil
}

func signAdmin(secret, body string) string {
	m := hmac.New(sha256.New, DeriveKey(secret, app.PurposeAdminLink))
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseAdminToken checks an admin link's signature (in constant time) and
// expiry and returns its nonce and expiry.
func parseAdminToken(secret, token string, now time.Time) (nonce string, expires time.Time, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[0]) != 32 {
		return "", time.Time{}, errAdminLinkGone
	}
	body := parts[0] + "." + parts[1]
	if !hmac.Equal([]byte(signAdmin(secret, body)), []byte(parts[2])) {
		return "", time.Time{}, errAdminLinkGone
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", time.Time{}, errAdminLinkGone
	}
	expires = time.Unix(exp, 0)
	if !now.Before(expires) {
		return "", time.Time{}, errAdminLinkGone
	}
	return parts[0], expires, nil
}

var errAdminLinkGone = app.Errorf(app.EGONE, "This admin link has expired or was already used. Run `vendo admin-link` for a new one.")
