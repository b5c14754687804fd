package web

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
)

// TestSecurityHeadersAsHelmet: the prepared security headers are exactly
// the ones helmet set with the configuration the shop used to pass it,
// name for name and value for value.
func TestSecurityHeadersAsHelmet(t *testing.T) {
	const csp = "default-src 'self'; form-action 'self'"
	headersOf := func(mw fiber.Handler) map[string]string {
		t.Helper()
		a := fiber.New()
		a.Use(mw)
		a.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
		resp, err := a.Test(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for k, v := range resp.Header {
			switch k {
			case "Content-Type", "Content-Length", "Date":
				continue
			}
			if len(v) != 1 {
				t.Errorf("%s sent %d times: %q", k, len(v), v)
			}
			out[k] = v[0]
		}
		return out
	}
	want := headersOf(helmet.New(helmet.Config{
		ContentSecurityPolicy:     csp,
		ReferrerPolicy:            "same-origin",
		XFrameOptions:             "DENY",
		CrossOriginEmbedderPolicy: "unsafe-none",
		CrossOriginOpenerPolicy:   "unsafe-none", // same-origin on private pages: TestOpenerIsolationOnPrivatePages
		CrossOriginResourcePolicy: "same-origin",
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), payment=()",
	}))
	got := headersOf(setHeaders(securityHeaderList(csp)))
	if len(want) < 10 {
		t.Fatalf("helmet set only %v", want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, helmet sets %q", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s = %q, which helmet does not set", k, v)
		}
	}
}
