package app

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Outgoing webhooks: the merchant's own tools hear about what happens in
// the shop (issue 20). An event is written, with one delivery per
// endpoint that listens to its type, in the transaction that made the
// change, so a rolled-back change sends nothing and a committed one is
// never lost; the hooks package delivers them after the commit.

// HookAPIVersion is the version of the payloads below. A change that
// removes or renames a field gets a new version; adding a field does not.
const HookAPIVersion = "2026-12-01"

// The event types an endpoint can listen to.
const (
	HookOrderPaid           = "order.paid"
	HookOrderRefunded       = "order.refunded"
	HookOrderDisputed       = "order.disputed"
	HookSubscriptionStarted = "subscription.started"
	HookSubscriptionChanged = "subscription.changed"
	HookSubscriptionEnded   = "subscription.ended"
	HookLicenseActivated    = "license.activated"
	HookLicenseDeactivated  = "license.deactivated"
	HookCustomerCreated     = "customer.created"
)

// HookEventTypes lists every event type, in the order the admin shows them.
var HookEventTypes = []string{
	HookOrderPaid, HookOrderRefunded, HookOrderDisputed,
	HookSubscriptionStarted, HookSubscriptionChanged, HookSubscriptionEnded,
	HookLicenseActivated, HookLicenseDeactivated, HookCustomerCreated,
}

// HookEndpoint is one of the merchant's URLs and the events it hears.
type HookEndpoint struct {
	ID     string   `json:"id"` // "we_…"
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Secret signs each delivery (Vendo-Signature); shown to the admin
	// once, when the endpoint is made.
	Secret    string    `json:"secret"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Listens reports whether the endpoint is to receive events of type typ.
func (e *HookEndpoint) Listens(typ string) bool {
	return e.Enabled && slices.Contains(e.Events, typ)
}

// Validate checks an endpoint before it is stored.
func (e *HookEndpoint) Validate() error {
	v := ValidationErrors{}
	u, err := url.Parse(strings.TrimSpace(e.URL))
	switch {
	case e.URL == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		v.Add("url", "Enter the full address of the endpoint, like https://example.com/vendo-webhooks.")
	case u.User != nil:
		v.Add("url", "Leave the user name and password out of the address; check the Vendo-Signature header instead.")
	case len(e.URL) > 2000:
		v.Add("url", "That address is too long (at most 2,000 characters).")
	}
	if len(e.Events) == 0 {
		v.Add("events", "Choose at least one event to send.")
	}
	for _, t := range e.Events {
		if !slices.Contains(HookEventTypes, t) {
			v.Add("events", "Choose events from the list.")
			break
		}
	}
	return v.Err()
}

// HookEvent is what happened, as the endpoints receive it: Body is the
// exact JSON sent (and signed), kept so every attempt and a resend send
// the same bytes.
type HookEvent struct {
	ID       string          `json:"id"` // "evt_…", the payload's id
	Type     string          `json:"type"`
	ObjectID string          `json:"object_id"`
	Sequence int64           `json:"sequence"`
	Created  time.Time       `json:"created"`
	Body     json.RawMessage `json:"body"`
}

// HookPayload is the JSON body of a delivery. Sequence increases by one
// with each event about the same object (an order, a subscription, a
// licence, a customer), so a receiver can drop one older than what it has
// already applied, whatever order the deliveries arrive in.
type HookPayload struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	APIVersion string `json:"api_version"`
	Created    int64  `json:"created"` // Unix seconds
	Sequence   int64  `json:"sequence"`
	Data       any    `json:"data"`
}

// HookDeliveryStatus is where a delivery is.
type HookDeliveryStatus string

const (
	HookPending   HookDeliveryStatus = "pending"   // waiting for (another) attempt
	HookDelivered HookDeliveryStatus = "delivered" // the endpoint answered 2xx
	HookFailed    HookDeliveryStatus = "failed"    // no 2xx within the retry window
)

// HookDelivery is one event on its way to one endpoint.
type HookDelivery struct {
	ID         string             `json:"id"` // "whd_…"
	EndpointID string             `json:"endpoint_id"`
	URL        string             `json:"url"` // the endpoint's, when queued
	EventID    string             `json:"event_id"`
	EventType  string             `json:"event_type"`
	ObjectID   string             `json:"object_id"`
	Status     HookDeliveryStatus `json:"status"`
	Attempts   []HookAttempt      `json:"attempts,omitempty"`
	// Failures counts failed attempts since it was queued or resent: the
	// backoff grows with it.
	Failures      int       `json:"failures,omitempty"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// RetryUntil ends the retries (three days after it was queued or
	// resent).
	RetryUntil  time.Time `json:"retry_until"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitempty"`
	// FailedAt is when the retries ended without a 2xx (zero unless
	// Status is failed): the dashboard counts failures by it.
	FailedAt time.Time `json:"failed_at,omitzero"`
}

// FailedTime is when the delivery failed: FailedAt, or for one marked
// failed before FailedAt was kept, its last attempt.
func (d *HookDelivery) FailedTime() time.Time {
	if !d.FailedAt.IsZero() || len(d.Attempts) == 0 {
		return d.FailedAt
	}
	return d.Attempts[len(d.Attempts)-1].At
}

// HookAttempt is one try of a delivery, as the admin sees it.
type HookAttempt struct {
	At       time.Time     `json:"at"`
	Status   int           `json:"status,omitempty"`   // HTTP status; 0 without an answer
	Response string        `json:"response,omitempty"` // the start of the answer's body
	Error    string        `json:"error,omitempty"`    // why it failed
	Duration time.Duration `json:"duration"`
}

// HookOrder is an order in a payload.
type HookOrder struct {
	ID             string          `json:"id"`
	Number         int64           `json:"number"`
	Status         string          `json:"status"`
	CustomerID     string          `json:"customer_id"`
	Email          string          `json:"email"`
	Total          Money           `json:"total"`
	AmountRefunded Money           `json:"amount_refunded"`
	Lines          []HookOrderLine `json:"lines"`
	Dispute        *OrderDispute   `json:"dispute,omitempty"`
	PaymentIntent  string          `json:"stripe_payment_intent,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	PaidAt         time.Time       `json:"paid_at,omitzero"`
}

// HookOrderLine is an order line in a payload.
type HookOrderLine struct {
	ProductID string `json:"product_id,omitempty"`
	Title     string `json:"title"`
	Quantity  int64  `json:"quantity"`
	Total     Money  `json:"total"`
}

// HookOrderData is the payload data of an order event.
func HookOrderData(o Order) any {
	h := HookOrder{ID: o.ID, Number: o.Number, Status: o.Status, CustomerID: o.CustomerID, Email: o.Email, Total: o.Total,
		AmountRefunded: Money{Amount: o.AmountRefunded, Currency: o.Total.Currency}, Dispute: o.Dispute,
		PaymentIntent: o.PaymentIntentID, CreatedAt: o.CreatedAt, PaidAt: o.PaidAt, Lines: []HookOrderLine{}}
	for _, l := range o.Lines {
		h.Lines = append(h.Lines, HookOrderLine{ProductID: l.ProductID, Title: l.Title, Quantity: l.Quantity, Total: l.Total})
	}
	return map[string]any{"order": h}
}

// HookSubscription is a subscription in a payload.
type HookSubscription struct {
	ID                 string    `json:"id"`
	StripeID           string    `json:"stripe_id"`
	CustomerID         string    `json:"customer_id"`
	Plan               string    `json:"plan"` // the plan's slug
	Interval           Interval  `json:"interval"`
	Status             string    `json:"status"`
	CurrentPeriodStart time.Time `json:"current_period_start"`
	CurrentPeriodEnd   time.Time `json:"current_period_end"`
	CancelAtPeriodEnd  bool      `json:"cancel_at_period_end"`
	EndedAt            time.Time `json:"ended_at,omitzero"`
}

// HookSubscriptionData is the payload data of a subscription event;
// previous, for subscription.changed, names what changed.
func HookSubscriptionData(s Subscription, planSlug string, previous map[string]any) any {
	out := map[string]any{"subscription": HookSubscription{ID: s.ID, StripeID: s.StripeID, CustomerID: s.CustomerID, Plan: planSlug,
		Interval: s.Interval, Status: s.Status, CurrentPeriodStart: s.CurrentPeriodStart, CurrentPeriodEnd: s.CurrentPeriodEnd,
		CancelAtPeriodEnd: s.CancelAtPeriodEnd, EndedAt: s.EndedAt}}
	if len(previous) > 0 {
		out["previous_attributes"] = previous
	}
	return out
}

// HookLicenseData is the payload data of a licence event.
func HookLicenseData(l License, in LicenseInstance, usage int) any {
	return map[string]any{
		"license": map[string]any{"id": l.ID, "key": l.Key, "customer_id": l.CustomerID, "product_id": l.ProductID,
			"plan_id": l.PlanID, "status": l.Status, "activation_usage": usage},
		"instance": map[string]any{"id": in.ID, "name": in.Name, "created_at": in.CreatedAt},
	}
}

// HookCustomerData is the payload data of customer.created.
func HookCustomerData(c Customer) any {
	return map[string]any{"customer": map[string]any{"id": c.ID, "email": c.Email, "name": c.Name, "created_at": c.CreatedAt}}
}
