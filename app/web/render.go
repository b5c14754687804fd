package web

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// funcs are the template helpers. None returns template.HTML built from
// stored data: everything a merchant or customer typed is escaped.
func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":  func(name string) string { return s.assets.url(name) },
		"money":  func(m app.Money) string { return m.String() },
		"upper":  strings.ToUpper,
		"amount": func(n int64, currency string) app.Money { return app.Money{Amount: n, Currency: currency} },
		"bytes":  humanBytes,
		"status": statusText,
		"sub":    func(a, b int64) int64 { return a - b },
		"neg":    func(n int) int { return -n },
		// dict passes several values to a sub-template: dict "K" v "K2" v2.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				if k, ok := kv[i].(string); ok {
					m[k] = kv[i+1]
				}
			}
			return m
		},
		"card": func(p app.Product, i int) resultCard { return resultCard{Product: p, Lead: i == 0} },
		// lead marks the first card of a grid: its cover is the page's
		// largest paint on a phone, so it loads at once and first.
		"lead": func(c resultCard, i int) resultCard { c.Lead = i == 0; return c },
		"paragraphs": func(text string) []string {
			var out []string
			for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format("Jan 2, 2006")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format("Jan 2, 2006 15:04 MST")
		},
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	prec := 1
	if v >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + string("KMGTPE"[exp]) + "B"
}

// isHTMX reports whether the request came from htmx (and wants a partial).
func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-History-Restore-Request") != "true"
}

// page renders a full page, or only partial for an htmx request when a
// partial is named: one handler serves both, so every page works without
// JavaScript.
func (s *Server) page(c *fiber.Ctx, name, partial string, data fiber.Map) error {
	s.fill(c, data)
	c.Set(fiber.HeaderVary, "HX-Request, Accept-Encoding") // compress.go encodes pages
	if partial != "" && isHTMX(c) {
		return c.Render(partial, data, "")
	}
	return c.Render(name, data)
}

// fill adds what the layout needs to a page's data.
func (s *Server) fill(c *fiber.Ctx, data fiber.Map) {
	if _, ok := data["Shop"]; !ok {
		settings, err := s.store.Settings(c.UserContext())
		if err != nil {
			s.log.Error("read settings", "err", err)
			settings = app.DefaultSettings()
		}
		data["Shop"] = settings
	}
	data["Sandbox"] = s.cfg.SandboxMode()
	// The banner links to the sandbox's events page and clock only for
	// those the sandbox lets in: admins, and anyone while the shop runs
	// on this machine (sandbox/access.go). Anonymous pages are cached:
	// this depends on nothing else about the visitor.
	data["SandboxTools"] = s.cfg.SandboxMode() && (s.cfg.LoopbackBaseURL() || s.IsAdmin(c))
	data["Year"] = time.Now().Year()
	if _, ok := data["Nav"]; !ok {
		data["Nav"] = ""
	}
	if _, ok := data["CSRF"]; !ok {
		data["CSRF"] = s.csrfToken(c)
	}
	if data["CSRF"] != "" && len(c.Response().Header.Peek(fiber.HeaderCacheControl)) == 0 {
		// The page carries this visitor's token: no shared cache may keep it.
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
	}
	if cust, ok := s.viewer(c); ok {
		if _, set := data["User"]; !set {
			data["User"] = s.userView(cust)
		}
	}
	if _, ok := data["CartCount"]; !ok {
		var n int64
		if st := s.signed(c); st != nil {
			n = st.CartCount // the count the cached page is keyed by
		} else if id := s.cartID(c, false); id != "" && s.shop != nil {
			if v, err := s.shop.Cart(c.UserContext(), id); err == nil {
				n = v.Count
			}
		}
		data["CartCount"] = n
	}
}
