package web

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// adminPageSize is how many rows an admin list shows per page.
const adminPageSize = 50

// actor is the signed-in admin's email, recorded in the audit log.
func (s *Server) actor(c *fiber.Ctx) string {
	if cust := s.currentCustomer(c); cust != nil {
		return cust.Email
	}
	return "unknown"
}

// adminPage renders an admin page inside the site layout with the admin
// nav (section marks the current tab), or only partial for htmx.
func (s *Server) adminPage(c *fiber.Ctx, section, name, partial string, data fiber.Map) error {
	data["Nav"] = "admin"
	data["Section"] = section
	if _, ok := data["Title"]; !ok {
		data["Title"] = "Admin"
	}
	if _, ok := data["Errors"]; !ok {
		data["Errors"] = app.ValidationErrors{}
	}
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = flashes[c.Query("done")]
	}
	return s.page(c, name, partial, data)
}

// flashes are the sentences a redirect after an action may show (by key,
// so no text from a URL is ever echoed).
var flashes = map[string]string{
	"created":       "Product created. Add its files and a cover below.",
	"saved":         "Saved.",
	"archived":      "Archived: it left the catalog; buyers keep their downloads.",
	"restored":      "Restored to the catalog.",
	"deleted":       "Deleted.",
	"files":         "Files uploaded.",
	"file-removed":  "File removed from the product.",
	"cover":         "Cover updated.",
	"moved":         "Plan order updated.",
	"refund":        "Refund requested from Stripe. The order updates when Stripe confirms it.",
	"granted":       "Product granted: it is in the customer's library now.",
	"revoked":       "Revoked.",
	"deactivated":   "Deactivated: the key has a free activation again.",
	"reset":         "Activations reset: the key's software must activate again.",
	"resent":        "A copy of the message was queued.",
	"replayed":      "Event replayed.",
	"hook-resent":   "The delivery was queued again; it goes out in a moment.",
	"settings":      "Settings saved.",
	"portal-failed": "Saved, but Stripe's Billing Portal could not be updated. Save again to retry.",
}

// back redirects to path with a flash key (and keeps htmx working).
func (s *Server) back(c *fiber.Ctx, path, done string) error {
	if done != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(done)
	}
	return s.redirect(c, path)
}

// formErrors turns a validation or field error into messages shown next
// to their fields; ok is false for any other error.
func formErrors(err error) (app.ValidationErrors, bool) {
	var inv *app.InvalidForm
	if errors.As(err, &inv) {
		return inv.Fields, true
	}
	var ae *app.Error
	if errors.As(err, &ae) && ae.Field != "" {
		return app.ValidationErrors{ae.Field: ae.Message}, true
	}
	return nil, false
}

// pageURL is base with the filters and a cursor, for "Next page" links.
func pageURL(base string, q url.Values, cursorKey, cursor string) string {
	v := url.Values{}
	for k, vs := range q {
		if k != cursorKey && len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	if cursor != "" {
		v.Set(cursorKey, cursor)
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// pager is the paging links of a list.
type pager struct {
	First string // link back to the first page, when not on it
	Next  string // link to the next page, when there is one
}

func newPager(base string, q url.Values, cursorKey, cursor, next string) pager {
	var p pager
	if cursor != "" {
		p.First = pageURL(base, q, cursorKey, "")
	}
	if next != "" {
		p.Next = pageURL(base, q, cursorKey, next)
	}
	return p
}

// filterValues keeps the named query parameters (trimmed, bounded).
func filterValues(c *fiber.Ctx, names ...string) url.Values {
	v := url.Values{}
	for _, n := range names {
		s := strings.TrimSpace(c.Query(n))
		if len(s) > 200 {
			s = s[:200]
		}
		v.Set(n, s)
	}
	return v
}

// parseDay reads a yyyy-mm-dd date from a date input, in the server's
// time zone; the zero time when empty or malformed.
func parseDay(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		return time.Time{}
	}
	return t
}

// stripeDashboard links an object in Stripe's dashboard in Stripe mode
// ("" in sandbox mode, where there is no dashboard).
func (s *Server) stripeDashboard(kind, id string) string {
	if id == "" || s.cfg.SandboxMode() {
		return ""
	}
	test := ""
	if strings.Contains(s.cfg.StripeSecretKey, "_test_") {
		test = "test/"
	}
	return "https://dashboard.stripe.com/" + test + kind + "/" + url.PathEscape(id)
}
