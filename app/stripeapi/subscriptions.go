package stripeapi

import (
	"context"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// Subscription is a Stripe subscription as Vendo reads it.
type Subscription struct {
	ID                 string
	CustomerID         string
	Status             string
	PriceID            string
	ItemID             string
	Interval           string
	CurrentPeriodStart time.Time
	CurrentPeriodEnd   time.Time
	CancelAtPeriodEnd  bool
	CanceledAt         time.Time
	EndedAt            time.Time
	LatestInvoiceID    string
	// LatestInvoice is that invoice, read with the subscription (nil
	// when it has none, or the subscription did not come from
	// GetSubscription).
	LatestInvoice *Invoice
	// TrialStart and TrialEnd bound a free trial (zero without one);
	// HasCard says whether the subscription has a card to charge when
	// the trial ends.
	TrialStart, TrialEnd time.Time
	HasCard              bool
	// CouponVendoID is the vendo_id of the coupon of the subscription's
	// discount (a code typed on Checkout, or applied).
	CouponVendoID string
	Metadata      map[string]string
	Created       time.Time
	FetchedAt     time.Time
}

func unix(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}

// GetSubscription re-fetches a subscription: the truth the state machine
// decides on (DESIGN.md §5 rules 3 and 5).
func (c *Client) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	p := &stripe.SubscriptionParams{}
	p.Context = ctx
	// The latest invoice comes in the same answer (one round trip).
	p.AddExpand("latest_invoice")
	s, err := c.api.Subscriptions.Get(id, p)
	if err != nil {
		return Subscription{}, wrap("retrieve subscription", err)
	}
	out := Subscription{
		ID: s.ID, Status: string(s.Status), CurrentPeriodStart: unix(s.CurrentPeriodStart), CurrentPeriodEnd: unix(s.CurrentPeriodEnd),
		CancelAtPeriodEnd: s.CancelAtPeriodEnd, CanceledAt: unix(s.CanceledAt), EndedAt: unix(s.EndedAt),
		Metadata: s.Metadata, Created: unix(s.Created), FetchedAt: time.Now(),
		TrialStart: unix(s.TrialStart), TrialEnd: unix(s.TrialEnd), HasCard: s.DefaultPaymentMethod != nil,
	}
	if s.Customer != nil {
		out.CustomerID = s.Customer.ID
	}
	if s.Discount != nil && s.Discount.Coupon != nil {
		out.CouponVendoID = s.Discount.Coupon.Metadata["vendo_id"]
	}
	if s.LatestInvoice != nil {
		out.LatestInvoiceID = s.LatestInvoice.ID
		if s.LatestInvoice.Status != "" { // expanded
			in := fromInvoice(s.LatestInvoice)
			out.LatestInvoice = &in
		}
	}
	if s.Items != nil && len(s.Items.Data) > 0 {
		it := s.Items.Data[0]
		out.ItemID = it.ID
		if it.Price != nil {
			out.PriceID = it.Price.ID
			if it.Price.Recurring != nil {
				out.Interval = string(it.Price.Recurring.Interval)
			}
		}
	}
	return out, nil
}

// Invoice is a Stripe invoice as Vendo reads and shows it.
type Invoice struct {
	ID         string
	Number     string
	Status     string
	Paid       bool
	AmountDue  int64
	AmountPaid int64
	// Tax is the invoice's tax (Stripe's `tax`, the sum of
	// total_tax_amounts), 0 when none was computed.
	Tax int64
	// Discount is what the invoice's discounts took off (the sum of
	// total_discount_amounts).
	Discount       int64
	Metadata       map[string]string
	Currency       string
	SubscriptionID string
	CustomerID     string
	BillingReason  string
	PeriodStart    time.Time
	PeriodEnd      time.Time
	HostedURL      string
	PDFURL         string
	Created        time.Time
	PaidAt         time.Time // zero until paid
	FetchedAt      time.Time
}

func fromInvoice(in *stripe.Invoice) Invoice {
	out := Invoice{ID: in.ID, Number: in.Number, Status: string(in.Status), Paid: in.Paid, AmountDue: in.AmountDue, AmountPaid: in.AmountPaid,
		Currency: string(in.Currency), BillingReason: string(in.BillingReason), PeriodStart: unix(in.PeriodStart), PeriodEnd: unix(in.PeriodEnd),
		HostedURL: in.HostedInvoiceURL, PDFURL: in.InvoicePDF, Created: unix(in.Created), FetchedAt: time.Now()}
	if in.Subscription != nil {
		out.SubscriptionID = in.Subscription.ID
	}
	out.Tax, out.Metadata = in.Tax, in.Metadata
	if out.Tax == 0 {
		// Stripe's tax is null on an invoice it did not tax; the amounts
		// per rate are the same sum.
		for _, ta := range in.TotalTaxAmounts {
			out.Tax += ta.Amount
		}
	}
	for _, da := range in.TotalDiscountAmounts {
		out.Discount += da.Amount
	}
	if in.StatusTransitions != nil {
		out.PaidAt = unix(in.StatusTransitions.PaidAt)
	}
	if in.Customer != nil {
		out.CustomerID = in.Customer.ID
	}
	// The period an invoice pays for is its lines' period (the invoice's
	// own period_* describe the previous one for subscription cycles). A
	// renewal may also carry proration lines for the old period, so the
	// line that reaches furthest is the new period.
	if in.Lines != nil {
		for _, l := range in.Lines.Data {
			if l.Period != nil && unix(l.Period.End).After(out.PeriodEnd) {
				out.PeriodStart, out.PeriodEnd = unix(l.Period.Start), unix(l.Period.End)
			}
		}
	}
	return out
}

// GetInvoice re-fetches an invoice.
func (c *Client) GetInvoice(ctx context.Context, id string) (Invoice, error) {
	p := &stripe.InvoiceParams{}
	p.Context = ctx
	in, err := c.api.Invoices.Get(id, p)
	if err != nil {
		return Invoice{}, wrap("retrieve invoice", err)
	}
	return fromInvoice(in), nil
}

// ListInvoices lists a customer's invoices, newest first (at most limit).
func (c *Client) ListInvoices(ctx context.Context, customerID string, limit int) ([]Invoice, error) {
	p := &stripe.InvoiceListParams{Customer: stripe.String(customerID)}
	p.Context = ctx
	p.Limit = stripe.Int64(int64(limit))
	p.Single = true
	it := c.api.Invoices.List(p)
	var out []Invoice
	for it.Next() && len(out) < limit {
		out = append(out, fromInvoice(it.Invoice()))
	}
	return out, wrap("list invoices", it.Err())
}

// PortalProduct is one product and the prices a customer may switch
// between in the Billing Portal.
type PortalProduct struct {
	ProductID string
	PriceIDs  []string
}

// EnsurePortalConfiguration creates (id empty) or updates the Billing
// Portal configuration listing the plans' prices; Stripe needs one before
// a portal session can be made.
func (c *Client) EnsurePortalConfiguration(ctx context.Context, id string, products []PortalProduct, returnURL string) (string, error) {
	upd := &stripe.BillingPortalConfigurationFeaturesSubscriptionUpdateParams{
		Enabled:               stripe.Bool(true),
		DefaultAllowedUpdates: []*string{stripe.String("price")},
		ProrationBehavior:     stripe.String("create_prorations"),
	}
	for _, p := range products {
		upd.Products = append(upd.Products, &stripe.BillingPortalConfigurationFeaturesSubscriptionUpdateProductParams{
			Product: stripe.String(p.ProductID), Prices: stripe.StringSlice(p.PriceIDs)})
	}
	features := &stripe.BillingPortalConfigurationFeaturesParams{
		InvoiceHistory:      &stripe.BillingPortalConfigurationFeaturesInvoiceHistoryParams{Enabled: stripe.Bool(true)},
		PaymentMethodUpdate: &stripe.BillingPortalConfigurationFeaturesPaymentMethodUpdateParams{Enabled: stripe.Bool(true)},
		SubscriptionCancel: &stripe.BillingPortalConfigurationFeaturesSubscriptionCancelParams{
			Enabled: stripe.Bool(true), Mode: stripe.String("at_period_end"), ProrationBehavior: stripe.String("none")},
		SubscriptionUpdate: upd,
	}
	p := &stripe.BillingPortalConfigurationParams{Features: features, DefaultReturnURL: stripe.String(returnURL)}
	p.Context = ctx
	if id == "" {
		p.BusinessProfile = &stripe.BillingPortalConfigurationBusinessProfileParams{}
		cfg, err := c.api.BillingPortalConfigurations.New(p)
		if err != nil {
			return "", wrap("create billing portal configuration", err)
		}
		return cfg.ID, nil
	}
	cfg, err := c.api.BillingPortalConfigurations.Update(id, p)
	if err != nil {
		return "", wrap("update billing portal configuration", err)
	}
	return cfg.ID, nil
}

// CreatePortalSession opens the Billing Portal for a customer.
func (c *Client) CreatePortalSession(ctx context.Context, customerID, configurationID, returnURL string) (string, error) {
	p := &stripe.BillingPortalSessionParams{Customer: stripe.String(customerID), ReturnURL: stripe.String(returnURL)}
	if configurationID != "" {
		p.Configuration = stripe.String(configurationID)
	}
	p.Context = ctx
	s, err := c.api.BillingPortalSessions.New(p)
	if err != nil {
		return "", wrap("create billing portal session", err)
	}
	return s.URL, nil
}

// CreateCustomer makes a Stripe customer for a Vendo customer, idempotent
// per Vendo id.
func (c *Client) CreateCustomer(ctx context.Context, vendoID, email, name string) (string, error) {
	p := &stripe.CustomerParams{Email: stripe.String(email)}
	if name != "" {
		p.Name = stripe.String(name)
	}
	p.Context = ctx
	p.AddMetadata("vendo_customer_id", vendoID)
	p.SetIdempotencyKey("vendo-customer-" + vendoID)
	cu, err := c.api.Customers.New(p)
	if err != nil {
		return "", wrap("create customer", err)
	}
	return cu.ID, nil
}

// Customer is a Stripe customer as Vendo reads it.
type Customer struct {
	ID    string
	Email string
	Name  string
}

// GetCustomer fetches a customer (for subscriptions made without Vendo's
// metadata, found by reconciliation).
func (c *Client) GetCustomer(ctx context.Context, id string) (Customer, error) {
	p := &stripe.CustomerParams{}
	p.Context = ctx
	cu, err := c.api.Customers.Get(id, p)
	if err != nil {
		return Customer{}, wrap("retrieve customer", err)
	}
	return Customer{ID: cu.ID, Email: cu.Email, Name: cu.Name}, nil
}
