package shop_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"vendo/app/shop"
)

// TestDownloadTokensNameNoCustomer: a download link says which
// entitlement and file, never whose (issue 17, hole 2). Links signed
// before the change, which named the customer, still verify until they
// expire, and their customer part is ignored.
func TestDownloadTokensNameNoCustomer(t *testing.T) {
	secret := []byte("test-secret-test-secret-test-secret")
	s := shop.NewSigner(secret)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok := s.Sign(shop.DownloadClaim{EntitlementID: "ent_1", FileSHA256: "ab", Expires: exp})
	payload, _, _ := strings.Cut(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	if string(raw) != "2|ent_1|ab|"+itoa(exp.Unix()) {
		t.Fatalf("token payload %q", raw)
	}

	// A version 1 link, signed as the old code did.
	old := func(payload string) string {
		k := hmac.New(sha256.New, secret)
		k.Write([]byte("vendo download links v1"))
		m := hmac.New(sha256.New, k.Sum(nil))
		p := base64.RawURLEncoding.EncodeToString([]byte(payload))
		m.Write([]byte(p))
		return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:20])
	}
	c, err := s.Verify(old("1|cust_9|ent_1|ab|"+itoa(exp.Unix())), time.Now())
	if err != nil || c.EntitlementID != "ent_1" || c.FileSHA256 != "ab" || !c.Expires.Equal(exp) {
		t.Fatalf("a version 1 link: %+v %v", c, err)
	}
	if _, err := s.Verify(old("1|ent_1|ab|"+itoa(exp.Unix())), time.Now()); err == nil {
		t.Fatal("a version 1 link without its customer part verified")
	}
	if _, err := s.Verify(old("3|ent_1|ab|"+itoa(exp.Unix())), time.Now()); err == nil {
		t.Fatal("an unknown version verified")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
