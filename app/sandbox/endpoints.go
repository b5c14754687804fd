package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Webhook endpoints (Stripe's /v1/webhook_endpoints): besides its own
// shop, the sandbox delivers every event to each enabled endpoint whose
// enabled_events match, signed with that endpoint's own secret, with its
// own retries and delivery log. This is what lets a second Vendo in
// Stripe mode use this one as its Stripe.

type webhookEndpoint struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	APIVersion    nstr              `json:"api_version"`
	Application   any               `json:"application"`
	Created       int64             `json:"created"`
	Description   nstr              `json:"description"`
	EnabledEvents []string          `json:"enabled_events"`
	Livemode      bool              `json:"livemode"`
	Metadata      map[string]string `json:"metadata"`
	// Secret is in the answer to the create call only, as with Stripe;
	// the stored copy lives in _internal.
	Secret   string `json:"secret,omitempty"`
	Status   string `json:"status"`
	URL      string `json:"url"`
	Internal struct {
		Secret string `json:"secret"`
	} `json:"_internal"`
}

// maxEndpoints is Stripe's limit of webhook endpoints per account and mode.
const maxEndpoints = 16

// eventTypePattern is the shape of an event type ("invoice.paid",
// "customer.subscription.updated"); "*" enables every event.
var eventTypePattern = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

func (e webhookEndpoint) wants(typ string) bool {
	if e.Status != "enabled" {
		return false
	}
	for _, want := range e.EnabledEvents {
		if want == "*" || want == typ {
			return true
		}
	}
	return false
}

func apiCreateEndpoint(t *txn, r *request) (any, error) {
	n := 0
	t.eachNewest(objWebhookEndpoint, func(string, []byte) bool { n++; return true })
	if n >= maxEndpoints {
		return nil, invalidRequest("", fmt.Sprintf("You have reached the maximum of %d test webhook endpoints.", maxEndpoints))
	}
	we := webhookEndpoint{ID: t.newID("we_"), Object: objWebhookEndpoint, Created: t.now.Unix(), Status: "enabled", Metadata: metadataOf(r.p)}
	if !r.p.has("url") {
		return nil, missingParam("url")
	}
	if !r.p.has("enabled_events") {
		return nil, missingParam("enabled_events")
	}
	if v := r.p.str("api_version"); v != "" && v != apiVersion {
		return nil, invalidParam("api_version", fmt.Sprintf("The sandbox renders events in API version %s only (the version stripe-go v76 pins); leave api_version out or pass %s.", apiVersion, apiVersion))
	}
	if r.p.str("api_version") != "" {
		we.APIVersion = nstr(apiVersion)
	}
	if c, _, err := r.p.boolean("connect"); err != nil {
		return nil, err
	} else if c {
		return nil, invalidParam("connect", "The sandbox has no connected accounts: connect endpoints are not supported.")
	}
	if err := applyEndpoint(&we, r.p); err != nil {
		return nil, err
	}
	we.Internal.Secret = "whsec_" + randomString(32)
	if err := t.put(objWebhookEndpoint, we.ID, we); err != nil {
		return nil, err
	}
	we.Secret = we.Internal.Secret
	return we, nil
}

// applyEndpoint sets what create and update share: url, enabled_events,
// description, metadata.
func applyEndpoint(we *webhookEndpoint, p params) error {
	if p.has("url") {
		raw := p.str("url")
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalidParam("url", "Invalid URL: "+raw+". The URL must be an absolute http or https URL.")
		}
		we.URL = raw
	}
	if p.has("enabled_events") {
		events := p.strings("enabled_events")
		if len(events) == 0 {
			return invalidParam("enabled_events", "Invalid array: enabled_events must list at least one event type, or * for all.")
		}
		for i, ev := range events {
			if ev != "*" && !eventTypePattern.MatchString(ev) {
				return invalidParam(fmt.Sprintf("enabled_events[%d]", i), fmt.Sprintf("Invalid enabled_events[%d]: %q is not an event type (like invoice.paid) or *.", i, ev))
			}
		}
		we.EnabledEvents = events
	}
	if p.has("description") {
		we.Description = nstr(p.str("description"))
	}
	if p.has("metadata") {
		we.Metadata = applyMetadata(we.Metadata, p)
	}
	return nil
}

func (t *txn) endpointByID(id string) (webhookEndpoint, error) {
	var we webhookEndpoint
	if err := t.get(objWebhookEndpoint, id, &we); err != nil {
		return we, noSuch("webhook endpoint", id, "id")
	}
	return we, nil
}

func apiGetEndpoint(t *txn, r *request) (any, error) { return t.endpointByID(r.id) }

func apiUpdateEndpoint(t *txn, r *request) (any, error) {
	we, err := t.endpointByID(r.id)
	if err != nil {
		return nil, err
	}
	if err := applyEndpoint(&we, r.p); err != nil {
		return nil, err
	}
	if d, ok, err := r.p.boolean("disabled"); err != nil {
		return nil, err
	} else if ok {
		we.Status = "enabled"
		if d {
			we.Status = "disabled"
		}
	}
	return we, t.put(objWebhookEndpoint, we.ID, we)
}

// apiDeleteEndpoint removes an endpoint; deliveries still queued for it
// are dropped when they fall due.
func apiDeleteEndpoint(t *txn, r *request) (any, error) {
	if _, err := t.endpointByID(r.id); err != nil {
		return nil, err
	}
	if err := t.tx.Bucket([]byte(objWebhookEndpoint)).Delete([]byte(r.id)); err != nil {
		return nil, err
	}
	return map[string]any{"id": r.id, "object": objWebhookEndpoint, "deleted": true}, nil
}

func apiListEndpoints(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objWebhookEndpoint, q, func([]byte) bool { return true })
	return listMap("/v1/webhook_endpoints", items, more), nil
}

// target is where one copy of an event goes: the shop's own webhook
// (Endpoint "") or a registered endpoint.
type target struct {
	Endpoint string
	URL      string
	Secret   string
}

// targets lists the endpoints an event of this type goes to, the shop's
// own first.
func (t *txn) targets(typ string) []target {
	var out []target
	if t.s.cfg.WebhookURL != "" {
		out = append(out, target{URL: t.s.cfg.WebhookURL, Secret: t.s.secret})
	}
	c := t.tx.Bucket([]byte(objWebhookEndpoint)).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var we webhookEndpoint
		if json.Unmarshal(v, &we) == nil && we.wants(typ) {
			out = append(out, target{Endpoint: we.ID, URL: we.URL, Secret: we.Internal.Secret})
		}
	}
	return out
}

// target finds where a queued delivery goes now; false when its endpoint
// was deleted or disabled since.
func (t *txn) target(endpoint string) (target, bool) {
	if endpoint == "" {
		return target{URL: t.s.cfg.WebhookURL, Secret: t.s.secret}, t.s.cfg.WebhookURL != ""
	}
	var we webhookEndpoint
	if t.get(objWebhookEndpoint, endpoint, &we) != nil || we.Status != "enabled" {
		return target{}, false
	}
	return target{Endpoint: we.ID, URL: we.URL, Secret: we.Internal.Secret}, true
}

// endpointLabel names a delivery's destination on the events page.
func endpointLabel(endpoint string) string {
	if endpoint == "" {
		return "this shop"
	}
	return strings.Clone(endpoint)
}
