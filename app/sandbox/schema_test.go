package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-mock/embedded"
)

// The schema test checks every object the sandbox answers with, through
// the API and inside every event, against Stripe's published OpenAPI
// spec: the one stripe-mock v0.162.0 embeds (API 2022-11-15, the newest
// published before 2023-10-16, the version stripe-go v76 pins). It checks
// required properties, types, nullability, enums, nested objects and
// expandable fields (an id, or the object it names), and refuses
// properties the spec does not know, so the sandbox invents nothing.

// schemaDiffs are the only differences allowed: properties Stripe added
// between the 2022-11-15 spec and 2023-10-16, the version stripe-go v76
// pins and the sandbox speaks. Each is in stripe-go v76.0.0, the release
// generated from the 2023-10-16 spec, and absent from the 2022-11-15
// spec. The key is "schema.property".
var schemaDiffs = map[string]string{
	"checkout.session.ui_mode":       "added with embedded Checkout in October 2023 (stripe-go v76.0.0 CheckoutSession.UIMode); the sandbox's sessions are always hosted",
	"checkout.session.client_secret": "added with embedded Checkout in October 2023 (stripe-go v76.0.0 CheckoutSession.ClientSecret); null for hosted sessions",
	"invoice.effective_at":           "added in 2023 for backdated invoices (stripe-go v76.0.0 Invoice.EffectiveAt); the finalization time here",
	"invoice.subscription_details":   "added in 2023 to carry the subscription's metadata (stripe-go v76.0.0 Invoice.SubscriptionDetails)",
}

// oasSchema is the part of an OpenAPI 3 schema Stripe's spec uses.
type oasSchema struct {
	Ref                  string                `json:"$ref"`
	Type                 string                `json:"type"`
	Nullable             bool                  `json:"nullable"`
	Enum                 []any                 `json:"enum"`
	MaxLength            int                   `json:"maxLength"`
	Properties           map[string]*oasSchema `json:"properties"`
	Required             []string              `json:"required"`
	AnyOf                []*oasSchema          `json:"anyOf"`
	Items                *oasSchema            `json:"items"`
	AdditionalProperties json.RawMessage       `json:"additionalProperties"`
	Title                string                `json:"title"`
}

type stripeSpec struct {
	schemas map[string]*oasSchema
}

var (
	specOnce sync.Once
	spec     *stripeSpec
	specErr  error
)

func loadSpec(t *testing.T) *stripeSpec {
	t.Helper()
	specOnce.Do(func() {
		var doc struct {
			Info struct {
				Version string `json:"version"`
			} `json:"info"`
			Components struct {
				Schemas map[string]*oasSchema `json:"schemas"`
			} `json:"components"`
		}
		if specErr = json.Unmarshal(embedded.OpenAPISpec, &doc); specErr != nil {
			return
		}
		if doc.Info.Version != "2022-11-15" {
			specErr = fmt.Errorf("stripe-mock's spec is for API %s, the test expects 2022-11-15", doc.Info.Version)
			return
		}
		spec = &stripeSpec{schemas: doc.Components.Schemas}
	})
	if specErr != nil {
		t.Fatalf("load Stripe's OpenAPI spec: %v", specErr)
	}
	return spec
}

// checker validates values and counts the objects it saw, by kind.
type checker struct {
	spec     *stripeSpec
	problems map[string]int    // problem → how often
	examples map[string]string // problem → where it was first seen
	where    string            // the answer or delivery being checked
	counts   map[string]int    // object kind → objects checked
	allowed  map[string]int    // allowed difference → how often it applied
}

func newChecker(s *stripeSpec) *checker {
	return &checker{spec: s, problems: map[string]int{}, examples: map[string]string{}, counts: map[string]int{}, allowed: map[string]int{}}
}

// fail records a problem at path, a schema path like
// "invoice.lines.data[].price" (indices dropped, so one problem in many
// objects is one line), with the first place it was seen.
func (c *checker) fail(path, format string, a ...any) {
	key := path + ": " + fmt.Sprintf(format, a...)
	if _, seen := c.problems[key]; !seen {
		c.examples[key] = c.where
	}
	c.problems[key]++
}

func (c *checker) resolve(s *oasSchema) (*oasSchema, string) {
	name := ""
	for s != nil && s.Ref != "" {
		name = strings.TrimPrefix(s.Ref, "#/components/schemas/")
		s = c.spec.schemas[name]
	}
	return s, name
}

// object checks a top-level object: a resource whose schema is named by
// its "object" field.
func (c *checker) object(where string, v map[string]any) {
	c.where = where
	kind, _ := v["object"].(string)
	if v["deleted"] == true {
		kind = "deleted_" + kind // a DELETE answers with Stripe's deleted_<object>
	}
	s, ok := c.spec.schemas[kind]
	if !ok {
		c.fail(kind, "no schema for object %q", kind)
		return
	}
	c.check(kind, v, s, kind)
}

// check validates v against s. name is the schema's name when s is a
// named component (it keys schemaDiffs and the counts).
func (c *checker) check(path string, v any, s *oasSchema, name string) bool {
	if s.Ref != "" {
		var n string
		s, n = c.resolve(s)
		if s == nil {
			c.fail(path, "unresolvable schema reference")
			return false
		}
		name = n
		if s.Properties["object"] != nil {
			path = name // a resource's problems read the same wherever it is nested
		}
	}
	if v == nil {
		if !s.Nullable {
			c.fail(path, "null, but the spec says it is never null")
			return false
		}
		return true
	}
	if len(s.AnyOf) > 0 {
		return c.anyOf(path, v, s)
	}
	ok := true
	switch s.Type {
	case "string":
		str, isStr := v.(string)
		if !isStr {
			c.fail(path, "%s, want a string", kindOf(v))
			return false
		}
		if s.MaxLength > 0 && len([]rune(str)) > s.MaxLength {
			c.fail(path, "longer than %d characters", s.MaxLength)
			ok = false
		}
	case "integer":
		n, isNum := v.(json.Number)
		if !isNum {
			c.fail(path, "%s, want an integer", kindOf(v))
			return false
		}
		if _, err := n.Int64(); err != nil {
			c.fail(path, "%s is not an integer", n)
			return false
		}
	case "number":
		if _, isNum := v.(json.Number); !isNum {
			c.fail(path, "%s, want a number", kindOf(v))
			return false
		}
	case "boolean":
		if _, isBool := v.(bool); !isBool {
			c.fail(path, "%s, want a boolean", kindOf(v))
			return false
		}
	case "array":
		arr, isArr := v.([]any)
		if !isArr {
			c.fail(path, "%s, want an array", kindOf(v))
			return false
		}
		if s.Items != nil {
			for _, e := range arr {
				ok = c.check(path+"[]", e, s.Items, "") && ok
			}
		}
	case "object", "":
		m, isMap := v.(map[string]any)
		if !isMap {
			if s.Type == "" {
				return true // an untyped schema accepts anything
			}
			c.fail(path, "%s, want an object", kindOf(v))
			return false
		}
		ok = c.properties(path, m, s, name)
	default:
		c.fail(path, "the spec's type %q is unknown to the checker", s.Type)
		return false
	}
	if len(s.Enum) > 0 && !inEnum(v, s.Enum) {
		c.fail(path, "%v is not one of %v", v, s.Enum)
		ok = false
	}
	return ok
}

func (c *checker) properties(path string, m map[string]any, s *oasSchema, name string) bool {
	ok := true
	if kind, isStr := m["object"].(string); isStr && name != "" {
		c.counts[kind]++
	}
	for _, req := range s.Required {
		if _, present := m[req]; !present {
			if reason, allowed := schemaDiffs[name+"."+req]; allowed && reason != "" {
				c.allowed[name+"."+req]++
				continue
			}
			c.fail(path+"."+req, "missing: the spec requires it")
			ok = false
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ps, known := s.Properties[k]
		if !known {
			if len(s.Properties) == 0 {
				// A free-form object (metadata, an event's data.object).
				if ap := c.additional(s); ap != nil {
					ok = c.check(path+"."+k, m[k], ap, "") && ok
				}
				continue
			}
			if _, allowed := schemaDiffs[name+"."+k]; allowed {
				c.allowed[name+"."+k]++
				continue
			}
			c.fail(path+"."+k, "not in Stripe's schema %s", name)
			ok = false
			continue
		}
		ok = c.check(path+"."+k, m[k], ps, "") && ok
	}
	return ok
}

func (c *checker) additional(s *oasSchema) *oasSchema {
	if len(s.AdditionalProperties) == 0 || s.AdditionalProperties[0] != '{' {
		return nil
	}
	var ap oasSchema
	if json.Unmarshal(s.AdditionalProperties, &ap) != nil {
		return nil
	}
	return &ap
}

// anyOf accepts v when one alternative does. An expandable field is an
// id string or one of the objects it may name: an object is checked
// against the alternative whose "object" it carries, so its problems are
// reported rather than "matches nothing".
func (c *checker) anyOf(path string, v any, s *oasSchema) bool {
	if m, isMap := v.(map[string]any); isMap {
		kind, _ := m["object"].(string)
		for _, alt := range s.AnyOf {
			rs, name := c.resolve(alt)
			if rs == nil || rs.Properties["object"] == nil {
				continue
			}
			if inEnum(kind, rs.Properties["object"].Enum) && (!strings.HasPrefix(name, "deleted_") || m["deleted"] == true) {
				return c.check(path, v, alt, "")
			}
		}
	}
	if len(s.AnyOf) == 1 {
		return c.check(path, v, s.AnyOf[0], "")
	}
	// Otherwise try each alternative on a scratch checker and keep the
	// first that passes.
	for _, alt := range s.AnyOf {
		scratch := newChecker(c.spec)
		if scratch.check(path, v, alt, "") {
			for k, n := range scratch.counts {
				c.counts[k] += n
			}
			for k, n := range scratch.allowed {
				c.allowed[k] += n
			}
			return true
		}
	}
	c.fail(path, "%s matches none of the spec's %d alternatives", kindOf(v), len(s.AnyOf))
	return false
}

func inEnum(v any, enum []any) bool {
	for _, e := range enum {
		if fmt.Sprint(e) == fmt.Sprint(v) {
			return true
		}
	}
	return false
}

func kindOf(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func decodeExact(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	return m, d.Decode(&m)
}

// answer checks one API answer: an object, or a list of objects.
func (c *checker) answer(where string, raw []byte) {
	m, err := decodeExact(raw)
	if err != nil {
		c.where = where
		c.fail("body", "not JSON: %v", err)
		return
	}
	if m["object"] == "list" {
		data, _ := m["data"].([]any)
		for i, e := range data {
			obj, isMap := e.(map[string]any)
			if !isMap {
				c.where = where
				c.fail("list.data[]", "%s in a list", kindOf(e))
				continue
			}
			c.object(fmt.Sprintf("%s.data[%d]", where, i), obj)
		}
		for _, k := range []string{"data", "has_more", "url"} {
			if _, ok := m[k]; !ok {
				c.where = where
				c.fail("list", "without %q", k)
			}
		}
		return
	}
	c.object(where, m)
}

// event checks an event and the object inside it; previous_attributes
// holds old values of the object's own properties, so each must be one.
func (c *checker) event(where string, raw []byte) {
	m, err := decodeExact(raw)
	if err != nil {
		c.where = where
		c.fail("body", "not JSON: %v", err)
		return
	}
	c.object(where, m)
	if m["api_version"] != stripe.APIVersion {
		c.fail("event.api_version", "%v, want %s as Stripe sends to an endpoint on stripe-go v76's version", m["api_version"], stripe.APIVersion)
	}
	req, _ := m["request"].(map[string]any)
	if _, has := req["id"]; !has {
		c.fail("event.request", "missing or without id: Stripe sends {\"id\":…,\"idempotency_key\":…}")
	}
	if _, has := req["idempotency_key"]; !has {
		c.fail("event.request", "without idempotency_key")
	}
	data, _ := m["data"].(map[string]any)
	obj, _ := data["object"].(map[string]any)
	if obj == nil {
		c.fail("event.data.object", "missing")
		return
	}
	typ, _ := m["type"].(string)
	kind, _ := obj["object"].(string)
	c.object(where+" ("+typ+") data.object", obj)
	if prev, ok := data["previous_attributes"].(map[string]any); ok {
		if s := c.spec.schemas[kind]; s != nil {
			c.partial("previous_attributes of "+kind, prev, s, kind)
		}
	}
}

// partial checks the properties present in m (a previous_attributes
// map, which lists only what changed) without requiring the others.
func (c *checker) partial(path string, m map[string]any, s *oasSchema, name string) {
	for k, v := range m {
		ps, known := s.Properties[k]
		if !known {
			if _, allowed := schemaDiffs[name+"."+k]; !allowed {
				c.fail(path+"."+k, "not a property of %s", name)
			}
			continue
		}
		rs, _ := c.resolve(ps)
		if sub, isMap := v.(map[string]any); isMap && rs != nil && len(rs.AnyOf) == 0 && rs.Type == "object" && len(rs.Properties) > 0 {
			if _, isObj := sub["object"]; !isObj {
				c.partial(path+"."+k, sub, rs, "")
				continue
			}
		}
		c.check(path+"."+k, v, ps, "")
	}
}

func (c *checker) report(t *testing.T) {
	t.Helper()
	kinds := make([]string, 0, len(c.counts))
	for k := range c.counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-32s %5d\n", k, c.counts[k])
	}
	t.Logf("objects checked against Stripe's schema, by kind:\n%s", b.String())
	for k, n := range c.allowed {
		t.Logf("allowed difference %s (%d times): %s", k, n, schemaDiffs[k])
	}
	problems := make([]string, 0, len(c.problems))
	for p, n := range c.problems {
		problems = append(problems, fmt.Sprintf("%s (%d times; first in %s)", p, n, c.examples[p]))
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// The kinds every run must have checked: one per object Vendo meets.
var schemaKinds = []string{
	"customer", "product", "price", "checkout.session", "item", "payment_intent", "charge", "refund", "payment_method",
	"subscription", "subscription_item", "invoice", "line_item", "billing_portal.configuration", "billing_portal.session", "event",
	"webhook_endpoint", "dispute", "coupon", "promotion_code", "tax_rate",
}

// TestObjectsConformToStripeSchema drives every flow that makes an
// object (purchase, declined card, subscriptions monthly and yearly,
// renewal, failed renewal to cancellation, portal switch and cancel,
// refunds), reads every object back through the API with its
// expansions, and checks each answer and each event against the spec.
func TestObjectsConformToStripeSchema(t *testing.T) {
	sp := loadSpec(t)
	e := newEnv(t)
	// A second shop's endpoint gets every event too, with its own secret.
	other, otherURL := e.endpointReceiver(0)
	other.setSecret(e.register(otherURL, "*").Secret)
	c := e.catalog()
	e.driveEveryFlow(c)

	ck := newChecker(sp)
	answers := e.tape.all()
	for i, a := range answers {
		if a.status != http.StatusOK {
			continue
		}
		ck.answer(fmt.Sprintf("answer %d to %s %s", i, a.method, a.path), a.body)
	}
	e.rc.mu.Lock()
	delivered := append([][]byte(nil), e.rc.raw...)
	e.rc.mu.Unlock()
	for i, raw := range delivered {
		ck.event(fmt.Sprintf("delivery %d", i), raw)
	}
	other.waitFor(t, len(delivered))
	other.mu.Lock()
	for i, raw := range other.raw {
		ck.event(fmt.Sprintf("delivery %d to the endpoint", i), raw)
	}
	other.mu.Unlock()
	// Every event the sandbox recorded, through the API as well.
	for _, raw := range e.allEvents() {
		ck.event("GET /v1/events", raw)
	}
	ck.report(t)
	for _, k := range schemaKinds {
		if ck.counts[k] == 0 {
			t.Errorf("no %s was checked: the flows must produce every kind", k)
		}
	}
	if len(delivered) == 0 || len(answers) == 0 {
		t.Fatalf("nothing checked: %d answers, %d deliveries", len(answers), len(delivered))
	}
}

// allEvents pages through GET /v1/events and returns each event's JSON.
func (e *env) allEvents() [][]byte {
	e.t.Helper()
	var out [][]byte
	after := ""
	for {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("starting_after", after)
		}
		body := e.apiGet("/v1/events?" + q.Encode())
		var page struct {
			Data    []json.RawMessage `json:"data"`
			HasMore bool              `json:"has_more"`
		}
		decodeJSON(e.t, string(body), &page)
		for _, raw := range page.Data {
			out = append(out, raw)
			var id struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &id)
			after = id.ID
		}
		if !page.HasMore || len(page.Data) == 0 {
			return out
		}
	}
}

// apiGet calls the API directly (with the test key) and returns the body
// of a 200 answer.
func (e *env) apiGet(path string) []byte {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.sb.APIBase()+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.key())
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, buf.String())
	}
	return buf.Bytes()
}

// driveEveryFlow runs the flows that produce every kind of object and
// reads each back with its expansions.
func (e *env) driveEveryFlow(c catalog) {
	t := e.t
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// A purchase of two lines, after two declined cards.
	s := e.paymentSession(c)
	for _, number := range []string{"4000000000000002", "4000000000009995"} {
		if resp, body := e.postForm(s.URL, cardValues(number)); resp.StatusCode != http.StatusPaymentRequired {
			t.Fatalf("declined card %s: %d %s", number, resp.StatusCode, body)
		}
	}
	if resp, body := e.postForm(s.URL, cardValues("4242424242424242")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("purchase: %d %s", resp.StatusCode, body)
	}
	gp := &stripe.CheckoutSessionParams{}
	gp.AddExpand("line_items")
	gp.AddExpand("customer")
	gp.AddExpand("payment_intent.latest_charge")
	gp.AddExpand("payment_intent.payment_method")
	paid, err := e.api.CheckoutSessions.Get(s.ID, gp)
	must(err)
	li := e.api.CheckoutSessions.ListLineItems(&stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(s.ID)})
	for li.Next() {
	}
	must(li.Err())

	// A purchase with a promotion code.
	e.discountedPurchase(c)

	// A partial and then a full refund of the purchase.
	_, err = e.api.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(paid.PaymentIntent.ID), Amount: stripe.Int64(1500)})
	must(err)
	_, err = e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(paid.PaymentIntent.LatestCharge.ID), Reason: stripe.String("requested_by_customer")})
	must(err)
	cp := &stripe.ChargeParams{}
	cp.AddExpand("refunds")
	cp.AddExpand("customer")
	_, err = e.api.Charges.Get(paid.PaymentIntent.LatestCharge.ID, cp)
	must(err)

	// A purchase disputed right after (0259), won; another disputed from
	// the events page and lost; a refund that fails an hour later (5126,
	// failed by the clock below).
	_, ch := e.payWith(c, "4000000000000259")
	dl := e.api.Disputes.List(&stripe.DisputeListParams{Charge: stripe.String(ch.ID)})
	if !dl.Next() {
		t.Fatalf("the 0259 charge has no dispute: %v", dl.Err())
	}
	if resp, body := e.postForm(mountPath+"/disputes/"+dl.Dispute().ID+"/close", url.Values{"outcome": {"won"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("rule the dispute: %d %s", resp.StatusCode, body)
	}
	_, ch = e.payWith(c, "4242424242424242")
	if resp, body := e.postForm(mountPath+"/charges/"+ch.ID+"/dispute", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("dispute a charge: %d %s", resp.StatusCode, body)
	}
	dl = e.api.Disputes.List(&stripe.DisputeListParams{Charge: stripe.String(ch.ID)})
	if !dl.Next() {
		t.Fatalf("no dispute listed: %v", dl.Err())
	}
	_, err = e.api.Disputes.Close(dl.Dispute().ID, nil)
	must(err)
	dp := &stripe.DisputeParams{}
	dp.AddExpand("charge")
	dp.AddExpand("payment_intent")
	_, err = e.api.Disputes.Get(dl.Dispute().ID, dp)
	must(err)
	_, ch = e.payWith(c, "4000000000005126")
	failing5126, err := e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch.ID), Amount: stripe.Int64(1000)})
	must(err)

	// Purchases with Stripe Tax: exclusive prices with an invoice
	// (invoice_creation), inclusive ones reverse charged to a business.
	e.drain()
	taxed, _, _ := e.taxedCheckout(true, true, true, "exclusive", map[string]string{"country": "DE"})
	e.taxedCheckout(true, true, false, "inclusive", map[string]string{"country": "FR", "tax_id": "FR12345678901"})
	bp := &stripe.CheckoutSessionParams{}
	bp.AddExpand("total_details.breakdown")
	_, err = e.api.CheckoutSessions.Get(taxed.ID, bp)
	must(err)
	ip := &stripe.InvoiceParams{}
	ip.AddExpand("total_tax_amounts.tax_rate")
	taxedInv, err := e.api.Invoices.Get(taxed.Invoice.ID, ip)
	must(err)
	_, err = e.api.TaxRates.Get(taxedInv.TotalTaxAmounts[0].TaxRate.ID, nil)
	must(err)

	// A session that expires unpaid.
	open := e.paymentSession(c)
	_, err = e.api.CheckoutSessions.Expire(open.ID, nil)
	must(err)

	e.drain()
	// Subscriptions: monthly (renews, then switches and cancels in the
	// portal), yearly, and one on the card that fails renewals.
	monthly := e.subscribe(c.monthly, "4242424242424242")
	yearly := e.subscribe(c.yearly, "5555555555554444")
	failing := e.subscribe(c.monthly, "4000000000000341")
	e.drain()
	// One with Stripe Tax, whose renewal below is taxed too.
	taxedSub, err := e.api.CheckoutSessions.New(&stripe.CheckoutSessionParams{
		Mode: stripe.String("subscription"), SuccessURL: stripe.String("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
		CustomerEmail: stripe.String("ada@example.com"), AutomaticTax: &stripe.CheckoutSessionAutomaticTaxParams{Enabled: stripe.Bool(true)},
		LineItems: []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(c.basicMonthly.ID), Quantity: stripe.Int64(1)}},
	})
	must(err)
	tv := cardValues("4242424242424242")
	tv.Set("country", "GB")
	if resp, body := e.postForm(taxedSub.URL, tv); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("taxed subscription: %d %s", resp.StatusCode, body)
	}
	e.drain()
	e.advance("32d") // monthly renews; failing's renewal declines; the 5126 refund fails
	e.advance("4d")  // first retry declines
	e.advance("6d")  // last retry declines: failing is canceled
	if re, err := e.api.Refunds.Get(failing5126.ID, nil); err != nil || re.Status != stripe.RefundStatusFailed {
		t.Fatalf("the 5126 refund did not fail: %+v %v", re, err)
	}

	e.drain()
	portal := e.portal(c, monthly.Customer.ID)
	resp, page := e.get(portal)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("portal: %d", resp.StatusCode)
	}
	_ = page
	if resp, body := e.postForm(portal+"/switch", url.Values{"subscription": {monthly.ID}, "price": {c.yearly.ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal switch: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.postForm(portal+"/cancel", url.Values{"subscription": {monthly.ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal cancel: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.postForm(portal+"/card", cardValues("4242424242424242")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal card: %d %s", resp.StatusCode, body)
	}
	_, err = e.api.Subscriptions.Cancel(yearly.ID, nil)
	must(err)

	// Read everything back, expanded where the shop expands.
	for _, id := range []string{monthly.ID, yearly.ID, failing.ID} {
		sp := &stripe.SubscriptionParams{}
		sp.AddExpand("latest_invoice.payment_intent")
		sp.AddExpand("customer")
		sp.AddExpand("default_payment_method")
		sp.AddExpand("items.data.price.product")
		got, err := e.api.Subscriptions.Get(id, sp)
		must(err)
		ip := &stripe.InvoiceParams{}
		ip.AddExpand("charge")
		ip.AddExpand("subscription")
		_, err = e.api.Invoices.Get(got.LatestInvoice.ID, ip)
		must(err)
		lines := e.api.Invoices.ListLines(&stripe.InvoiceListLinesParams{Invoice: stripe.String(got.LatestInvoice.ID)})
		for lines.Next() {
		}
		must(lines.Err())
		_, err = e.api.PaymentMethods.Get(got.DefaultPaymentMethod.ID, nil)
		must(err)
	}
	sl := &stripe.SubscriptionListParams{Status: stripe.String("all")}
	sl.AddExpand("data.latest_invoice")
	for it := e.api.Subscriptions.List(sl); it.Next(); {
	}
	// Webhook endpoints: read, changed, listed, and one deleted.
	gone := e.register("https://gone.example/hook", "invoice.paid")
	_, err = e.api.WebhookEndpoints.Update(gone.ID, &stripe.WebhookEndpointParams{Disabled: stripe.Bool(true), Description: stripe.String("old")})
	must(err)
	_, err = e.api.WebhookEndpoints.Get(gone.ID, nil)
	must(err)
	_, err = e.api.WebhookEndpoints.Del(gone.ID, nil)
	must(err)
	for _, path := range []string{"/v1/webhook_endpoints", "/v1/customers", "/v1/products", "/v1/prices", "/v1/checkout/sessions", "/v1/payment_intents",
		"/v1/charges", "/v1/refunds", "/v1/disputes", "/v1/invoices", "/v1/billing_portal/configurations", "/v1/events"} {
		e.apiGet(path + "?limit=100")
	}
	e.drain()
}

// drain waits until every event recorded so far was delivered and marks
// them seen, so the next expect starts after them.
func (e *env) drain() {
	e.t.Helper()
	n := len(e.allEvents())
	e.rc.waitFor(e.t, n)
	e.seen = len(e.rc.snapshot())
}
