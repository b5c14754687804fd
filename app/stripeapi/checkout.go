package stripeapi

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// Product and price ids Vendo keeps for a catalog item.
type CatalogIDs struct {
	ProductID string
	PriceID   string
}

// PriceSpec describes a Stripe Price to create.
type PriceSpec struct {
	Amount   int64
	Currency string
	Interval string // "", "month" or "year"
}

// EnsureProduct creates the Stripe Product for a Vendo product or plan
// when productID is empty, with an idempotency key derived from Vendo's
// id so a retried call never makes a second one.
func (c *Client) EnsureProduct(ctx context.Context, productID, vendoID, name string) (string, error) {
	if productID != "" {
		return productID, nil
	}
	p := &stripe.ProductParams{Name: stripe.String(name)}
	p.Context = ctx
	p.AddMetadata("vendo_id", vendoID)
	p.SetIdempotencyKey("vendo-product-" + vendoID)
	prod, err := c.api.Products.New(p)
	if err != nil {
		return "", wrap("create product", err)
	}
	return prod.ID, nil
}

// CreatePrice creates a Price (Prices are immutable: a new amount is a new
// Price). key makes the call idempotent for one Vendo price version.
func (c *Client) CreatePrice(ctx context.Context, productID string, spec PriceSpec, vendoID, key string) (string, error) {
	p := &stripe.PriceParams{
		Product:    stripe.String(productID),
		UnitAmount: stripe.Int64(spec.Amount),
		Currency:   stripe.String(spec.Currency),
	}
	if spec.Interval != "" {
		p.Recurring = &stripe.PriceRecurringParams{Interval: stripe.String(spec.Interval)}
	}
	p.Context = ctx
	p.AddMetadata("vendo_id", vendoID)
	p.SetIdempotencyKey("vendo-price-" + key)
	price, err := c.api.Prices.New(p)
	if err != nil {
		return "", wrap("create price", err)
	}
	return price.ID, nil
}

// DeactivatePrice archives an old Price after a price change.
func (c *Client) DeactivatePrice(ctx context.Context, priceID string) error {
	p := &stripe.PriceParams{Active: stripe.Bool(false)}
	p.Context = ctx
	_, err := c.api.Prices.Update(priceID, p)
	return wrap("deactivate price", err)
}

// CheckoutLine is one Price and quantity in a Checkout Session.
type CheckoutLine struct {
	PriceID  string
	Quantity int64
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
	IdempotencyKey       string
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
		p.LineItems = append(p.LineItems, &stripe.CheckoutSessionLineItemParams{Price: stripe.String(l.PriceID), Quantity: stripe.Int64(l.Quantity)})
	}
	if r.ClientReferenceID != "" {
		p.ClientReferenceID = stripe.String(r.ClientReferenceID)
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
	} else {
		p.PaymentIntentData = &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: r.Metadata}
		if r.Customer == "" {
			// A Customer for every buyer: receipts, the portal and refunds
			// all hang off it.
			p.CustomerCreation = stripe.String("always")
		}
	}
	if r.IdempotencyKey != "" {
		p.SetIdempotencyKey(r.IdempotencyKey)
	}
	s, err := c.api.CheckoutSessions.New(p)
	if err != nil {
		return "", "", wrap("create checkout session", err)
	}
	return s.ID, s.URL, nil
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
	Currency          string
	Metadata          map[string]string
	Created           time.Time
	Lines             []SessionLine
	FetchedAt         time.Time
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
	if s.CustomerDetails != nil {
		out.Email, out.Name = s.CustomerDetails.Email, s.CustomerDetails.Name
	}
	if out.Email == "" {
		out.Email = s.CustomerEmail
	}
	if s.PaymentIntent != nil {
		out.PaymentIntentID = s.PaymentIntent.ID
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

// Charge is a charge as Vendo reads it (refunds).
type Charge struct {
	ID              string
	PaymentIntentID string
	Amount          int64
	AmountRefunded  int64
	Refunded        bool
	Currency        string
	Refunds         []RefundInfo
	FetchedAt       time.Time
}

// RefundInfo is one refund on a charge.
type RefundInfo struct {
	ID      string
	Amount  int64
	Status  string
	Reason  string
	Created time.Time
}

// GetCharge re-fetches a charge with its refunds.
func (c *Client) GetCharge(ctx context.Context, id string) (Charge, error) {
	p := &stripe.ChargeParams{}
	p.Context = ctx
	p.AddExpand("refunds")
	ch, err := c.api.Charges.Get(id, p)
	if err != nil {
		return Charge{}, wrap("retrieve charge", err)
	}
	out := Charge{ID: ch.ID, Amount: ch.Amount, AmountRefunded: ch.AmountRefunded, Refunded: ch.Refunded, Currency: string(ch.Currency), FetchedAt: time.Now()}
	if ch.PaymentIntent != nil {
		out.PaymentIntentID = ch.PaymentIntent.ID
	}
	if ch.Refunds != nil {
		for _, r := range ch.Refunds.Data {
			out.Refunds = append(out.Refunds, RefundInfo{ID: r.ID, Amount: r.Amount, Status: string(r.Status), Reason: string(r.Reason), Created: time.Unix(r.Created, 0)})
		}
	}
	return out, nil
}

// CreateRefund refunds amount (0 = everything left) of a payment. key
// makes a retried admin click map to the same refund.
func (c *Client) CreateRefund(ctx context.Context, paymentIntentID string, amount int64, reason, key string) (string, error) {
	p := &stripe.RefundParams{PaymentIntent: stripe.String(paymentIntentID)}
	p.Context = ctx
	if amount > 0 {
		p.Amount = stripe.Int64(amount)
	}
	if reason != "" {
		p.Reason = stripe.String(reason)
	}
	p.SetIdempotencyKey("vendo-refund-" + key)
	r, err := c.api.Refunds.New(p)
	if err != nil {
		return "", wrap("create refund", err)
	}
	return r.ID, nil
}

// ExpireCheckoutSession closes an open session (a cart changed after the
// customer left for Checkout).
func (c *Client) ExpireCheckoutSession(ctx context.Context, id string) error {
	p := &stripe.CheckoutSessionExpireParams{}
	p.Context = ctx
	_, err := c.api.CheckoutSessions.Expire(id, p)
	return wrap("expire checkout session", err)
}
