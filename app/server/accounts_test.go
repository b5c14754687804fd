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
	resp, body := srv.NewClient().Get(link)
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Admin</h1>") {
		t.Fatalf("following the link: %d", resp.StatusCode)
	}
	srv.Stop()

	// The next start has an admin: no link is printed.
	again := vendotest.Start(t, vendotest.Options{DataDir: dir})
	time.Sleep(300 * time.Millisecond)
	again.Stop()
	if strings.Contains(again.Console.String(), "/login/admin/") {
		t.Errorf("a shop with an owner printed an admin link:\n%s", again.Console.String())
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
