package app

import "time"

// Order statuses.
const (
	OrderPending           = "pending"            // checkout completed, payment not yet confirmed (async methods)
	OrderPaid              = "paid"               // paid; entitlements granted
	OrderFailed            = "failed"             // the async payment failed
	OrderPartiallyRefunded = "partially_refunded" // some money returned; entitlements kept
	OrderRefunded          = "refunded"           // all money returned; entitlements revoked
)

// Order is a one-time purchase, made from a paid Checkout Session.
type Order struct {
	ID                string      `json:"id"`
	Number            int64       `json:"number"` // human order number, 1001, 1002, …
	CustomerID        string      `json:"customer_id"`
	Email             string      `json:"email"`
	Name              string      `json:"name,omitempty"`
	CartID            string      `json:"cart_id,omitempty"`
	CheckoutSessionID string      `json:"checkout_session_id"`
	PaymentIntentID   string      `json:"payment_intent_id,omitempty"`
	ChargeID          string      `json:"charge_id,omitempty"`
	StripeCustomerID  string      `json:"stripe_customer_id,omitempty"`
	Lines             []OrderLine `json:"lines"`
	Subtotal          Money       `json:"subtotal"`
	Total             Money       `json:"total"`
	AmountRefunded    int64       `json:"amount_refunded"`
	Refunds           []Refund    `json:"refunds,omitempty"`
	Status            string      `json:"status"`
	CreatedAt         time.Time   `json:"created_at"`
	PaidAt            time.Time   `json:"paid_at,omitempty"`
	UpdatedAt         time.Time   `json:"updated_at"`
}

// OrderLine is one product bought in an order.
type OrderLine struct {
	ProductID     string `json:"product_id"`
	Title         string `json:"title"`
	Quantity      int64  `json:"quantity"`
	UnitAmount    Money  `json:"unit_amount"`
	Total         Money  `json:"total"`
	StripePriceID string `json:"stripe_price_id"`
}

// Refund is money returned on an order, as Stripe reported it.
type Refund struct {
	ID        string    `json:"id"`
	Amount    int64     `json:"amount"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Refunded reports whether every paid minor unit was returned.
func (o *Order) Refunded() bool { return o.Total.Amount > 0 && o.AmountRefunded >= o.Total.Amount }

// Entitlement sources: why a customer may download a product.
const (
	SourceOrder  = "order"  // bought; SourceID is the order id
	SourcePlan   = "plan"   // included in an active plan; SourceID is the subscription id
	SourceCredit = "credit" // unlocked with a plan credit; SourceID is the subscription id
	SourceManual = "manual" // granted by an admin; SourceID is the admin's email
)

// Entitlement says a customer may download a product's files, and why.
type Entitlement struct {
	ID            string    `json:"id"`
	CustomerID    string    `json:"customer_id"`
	ProductID     string    `json:"product_id"`
	Source        string    `json:"source"`
	SourceID      string    `json:"source_id"`
	Note          string    `json:"note,omitempty"`
	GrantedAt     time.Time `json:"granted_at"`
	RevokedAt     time.Time `json:"revoked_at,omitempty"`
	RevokedReason string    `json:"revoked_reason,omitempty"`
	// Downloads counts whole downloads: each file's bytes served, in
	// whole copies of the file, added up (before bytes were counted, it
	// counted transfers that started at the first byte).
	Downloads int `json:"downloads"`
	// Served is the bytes sent of each file (by SHA-256) under this
	// entitlement. The download limit is a budget of bytes per file:
	// limit × the file's size (issue 17, hole 3).
	Served map[string]int64 `json:"served,omitempty"`
}

// Active reports whether the entitlement still grants access.
func (e *Entitlement) Active() bool { return e.RevokedAt.IsZero() }

// AddServed counts n more bytes of the file sha, of size bytes, as sent
// (a negative n gives back bytes charged but never sent), keeping
// Downloads in step in whole copies of the file.
func (e *Entitlement) AddServed(sha string, size, n int64) {
	if e.Served == nil {
		e.Served = map[string]int64{}
	}
	before := e.Served[sha]
	after := max(0, before+n)
	e.Served[sha] = after
	if size > 0 {
		e.Downloads += int(after/size - before/size)
	}
}

// DownloadRecord is one download, for the customer's and the admin's logs.
type DownloadRecord struct {
	ID            string    `json:"id"`
	CustomerID    string    `json:"customer_id"`
	EntitlementID string    `json:"entitlement_id"`
	ProductID     string    `json:"product_id"`
	FileSHA256    string    `json:"file_sha256"`
	FileName      string    `json:"file_name"`
	Bytes         int64     `json:"bytes"`
	Range         string    `json:"range,omitempty"`
	IP            string    `json:"ip"`
	At            time.Time `json:"at"`
}
