package server_test

import (
	"strings"
	"testing"
	"time"

	"vendo/app/vendotest"
)

func TestFirstStartPrintsAnAdminLinkThatWorksOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := vendotest.Start(t, vendotest.Options{DataDir: dir})
	var link string
	for i := 0; i < 100 && link == ""; i++ {
		out := strings.TrimSpace(srv.Console.String())
		if lines := strings.Split(out, "\n"); strings.Contains(lines[len(lines)-1], "/login/admin/") {
			link = lines[len(lines)-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(link, srv.URL+"/login/admin/") {
		srv.Stop()
		t.Fatalf("no admin link as the last line of the output:\n%s", srv.Console.String())
	}
	// Opening the link (a mail scanner, a chat preview, a prefetch) signs
	// nobody in and does not spend it: the page asks first.
	b := srv.NewClient()
	for range 2 {
		resp, body := b.Get(link)
		if resp.StatusCode != 200 || !strings.Contains(body, "Yes, sign me in") || strings.Contains(body, "<h1>Admin</h1>") {
			t.Fatalf("opening the link: %d, want the confirmation page\n%.600s", resp.StatusCode, body)
		}
	}
	if resp, _ := b.NoFollow().Get("/admin"); resp.StatusCode == 200 {
		t.Fatal("opening the admin link signed the visitor in")
	}
	// The button signs in, once.
	b.Get(link)
	resp, body := b.Submit(link, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Admin</h1>") {
		t.Fatalf("the sign-in button: %d\n%.600s", resp.StatusCode, body)
	}
	again := srv.NewClient()
	again.Get(link)
	if resp, body := again.Submit(link, nil); resp.StatusCode != 410 || strings.Contains(body, "<h1>Admin</h1>") {
		t.Fatalf("the link used a second time: %d", resp.StatusCode)
	}
	srv.Stop()

	// The next start has an admin: no link is printed.
	next := vendotest.Start(t, vendotest.Options{DataDir: dir})
	time.Sleep(300 * time.Millisecond)
	next.Stop()
	if strings.Contains(next.Console.String(), "/login/admin/") {
		t.Errorf("a shop with an owner printed an admin link:\n%s", next.Console.String())
	}
}

func TestNoAdminLinkWithAdminEmails(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{Env: map[string]string{"VENDO_ADMIN_EMAILS": "boss@example.com"}})
	time.Sleep(300 * time.Millisecond)
	srv.Stop()
	if strings.Contains(srv.Console.String(), "/login/admin/") {
		t.Errorf("printed an admin link although VENDO_ADMIN_EMAILS is set:\n%s", srv.Console.String())
	}
}
