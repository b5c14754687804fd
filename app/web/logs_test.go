package web_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"vendo/app/blobs"
	"vendo/app/vendotest"
)

// TestTokensNeverReachTheLog is issue 17, hole 11: the request log, at
// debug level, wrote every path, and warnings and errors wrote theirs —
// download and sign-in links included, so whoever reads the log could
// use them. The log of real requests, at every level, a failing one
// among them, holds none of their tokens.
func TestTokensNeverReachTheLog(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{Debug: true})
	ctx := context.Background()
	c, links := ownerOf(t, s, "logged@example.com", "the-calm-inbox")
	signIn := s.SignInLink("logged@example.com")
	download := links[0]
	token := download[strings.LastIndex(download, "/")+1:]
	tokens := []string{token, signIn[strings.LastIndex(signIn, "/")+1:]}

	c.Get(download)                                                   // 200, debug
	c.Get(strings.Replace(download, "/downloads/", "/DOWNLOADS/", 1)) // routes ignore case
	c.Get(download + "x")                                             // forged: 403, refused at debug
	c.Post(signIn, url.Values{})                                      // no CSRF token: a warning
	c.Get(signIn)                                                     // used: 410
	// A failing request on a token path: the file is gone from disk (500,
	// an error line with the path and the error).
	p, _ := s.Store.ProductBySlug(ctx, "the-calm-inbox")
	var moved []string
	for _, f := range p.Files {
		path, _ := s.Files.(*blobs.Dir).Path(f.SHA256)
		if os.Rename(path, path+".away") == nil {
			moved = append(moved, path)
		}
	}
	if resp, _ := c.Get(download); resp.StatusCode != 500 {
		t.Errorf("a download of a missing file: %d, want 500", resp.StatusCode)
	}
	for _, path := range moved {
		os.Rename(path+".away", path)
	}

	log := s.Log.String()
	for _, tok := range tokens {
		if strings.Contains(log, tok) {
			t.Errorf("the log holds the token %s:\n%s", tok, log)
		}
	}
	for _, want := range []string{"level=DEBUG", "level=WARN", "level=ERROR", "/downloads/[redacted]", "/login/email/[redacted]"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log has no %q: the requests above were not all logged\n%s", want, log)
		}
	}
}
