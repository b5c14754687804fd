// Package shop holds Vendo's use cases as plain Go, one file per feature:
// cart, checkout, fulfil (orders from Checkout, reconciled with their
// payment), refunds, disputes, downloads, subscriptions, credits,
// licenses, catalog, plans, account and admin, and events.go, the table
// of Stripe event types the webhook ledger hands to them. Handlers in web
// call these; tests call them directly.
package shop

import (
	"context"
	"io"
	"log/slog"
	"time"

	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/webhook"
)

// Payments is the part of the Stripe client the shop uses.
type Payments interface {
	EnsureProduct(ctx context.Context, productID, vendoID, name string) (string, error)
	CreatePrice(ctx context.Context, productID string, spec stripeapi.PriceSpec, vendoID, key string) (string, error)
	DeactivatePrice(ctx context.Context, priceID string) error
	CreateCheckoutSession(ctx context.Context, r stripeapi.CheckoutRequest) (id, url string, err error)
	GetCheckoutSession(ctx context.Context, id string) (stripeapi.Session, error)
	ExpireCheckoutSession(ctx context.Context, id string) error
	GetCharge(ctx context.Context, id string) (stripeapi.Charge, error)
	GetPayment(ctx context.Context, paymentIntentID string) (stripeapi.Payment, error)
	GetRefund(ctx context.Context, id string) (stripeapi.RefundInfo, string, error)
	GetDispute(ctx context.Context, id string) (stripeapi.DisputeInfo, error)
	SessionOfPayment(ctx context.Context, paymentIntentID string) (string, error)
	CreateRefund(ctx context.Context, paymentIntentID string, amount int64, reason, key string) (string, error)

	CreateCustomer(ctx context.Context, vendoID, email, name string) (string, error)
	GetCustomer(ctx context.Context, id string) (stripeapi.Customer, error)
	GetSubscription(ctx context.Context, id string) (stripeapi.Subscription, error)
	GetInvoice(ctx context.Context, id string) (stripeapi.Invoice, error)
	ListInvoices(ctx context.Context, customerID string, limit int) ([]stripeapi.Invoice, error)
	EnsurePortalConfiguration(ctx context.Context, id string, products []stripeapi.PortalProduct, returnURL string) (string, error)
	CreatePortalSession(ctx context.Context, customerID, configurationID, returnURL string) (string, error)

	CreateCoupon(ctx context.Context, spec stripeapi.CouponSpec, vendoID, key string) (string, error)
	CreatePromotionCode(ctx context.Context, couponID string, spec stripeapi.PromotionSpec, vendoID, key string) (string, error)
	SetPromotionCodeActive(ctx context.Context, id string, active bool) error
}

// Mailer queues templated mail inside a transaction (mail.Mailer).
type Mailer interface {
	Queue(tx *store.Tx, name, to string, data map[string]any) error
	Notify()
}

// Files finds, reads and stores content-addressed files: on disk
// (blobs.Dir) or in a bucket (s3files.Bucket). A missing file's error
// matches fs.ErrNotExist.
type Files interface {
	Stat(ctx context.Context, sha string) (int64, error)
	Open(ctx context.Context, sha string, offset, length int64) (io.ReadCloser, error)
	PutBytes(ctx context.Context, b []byte) (sha string, size int64, err error)
}

// Shop is the use cases' dependencies.
type Shop struct {
	Store   *store.Store
	Stripe  Payments
	Mail    Mailer
	Signer  *Signer
	Files   Files
	BaseURL string
	Log     *slog.Logger
	// Now is the clock for link expiry; time.Now when nil.
	Now func() time.Time
	// AdminEmails are told about disputes (VENDO_ADMIN_EMAILS); without
	// any, the support address in the settings is.
	AdminEmails []string
	// Locks order the re-fetch and apply of one order or subscription
	// (webhook.Locks; the zero value is ready).
	Locks webhook.Locks

	invoices invoiceCache // the account page's invoice lists (invoicecache.go)
}

func (s *Shop) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Time is the shop's clock now (the sandbox's test clock in sandbox
// mode), for what is kept until a moment it named.
func (s *Shop) Time() time.Time { return s.now() }
