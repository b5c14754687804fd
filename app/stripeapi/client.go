// Package stripeapi is Vendo's one door to Stripe's API (stripe-go v76).
// The same code talks to Stripe, to stripe-mock in tests and to the
// offline sandbox: only the backend URL differs (DESIGN.md §2).
package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"vendo/app"
)

// Config selects the API endpoint and credentials.
type Config struct {
	SecretKey string
	// APIBase is empty for Stripe itself, or the base of another
	// Stripe-compatible API ("http://127.0.0.1:8080/sandbox/stripe",
	// "http://localhost:12111" for stripe-mock).
	APIBase    string
	HTTPClient *http.Client
	Log        *slog.Logger
	// MaxNetworkRetries is stripe-go's own retry count for network errors
	// and 409/5xx answers (it reuses the idempotency key).
	MaxNetworkRetries int64
}

// Client wraps stripe-go's API client. It is safe for concurrent use.
type Client struct {
	api *client.API
}

// maxIdleConns is how many connections to Stripe are kept open between
// requests: as many as the shop has calls in flight at once under load
// (webhooks re-fetching their objects, checkouts). net/http keeps two
// per host by default, so 30 of 32 concurrent webhook re-fetches dialed
// a new connection each (a TLS handshake with Stripe, a round trip or
// two longer than the call) and closed it after (bench scenario 7).
const maxIdleConns = 64

// NewHTTPClient is the HTTP client New uses when Config has none: a
// 30-second timeout and a pool of maxIdleConns connections.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = maxIdleConns, maxIdleConns
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

// New builds a client with its own backends (never stripe-go's globals).
func New(cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewHTTPClient()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// A fresh BackendConfig per backend: GetBackendWithConfig rewrites the
	// one it is given.
	backendConfig := func(url string) *stripe.BackendConfig {
		bc := &stripe.BackendConfig{
			HTTPClient:        cfg.HTTPClient,
			MaxNetworkRetries: stripe.Int64(cfg.MaxNetworkRetries),
			LeveledLogger:     leveledLogger{cfg.Log},
			EnableTelemetry:   stripe.Bool(false),
		}
		if url != "" {
			bc.URL = stripe.String(url)
		}
		return bc
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, backendConfig(cfg.APIBase)),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, backendConfig(cfg.APIBase)),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, backendConfig(cfg.APIBase)),
	}
	return &Client{api: client.New(cfg.SecretKey, backends)}
}

// wrap turns a Stripe error into an application error: a card or request
// problem becomes a sentence, a network or server problem EUNAVAILABLE.
// Customers read these sentences (a stale success link, a portal that
// cannot open), so they speak of orders and payments, not of Stripe's
// objects; the log keeps Stripe's own message.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		switch {
		case se.HTTPStatusCode == http.StatusNotFound:
			return &app.Error{Code: app.ENOTFOUND, Message: "We couldn't find that order or payment. If you followed an old link, your orders are in your account.", Err: fmt.Errorf("%s: %w", op, err)}
		case se.Type == stripe.ErrorTypeCard:
			return &app.Error{Code: app.EINVALID, Message: se.Msg, Err: fmt.Errorf("%s: %w", op, err)}
		case se.HTTPStatusCode == http.StatusBadRequest:
			return &app.Error{Code: app.EINVALID, Message: "Stripe refused the request: " + se.Msg, Err: fmt.Errorf("%s: %w", op, err)}
		case se.HTTPStatusCode == http.StatusUnauthorized:
			return &app.Error{Code: app.EUNAVAILABLE, Message: "Payments are not available right now. (For the shop's owner: Stripe refused the API key; check STRIPE_SECRET_KEY.)", Err: fmt.Errorf("%s: %w", op, err)}
		}
	}
	return &app.Error{Code: app.EUNAVAILABLE, Message: "The payment service did not answer. Please try again in a moment.", Err: fmt.Errorf("%s: %w", op, err)}
}

func params(ctx context.Context) stripe.Params { return stripe.Params{Context: ctx} }

var _ stripe.LeveledLoggerInterface = leveledLogger{}

// leveledLogger sends stripe-go's logs to slog at debug level, and its
// errors at warn (the caller logs failures with context).
type leveledLogger struct{ log *slog.Logger }

func (l leveledLogger) Debugf(format string, v ...interface{}) {
	l.log.Debug(fmt.Sprintf(format, v...), "component", "stripe")
}
func (l leveledLogger) Infof(format string, v ...interface{}) {
	l.log.Debug(fmt.Sprintf(format, v...), "component", "stripe")
}
func (l leveledLogger) Warnf(format string, v ...interface{}) {
	l.log.Warn(fmt.Sprintf(format, v...), "component", "stripe")
}
func (l leveledLogger) Errorf(format string, v ...interface{}) {
	l.log.Warn(fmt.Sprintf(format, v...), "component", "stripe")
}
