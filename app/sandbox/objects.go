package sandbox

import "encoding/json"

// The objects below are stored as the JSON Stripe would answer with (API
// version 2023-10-16), expandable fields holding ids. Fields Stripe
// answers with null where the sandbox has nothing to say are typed `any`
// and left nil. The `_internal` key holds what the sandbox needs but
// Stripe does not show; rendering drops it.

// nstr is a string that is null in JSON when empty, as Stripe's optional
// strings are.
type nstr string

func (s nstr) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(s))
}

func (s *nstr) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var v string
	err := json.Unmarshal(b, &v)
	*s = nstr(v)
	return err
}

// nint is a timestamp or count that is null in JSON when zero.
type nint int64

func (n nint) MarshalJSON() ([]byte, error) {
	if n == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(int64(n))
}

func (n *nint) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = 0
		return nil
	}
	var v int64
	err := json.Unmarshal(b, &v)
	*n = nint(v)
	return err
}

type address struct {
	City       nstr `json:"city"`
	Country    nstr `json:"country"`
	Line1      nstr `json:"line1"`
	Line2      nstr `json:"line2"`
	PostalCode nstr `json:"postal_code"`
	State      nstr `json:"state"`
}

type customer struct {
	ID                  string                  `json:"id"`
	Object              string                  `json:"object"`
	Address             *address                `json:"address"`
	Balance             int64                   `json:"balance"`
	Created             int64                   `json:"created"`
	Currency            nstr                    `json:"currency"`
	DefaultSource       any                     `json:"default_source"`
	Delinquent          bool                    `json:"delinquent"`
	Description         nstr                    `json:"description"`
	Discount            any                     `json:"discount"`
	Email               nstr                    `json:"email"`
	InvoicePrefix       string                  `json:"invoice_prefix"`
	InvoiceSettings     customerInvoiceSettings `json:"invoice_settings"`
	Livemode            bool                    `json:"livemode"`
	Metadata            map[string]string       `json:"metadata"`
	Name                nstr                    `json:"name"`
	NextInvoiceSequence int64                   `json:"next_invoice_sequence"`
	Phone               nstr                    `json:"phone"`
	PreferredLocales    []string                `json:"preferred_locales"`
	Shipping            any                     `json:"shipping"`
	TaxExempt           string                  `json:"tax_exempt"`
	TestClock           any                     `json:"test_clock"`
	Internal            customerInternal        `json:"_internal"`
}

type customerInternal struct {
	// TaxID is the VAT number the customer gave at Checkout (Stripe keeps
	// it as a tax_id object): their invoices are reverse charged.
	TaxID string `json:"tax_id,omitempty"`
}

type taxRate struct {
	ID           string            `json:"id"`
	Object       string            `json:"object"`
	Active       bool              `json:"active"`
	Country      nstr              `json:"country"`
	Created      int64             `json:"created"`
	Description  nstr              `json:"description"`
	DisplayName  string            `json:"display_name"`
	Inclusive    bool              `json:"inclusive"`
	Jurisdiction nstr              `json:"jurisdiction"`
	Livemode     bool              `json:"livemode"`
	Metadata     map[string]string `json:"metadata"`
	Percentage   float64           `json:"percentage"`
	State        nstr              `json:"state"`
	TaxType      nstr              `json:"tax_type"`
}

type customerInvoiceSettings struct {
	CustomFields         any  `json:"custom_fields"`
	DefaultPaymentMethod nstr `json:"default_payment_method"`
	Footer               any  `json:"footer"`
	RenderingOptions     any  `json:"rendering_options"`
}

type product struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Active              bool              `json:"active"`
	Created             int64             `json:"created"`
	DefaultPrice        nstr              `json:"default_price"`
	Description         nstr              `json:"description"`
	Images              []string          `json:"images"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Name                string            `json:"name"`
	PackageDimensions   any               `json:"package_dimensions"`
	Shippable           any               `json:"shippable"`
	StatementDescriptor nstr              `json:"statement_descriptor"`
	TaxCode             any               `json:"tax_code"`
	UnitLabel           nstr              `json:"unit_label"`
	Updated             int64             `json:"updated"`
	URL                 nstr              `json:"url"`
}

type price struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Active            bool              `json:"active"`
	BillingScheme     string            `json:"billing_scheme"`
	Created           int64             `json:"created"`
	Currency          string            `json:"currency"`
	CustomUnitAmount  any               `json:"custom_unit_amount"`
	Livemode          bool              `json:"livemode"`
	LookupKey         nstr              `json:"lookup_key"`
	Metadata          map[string]string `json:"metadata"`
	Nickname          nstr              `json:"nickname"`
	Product           string            `json:"product"`
	Recurring         *priceRecurring   `json:"recurring"`
	TaxBehavior       string            `json:"tax_behavior"`
	TiersMode         any               `json:"tiers_mode"`
	TransformQuantity any               `json:"transform_quantity"`
	Type              string            `json:"type"`
	UnitAmount        int64             `json:"unit_amount"`
	UnitAmountDecimal string            `json:"unit_amount_decimal"`
}

type priceRecurring struct {
	AggregateUsage any    `json:"aggregate_usage"`
	Interval       string `json:"interval"`
	IntervalCount  int64  `json:"interval_count"`
	UsageType      string `json:"usage_type"`
}

type session struct {
	ID                     string                 `json:"id"`
	Object                 string                 `json:"object"`
	AfterExpiration        any                    `json:"after_expiration"`
	AllowPromotionCodes    *bool                  `json:"allow_promotion_codes"`
	AmountSubtotal         int64                  `json:"amount_subtotal"`
	AmountTotal            int64                  `json:"amount_total"`
	AutomaticTax           map[string]any         `json:"automatic_tax"`
	BillingAddressCollect  nstr                   `json:"billing_address_collection"`
	CancelURL              nstr                   `json:"cancel_url"`
	ClientReferenceID      nstr                   `json:"client_reference_id"`
	ClientSecret           any                    `json:"client_secret"`
	Consent                any                    `json:"consent"`
	ConsentCollection      any                    `json:"consent_collection"`
	Created                int64                  `json:"created"`
	Currency               string                 `json:"currency"`
	CustomFields           []any                  `json:"custom_fields"`
	CustomText             map[string]any         `json:"custom_text"`
	Customer               nstr                   `json:"customer"`
	CustomerCreation       nstr                   `json:"customer_creation"`
	CustomerDetails        *sessionCustomerDetail `json:"customer_details"`
	CustomerEmail          nstr                   `json:"customer_email"`
	ExpiresAt              int64                  `json:"expires_at"`
	Invoice                nstr                   `json:"invoice"`
	InvoiceCreation        any                    `json:"invoice_creation"`
	Livemode               bool                   `json:"livemode"`
	Locale                 nstr                   `json:"locale"`
	Metadata               map[string]string      `json:"metadata"`
	Mode                   string                 `json:"mode"`
	PaymentIntent          nstr                   `json:"payment_intent"`
	PaymentLink            any                    `json:"payment_link"`
	PaymentMethodCollect   string                 `json:"payment_method_collection"`
	PaymentMethodOptions   map[string]any         `json:"payment_method_options"`
	PaymentMethodTypes     []string               `json:"payment_method_types"`
	PaymentStatus          string                 `json:"payment_status"`
	PhoneNumberCollection  map[string]any         `json:"phone_number_collection"`
	RecoveredFrom          any                    `json:"recovered_from"`
	SetupIntent            any                    `json:"setup_intent"`
	ShippingAddressCollect any                    `json:"shipping_address_collection"`
	ShippingCost           any                    `json:"shipping_cost"`
	ShippingDetails        any                    `json:"shipping_details"`
	ShippingOptions        []any                  `json:"shipping_options"`
	Status                 string                 `json:"status"`
	SubmitType             nstr                   `json:"submit_type"`
	Subscription           nstr                   `json:"subscription"`
	SuccessURL             nstr                   `json:"success_url"`
	TaxIDCollection        map[string]bool        `json:"tax_id_collection"`
	TotalDetails           map[string]int64       `json:"total_details"`
	UIMode                 string                 `json:"ui_mode"`
	URL                    nstr                   `json:"url"`
	Internal               sessionInternal        `json:"_internal"`
}

type sessionInternal struct {
	SubscriptionMetadata  map[string]string `json:"subscription_metadata,omitempty"`
	PaymentIntentMetadata map[string]string `json:"payment_intent_metadata,omitempty"`
	PaymentDescription    string            `json:"payment_description,omitempty"`
	// The discount applied at creation, counted as redeemed when paid.
	PromotionCode string `json:"promotion_code,omitempty"`
	Coupon        string `json:"coupon,omitempty"`
	// InvoiceMetadata goes on the invoice of invoice_creation.
	InvoiceMetadata map[string]string `json:"invoice_metadata,omitempty"`
	// subscription_data's trial: its days and what happens at its end
	// without a card.
	TrialDays      int64  `json:"trial_days,omitempty"`
	TrialMissingPM string `json:"trial_missing_pm,omitempty"`
	// Taxes is the paid session's tax by tax_rate, for
	// total_details.breakdown.taxes.
	Taxes []sessionTax `json:"taxes,omitempty"`
}

// sessionTax is one tax_rate's share of a session's tax.
type sessionTax struct {
	Rate   string `json:"rate"`
	Amount int64  `json:"amount"`
}

type sessionCustomerDetail struct {
	Address   *address       `json:"address"`
	Email     nstr           `json:"email"`
	Name      nstr           `json:"name"`
	Phone     nstr           `json:"phone"`
	TaxExempt string         `json:"tax_exempt"`
	TaxIDs    []sessionTaxID `json:"tax_ids"`
}

type sessionTaxID struct {
	Type  string `json:"type"`
	Value nstr   `json:"value"`
}

type lineItem struct {
	ID             string `json:"id"`
	Object         string `json:"object"`
	AmountDiscount int64  `json:"amount_discount"`
	AmountSubtotal int64  `json:"amount_subtotal"`
	AmountTax      int64  `json:"amount_tax"`
	AmountTotal    int64  `json:"amount_total"`
	Currency       string `json:"currency"`
	Description    string `json:"description"`
	Price          price  `json:"price"`
	Quantity       int64  `json:"quantity"`
}

type billingDetails struct {
	Address address `json:"address"`
	Email   nstr    `json:"email"`
	Name    nstr    `json:"name"`
	Phone   nstr    `json:"phone"`
}

type paymentMethod struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	BillingDetails billingDetails    `json:"billing_details"`
	Card           cardDetails       `json:"card"`
	Created        int64             `json:"created"`
	Customer       nstr              `json:"customer"`
	Livemode       bool              `json:"livemode"`
	Metadata       map[string]string `json:"metadata"`
	Type           string            `json:"type"`
	Internal       struct {
		Behavior string `json:"behavior"`
	} `json:"_internal"`
}

type cardDetails struct {
	Brand       string         `json:"brand"`
	Checks      map[string]any `json:"checks"`
	Country     string         `json:"country"`
	ExpMonth    int64          `json:"exp_month"`
	ExpYear     int64          `json:"exp_year"`
	Fingerprint string         `json:"fingerprint"`
	Funding     string         `json:"funding"`
	Last4       string         `json:"last4"`
	Networks    map[string]any `json:"networks,omitempty"`
	Network     string         `json:"network,omitempty"`
	Wallet      any            `json:"wallet"`
}

type paymentIntent struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Amount             int64             `json:"amount"`
	AmountCapturable   int64             `json:"amount_capturable"`
	AmountReceived     int64             `json:"amount_received"`
	Application        any               `json:"application"`
	CanceledAt         nint              `json:"canceled_at"`
	CancellationReason any               `json:"cancellation_reason"`
	CaptureMethod      string            `json:"capture_method"`
	ClientSecret       string            `json:"client_secret"`
	ConfirmationMethod string            `json:"confirmation_method"`
	Created            int64             `json:"created"`
	Currency           string            `json:"currency"`
	Customer           nstr              `json:"customer"`
	Description        nstr              `json:"description"`
	Invoice            nstr              `json:"invoice"`
	LastPaymentError   *apiError         `json:"last_payment_error"`
	LatestCharge       nstr              `json:"latest_charge"`
	Livemode           bool              `json:"livemode"`
	Metadata           map[string]string `json:"metadata"`
	NextAction         any               `json:"next_action"`
	PaymentMethod      nstr              `json:"payment_method"`
	PaymentMethodTypes []string          `json:"payment_method_types"`
	ReceiptEmail       nstr              `json:"receipt_email"`
	SetupFutureUsage   any               `json:"setup_future_usage"`
	Shipping           any               `json:"shipping"`
	Status             string            `json:"status"`
}

type charge struct {
	ID                   string            `json:"id"`
	Object               string            `json:"object"`
	Amount               int64             `json:"amount"`
	AmountCaptured       int64             `json:"amount_captured"`
	AmountRefunded       int64             `json:"amount_refunded"`
	BalanceTransaction   any               `json:"balance_transaction"`
	BillingDetails       billingDetails    `json:"billing_details"`
	CalculatedDescriptor string            `json:"calculated_statement_descriptor"`
	Captured             bool              `json:"captured"`
	Created              int64             `json:"created"`
	Currency             string            `json:"currency"`
	Customer             nstr              `json:"customer"`
	Description          nstr              `json:"description"`
	Disputed             bool              `json:"disputed"`
	FailureCode          nstr              `json:"failure_code"`
	FailureMessage       nstr              `json:"failure_message"`
	FraudDetails         map[string]any    `json:"fraud_details"`
	Invoice              nstr              `json:"invoice"`
	Livemode             bool              `json:"livemode"`
	Metadata             map[string]string `json:"metadata"`
	Outcome              map[string]any    `json:"outcome"`
	Paid                 bool              `json:"paid"`
	PaymentIntent        nstr              `json:"payment_intent"`
	PaymentMethod        nstr              `json:"payment_method"`
	PaymentMethodDetails map[string]any    `json:"payment_method_details"`
	ReceiptEmail         nstr              `json:"receipt_email"`
	ReceiptNumber        any               `json:"receipt_number"`
	ReceiptURL           string            `json:"receipt_url"`
	Refunded             bool              `json:"refunded"`
	Review               any               `json:"review"`
	Shipping             any               `json:"shipping"`
	Status               string            `json:"status"`
}

type refund struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Amount             int64             `json:"amount"`
	BalanceTransaction any               `json:"balance_transaction"`
	Charge             string            `json:"charge"`
	Created            int64             `json:"created"`
	Currency           string            `json:"currency"`
	FailureReason      nstr              `json:"failure_reason,omitempty"` // only on a failed refund
	Metadata           map[string]string `json:"metadata"`
	PaymentIntent      nstr              `json:"payment_intent"`
	Reason             nstr              `json:"reason"`
	ReceiptNumber      any               `json:"receipt_number"`
	Status             string            `json:"status"`
	Internal           struct {
		// FailAt is when a refund of a 5126 card fails (sandbox time).
		FailAt int64 `json:"fail_at,omitempty"`
	} `json:"_internal"`
}

type subscription struct {
	ID                   string            `json:"id"`
	Object               string            `json:"object"`
	Application          any               `json:"application"`
	AutomaticTax         map[string]any    `json:"automatic_tax"`
	BillingCycleAnchor   int64             `json:"billing_cycle_anchor"`
	BillingThresholds    any               `json:"billing_thresholds"`
	CancelAt             nint              `json:"cancel_at"`
	CancelAtPeriodEnd    bool              `json:"cancel_at_period_end"`
	CanceledAt           nint              `json:"canceled_at"`
	CancellationDetails  map[string]any    `json:"cancellation_details"`
	CollectionMethod     string            `json:"collection_method"`
	Created              int64             `json:"created"`
	Currency             string            `json:"currency"`
	CurrentPeriodEnd     int64             `json:"current_period_end"`
	CurrentPeriodStart   int64             `json:"current_period_start"`
	Customer             string            `json:"customer"`
	DaysUntilDue         any               `json:"days_until_due"`
	DefaultPaymentMethod nstr              `json:"default_payment_method"`
	DefaultSource        any               `json:"default_source"`
	DefaultTaxRates      []any             `json:"default_tax_rates"`
	Description          nstr              `json:"description"`
	Discount             *discount         `json:"discount"`
	EndedAt              nint              `json:"ended_at"`
	Items                subscriptionItems `json:"items"`
	LatestInvoice        nstr              `json:"latest_invoice"`
	Livemode             bool              `json:"livemode"`
	Metadata             map[string]string `json:"metadata"`
	PauseCollection      any               `json:"pause_collection"`
	PaymentSettings      map[string]any    `json:"payment_settings"`
	PendingUpdate        any               `json:"pending_update"`
	Schedule             any               `json:"schedule"`
	StartDate            int64             `json:"start_date"`
	Status               string            `json:"status"`
	TestClock            any               `json:"test_clock"`
	TrialEnd             nint              `json:"trial_end"`
	TrialSettings        trialSettings     `json:"trial_settings"`
	TrialStart           nint              `json:"trial_start"`
	Internal             struct {
		// TrialWillEnd is the trial end customer.subscription.trial_will_end
		// was sent for, so it goes once per trial.
		TrialWillEnd int64 `json:"trial_will_end,omitempty"`
	} `json:"_internal"`
}

// trialSettings says what happens when a trial ends without a payment
// method: create_invoice (Stripe's default), cancel or pause.
type trialSettings struct {
	EndBehavior struct {
		MissingPaymentMethod string `json:"missing_payment_method"`
	} `json:"end_behavior"`
}

type subscriptionItems struct {
	Object  string             `json:"object"`
	Data    []subscriptionItem `json:"data"`
	HasMore bool               `json:"has_more"`
	URL     string             `json:"url"`
}

type subscriptionItem struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	BillingThresholds any               `json:"billing_thresholds"`
	Created           int64             `json:"created"`
	Metadata          map[string]string `json:"metadata"`
	Price             price             `json:"price"`
	Quantity          int64             `json:"quantity"`
	Subscription      string            `json:"subscription"`
	TaxRates          []any             `json:"tax_rates"`
}

type invoice struct {
	ID                   string            `json:"id"`
	Object               string            `json:"object"`
	AccountCountry       string            `json:"account_country"`
	AccountName          string            `json:"account_name"`
	AmountDue            int64             `json:"amount_due"`
	AmountPaid           int64             `json:"amount_paid"`
	AmountRemaining      int64             `json:"amount_remaining"`
	AmountShipping       int64             `json:"amount_shipping"`
	AttemptCount         int64             `json:"attempt_count"`
	Attempted            bool              `json:"attempted"`
	AutoAdvance          bool              `json:"auto_advance"`
	AutomaticTax         map[string]any    `json:"automatic_tax"`
	BillingReason        string            `json:"billing_reason"`
	Charge               nstr              `json:"charge"`
	CollectionMethod     string            `json:"collection_method"`
	Created              int64             `json:"created"`
	Currency             string            `json:"currency"`
	Customer             string            `json:"customer"`
	CustomerEmail        nstr              `json:"customer_email"`
	CustomerName         nstr              `json:"customer_name"`
	CustomerTaxExempt    string            `json:"customer_tax_exempt"`
	CustomerTaxIDs       []any             `json:"customer_tax_ids"`
	DefaultPaymentMethod any               `json:"default_payment_method"`
	DefaultTaxRates      []any             `json:"default_tax_rates"`
	Description          nstr              `json:"description"`
	Discount             any               `json:"discount"`
	Discounts            []any             `json:"discounts"`
	DueDate              nint              `json:"due_date"`
	EffectiveAt          nint              `json:"effective_at"`
	EndingBalance        *int64            `json:"ending_balance"`
	HostedInvoiceURL     nstr              `json:"hosted_invoice_url"`
	InvoicePDF           nstr              `json:"invoice_pdf"`
	Lines                invoiceLines      `json:"lines"`
	Livemode             bool              `json:"livemode"`
	Metadata             map[string]string `json:"metadata"`
	NextPaymentAttempt   nint              `json:"next_payment_attempt"`
	Number               nstr              `json:"number"`
	Paid                 bool              `json:"paid"`
	PaidOutOfBand        bool              `json:"paid_out_of_band"`
	PaymentIntent        nstr              `json:"payment_intent"`
	PaymentSettings      map[string]any    `json:"payment_settings"`
	PeriodEnd            int64             `json:"period_end"`
	PeriodStart          int64             `json:"period_start"`
	PostPaymentCredit    int64             `json:"post_payment_credit_notes_amount"`
	PrePaymentCredit     int64             `json:"pre_payment_credit_notes_amount"`
	StartingBalance      int64             `json:"starting_balance"`
	Status               string            `json:"status"`
	StatusTransitions    map[string]nint   `json:"status_transitions"`
	Subscription         nstr              `json:"subscription"`
	SubscriptionDetails  map[string]any    `json:"subscription_details"`
	Subtotal             int64             `json:"subtotal"`
	SubtotalExcludingTax int64             `json:"subtotal_excluding_tax"`
	Tax                  *int64            `json:"tax"` // null unless Stripe Tax taxed it
	TestClock            any               `json:"test_clock"`
	Total                int64             `json:"total"`
	TotalExcludingTax    int64             `json:"total_excluding_tax"`
	TotalDiscountAmounts []any             `json:"total_discount_amounts"`
	TotalTaxAmounts      []any             `json:"total_tax_amounts"`
	WebhooksDeliveredAt  nint              `json:"webhooks_delivered_at"`
}

type invoiceLines struct {
	Object  string        `json:"object"`
	Data    []invoiceLine `json:"data"`
	HasMore bool          `json:"has_more"`
	URL     string        `json:"url"`
}

type invoiceLine struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Amount           int64             `json:"amount"`
	AmountExclTax    int64             `json:"amount_excluding_tax"`
	Currency         string            `json:"currency"`
	Description      string            `json:"description"`
	DiscountAmounts  []any             `json:"discount_amounts"`
	Discountable     bool              `json:"discountable"`
	Discounts        []any             `json:"discounts"`
	InvoiceItem      string            `json:"invoice_item,omitempty"` // only on lines of type invoiceitem
	Livemode         bool              `json:"livemode"`
	Metadata         map[string]string `json:"metadata"`
	Period           period            `json:"period"`
	Price            *price            `json:"price"`
	Proration        bool              `json:"proration"`
	Quantity         int64             `json:"quantity"`
	Subscription     nstr              `json:"subscription"`
	SubscriptionItem nstr              `json:"subscription_item,omitempty"` // only on lines of type subscription
	TaxAmounts       []any             `json:"tax_amounts"`
	TaxRates         []any             `json:"tax_rates"`
	Type             string            `json:"type"`
}

type period struct {
	End   int64 `json:"end"`
	Start int64 `json:"start"`
}

type portalConfig struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Active           bool              `json:"active"`
	Application      any               `json:"application"`
	BusinessProfile  map[string]any    `json:"business_profile"`
	Created          int64             `json:"created"`
	DefaultReturnURL nstr              `json:"default_return_url"`
	Features         portalFeatures    `json:"features"`
	IsDefault        bool              `json:"is_default"`
	Livemode         bool              `json:"livemode"`
	LoginPage        map[string]any    `json:"login_page"`
	Metadata         map[string]string `json:"metadata"`
	Updated          int64             `json:"updated"`
}

type portalFeatures struct {
	CustomerUpdate      portalCustomerUpdate `json:"customer_update"`
	InvoiceHistory      portalEnabled        `json:"invoice_history"`
	PaymentMethodUpdate portalEnabled        `json:"payment_method_update"`
	SubscriptionCancel  portalCancel         `json:"subscription_cancel"`
	SubscriptionPause   portalEnabled        `json:"subscription_pause"`
	SubscriptionUpdate  portalUpdate         `json:"subscription_update"`
}

type portalEnabled struct {
	Enabled bool `json:"enabled"`
}

type portalCustomerUpdate struct {
	AllowedUpdates []string `json:"allowed_updates"`
	Enabled        bool     `json:"enabled"`
}

type portalCancel struct {
	CancellationReason struct {
		Enabled bool     `json:"enabled"`
		Options []string `json:"options"`
	} `json:"cancellation_reason"`
	Enabled           bool   `json:"enabled"`
	Mode              string `json:"mode"`
	ProrationBehavior string `json:"proration_behavior"`
}

type portalUpdate struct {
	DefaultAllowedUpdates []string        `json:"default_allowed_updates"`
	Enabled               bool            `json:"enabled"`
	Products              []portalProduct `json:"products"`
	ProrationBehavior     string          `json:"proration_behavior"`
}

type portalProduct struct {
	Prices  []string `json:"prices"`
	Product string   `json:"product"`
}

type portalSession struct {
	ID            string `json:"id"`
	Object        string `json:"object"`
	Configuration string `json:"configuration"`
	Created       int64  `json:"created"`
	Customer      string `json:"customer"`
	Flow          any    `json:"flow"`
	Livemode      bool   `json:"livemode"`
	Locale        nstr   `json:"locale"`
	OnBehalfOf    any    `json:"on_behalf_of"`
	ReturnURL     nstr   `json:"return_url"`
	URL           string `json:"url"`
}

type event struct {
	ID              string        `json:"id"`
	Object          string        `json:"object"`
	Account         any           `json:"account,omitempty"`
	APIVersion      string        `json:"api_version"`
	Created         int64         `json:"created"`
	Data            eventData     `json:"data"`
	Livemode        bool          `json:"livemode"`
	PendingWebhooks int64         `json:"pending_webhooks"`
	Request         *eventRequest `json:"request"`
	Type            string        `json:"type"`
}

type eventData struct {
	Object             map[string]any `json:"object"`
	PreviousAttributes map[string]any `json:"previous_attributes,omitempty"`
}

type eventRequest struct {
	ID             nstr `json:"id"`
	IdempotencyKey nstr `json:"idempotency_key"`
}
