package app

import "time"

// Order statuses. An order's status is never set by hand: State derives
// it from the order's facts.
const (
	OrderPending           = "pending"            // checkout completed, payment not yet confirmed (async methods)
	OrderPaid              = "paid"               // paid; entitlements granted
	OrderFailed            = "failed"             // the async payment failed
	OrderPartiallyRefunded = "partially_refunded" // some money returned; entitlements kept
	OrderRefunded          = "refunded"           // all money returned; entitlements revoked
	OrderDisputed          = "disputed"           // the cardholder disputes it; access suspended until the bank rules
	OrderDisputeLost       = "dispute_lost"       // the bank ruled for the cardholder; access revoked
)

// Payment states of an order: the PaymentIntent's, as Checkout reports it.
const (
	PaymentPending = "pending" // an async method (a bank debit) has not cleared yet
	PaymentPaid    = "paid"
	PaymentFailed  = "failed"
)

// Dispute states, Stripe's: open ones suspend access.
const (
	DisputeWon  = "won"
	DisputeLost = "lost"
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
	// Discount is what a discount code took off (Stripe's
	// total_details.amount_discount) and DiscountCode the code.
	Discount     Money  `json:"discount,omitempty"`
	DiscountCode string `json:"discount_code,omitempty"`
	// Tax is what Stripe Tax computed (total_details.amount_tax of the
	// re-fetched session), inside Total whether the prices included it
	// or not; see TaxAdded.
	Tax Money `json:"tax,omitempty"`
	// InvoiceID is the Stripe invoice issued for the order
	// (invoice_creation), when the merchant has them made.
	InvoiceID string `json:"invoice_id,omitempty"`

	// The facts, each as Stripe reports it now; State derives Status and
	// access from them (DESIGN.md §5 rule 7).
	PaymentStatus  string        `json:"payment_status,omitempty"` // PaymentPending, PaymentPaid, PaymentFailed
	AmountRefunded int64         `json:"amount_refunded"`          // returned by refunds that did not fail
	Refunds        []Refund      `json:"refunds,omitempty"`        // every refund, failed ones too
	Dispute        *OrderDispute `json:"dispute,omitempty"`

	Status string `json:"status"` // State's, stored for lists and filters
	// ReceiptSent: the receipt went out, when the order first gave access.
	ReceiptSent bool      `json:"receipt_sent,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	PaidAt      time.Time `json:"paid_at,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// OrderDispute is the dispute of an order's charge, as Stripe reports it.
type OrderDispute struct {
	ID     string `json:"id"`
	Status string `json:"status"` // Stripe's: needs_response, under_review, warning_*, won, lost
	Reason string `json:"reason,omitempty"`
	Amount Money  `json:"amount"`
	// DueBy is when the merchant's evidence is due (zero once closed).
	DueBy     time.Time `json:"due_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Open reports a dispute the bank has not ruled on yet.
func (d *OrderDispute) Open() bool {
	if d == nil {
		return false
	}
	switch d.Status {
	case "needs_response", "under_review", "warning_needs_response", "warning_under_review":
		return true
	}
	return false
}

// State is the one rule from an order's facts to its status and whether
// it gives access (downloads, licence keys). A lost dispute and a full
// refund take access away; an open dispute suspends it; a partial refund
// keeps it; a won dispute gives it back. Legacy orders written before the
// facts were kept are read through their stored status.
func (o *Order) State() (status string, access bool) {
	switch o.PaymentState() {
	case PaymentFailed:
		return OrderFailed, false
	case PaymentPaid:
	default:
		return OrderPending, false
	}
	switch {
	case o.Dispute != nil && o.Dispute.Status == DisputeLost:
		return OrderDisputeLost, false
	case o.Dispute.Open():
		return OrderDisputed, false
	case o.Refunded():
		return OrderRefunded, false
	case o.AmountRefunded > 0:
		return OrderPartiallyRefunded, true
	}
	return OrderPaid, true
}

// PaymentState is the payment fact (PaymentPending, PaymentPaid,
// PaymentFailed), read from the status of an order stored before the
// facts were kept.
func (o *Order) PaymentState() string {
	if o.PaymentStatus != "" {
		return o.PaymentStatus
	}
	switch o.Status {
	case OrderPaid, OrderPartiallyRefunded, OrderRefunded, OrderDisputed, OrderDisputeLost:
		return PaymentPaid
	case OrderFailed:
		return PaymentFailed
	}
	return PaymentPending
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

// TaxAdded is the part of Tax added on top of the prices (exclusive
// prices): Total = Subtotal − Discount + TaxAdded. The rest of Tax was
// inside the prices (inclusive). Orders recorded without a subtotal have
// none.
// (Value receivers, so templates can call them on an Order value.)
func (o Order) TaxAdded() Money {
	m := Money{Currency: o.Total.Currency}
	if o.Tax.Amount != 0 && o.Subtotal.Currency != "" {
		m.Amount = min(max(o.Total.Amount-o.Subtotal.Amount+o.Discount.Amount, 0), o.Tax.Amount)
	}
	return m
}

// TaxIncluded is the part of Tax that was inside the prices.
func (o Order) TaxIncluded() Money {
	return Money{Amount: o.Tax.Amount - o.TaxAdded().Amount, Currency: o.Total.Currency}
}

// RefundedAmount is what was refunded of the order so far, in its currency.
func (o Order) RefundedAmount() Money {
	return Money{Amount: o.AmountRefunded, Currency: o.Total.Currency}
}

// Refunded reports whether every paid minor unit was returned.
func (o *Order) Refunded() bool { return o.Total.Amount > 0 && o.AmountRefunded >= o.Total.Amount }

// Entitlement sources: why a customer may download a product.
const (
	SourceOrder  = "order"  // bought; SourceID is the order id
	SourcePlan   = "plan"   // included in an active plan; SourceID is the subscription id
	SourceCredit = "credit" // unlocked with a plan credit; SourceID is the subscription id
	SourceManual = "manual" // granted by an admin; SourceID is the admin's email
	SourceFree   = "free"   // claimed free (a product priced 0); SourceID is empty
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
	// RevokedByOrder: the order's state took access away (a refund, a
	// dispute); the order gives it back when its state does. An admin's
	// revocation is not lifted that way.
	RevokedByOrder bool `json:"revoked_by_order,omitempty"`
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
