package sandbox

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/sandbox.css
var stylesheet []byte

func parsePages() (*template.Template, error) {
	t, err := template.New("sandbox").Funcs(template.FuncMap{
		"money": func(amount any, currency string) string { return money(toInt(amount), currency) },
		"date": func(v any) string {
			if tm, ok := asTime(v); ok {
				return tm.Format("Jan 2, 2006")
			}
			return "—"
		},
		"clock": func(v any) string {
			if tm, ok := asTime(v); ok {
				return tm.Format("15:04")
			}
			return ""
		},
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("sandbox: parse page templates: %w", err)
	}
	return t, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case nint:
		return int64(x)
	case *int64:
		if x != nil {
			return *x
		}
	}
	return 0
}

func asTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), !x.IsZero()
	case int64:
		return time.Unix(x, 0).UTC(), x != 0
	case nint:
		return time.Unix(int64(x), 0).UTC(), x != 0
	}
	return time.Time{}, false
}

// page is what every hosted page's layout reads.
type page struct {
	Title string
	Base  string
	Now   time.Time
	// Staff: the visitor may open the events page and the test clock,
	// so the footer links to them.
	Staff bool
}

func (p *page) setStaff(v bool) { p.Staff = v }

// page is for a page built outside a transaction: s.Now reads the test
// clock in a transaction of its own.
func (s *Sandbox) page(title string) page {
	return page{Title: title, Base: mountPath, Now: s.Now()}
}

// page is for a page built inside t: opening a second read transaction
// there deadlocks when a writer grows the file between the two (the
// remap waits for the outer read, the inner read waits behind the remap).
func (t *txn) page(title string) page {
	return page{Title: title, Base: mountPath, Now: t.now}
}

// render writes a hosted page. The pages carry no script and load only
// their own stylesheet, so the policy forbids everything else.
func (s *Sandbox) render(c *fiber.Ctx, status int, name string, data any) error {
	// Every page's data embeds page: set Staff on a copy, whatever the
	// page's own type.
	if v := reflect.ValueOf(data); v.Kind() == reflect.Struct {
		ptr := reflect.New(v.Type())
		ptr.Elem().Set(v)
		if p, ok := ptr.Interface().(interface{ setStaff(bool) }); ok {
			p.setStaff(s.staff(c))
			data = ptr.Interface()
		}
	}
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render sandbox page", "page", name, "err", err)
		return c.Status(http.StatusInternalServerError).SendString("The sandbox could not render this page.")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")
	c.Set("Referrer-Policy", "same-origin")
	return c.Status(status).Send(buf.Bytes())
}

func (s *Sandbox) message(c *fiber.Ctx, status int, title, msg string) error {
	return s.render(c, status, "message", struct {
		page
		Message string
	}{s.page(title), msg})
}

func (s *Sandbox) pageError(c *fiber.Ctx, err error) error {
	var aerr *apiError
	if errors.As(err, &aerr) && aerr.Status == http.StatusNotFound {
		return s.message(c, http.StatusNotFound, "Not found", "This link is not valid. It may belong to another sandbox.")
	}
	s.log.Error("sandbox page", "path", c.Path(), "err", err)
	return s.message(c, http.StatusInternalServerError, "Something went wrong", "The sandbox could not complete this request.")
}

func serveCSS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(stylesheet)
}

// Checkout.

type checkoutPage struct {
	page
	Session  session
	Items    []lineItem
	Interval string
	Form     cardForm
	Errors   map[string]string
	Declined string
	// The billing country (Stripe Tax, or billing_address_collection)
	// and the test rates it picks from; TaxID asks for a VAT number.
	AskCountry, AutomaticTax, AskTaxID bool
	TaxRates                           []testTaxRate
	// TrialEnds is when a trial started now would end.
	TrialEnds time.Time
	// CodeError is why a typed promotion code was not applied.
	CodeError string
}

func (s *Sandbox) checkoutData(t *txn, sess session, f cardForm) checkoutPage {
	d := checkoutPage{page: t.page("Checkout"), Session: sess, Items: t.sessionLineItems(sess.ID), Form: f,
		AskCountry: needsCountry(sess), AutomaticTax: automaticTax(sess.AutomaticTax), TaxRates: testTaxRates}
	d.AskTaxID = d.AskCountry && sess.TaxIDCollection["enabled"]
	d.Now = t.now
	d.TrialEnds = t.now.Add(time.Duration(sess.Internal.TrialDays) * 24 * time.Hour)
	for _, li := range d.Items {
		if r := li.Price.Recurring; r != nil {
			d.Interval = r.Interval
			if r.IntervalCount > 1 {
				d.Interval = fmt.Sprintf("%d %ss", r.IntervalCount, r.Interval)
			}
		}
	}
	if d.Form.Email == "" {
		d.Form.Email = string(sess.CustomerEmail)
		if sess.Customer != "" {
			var cu customer
			if t.get(objCustomer, string(sess.Customer), &cu) == nil {
				d.Form.Email = string(cu.Email)
				if d.Form.Name == "" {
					d.Form.Name = string(cu.Name)
				}
			}
		}
	}
	return d
}

func (s *Sandbox) checkoutPage(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	var d checkoutPage
	status := http.StatusOK
	err := s.update(nil, func(t *txn) error {
		sess, err := t.sessionByID(id, "session")
		if err != nil {
			return err
		}
		sess, status, err = t.sessionPayable(sess)
		d = s.checkoutData(t, sess, cardForm{})
		return err
	})
	if err != nil {
		return s.pageError(c, err)
	}
	if status != http.StatusOK {
		return s.render(c, status, "checkout_closed", d)
	}
	return s.render(c, http.StatusOK, "checkout", d)
}

// checkoutCode applies a promotion code typed on the page
// (allow_promotion_codes) and shows the page again with the new total,
// or with why the code was refused.
func (s *Sandbox) checkoutCode(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	code := strings.Clone(c.FormValue("promotion_code"))
	var d checkoutPage
	var refused string
	status := http.StatusOK
	err := s.update(nil, func(t *txn) error {
		sess, err := t.sessionByID(id, "session")
		if err != nil {
			return err
		}
		if sess, status, err = t.sessionPayable(sess); err != nil || status != http.StatusOK {
			d = s.checkoutData(t, sess, cardForm{})
			return err
		}
		if refused, err = t.typeCode(sess, code); err != nil {
			return err
		}
		if sess, err = t.sessionByID(id, "session"); err != nil {
			return err
		}
		d = s.checkoutData(t, sess, cardForm{})
		d.CodeError = refused
		return nil
	})
	if err != nil {
		return s.pageError(c, err)
	}
	switch {
	case status != http.StatusOK:
		return s.render(c, status, "checkout_closed", d)
	case d.CodeError != "":
		d.CodeError = strings.TrimSpace(d.CodeError)
		d.Form.Code = code
		return s.render(c, http.StatusUnprocessableEntity, "checkout", d)
	}
	return c.Redirect(mountPath+"/checkout/"+id, http.StatusSeeOther)
}

func formCard(c *fiber.Ctx) cardForm {
	return cardForm{
		Email: strings.Clone(c.FormValue("email")), Name: strings.Clone(c.FormValue("name")),
		Number: strings.Clone(c.FormValue("card_number")), Exp: strings.Clone(c.FormValue("exp")), CVC: strings.Clone(c.FormValue("cvc")),
		Country: strings.Clone(c.FormValue("country")), TaxID: strings.Clone(c.FormValue("tax_id")),
	}
}

func (s *Sandbox) checkoutSubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	f := formCard(c)
	var d checkoutPage
	var out checkoutOutcome
	status := http.StatusOK
	err := s.update(nil, func(t *txn) error {
		sess, err := t.sessionByID(id, "session")
		if err != nil {
			return err
		}
		if sess, status, err = t.sessionPayable(sess); err != nil || status != http.StatusOK {
			d = s.checkoutData(t, sess, f)
			return err
		}
		if out, err = t.payCheckout(sess, f); err != nil {
			return err
		}
		d = s.checkoutData(t, sess, f)
		return nil
	})
	if err != nil {
		return s.pageError(c, err)
	}
	switch {
	case status != http.StatusOK:
		return s.render(c, status, "checkout_closed", d)
	case out.Redirect != "":
		return c.Redirect(out.Redirect, http.StatusSeeOther)
	case out.Declined != nil:
		d.Declined = out.Declined.Message
		return s.render(c, http.StatusPaymentRequired, "checkout", d)
	}
	d.Errors = out.FieldErrors
	return s.render(c, http.StatusUnprocessableEntity, "checkout", d)
}

// Billing Portal.

type portalSubView struct {
	Sub         subscription
	ProductName string
	Amount      int64
	Currency    string
	Interval    string
	StatusLabel string
	Options     []portalOption
}

type portalOption struct {
	SubID, PriceID, ProductName, Interval, Currency string
	Amount                                          int64
	Current                                         bool
}

type portalPage struct {
	page
	Session  portalSession
	Config   portalConfig
	Customer customer
	Subs     []portalSubView
	Card     *paymentMethod
	Invoices []invoice
	Flash    string
	Error    string
}

var portalFlashes = map[string]string{
	"switched": "Your plan was changed.",
	"canceled": "Your plan will be canceled at the end of the period.",
	"ended":    "Your plan was canceled.",
	"resumed":  "Your plan will renew as usual.",
	"card":     "Your card was saved.",
}

func (s *Sandbox) portalData(t *txn, id string) (portalPage, error) {
	ps, cfg, err := t.portalSessionByID(id)
	if err != nil {
		return portalPage{}, err
	}
	cu, err := t.customerByID(ps.Customer, "customer")
	if err != nil {
		return portalPage{}, err
	}
	d := portalPage{page: t.page("Billing"), Session: ps, Config: cfg, Customer: cu}
	var subs []subscription
	t.eachNewest(objSubscription, func(_ string, raw []byte) bool {
		var sub subscription
		if json.Unmarshal(raw, &sub) == nil && sub.Customer == cu.ID && (sub.live() || len(subs) == 0) {
			subs = append(subs, sub)
		}
		return true
	})
	// Live subscriptions first; a canceled one shows only when nothing is live.
	var live []subscription
	for _, sub := range subs {
		if sub.live() {
			live = append(live, sub)
		}
	}
	if len(live) > 0 {
		subs = live
	} else if len(subs) > 1 {
		subs = subs[:1]
	}
	for _, sub := range subs {
		v := portalSubView{Sub: sub, Currency: sub.Currency, StatusLabel: strings.ReplaceAll(sub.Status, "_", " ")}
		if sub.CancelAtPeriodEnd && sub.live() {
			v.StatusLabel = "canceling"
		}
		current := ""
		if len(sub.Items.Data) > 0 {
			it := sub.Items.Data[0]
			current = it.Price.ID
			v.Amount, v.Interval = it.Price.UnitAmount*it.Quantity, it.Price.Recurring.Interval
			var pr product
			if t.get(objProduct, it.Price.Product, &pr) == nil {
				v.ProductName = pr.Name
			}
		}
		if cfg.Features.SubscriptionUpdate.Enabled {
			for _, pp := range cfg.Features.SubscriptionUpdate.Products {
				var pr product
				if t.get(objProduct, pp.Product, &pr) != nil {
					continue
				}
				for _, pid := range pp.Prices {
					var pc price
					if t.get(objPrice, pid, &pc) != nil || pc.Recurring == nil || pc.Currency != sub.Currency {
						continue
					}
					v.Options = append(v.Options, portalOption{SubID: sub.ID, PriceID: pc.ID, ProductName: pr.Name, Interval: pc.Recurring.Interval,
						Currency: pc.Currency, Amount: pc.UnitAmount, Current: pc.ID == current})
				}
			}
		}
		d.Subs = append(d.Subs, v)
	}
	pmID := string(cu.InvoiceSettings.DefaultPaymentMethod)
	if pmID == "" && len(subs) > 0 {
		pmID = string(subs[0].DefaultPaymentMethod)
	}
	if pmID != "" {
		var pm paymentMethod
		if t.get(objPaymentMethod, pmID, &pm) == nil {
			d.Card = &pm
		}
	}
	d.Invoices = t.customerInvoices(cu.ID, 24)
	return d, nil
}

func (s *Sandbox) portalPage(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	var d portalPage
	err := s.view(func(t *txn) error {
		var err error
		d, err = s.portalData(t, id)
		return err
	})
	if err != nil {
		return s.pageError(c, err)
	}
	d.Flash = portalFlashes[c.Query("done")]
	return s.render(c, http.StatusOK, "portal", d)
}

// portalAction runs one portal form's change and redirects back to the
// portal with a notice, or shows the portal with the error.
func (s *Sandbox) portalAction(done string, fn func(t *txn, ps portalSession, cfg portalConfig, c *fiber.Ctx) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := strings.Clone(c.Params("id"))
		var d portalPage
		var actionErr *apiError
		err := s.update(nil, func(t *txn) error {
			ps, cfg, err := t.portalSessionByID(id)
			if err != nil {
				return err
			}
			if err := fn(t, ps, cfg, c); err != nil {
				if !errors.As(err, &actionErr) || actionErr.Status == http.StatusNotFound {
					return err
				}
				d, err = s.portalData(t, id)
				return err
			}
			return nil
		})
		if err != nil {
			return s.pageError(c, err)
		}
		if actionErr != nil {
			d.Error = actionErr.Message
			return s.render(c, actionErr.Status, "portal", d)
		}
		return c.Redirect(fmt.Sprintf("%s/portal/%s?done=%s", mountPath, id, done), http.StatusSeeOther)
	}
}

func (s *Sandbox) portalSwitch(c *fiber.Ctx) error {
	return s.portalAction("switched", func(t *txn, ps portalSession, cfg portalConfig, c *fiber.Ctx) error {
		return t.portalSwitch(ps, cfg, strings.Clone(c.FormValue("subscription")), strings.Clone(c.FormValue("price")))
	})(c)
}

func (s *Sandbox) portalCancel(c *fiber.Ctx) error {
	done := "canceled"
	return s.portalAction(done, func(t *txn, ps portalSession, cfg portalConfig, c *fiber.Ctx) error {
		return t.portalCancel(ps, cfg, strings.Clone(c.FormValue("subscription")))
	})(c)
}

func (s *Sandbox) portalResume(c *fiber.Ctx) error {
	return s.portalAction("resumed", func(t *txn, ps portalSession, _ portalConfig, c *fiber.Ctx) error {
		return t.portalResume(ps, strings.Clone(c.FormValue("subscription")))
	})(c)
}

type portalCardPage struct {
	page
	Session  portalSession
	Form     cardForm
	Errors   map[string]string
	Declined string
}

func (s *Sandbox) portalCardPage(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	var ps portalSession
	err := s.view(func(t *txn) error {
		var err error
		ps, _, err = t.portalSessionByID(id)
		return err
	})
	if err != nil {
		return s.pageError(c, err)
	}
	return s.render(c, http.StatusOK, "portal_card", portalCardPage{page: s.page("Update card"), Session: ps})
}

func (s *Sandbox) portalCardSubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	f := formCard(c)
	d := portalCardPage{page: s.page("Update card"), Form: f}
	var declined *apiError
	err := s.update(nil, func(t *txn) error {
		ps, cfg, err := t.portalSessionByID(id)
		if err != nil {
			return err
		}
		d.Session = ps
		d.Errors, declined, err = t.portalUpdateCard(ps, cfg, f)
		return err
	})
	if err != nil {
		return s.pageError(c, err)
	}
	switch {
	case declined != nil:
		d.Declined = declined.Message
		return s.render(c, declined.Status, "portal_card", d)
	case len(d.Errors) > 0:
		return s.render(c, http.StatusUnprocessableEntity, "portal_card", d)
	}
	return c.Redirect(fmt.Sprintf("%s/portal/%s?done=card", mountPath, id), http.StatusSeeOther)
}

// Hosted invoice.

type invoicePage struct {
	page
	Invoice  invoice
	Card     *cardDetails
	PDF      bool
	Form     cardForm
	Errors   map[string]string
	Declined string
}

func (s *Sandbox) invoiceData(t *txn, id string, pdf bool) (invoicePage, error) {
	d := invoicePage{page: t.page("Invoice"), PDF: pdf}
	inv, err := t.invoiceByID(id, "invoice")
	if err != nil {
		return d, err
	}
	d.Invoice = inv
	if inv.Charge != "" {
		var ch charge
		if t.get(objCharge, string(inv.Charge), &ch) == nil && ch.PaymentMethod != "" {
			var pm paymentMethod
			if t.get(objPaymentMethod, string(ch.PaymentMethod), &pm) == nil {
				d.Card = &pm.Card
			}
		}
	}
	return d, nil
}

func (s *Sandbox) invoicePage(pdf bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := strings.Clone(c.Params("id"))
		var d invoicePage
		err := s.view(func(t *txn) error {
			var err error
			d, err = s.invoiceData(t, id, pdf)
			return err
		})
		if err != nil {
			return s.pageError(c, err)
		}
		if pdf && d.Invoice.Number != "" {
			c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="Invoice-%s.html"`, d.Invoice.Number))
		}
		return s.render(c, http.StatusOK, "invoice", d)
	}
}

// invoicePay pays an open invoice from its hosted page with a card the
// customer enters (on-session, like Stripe's hosted invoice page).
func (s *Sandbox) invoicePay(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("id"))
	f := formCard(c)
	var d invoicePage
	status := http.StatusSeeOther
	err := s.update(nil, func(t *txn) error {
		inv, err := t.invoiceByID(id, "invoice")
		if err != nil {
			return err
		}
		if inv.Status == "open" {
			if status, err = t.payInvoiceWithCard(inv, f, &d); err != nil {
				return err
			}
		}
		if status != http.StatusSeeOther {
			form, errs, declined := d.Form, d.Errors, d.Declined
			if d, err = s.invoiceData(t, id, false); err != nil {
				return err
			}
			d.Form, d.Errors, d.Declined = form, errs, declined
		}
		return nil
	})
	if err != nil {
		return s.pageError(c, err)
	}
	if status == http.StatusSeeOther {
		return c.Redirect(mountPath+"/invoices/"+id, http.StatusSeeOther)
	}
	return s.render(c, status, "invoice", d)
}

func (t *txn) payInvoiceWithCard(inv invoice, f cardForm, d *invoicePage) (int, error) {
	d.Form = f
	cd, errs := validateCard(f, t.now, false)
	if len(errs) > 0 {
		d.Errors = errs
		return http.StatusUnprocessableEntity, nil
	}
	if dec := decline(cd.Behavior, false); dec != nil {
		d.Declined = dec.Message
		return http.StatusPaymentRequired, nil
	}
	pm, err := t.createPaymentMethod(cd, inv.Customer)
	if err != nil {
		return 0, err
	}
	var sub *subscription
	if inv.Subscription != "" {
		if s, err := t.subscriptionByID(string(inv.Subscription), "subscription"); err == nil {
			sub = &s
		}
	}
	inv, declined, _, err := t.collectInvoice(inv, &pm, false)
	if err != nil || declined != nil {
		return http.StatusPaymentRequired, err
	}
	if sub != nil {
		return http.StatusSeeOther, t.reactivate(*sub, inv)
	}
	return http.StatusSeeOther, nil
}

// Events.

type eventRow struct {
	Event      event
	ObjectID   string
	Deliveries []endpointLog
	// Action is what the bank could do about the object now, on its
	// newest row: "dispute" a charge, or "rule" on an open dispute.
	Action string
}

// endpointLog is one destination's delivery attempts of an event.
type endpointLog struct {
	Label    string
	Attempts []attempt
}

// deliveryLogs groups an event's attempts by destination, in the order
// each destination was first tried.
func deliveryLogs(attempts []attempt) []endpointLog {
	var out []endpointLog
	at := map[string]int{}
	for _, a := range attempts {
		i, ok := at[a.Endpoint]
		if !ok {
			i = len(out)
			at[a.Endpoint] = i
			out = append(out, endpointLog{Label: endpointLabel(a.Endpoint)})
		}
		out[i].Attempts = append(out[i].Attempts, a)
	}
	return out
}

func (s *Sandbox) eventsPage(c *fiber.Ctx) error {
	if !s.staff(c) {
		return s.forbidden(c)
	}
	d := struct {
		page
		WebhookURL string
		Endpoints  []webhookEndpoint
		Events     []eventRow
		Held       []HeldDelivery
		Holds      []HoldRule
	}{page: s.page("Events"), WebhookURL: s.cfg.WebhookURL}
	err := s.view(func(t *txn) error {
		t.eachNewest(objWebhookEndpoint, func(_ string, raw []byte) bool {
			var we webhookEndpoint
			if json.Unmarshal(raw, &we) == nil {
				d.Endpoints = append(d.Endpoints, we)
			}
			return true
		})
		acted := map[string]bool{}
		for _, ev := range t.recentEvents(200) {
			id, _ := ev.Data.Object["id"].(string)
			row := eventRow{Event: ev, ObjectID: id, Deliveries: deliveryLogs(t.attempts(ev.ID))}
			if !acted[id] {
				acted[id] = true
				row.Action = t.bankAction(id)
			}
			d.Events = append(d.Events, row)
		}
		d.Holds = t.holdRules()
		return nil
	})
	if err != nil {
		return s.pageError(c, err)
	}
	if d.Held, err = s.Held(); err != nil {
		return s.pageError(c, err)
	}
	return s.render(c, http.StatusOK, "events", d)
}

// bankAction is what the events page offers for an object: a succeeded
// charge with money left and no dispute can be disputed; an open dispute
// can be ruled on.
func (t *txn) bankAction(id string) string {
	switch objectTypeOf(id) {
	case objCharge:
		var ch charge
		if t.get(objCharge, id, &ch) == nil && ch.Status == "succeeded" && !ch.Disputed && ch.AmountRefunded < ch.Amount {
			return "dispute"
		}
	case objDispute:
		var d dispute
		if t.get(objDispute, id, &d) == nil && d.open() {
			return "rule"
		}
	}
	return ""
}

// Test clock.

func (s *Sandbox) clockPage(c *fiber.Ctx) error {
	if !s.staff(c) {
		return s.forbidden(c)
	}
	off := s.offset().Round(time.Minute)
	d := struct {
		page
		Offset string
		Quick  []string
	}{page: s.page("Test clock"), Quick: []string{"1h", "1d", "3d", "7d", "31d", "366d"}}
	if off > 0 {
		d.Offset = formatOffset(off)
	}
	return s.render(c, http.StatusOK, "clock", d)
}

func formatOffset(d time.Duration) string {
	days := d / (24 * time.Hour)
	rest := d - days*24*time.Hour
	if days == 0 {
		return rest.String()
	}
	if rest == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %s", days, rest)
}

func (s *Sandbox) clockAdvance(c *fiber.Ctx) error {
	if !s.staff(c) {
		if c.FormValue("return") == "page" {
			return s.forbidden(c)
		}
		return c.Status(http.StatusForbidden).JSON(fiber.Map{"error": staffOnly})
	}
	d, err := parseAdvance(c.FormValue("advance"))
	if err != nil {
		return c.Status(http.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
	}
	now, err := s.Advance(c.UserContext(), d)
	if err != nil {
		s.log.Error("advance sandbox clock", "err", err)
		return c.Status(http.StatusInternalServerError).JSON(fiber.Map{"error": "the sandbox could not apply the advance"})
	}
	if c.FormValue("return") == "page" {
		return c.Redirect(mountPath+"/clock", http.StatusSeeOther)
	}
	return c.JSON(fiber.Map{"now": now.Unix(), "time": now.UTC().Format(time.RFC3339)})
}
