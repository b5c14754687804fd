package webhook

import (
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76/webhook"

	"vendo/app/stripeapi"
)

// MaxBody is the largest webhook body accepted; Stripe's events are far
// smaller.
const MaxBody = 1 << 20

// Tolerance is how old a signature may be (Stripe's default).
const Tolerance = 5 * time.Minute

// Receiver is the POST /webhooks/stripe handler.
type Receiver struct {
	Ledger *Ledger
	Secret string // whsec_… (the sandbox's own in sandbox mode)
	Log    *slog.Logger
	Now    func() time.Time
}

// Handle verifies the signature on the raw body before anything else,
// then runs the event through the ledger and answers 200 only after its
// record committed.
func (r *Receiver) Handle(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > MaxBody {
		r.Log.Warn("stripe webhook refused: body too large", "bytes", len(body), "ip", c.IP())
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{"error": "body too large"})
	}
	ev, err := Verify(body, c.Get("Stripe-Signature"), r.Secret)
	if err != nil {
		r.Log.Warn("stripe webhook refused: bad signature", "err", err, "ip", c.IP())
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "invalid signature"})
	}
	res, err := r.Ledger.Process(c.UserContext(), ev, "webhook")
	if err != nil {
		return c.Status(fiber.StatusInternalServerError).JSON(fiber.Map{"error": "event could not be processed; it will be retried"})
	}
	return c.JSON(fiber.Map{"received": true, "outcome": res.Outcome, "duplicate": res.Duplicate})
}

// Verify checks a Stripe-Signature header against the raw body and decodes
// the event. The API version is not enforced: handlers re-fetch objects
// with the client's pinned version, so `stripe listen` and endpoints on
// another version still work (DESIGN.md §5 rule 3).
func Verify(body []byte, header, secret string) (Event, error) {
	if secret == "" {
		return Event{}, errors.New("no webhook secret configured")
	}
	sev, err := webhook.ConstructEventWithOptions(body, header, secret, webhook.ConstructEventOptions{
		Tolerance:                Tolerance,
		IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		return Event{}, err
	}
	if sev.ID == "" || sev.Type == "" {
		return Event{}, errors.New("event without id or type")
	}
	raw := make([]byte, len(body))
	copy(raw, body) // c.Body() is only valid during the request
	return stripeapi.FromStripe(&sev, raw), nil
}
