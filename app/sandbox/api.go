package sandbox

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	bolt "go.etcd.io/bbolt"
)

// request is one parsed API call.
type request struct {
	p      params
	values url.Values
	expand []string
	id     string // the object id in the path, if any
}

// apiFunc is an endpoint's logic: it reads or changes objects inside t
// and returns what to answer (an object struct or a rendered map).
type apiFunc func(t *txn, r *request) (any, error)

// idemRecord is a stored answer to a request made with an
// Idempotency-Key: a retry with the same key gets the same answer, a
// different request with it an idempotency_error (as with Stripe).
type idemRecord struct {
	Fingerprint string    `json:"fingerprint"`
	Status      int       `json:"status"`
	Body        []byte    `json:"body"`
	Created     time.Time `json:"created"`
}

// idempotencyTTL is how long Stripe keeps keys.
const idempotencyTTL = 24 * time.Hour

// pruneIdempotency forgets keys older than Stripe keeps them.
func (s *Sandbox) pruneIdempotency() error {
	var old [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		cutoff := s.cfg.Now().Add(-idempotencyTTL)
		return tx.Bucket(bucketIdem).ForEach(func(k, v []byte) error {
			var rec idemRecord
			if json.Unmarshal(v, &rec) != nil || rec.Created.Before(cutoff) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
	})
	if err != nil || len(old) == 0 {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIdem)
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// apiRead serves a GET: parameters are checked against sample (a
// stripe-go *Params value) and fn runs in a read transaction.
func (s *Sandbox) apiRead(sample any, fn apiFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, aerr := s.parseRequest(c, sample)
		if aerr != nil {
			return writeError(c, aerr)
		}
		var body []byte
		err := s.view(func(t *txn) error {
			v, err := fn(t, r)
			if err != nil {
				return err
			}
			body, err = t.render(v, r.expand)
			return err
		})
		if err != nil {
			return s.writeErr(c, err)
		}
		s.stallRead(c.UserContext(), r.id)
		return writeJSON(c, http.StatusOK, body, "req_"+randomString(14))
	}
}

// apiWrite serves a POST or DELETE in one write transaction, with
// Idempotency-Key replay.
func (s *Sandbox) apiWrite(sample any, fn apiFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, aerr := s.parseRequest(c, sample)
		if aerr != nil {
			return writeError(c, aerr)
		}
		key := strings.Clone(c.Get("Idempotency-Key"))
		fp := canonical(c.Method(), c.Path(), r.values)
		reqID := "req_" + randomString(14)
		status := http.StatusOK
		var body []byte
		replayed := false
		err := s.update(&eventRequest{ID: nstr(reqID), IdempotencyKey: nstr(key)}, func(t *txn) error {
			if key != "" {
				if raw := t.tx.Bucket(bucketIdem).Get([]byte(key)); raw != nil {
					var rec idemRecord
					if err := json.Unmarshal(raw, &rec); err != nil {
						return err
					}
					if t.s.cfg.Now().Sub(rec.Created) < idempotencyTTL {
						if rec.Fingerprint != fp {
							return idempotencyMismatch(key)
						}
						status, body, replayed = rec.Status, rec.Body, true
						return nil
					}
				}
			}
			v, err := fn(t, r)
			var kept committedError
			switch {
			case errors.As(err, &kept):
				status = kept.Status
				if body, err = json.Marshal(map[string]any{"error": kept.apiError}); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				if body, err = t.render(v, r.expand); err != nil {
					return err
				}
			}
			if key == "" {
				return nil
			}
			raw, err := json.Marshal(idemRecord{Fingerprint: fp, Status: status, Body: body, Created: t.s.cfg.Now()})
			if err != nil {
				return err
			}
			return t.tx.Bucket(bucketIdem).Put([]byte(key), raw)
		})
		if err != nil {
			return s.writeErr(c, err)
		}
		if replayed {
			c.Set("Idempotent-Replayed", "true")
		}
		if key != "" {
			c.Set("Idempotency-Key", key)
		}
		return writeJSON(c, status, body, reqID)
	}
}

func (s *Sandbox) parseRequest(c *fiber.Ctx, sample any) (*request, *apiError) {
	if aerr := s.authorize(c); aerr != nil {
		return nil, aerr
	}
	values, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return nil, invalidRequest("", "Invalid query string.")
	}
	if len(c.Body()) > 0 {
		body, err := url.ParseQuery(string(c.Body()))
		if err != nil {
			return nil, invalidRequest("", "Invalid request body: expected application/x-www-form-urlencoded parameters.")
		}
		for k, v := range body {
			values[k] = append(values[k], v...)
		}
	}
	p, err := parseForm(values)
	if err != nil {
		return nil, invalidRequest("", err.Error())
	}
	if sample != nil {
		if err := checkParams(p, sample); err != nil {
			var aerr *apiError
			if errors.As(err, &aerr) {
				return nil, aerr
			}
			return nil, invalidRequest("", err.Error())
		}
	}
	return &request{p: p, values: values, expand: p.strings("expand"), id: strings.Clone(c.Params("id"))}, nil
}

// authorize accepts the sandbox's own secret key, as Bearer or basic auth
// (DESIGN.md §3): anyone who can reach the shop can reach the API, so a
// guessable or shared key would hand them every customer and refund.
func (s *Sandbox) authorize(c *fiber.Ctx) *apiError {
	h := c.Get("Authorization")
	var key string
	switch {
	case strings.HasPrefix(h, "Bearer "):
		key = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	case strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		if err == nil {
			key, _, _ = strings.Cut(string(raw), ":")
		}
	}
	if key == "" {
		return unauthorized("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) != 1 {
		return unauthorized(fmt.Sprintf("Invalid API Key provided: %s", redactKey(key)))
	}
	return nil
}

func redactKey(k string) string {
	if len(k) <= 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:8] + strings.Repeat("*", len(k)-12) + k[len(k)-4:]
}

// render turns an endpoint's answer into JSON with its expansions.
func (t *txn) render(v any, expand []string) ([]byte, error) {
	m, err := toMap(v)
	if err != nil {
		return nil, err
	}
	if err := t.expand(m, expand); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func writeJSON(c *fiber.Ctx, status int, body []byte, reqID string) error {
	c.Set("Request-Id", reqID)
	c.Set("Stripe-Version", apiVersion)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache, no-store")
	return c.Status(status).Send(body)
}

func writeError(c *fiber.Ctx, e *apiError) error {
	if e.Code == "resource_missing" && e.DocURL == "" {
		e.DocURL = "https://stripe.com/docs/error-codes/resource-missing"
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	return writeJSON(c, e.Status, body, "req_"+randomString(14))
}

func (s *Sandbox) writeErr(c *fiber.Ctx, err error) error {
	var aerr *apiError
	if errors.As(err, &aerr) {
		return writeError(c, aerr)
	}
	s.log.Error("sandbox API", "path", c.Path(), "err", err)
	return writeError(c, &apiError{Status: http.StatusInternalServerError, Type: "api_error", Message: "An unknown error occurred in the Stripe sandbox."})
}

// unknownRoute answers like Stripe for a URL it does not serve.
func (s *Sandbox) unknownRoute(c *fiber.Ctx) error {
	if aerr := s.authorize(c); aerr != nil {
		return writeError(c, aerr)
	}
	return writeError(c, &apiError{Status: http.StatusNotFound, Type: "invalid_request_error",
		Message: fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", c.Method(), strings.TrimPrefix(c.Path(), mountPath))})
}
