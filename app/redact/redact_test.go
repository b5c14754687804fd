package redact_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"vendo/app/auth"
	"vendo/app/redact"
)

func TestStringBlanksEveryTokenPath(t *testing.T) {
	for in, want := range map[string]string{
		"/downloads/MnxlbnQ.c2ln":                       "/downloads/[redacted]",
		"GET /Downloads/abc?x=1":                        "GET /Downloads/[redacted]?x=1",
		"https://shop.example/login/email/tok-123_x":    "https://shop.example/login/email/[redacted]",
		"/login/admin/n.1.s and /downloads/a then text": "/login/admin/[redacted] and /downloads/[redacted] then text",
		"href=\"/login/email/abc\">":                    "href=\"/login/email/[redacted]\">",
		"/downloads/":                                   "/downloads/",
		"/products/the-calm-inbox":                      "/products/the-calm-inbox",
		"GET /free/abc.def":                             "GET /free/[redacted]",
		"POST /products/the-calm-inbox/free":            "POST /products/the-calm-inbox/free",
		"/login/email":                                  "/login/email",
	} {
		if got := redact.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	// The paths are the links' own.
	for _, p := range []string{auth.EmailLinkPath, auth.AdminLinkPath, "/downloads/"} {
		if got := redact.String(p + "secret"); got != p+redact.Mark {
			t.Errorf("the link path %s is not redacted: %q", p, got)
		}
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

func TestHandlerRedactsEveryPartOfARecord(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(redact.Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	u, _ := url.Parse("http://shop/downloads/TOKEN5")
	log.With("path", "/downloads/TOKEN1").WithGroup("req").Debug("GET /login/email/TOKEN2",
		"err", fmt.Errorf("open: %w", errors.New("GET /downloads/TOKEN3 failed")),
		"who", stringer{"/login/admin/TOKEN4"}, "url", u,
		slog.Group("g", "link", "/login/email/TOKEN6"), "list", []string{"/downloads/TOKEN7"}, "n", 7)
	out := buf.String()
	for _, tok := range []string{"TOKEN1", "TOKEN2", "TOKEN3", "TOKEN4", "TOKEN5", "TOKEN6", "TOKEN7"} {
		if strings.Contains(out, tok) {
			t.Errorf("token %s in the log: %s", tok, out)
		}
	}
	if !strings.Contains(out, "n=7") || strings.Count(out, redact.Mark) != 7 {
		t.Errorf("the line lost something else: %s", out)
	}
}
