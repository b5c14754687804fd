package server_test

import (
	"regexp"
	"strings"
	"testing"

	"vendo/app/vendotest"
)

// anyTokenRE finds the visitor's token in a form or the layout's htmx
// headers.
var anyTokenRE = regexp.MustCompile(`(?:name="_csrf" value="|"X-CSRF-Token": ")([^"]+)"`)

// TestASearchForThePlaceholderShowsWhatWasSearched: cached pages carry a
// placeholder where each visitor's CSRF token is spliced in. A page that
// shows what the visitor typed (a search) must not turn those words into
// the visitor's token when they are the placeholder: a link made by
// someone else would put the token where they chose. The search box
// shows what was searched, for anonymous and signed-in visitors alike.
func TestASearchForThePlaceholderShowsWhatWasSearched(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	const words = "vendoCSRFplaceholder7f3a9c" // the placeholder these pages used to carry
	anon, signed := srv.NewClient(), srv.NewClient()
	anon.Get("/products/the-calm-inbox") // an anonymous cookie, so a token
	signed.SignIn("reader@example.com")
	for name, c := range map[string]*vendotest.Client{"anonymous": anon, "signed in": signed} {
		for range 2 { // rendered, then from the cache
			_, page := c.Get("/products?q=" + words)
			m := anyTokenRE.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("%s: no token on the page", name)
			}
			token := m[1]
			if !strings.Contains(page, `value="`+words+`"`) || strings.Contains(page, `value="`+token+`"`) {
				t.Fatalf("%s: the search box does not show what was searched (token %s)", name, token)
			}
		}
	}
}
