package server_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"vendo/app/vendotest"
)

// TestAnAdminLinkSignsInOnceWhateverTheRace: a cross-site form (no token)
// neither signs in nor spends the link; eight browsers pressing the button
// of one link at the same moment make one admin, and the others get the
// sentence that the link was used.
func TestAnAdminLinkSignsInOnceWhateverTheRace(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	link, err := srv.Auth.AdminLink()
	if err != nil {
		t.Fatal(err)
	}
	forger := srv.NewClient()
	forger.Get("/") // a visitor without the confirmation page's token
	if resp, _ := forger.Post(strings.TrimPrefix(link, srv.URL), url.Values{}); resp.StatusCode != 403 {
		t.Fatalf("a POST without a token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := forger.NoFollow().Get("/admin"); resp.StatusCode == 200 {
		t.Fatal("a POST without a token signed in")
	}

	browsers := make([]*vendotest.Client, 8)
	for i := range browsers {
		browsers[i] = srv.NewClient()
		if resp, body := browsers[i].Get(link); resp.StatusCode != 200 || !strings.Contains(body, "Yes, sign me in") {
			t.Fatalf("browser %d: the confirmation page: %d (a POST without a token spent the link?)", i, resp.StatusCode)
		}
	}
	var wg sync.WaitGroup
	for _, b := range browsers {
		wg.Add(1)
		go func() { defer wg.Done(); b.Submit(strings.TrimPrefix(link, srv.URL), nil) }()
	}
	wg.Wait()
	admins := 0
	for _, b := range browsers {
		if resp, _ := b.NoFollow().Get("/admin"); resp.StatusCode == 200 {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d browsers are admins after pressing one link's button together, want 1", admins)
	}
}
