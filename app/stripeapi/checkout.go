package stripeapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/form"
)

// CheckoutLine is one Price and quantity in a Checkout Session, or, when
// StripeProductID is set, an amount on that Product (price_data: a price
// the buyer named).
type CheckoutLine struct {
	PriceID  string
	Quantity int64

	StripeProductID string
	UnitAmount      int64
	Currency        string
	// TaxBehavior of the price_data line: TaxInclusive or TaxExclusive.
	TaxBehavior string
}

// CheckoutRequest is a Checkout Session to create.
type CheckoutRequest struct {
	Mode              string // "payment" or "subscription"
	Lines             []CheckoutLine
	ClientReferenceID string
	Customer          string // Stripe customer id, when known
	CustomerEmail     string // when no customer is known
	Metadata          map[string]string
	// SubscriptionMetadata is copied onto the subscription (session
	// metadata is not).
	SubscriptionMetadata map[string]string
	SuccessURL           string
	CancelURL            string
	// PromotionCode, when set, is applied to the session (discounts);
	// Stripe then refuses allow_promotion_codes, which is not sent.
	PromotionCode string
	// AllowPromotionCodes lets the customer type a code on Checkout
	// (ignored with a PromotionCode).
	AllowPromotionCodes bool
	// Tax: AutomaticTax runs Stripe Tax on the session (which then needs
	// the billing address); TaxIDCollection asks business buyers for
	// their tax id. InvoiceCreation makes a payment-mode session issue an
	// invoice for the payment, with InvoiceMetadata on it.
	AutomaticTax    bool
	TaxIDCollection bool
	InvoiceCreation bool
	InvoiceMetadata map[string]string
	// TrialDays, in subscription mode, starts the subscription with a
	// free trial of that many days; TrialNoCard lets it start without a
	// card (payment_method_collection=if_required), and a trial that ends
	// without one is canceled (trial_settings.end_behavior).
	TrialDays   int
	TrialNoCard bool
	// ExpiresAt, when set, is when the session stops being payable
	// (Stripe's default is 24 hours; it takes 30 minutes to 24 hours).
	ExpiresAt time.Time
	// IdempotencyKey names the intent (this cart at this version); the
	// key sent also covers every parameter (see keyFor).
	IdempotencyKey string
}

// CreateCheckoutSession starts a hosted Checkout and returns its id and
// the URL to send the customer to.
func (c *Client) CreateCheckoutSession(ctx context.Context, r CheckoutRequest) (id, url string, err error) {
	p := &stripe.CheckoutSessionParams{
		Mode:       stripe.String(r.Mode),
		SuccessURL: stripe.String(r.SuccessURL),
		CancelURL:  stripe.String(r.CancelURL),
	}
	p.Context = ctx
	for _, l := range r.Lines {
		li := &stripe.CheckoutSessionLineItemParams{Quantity: stripe.Int64(l.Quantity)}
		if l.StripeProductID != "" {
			li.PriceData = &stripe.CheckoutSessionLineItemPriceDataParams{Product: stripe.String(l.StripeProductID),
				Currency: stripe.String(l.Currency), UnitAmount: stripe.Int64(l.UnitAmount)}
			if l.TaxBehavior != "" {
				li.PriceData.TaxBehavior = stripe.String(l.TaxBehavior)
			}
		} else {
			li.Price = stripe.String(l.PriceID)
		}
		p.LineItems = append(p.LineItems, li)
	}
	if r.ClientReferenceID != "" {
		p.ClientReferenceID = stripe.String(r.ClientReferenceID)
	}
	if !r.ExpiresAt.IsZero() {
		p.ExpiresAt = stripe.Int64(r.ExpiresAt.Unix())
	}
	if r.Customer != "" {
		p.Customer = stripe.String(r.Customer)
	} else if r.CustomerEmail != "" {
		p.CustomerEmail = stripe.String(r.CustomerEmail)
	}
	for k, v := range r.Metadata {
		p.AddMetadata(k, v)
	}
	if r.Mode == string(stripe.CheckoutSessionModeSubscription) {
		p.SubscriptionData = &stripe.CheckoutSessionSubscriptionDataParams{Metadata: r.SubscriptionMetadata}
		if r.TrialDays > 0 {
			p.SubscriptionData.TrialPeriodDays = stripe.Int64(int64(r.TrialDays))
			if r.TrialNoCard {
				p.PaymentMethodCollection = stripe.String(string(stripe.CheckoutSessionPaymentMethodCollectionIfRequired))
				p.SubscriptionData.TrialSettings = &stripe.CheckoutSessionSubscriptionDataTrialSettingsParams{
					EndBehavior: &stripe.CheckoutSessionSubscriptionDataTrialSettingsEndBehaviorParams{
						MissingPaymentMethod: stripe.String(string(stripe.SubscriptionTrialSettingsEndBehaviorMissingPaymentMethodCancel))}}
			}
		}
	} else {
		p.PaymentIntentData = &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: r.Metadata}
		if r.Customer == "" {
			// A Customer for every buyer: receipts, the portal and refunds
			// all hang off it.
			p.CustomerCreation = stripe.String("always")
		}
	}
	if r.AutomaticTax {
		// Stripe Tax needs the buyer's location: the billing address is
		// asked for on every session, not only when Stripe lacks it.
		p.AutomaticTax = &stripe.CheckoutSessionAutomaticTaxParams{Enabled: stripe.Bool(true)}
		p.BillingAddressCollection = stripe.String(string(stripe.CheckoutSessionBillingAddressCollectionRequired))
		if r.TaxIDCollection {
			p.TaxIDCollection = &stripe.CheckoutSessionTaxIDCollectionParams{Enabled: stripe.Bool(true)}
		}
		if r.Customer != "" {
			// Stripe refuses automatic tax for a known customer unless
			// Checkout may save the address it collects (and, with tax ids,
			// the business name) on them.
			p.CustomerUpdate = &stripe.CheckoutSessionCustomerUpdateParams{Address: stripe.String("auto")}
			if r.TaxIDCollection {
				p.CustomerUpdate.Name = stripe.String("auto")
			}
		}
	}
	if r.InvoiceCreation && r.Mode == string(stripe.CheckoutSessionModePayment) {
		// Subscriptions have invoices already; Stripe takes
		// invoice_creation in payment mode only.
		p.InvoiceCreation = &stripe.CheckoutSessionInvoiceCreationParams{Enabled: stripe.Bool(true)}
		if len(r.InvoiceMetadata) > 0 {
			p.InvoiceCreation.InvoiceData = &stripe.CheckoutSessionInvoiceCreationInvoiceDataParams{Metadata: r.InvoiceMetadata}
		}
	}
	if r.PromotionCode != "" {
		p.Discounts = []*stripe.CheckoutSessionDiscountParams{{PromotionCode: stripe.String(r.PromotionCode)}}
	} else if r.AllowPromotionCodes {
		p.AllowPromotionCodes = stripe.Bool(true)
	}
	if r.IdempotencyKey != "" {
		p.SetIdempotencyKey(keyFor(r.IdempotencyKey, p))
	}
	s, err := c.api.CheckoutSessions.New(p)
	if err != nil {
		return "", "", wrap("create checkout session", err)
	}
	return s.ID, s.URL, nil
}

// keyFor is the Idempotency-Key for a request: the caller's key followed
// by a hash of the request's canonical form encoding (stripe-go sorts map
// keys), so the key covers every parameter sent. Stripe refuses a key
// reused with other parameters for 24 hours; with the parameters in the
// key, a request that differs (a customer instead of a customer_email,
// once the buyer has a Stripe customer) is a new request, and a repeat
// (a double click) is the same one.
func keyFor(key string, params any) string {
	v := &form.Values{}
	form.AppendTo(v, params)
	sum := sha256.Sum256([]byte(v.Encode()))
	return key + "-" + hex.EncodeToString(sum[:16])
}

// Session is a Checkout Session as Vendo reads it.
type Session struct {
	ID                string
	Mode              string
	Status            string // open, complete, expired
	PaymentStatus     string // paid, unpaid, no_payment_required
	CustomerID        string
	Email             string
	Name              string
	PaymentIntentID   string
	SubscriptionID    string
	ClientReferenceID string
	AmountSubtotal    int64
	AmountTotal       int64
	AmountDiscount    int64 // total_details.amount_discount
	// CouponVendoID is the vendo_id of the coupon the discount came from
	// (total_details.breakdown): a code the customer typed on Checkout
	// is known by it, as one the shop applied is by the metadata.
	CouponVendoID string
	// AmountTax is total_details.amount_tax: the tax Stripe Tax computed,
	// included in AmountTotal whether the prices were inclusive or not.
	AmountTax int64
	// TaxStatus is automatic_tax.status ("" when Stripe Tax was off).
	TaxStatus string
	// InvoiceID is the invoice the session issued (invoice_creation, or a
	// subscription's first invoice).
	InvoiceID string
	Currency  string
	Metadata  map[string]string
	Created   time.Time
	Lines     []SessionLine
	// Payment is the session's PaymentIntent, read with the session (nil
	// when it has none, or the session did not come from
	// GetCheckoutSession).
	Payment   *Payment
	FetchedAt time.Time
}

// SessionLine is one line item of a session.
type SessionLine struct {
	PriceID         string
	StripeProductID string
	Description     string
	Quantity        int64
	UnitAmount      int64
	AmountTotal     int64
	Currency        string
}

// GetCheckoutSession re-fetches a session with its line items: the truth
// fulfilment decides on (DESIGN.md §5 rule 4).
func (c *Client) GetCheckoutSession(ctx context.Context, id string) (Session, error) {
	p := &stripe.CheckoutSessionParams{}
	p.Context = ctx
	p.AddExpand("line_items")
	// The payment comes in the same answer: the order's whole truth in
	// one round trip, not two in a row (a webhook's re-fetch waits for
	// each, bench scenario 7).
	p.AddExpand("payment_intent.latest_charge.refunds")
	p.AddExpand("total_details.breakdown")
	s, err := c.api.CheckoutSessions.Get(id, p)
	if err != nil {
		return Session{}, wrap("retrieve checkout session", err)
	}
	out := Session{
		ID: s.ID, Mode: string(s.Mode), Status: string(s.Status), PaymentStatus: string(s.PaymentStatus),
		ClientReferenceID: s.ClientReferenceID, AmountSubtotal: s.AmountSubtotal, AmountTotal: s.AmountTotal,
		Currency: string(s.Currency), Metadata: s.Metadata, Created: time.Unix(s.Created, 0), FetchedAt: time.Now(),
	}
	if s.Customer != nil {
		out.CustomerID = s.Customer.ID
	}
	if s.TotalDetails != nil {
		out.AmountDiscount, out.AmountTax = s.TotalDetails.AmountDiscount, s.TotalDetails.AmountTax
		if bd := s.TotalDetails.Breakdown; bd != nil {
			for _, d := range bd.Discounts {
				if d.Discount != nil && d.Discount.Coupon != nil && d.Discount.Coupon.Metadata["vendo_id"] != "" {
					out.CouponVendoID = d.Discount.Coupon.Metadata["vendo_id"]
					break
				}
			}
		}
	}
	if s.AutomaticTax != nil && s.AutomaticTax.Enabled {
		out.TaxStatus = string(s.AutomaticTax.Status)
	}
	if s.Invoice != nil {
		out.InvoiceID = s.Invoice.ID
	}
	if s.CustomerDetails != nil {
		out.Email, out.Name = s.CustomerDetails.Email, s.CustomerDetails.Name
	}
	if out.Email == "" {
		out.Email = s.CustomerEmail
	}
	if s.PaymentIntent != nil {
		out.PaymentIntentID = s.PaymentIntent.ID
		if s.PaymentIntent.Status != "" { // expanded
			pay, err := c.payment(ctx, s.PaymentIntent)
			if err != nil {
				return Session{}, err
			}
			out.Payment = &pay
		}
	}
	if s.Subscription != nil {
		out.SubscriptionID = s.Subscription.ID
	}
	if s.LineItems != nil {
		for _, li := range s.LineItems.Data {
			out.Lines = append(out.Lines, sessionLine(li))
		}
		// More than the first page of lines: list the rest.
		if s.LineItems.HasMore {
			lp := &stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(id)}
			lp.Context = ctx
			lp.Limit = stripe.Int64(100)
			out.Lines = out.Lines[:0]
			it := c.api.CheckoutSessions.ListLineItems(lp)
			for it.Next() {
				out.Lines = append(out.Lines, sessionLine(it.LineItem()))
			}
			if err := it.Err(); err != nil {
				return Session{}, wrap("list line items", err)
			}
		}
	}
	return out, nil
}

func sessionLine(li *stripe.LineItem) SessionLine {
	l := SessionLine{Description: li.Description, Quantity: li.Quantity, AmountTotal: li.AmountTotal, Currency: string(li.Currency)}
	if li.Price != nil {
		l.PriceID, l.UnitAmount = li.Price.ID, li.Price.UnitAmount
		if li.Price.Product != nil {
			l.StripeProductID = li.Price.Product.ID
		}
	}
	return l
}

// ExpireCheckoutSession closes an open session (a cart changed after the
// customer left for Checkout).
func (c *Client) ExpireCheckoutSession(ctx context.Context, id string) error {
	p := &stripe.CheckoutSessionExpireParams{}
	p.Context = ctx
	_, err := c.api.CheckoutSessions.Expire(id, p)
	return wrap("expire checkout session", err)
}

// SessionOfPayment returns the id of the Checkout Session that made a
// PaymentIntent, "" when none did (an invoice's payment, a payment made
// elsewhere).
func (c *Client) SessionOfPayment(ctx context.Context, paymentIntentID string) (string, error) {
	p := &stripe.CheckoutSessionListParams{PaymentIntent: stripe.String(paymentIntentID)}
	p.Context = ctx
	p.Limit = stripe.Int64(1)
	p.Single = true
	it := c.api.CheckoutSessions.List(p)
	if it.Next() {
		return it.CheckoutSession().ID, nil
	}
	return "", wrap("list checkout sessions", it.Err())
}
