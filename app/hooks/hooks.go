// Package hooks delivers the shop's outgoing webhooks to the merchant's
// own tools (issue 20). The deliveries were queued by store.QueueHook in
// the transaction that made the change; this package's worker, like the
// mail outbox's, sends the due ones after the commit, signs each like
// Stripe does (Vendo-Signature: t=…,v1=HMAC-SHA256 of "t.body"), and
// retries with backoff for store.HookRetryWindow, keeping every attempt
// for the admin.
package hooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vendo/app"
	"vendo/app/store"
)

// SignatureHeader carries a delivery's signature.
const SignatureHeader = "Vendo-Signature"

// Limits of an attempt.
const (
	// DefaultTimeout bounds one attempt, connection to last byte read.
	DefaultTimeout = 10 * time.Second
	// maxResponse is how much of an answer is read; the rest is dropped
	// (an endpoint cannot make the shop read a gigabyte).
	maxResponse = 64 << 10
	// excerptLen is how much of the answer the admin sees.
	excerptLen = 300
	// maxKeptAttempts bounds a delivery's history (a resend adds more).
	maxKeptAttempts = 50
	// maxRedirects to the same host are followed; one to another host is
	// never (the answer counts as a failed attempt).
	maxRedirects = 3
)

// Config is what New needs.
type Config struct {
	Store *store.Store
	Log   *slog.Logger
	// Timeout bounds one attempt; DefaultTimeout when 0.
	Timeout time.Duration
	// Poll is how often the worker looks for due deliveries besides being
	// woken by a commit; 15s when 0.
	Poll time.Duration
	// Transport, when set, replaces the default (tests).
	Transport http.RoundTripper
	// UserAgent names the shop's version in each request.
	UserAgent string
}

// Sender is the delivery worker. Time is the store's clock, so a test
// that moves it drives the backoff without sleeping.
type Sender struct {
	st     *store.Store
	log    *slog.Logger
	client *http.Client
	poll   time.Duration
	ua     string
}

// New builds a sender whose HTTP client times out, reads at most
// maxResponse of an answer and does not follow a redirect to another host.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Vendo-Webhooks/" + app.Version
	}
	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = cfg.Timeout
		transport = t
	}
	client := &http.Client{Timeout: cfg.Timeout, Transport: transport, CheckRedirect: sameHostRedirects}
	return &Sender{st: cfg.Store, log: cfg.Log.With("component", "hooks"), client: client, poll: cfg.Poll, ua: cfg.UserAgent}
}

// sameHostRedirects follows a few redirects on the endpoint's own host
// (a moved path) and stops at one to anywhere else: the signed body must
// not be handed to a host the merchant did not name.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if len(via) > maxRedirects || req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}

// Run delivers due deliveries when a commit queued one and every Poll,
// until ctx ends. Deliveries pending before a restart go out at once.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		if _, err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.st.HookQueued():
		}
	}
}

// Flush makes one attempt at every due delivery, oldest first, and
// returns how many were delivered. An endpoint that fails an attempt gets
// no more in this flush (its other deliveries wait for the next): one
// that hangs until the timeout then holds up the others' deliveries for
// one attempt, not one per delivery queued for it.
func (s *Sender) Flush(ctx context.Context) (int, error) {
	done := 0
	var failing []string // endpoints that failed an attempt in this flush
	for {
		due, err := dueDeliveries(ctx, s.st, failing)
		if err != nil || len(due) == 0 {
			return done, err
		}
		for _, d := range due {
			if ctx.Err() != nil {
				return done, ctx.Err()
			}
			if slices.Contains(failing, d.EndpointID) {
				continue
			}
			ok, reached, err := s.attempt(ctx, d)
			if err != nil {
				return done, err
			}
			switch {
			case ok:
				done++
			case reached:
				failing = append(failing, d.EndpointID)
			}
		}
		if len(due) < flushBatch {
			return done, nil
		}
	}
}

const flushBatch = 50

func dueDeliveries(ctx context.Context, st *store.Store, skip []string) (out []app.HookDelivery, err error) {
	err = st.View(ctx, func(tx *store.Tx) error { out, err = tx.DueHookDeliveries(flushBatch, skip...); return err })
	return out, err
}

// attempt sends one delivery once and records the attempt. It reports
// whether the endpoint took it, and whether a request was made (not for
// an endpoint deleted or disabled, whose deliveries fail at once).
func (s *Sender) attempt(ctx context.Context, d app.HookDelivery) (ok, reached bool, err error) {
	var (
		ev       app.HookEvent
		endpoint app.HookEndpoint
		missing  string
	)
	err = s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		if ev, err = tx.HookEvent(d.EventID); err != nil {
			return err
		}
		endpoint, err = tx.HookEndpoint(d.EndpointID)
		if app.IsNotFound(err) {
			missing, err = "The endpoint was deleted.", nil
		} else if err == nil && !endpoint.Enabled {
			missing = "The endpoint is disabled."
		}
		return err
	})
	if err != nil {
		return false, false, err
	}
	start := s.st.Now()
	a := app.HookAttempt{At: start}
	if missing != "" {
		a.Error = missing
	} else {
		a = s.post(ctx, endpoint, ev, start)
	}
	if ctx.Err() != nil {
		return false, false, ctx.Err() // shutting down: the attempt does not count
	}
	ok = a.Error == "" && a.Status >= 200 && a.Status < 300
	var final app.HookDelivery
	err = s.st.UpdateHookDelivery(ctx, d.ID, func(x *app.HookDelivery) {
		x.Attempts = append(x.Attempts, a)
		if n := len(x.Attempts); n > maxKeptAttempts {
			x.Attempts = x.Attempts[n-maxKeptAttempts:]
		}
		now := s.st.Now()
		if !ok {
			x.Failures++
		}
		switch next := now.Add(Backoff(x.Failures)); {
		case ok:
			x.Status, x.DeliveredAt = app.HookDelivered, now
		case missing != "" || next.After(x.RetryUntil):
			x.Status, x.FailedAt = app.HookFailed, now
		default:
			x.NextAttemptAt = next
		}
		final = *x
	})
	if err != nil {
		return false, false, err
	}
	log := s.log.With("delivery", d.ID, "event", ev.ID, "type", ev.Type, "endpoint", d.EndpointID, "url", logURL(d.URL),
		"attempt", len(final.Attempts), "status", a.Status)
	switch {
	case ok:
		log.Info("webhook delivered", "duration", a.Duration)
	case final.Status == app.HookFailed:
		log.Warn("webhook delivery failed; no more retries (an admin can resend it)", "err", a.Error)
	default:
		log.Warn("webhook not delivered; will retry", "err", a.Error, "next_attempt_at", final.NextAttemptAt)
	}
	return ok, missing == "", nil
}

// post makes the HTTP request of one attempt.
func (s *Sender) post(ctx context.Context, e app.HookEndpoint, ev app.HookEvent, now time.Time) app.HookAttempt {
	a := app.HookAttempt{At: now}
	began := time.Now() // the wall clock: how long the endpoint took, whatever the store's clock says
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(ev.Body))
	if err != nil {
		a.Error = "The endpoint's address cannot be used: " + err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.ua)
	req.Header.Set(SignatureHeader, Sign(e.Secret, now, ev.Body))
	req.Header.Set("Vendo-Event-Id", ev.ID)
	req.Header.Set("Vendo-Event-Type", ev.Type)
	resp, err := s.client.Do(req)
	if err != nil {
		a.Error = describe(err)
		a.Duration = time.Since(began)
		return a
	}
	defer resp.Body.Close()
	a.Status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	a.Response = excerpt(body)
	a.Duration = time.Since(began)
	switch {
	case err != nil:
		a.Error = "The answer was cut off: " + describe(err)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = "The endpoint redirected to " + logURL(resp.Header.Get("Location")) + "; only redirects on the same host are followed."
	case resp.StatusCode >= 300:
		a.Error = fmt.Sprintf("The endpoint answered %d %s.", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return a
}

// describe turns a client error into a sentence for the admin.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "No answer within the time limit (timeout)."
		}
		err = ue.Err
	}
	return err.Error()
}

// excerpt is the start of an answer, valid UTF-8, for the admin.
func excerpt(b []byte) string {
	if len(b) > excerptLen {
		b = b[:excerptLen]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return string(b) + "…"
	}
	return strings.ToValidUTF8(string(b), "�")
}

// logURL is an address without its query and user info, which may carry
// a token of the merchant's.
func logURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable address)"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// Backoff is the wait after the nth failed attempt: 30s, 1m, 2m, … up to
// six hours, so a delivery is tried about twenty times in three days.
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// Sign is the Vendo-Signature header for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with secret>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a Vendo-Signature header against body, as a receiver
// does: one of its v1 signatures must match, and its time must be within
// tolerance of now (a replayed old delivery is refused).
func Verify(header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("the signature header has no t= or v1=")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("the signature is too old (or from the future)")
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return errors.New("no signature matches")
}
