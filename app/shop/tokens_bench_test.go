package shop_test

import (
	"strings"
	"testing"
	"time"

	"vendo/app/shop"
)

// Download links are signed for every file in a library page and checked
// on every download request.

func benchClaim() shop.DownloadClaim {
	return shop.DownloadClaim{EntitlementID: "ent_01jd3x8q6w4f2m5n7p9r1t3v5y",
		FileSHA256: strings.Repeat("9f", 32), Expires: time.Now().Add(24 * time.Hour)}
}

func BenchmarkSignDownloadToken(b *testing.B) {
	s := shop.NewSigner([]byte("bench-secret-bench-secret-bench-secret"))
	c := benchClaim()
	b.ReportAllocs()
	for b.Loop() {
		s.Sign(c)
	}
}

func BenchmarkVerifyDownloadToken(b *testing.B) {
	s := shop.NewSigner([]byte("bench-secret-bench-secret-bench-secret"))
	token := s.Sign(benchClaim())
	forged := token[:len(token)-2] + "AA"
	now := time.Now()
	b.Run("valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Verify(token, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("forged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Verify(forged, now); err == nil {
				b.Fatal("forged token accepted")
			}
		}
	})
}
