package shop

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Exports: every admin list as CSV or JSON, exactly the rows its filter
// shows, all pages of them. The rows are read a page at a time, each page
// in a read transaction of its own, and written out after it ends, so a
// 100,000-order export holds one page in memory, never the list, and no
// transaction waits for the client. The cursor keeps each record to one
// row; one changed meanwhile shows as its page read it. Money is a decimal string beside a currency column, times are
// RFC 3339 in UTC (empty, or null in JSON, when unset), and a CSV cell a
// spreadsheet would run as a formula is defused.

// Export formats.
const (
	ExportCSV  = "csv"
	ExportJSON = "json"
)

// exportPage is how many records an export reads at a time.
const exportPage = 500

// exportTable is one list's export: its column names and, for each
// record, its cells (string, int, int64, bool, time.Time, app.Money or
// nil), in the columns' order.
type exportTable[T any] struct {
	columns []string
	page    func(tx *store.Tx, before string) ([]T, string, error)
	row     func(tx *store.Tx, rec *T) ([]any, error)
}

// export writes every record of t to w in format, and says how many.
//
// w is the admin's connection, which may stop reading for as long as it
// likes: written to from inside a transaction, it would hold the read
// open, a commit that grows the file would wait for it, and every read
// after that commit would wait behind it — the whole shop would stop
// until the download ended. So each page is encoded into buf inside its
// transaction and written to w after.
func export[T any](ctx context.Context, st *store.Store, w io.Writer, format string, t exportTable[T]) (int, error) {
	var buf bytes.Buffer
	var out rowWriter
	switch format {
	case ExportCSV:
		out = &csvRows{w: csv.NewWriter(&buf)}
	case ExportJSON:
		out = &jsonRows{w: &buf, columns: t.columns}
	default:
		return 0, app.Errorf(app.EINVALID, "Exports come as CSV or JSON.")
	}
	if err := out.begin(t.columns); err != nil {
		return 0, err
	}
	n := 0
	before := ""
	for {
		var next string
		err := st.View(ctx, func(tx *store.Tx) error {
			recs, cursor, err := t.page(tx, before)
			if err != nil {
				return err
			}
			for i := range recs {
				cells, err := t.row(tx, &recs[i])
				if err != nil {
					return err
				}
				if err := out.write(cells); err != nil {
					return fmt.Errorf("write an export row: %w", err)
				}
				n++
			}
			next = cursor
			return nil
		})
		if err == nil && next == "" {
			err = out.end()
		} else if err == nil {
			err = out.flush()
		}
		if err != nil {
			return n, err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return n, fmt.Errorf("write an export: %w", err)
		}
		buf.Reset()
		if next == "" {
			return n, nil
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		before = next
	}
}

type rowWriter interface {
	begin(columns []string) error
	write(cells []any) error
	// flush writes out what is buffered, at the end of a page.
	flush() error
	end() error
}

// csvRows writes a header line and a line a record.
type csvRows struct {
	w    *csv.Writer
	line []string
}

func (c *csvRows) begin(columns []string) error { return c.w.Write(columns) }

func (c *csvRows) write(cells []any) error {
	c.line = c.line[:0]
	for _, v := range cells {
		c.line = append(c.line, SpreadsheetSafe(cellText(v)))
	}
	return c.w.Write(c.line)
}

func (c *csvRows) flush() error { c.w.Flush(); return c.w.Error() }

func (c *csvRows) end() error { return c.flush() }

// SpreadsheetSafe defuses a cell a spreadsheet would take for a formula
// (one starting with =, +, -, @, a tab or a carriage return: OWASP's
// "CSV injection") by putting an apostrophe before it, which spreadsheets
// read as "text" and do not show.
func SpreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// cellText is a cell as CSV text.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.UTC().Format(time.RFC3339)
	case app.Money:
		return v.Decimal()
	}
	return fmt.Sprint(v)
}

// jsonRows writes one array of objects, the columns as keys in order.
type jsonRows struct {
	w       io.Writer
	columns []string
	keys    [][]byte // each column's `"name":`
	buf     []byte
	n       int
}

func (j *jsonRows) begin(columns []string) error {
	for _, c := range columns {
		k, _ := json.Marshal(c)
		j.keys = append(j.keys, append(k, ':'))
	}
	_, err := io.WriteString(j.w, "[")
	return err
}

func (j *jsonRows) write(cells []any) error {
	b := j.buf[:0]
	if j.n > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n{"...)
	for i, v := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j.keys[i]...)
		switch v := v.(type) {
		case time.Time:
			if v.IsZero() {
				b = append(b, "null"...)
				continue
			}
			b = strconv.AppendQuote(b, v.UTC().Format(time.RFC3339))
		case app.Money:
			b = strconv.AppendQuote(b, v.Decimal())
		default:
			enc, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b = append(b, enc...)
		}
	}
	b = append(b, '}')
	j.buf = b
	j.n++
	_, err := j.w.Write(b)
	return err
}

func (j *jsonRows) flush() error { return nil }

func (j *jsonRows) end() error {
	_, err := io.WriteString(j.w, "\n]\n")
	return err
}

// ExportOrders writes the orders f selects (its Before and Limit are
// ignored: every page), newest first. email, when set, narrows them to
// that customer's, none when there is no such customer, as the list does.
func (s *Shop) ExportOrders(ctx context.Context, w io.Writer, format string, f store.OrderFilter, email string) (int, error) {
	f.Before, f.Limit = "", exportPage
	return export(ctx, s.Store, w, format, exportTable[app.Order]{
		columns: []string{"number", "id", "created_at", "paid_at", "status", "email", "name", "customer_id", "products",
			"currency", "subtotal", "discount_code", "discount", "tax", "tax_included", "total", "amount_refunded", "checkout_session_id", "payment_intent_id",
			"invoice_id"},
		page: func(tx *store.Tx, before string) ([]app.Order, string, error) {
			if email != "" && f.CustomerID == "" {
				cu, err := tx.CustomerByEmail(email)
				if app.IsNotFound(err) {
					return nil, "", nil
				}
				if err != nil {
					return nil, "", err
				}
				f.CustomerID = cu.ID
			}
			f.Before = before
			return tx.Orders(f)
		},
		row: func(tx *store.Tx, o *app.Order) ([]any, error) {
			titles := make([]string, len(o.Lines))
			for i, l := range o.Lines {
				titles[i] = l.Title
			}
			return []any{o.Number, o.ID, o.CreatedAt, o.PaidAt, o.Status, o.Email, o.Name, o.CustomerID, strings.Join(titles, "; "),
				strings.ToUpper(o.Total.Currency), o.Subtotal, o.DiscountCode, app.Money{Amount: o.Discount.Amount, Currency: o.Total.Currency},
				// tax is all of Stripe Tax's amount; tax_included the part
				// that was inside the prices (the rest was added on top).
				app.Money{Amount: o.Tax.Amount, Currency: o.Total.Currency}, o.TaxIncluded(), o.Total,
				app.Money{Amount: o.AmountRefunded, Currency: o.Total.Currency}, o.CheckoutSessionID, o.PaymentIntentID, o.InvoiceID}, nil
		},
	})
}

// ExportRedemptions writes the discount codes' redemptions, newest
// first: each order a code took money off (code, when set, narrows them
// to that code's).
func (s *Shop) ExportRedemptions(ctx context.Context, w io.Writer, format, code string) (int, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	return export(ctx, s.Store, w, format, exportTable[app.Order]{
		columns: []string{"code", "order_number", "order_id", "created_at", "email", "customer_id", "status",
			"currency", "subtotal", "discount", "total"},
		page: func(tx *store.Tx, before string) ([]app.Order, string, error) {
			os, next, err := tx.Orders(store.OrderFilter{Before: before, Limit: exportPage})
			kept := os[:0]
			for _, o := range os {
				if o.DiscountCode != "" && (code == "" || strings.EqualFold(o.DiscountCode, code)) {
					kept = append(kept, o)
				}
			}
			return kept, next, err
		},
		row: func(tx *store.Tx, o *app.Order) ([]any, error) {
			return []any{o.DiscountCode, o.Number, o.ID, o.CreatedAt, o.Email, o.CustomerID, o.Status,
				strings.ToUpper(o.Total.Currency), o.Subtotal, app.Money{Amount: o.Discount.Amount, Currency: o.Total.Currency}, o.Total}, nil
		},
	})
}

// ExportCustomers writes the customers f selects, newest first.
func (s *Shop) ExportCustomers(ctx context.Context, w io.Writer, format string, f store.CustomerFilter) (int, error) {
	f.Limit = exportPage
	return export(ctx, s.Store, w, format, exportTable[app.Customer]{
		columns: []string{"id", "email", "name", "email_verified", "stripe_customer_id", "created_at", "last_sign_in_at"},
		page: func(tx *store.Tx, before string) ([]app.Customer, string, error) {
			f.Before = before
			return tx.Customers(f)
		},
		row: func(tx *store.Tx, c *app.Customer) ([]any, error) {
			return []any{c.ID, c.Email, c.Name, c.EmailVerified, c.StripeCustomerID, c.CreatedAt, c.LastSignInAt}, nil
		},
	})
}

// ExportSubscriptions writes the subscriptions f selects, newest first,
// with their customer's email and plan's name.
func (s *Shop) ExportSubscriptions(ctx context.Context, w io.Writer, format string, f store.SubscriptionFilter) (int, error) {
	f.Limit = exportPage
	var plans map[string]string
	return export(ctx, s.Store, w, format, exportTable[app.Subscription]{
		columns: []string{"id", "stripe_id", "customer_id", "email", "plan", "interval", "status", "current_period_start",
			"current_period_end", "cancel_at_period_end", "canceled_at", "ended_at", "credits", "created_at"},
		page: func(tx *store.Tx, before string) ([]app.Subscription, string, error) {
			if plans == nil {
				ps, err := tx.Plans()
				if err != nil {
					return nil, "", err
				}
				plans = map[string]string{}
				for _, p := range ps {
					plans[p.ID] = p.Name
				}
			}
			f.Before = before
			return tx.Subscriptions(f)
		},
		row: func(tx *store.Tx, sub *app.Subscription) ([]any, error) {
			email, err := customerEmail(tx, sub.CustomerID)
			credits := any(sub.Credits)
			if sub.Credits == app.Unlimited {
				credits = "unlimited"
			}
			return []any{sub.ID, sub.StripeID, sub.CustomerID, email, plans[sub.PlanID], string(sub.Interval), sub.Status,
				sub.CurrentPeriodStart, sub.CurrentPeriodEnd, sub.CancelAtPeriodEnd, sub.CanceledAt, sub.EndedAt, credits, sub.CreatedAt}, err
		},
	})
}

// ExportLicenses writes the license keys the licence list's search
// selects (LicenseQuery), newest first, with how each stands now and its
// activations.
func (s *Shop) ExportLicenses(ctx context.Context, w io.Writer, format, query string) (int, error) {
	return export(ctx, s.Store, w, format, exportTable[app.License]{
		columns: []string{"id", "key", "status", "customer_id", "email", "product", "plan", "order_id", "subscription_id",
			"activation_limit", "activation_usage", "expires_at", "created_at", "revoked_at", "revoked_reason"},
		page: func(tx *store.Tx, before string) ([]app.License, string, error) {
			q, ok, err := LicenseQuery(tx, query)
			if err != nil || !ok {
				return nil, "", err
			}
			return tx.Licenses(store.LicenseFilter{Query: q, Before: before, Limit: exportPage})
		},
		row: func(tx *store.Tx, l *app.License) ([]any, error) {
			info, err := KeyInfo(tx, *l)
			if err != nil {
				return nil, err
			}
			email, err := customerEmail(tx, l.CustomerID)
			if err != nil {
				return nil, err
			}
			var product, plan string
			if p, err := tx.Product(l.ProductID); err == nil {
				product = p.Slug
			}
			if p, err := tx.Plan(l.PlanID); err == nil {
				plan = p.Slug
			}
			var limit, expires any
			if info.ActivationLimit != nil {
				limit = *info.ActivationLimit
			}
			if info.ExpiresAt != nil {
				expires = *info.ExpiresAt
			}
			return []any{l.ID, l.Key, info.Status, l.CustomerID, email, product, plan, l.OrderID, l.SubscriptionID,
				limit, info.ActivationUsage, expires, l.CreatedAt, l.RevokedAt, l.RevokedReason}, nil
		},
	})
}

// LicenseQuery is the licence list's search as the store filters it: an
// email stands for its customer's id; ok is false when no customer has
// that email (nothing matches).
func LicenseQuery(tx *store.Tx, q string) (query string, ok bool, err error) {
	if !strings.Contains(q, "@") {
		return q, true, nil
	}
	cu, err := tx.CustomerByEmail(q)
	if app.IsNotFound(err) {
		return "", false, nil
	}
	return cu.ID, err == nil, err
}

// customerEmail is a customer's email, "" for one that is gone.
func customerEmail(tx *store.Tx, id string) (string, error) {
	cu, err := tx.Customer(id)
	if app.IsNotFound(err) {
		return "", nil
	}
	return cu.Email, err
}
