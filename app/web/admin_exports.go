package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// Exports (GET /admin/{orders,customers,subscriptions,licenses}.{csv,json},
// and the discount codes' redemptions at /admin/discounts.{csv,json}?code=)
// take the list page's query parameters and stream exactly the rows the
// list's filter shows, every page of them (shop.ExportOrders and its
// siblings). Each export is audited: it carries customers' data out.

// exportRun writes one list's rows, for a filter already read.
type exportRun func(ctx context.Context, w io.Writer, format string) (int, error)

// exportLists are the lists that export: each reads its list page's
// filter from the request (copied: the rows are written after the
// handler returned and the request's buffers are gone).
func (s *Server) exportLists() map[string]func(c *fiber.Ctx) exportRun {
	return map[string]func(c *fiber.Ctx) exportRun{
		"orders": func(c *fiber.Ctx) exportRun {
			q, f := orderFilter(c)
			q, f.Status = cloneValues(q), strings.Clone(f.Status)
			return func(ctx context.Context, w io.Writer, format string) (int, error) {
				return s.shop.ExportOrders(ctx, w, format, f, q.Get("email"))
			}
		},
		"customers": func(c *fiber.Ctx) exportRun {
			f := store.CustomerFilter{Query: strings.Clone(filterValues(c, "q").Get("q"))}
			return func(ctx context.Context, w io.Writer, format string) (int, error) {
				return s.shop.ExportCustomers(ctx, w, format, f)
			}
		},
		"subscriptions": func(c *fiber.Ctx) exportRun {
			q := cloneValues(filterValues(c, "status", "plan"))
			f := store.SubscriptionFilter{Status: q.Get("status"), PlanID: q.Get("plan")}
			return func(ctx context.Context, w io.Writer, format string) (int, error) {
				return s.shop.ExportSubscriptions(ctx, w, format, f)
			}
		},
		"discounts": func(c *fiber.Ctx) exportRun {
			code := strings.Clone(filterValues(c, "code").Get("code"))
			return func(ctx context.Context, w io.Writer, format string) (int, error) {
				return s.shop.ExportRedemptions(ctx, w, format, code)
			}
		},
		"licenses": func(c *fiber.Ctx) exportRun {
			query := strings.Clone(filterValues(c, "q").Get("q"))
			return func(ctx context.Context, w io.Writer, format string) (int, error) {
				return s.shop.ExportLicenses(ctx, w, format, query)
			}
		},
	}
}

// exportLinks are a list's exports for its current filter, shown under
// the list (inside the table partial, so an htmx filter updates them).
type exportLinks struct{ CSV, JSON string }

func exportsFor(list string, q url.Values) exportLinks {
	return exportLinks{CSV: pageURL("/admin/"+list+".csv", q, "before", ""), JSON: pageURL("/admin/"+list+".json", q, "before", "")}
}

// cloneValues copies query values out of the request's buffers.
func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		for _, x := range vs {
			out.Add(strings.Clone(k), strings.Clone(x))
		}
	}
	return out
}

// handleAdminExport streams a list as a CSV or JSON attachment: the
// filter is read now, the rows are written after the handler returns, a
// page at a time, each read in a transaction of its own that ends before
// the page goes out (shop's export), as fast as the client takes them.
func (s *Server) handleAdminExport(list, format string, filter func(c *fiber.Ctx) exportRun) fiber.Handler {
	return func(c *fiber.Ctx) error {
		run := filter(c)
		name := fmt.Sprintf("%s-%s.%s", list, time.Now().UTC().Format("20060102-150405"), format)
		ct := "text/csv; charset=utf-8"
		if format == shop.ExportJSON {
			ct = fiber.MIMEApplicationJSONCharsetUTF8
		}
		c.Set(fiber.HeaderContentType, ct)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		actor, ip := s.actor(c), strings.Clone(c.IP())
		query := string(c.Request().URI().QueryString())
		ctx := context.WithoutCancel(c.UserContext())
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			n, err := run(ctx, w, format)
			w.Flush()
			detail := fmt.Sprintf("exported %d %s as %s", n, list, strings.ToUpper(format))
			if query != "" {
				detail += ", filtered by " + query
			}
			if err != nil {
				s.log.Error("export", "list", list, "err", err)
				detail = fmt.Sprintf("export of %s as %s failed after %d rows: %v", list, strings.ToUpper(format), n, err)
			}
			if aerr := s.shop.Audit(ctx, app.AuditEntry{Actor: actor, Action: "export." + list, Detail: detail, IP: ip}); aerr != nil {
				s.log.Error("audit an export", "err", aerr)
			}
		})
		return nil
	}
}
