package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

// eventOutcome is a choice of the events list's outcome filter.
type eventOutcome struct {
	Value, Label    string
	Outcome, Reason string // the ledger filter it stands for
}

// eventOutcomes: the three outcomes, and the events ignored because
// another shop or app made their object (DESIGN.md §5 rule 9), which an
// admin looks for apart from the event types Vendo does not use.
var eventOutcomes = []eventOutcome{
	{Value: store.EventApplied, Label: "applied", Outcome: store.EventApplied},
	{Value: store.EventIgnored, Label: "ignored", Outcome: store.EventIgnored},
	{Value: "foreign", Label: "ignored: " + store.ReasonForeign, Outcome: store.EventIgnored, Reason: store.ReasonForeign},
	{Value: store.EventFailed, Label: "failed", Outcome: store.EventFailed},
}

// handleAdminEvents lists the webhook ledger newest first, filtered by
// type and outcome (GET /admin/events?type=&outcome=).
func (s *Server) handleAdminEvents(c *fiber.Ctx) error {
	q := filterValues(c, "type", "outcome")
	before := c.Query("before")
	f := store.EventFilter{Type: q.Get("type"), Before: before, Limit: adminPageSize}
	for _, o := range eventOutcomes {
		if o.Value == q.Get("outcome") {
			f.Outcome, f.Reason = o.Outcome, o.Reason
		}
	}
	var events []store.EventRecord
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) {
		events, next, err = tx.Events(f)
		return err
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "events", "admin/events", "admin/events_table", fiber.Map{"Title": "Stripe events",
		"Events": events, "F": q, "Outcomes": eventOutcomes, "Pager": newPager("/admin/events", q, "before", before, next)})
}

// handleAdminEvent shows one ledger record with its payload as indented
// JSON (escaped text in a <pre>, never markup).
func (s *Server) handleAdminEvent(c *fiber.Ctx) error {
	e, err := s.store.Event(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	payload := ""
	if len(e.Payload) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, e.Payload, "", "  ") == nil {
			payload = buf.String()
		} else {
			payload = string(e.Payload)
		}
	}
	return s.adminPage(c, "events", "admin/event", "", fiber.Map{"Title": e.Type, "E": e, "Payload": payload,
		"CanReplay": s.replay != nil, "StripeEvent": s.stripeDashboard("events", e.ID)})
}

// handleAdminEventReplay re-runs an event through the ledger (POST
// /admin/events/:id/replay). The ledger applies it in its own
// transaction; the audit entry follows with the outcome.
func (s *Server) handleAdminEventReplay(c *fiber.Ctx) error {
	if s.replay == nil {
		return app.Errorf(app.EUNAVAILABLE, "Replaying events is not available in this shop.")
	}
	id := c.Params("id")
	if _, err := s.store.Event(c.UserContext(), id); err != nil {
		return err
	}
	outcome, rerr := s.replay(c.UserContext(), id)
	detail := "outcome " + outcome
	if rerr != nil {
		detail = fmt.Sprintf("outcome %s: %v", outcome, rerr)
	}
	if err := s.shop.Audit(c.UserContext(), app.AuditEntry{Actor: s.actor(c), Action: "event.replay", Target: id, Detail: detail, IP: c.IP()}); err != nil {
		return err
	}
	if rerr != nil {
		// The ledger recorded the failure; the event page shows it.
		return s.back(c, "/admin/events/"+url.PathEscape(id), "")
	}
	return s.back(c, "/admin/events/"+url.PathEscape(id), "replayed")
}
