package shop_test

import (
	"testing"
	"time"

	"vendo/app/shop"
)

// FuzzDownloadToken: no input panics the token parser, and nothing but a
// token the signer made verifies.
func FuzzDownloadToken(f *testing.F) {
	s := shop.NewSigner([]byte("fuzz-secret-fuzz-secret-fuzz-secret"))
	good := s.Sign(shop.DownloadClaim{EntitlementID: "ent_1", FileSHA256: "ab", Expires: time.Now().Add(time.Hour)})
	f.Add(good)
	f.Add(good + "x")
	f.Add("")
	f.Add(".")
	f.Add("MXx8fHwx.AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token, time.Now())
		if err == nil && token != good {
			// A different string may still decode to the same bytes only
			// if base64 is lenient; then it must carry the same claim.
			if c.EntitlementID != "ent_1" || c.FileSHA256 != "ab" {
				t.Fatalf("forged token %q verified as %+v", token, c)
			}
		}
	})
}
