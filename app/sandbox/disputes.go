package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Disputes: a cardholder tells their bank a charge was wrong. Stripe's
// test card 4000 0000 0000 0259 pays and is then disputed as fraudulent;
// any other charge can be disputed from the events page (or the API
// below, for tests), and an open dispute closed as won or lost there too,
// since no bank will rule on a sandbox.

type dispute struct {
	ID                  string                 `json:"id"`
	Object              string                 `json:"object"`
	Amount              int64                  `json:"amount"`
	BalanceTransactions []any                  `json:"balance_transactions"`
	Charge              string                 `json:"charge"`
	Created             int64                  `json:"created"`
	Currency            string                 `json:"currency"`
	Evidence            map[string]any         `json:"evidence"`
	EvidenceDetails     disputeEvidenceDetails `json:"evidence_details"`
	IsChargeRefundable  bool                   `json:"is_charge_refundable"`
	Livemode            bool                   `json:"livemode"`
	Metadata            map[string]string      `json:"metadata"`
	PaymentIntent       nstr                   `json:"payment_intent"`
	Reason              string                 `json:"reason"`
	Status              string                 `json:"status"`
}

type disputeEvidenceDetails struct {
	DueBy           nint  `json:"due_by"`
	HasEvidence     bool  `json:"has_evidence"`
	PastDue         bool  `json:"past_due"`
	SubmissionCount int64 `json:"submission_count"`
}

// disputeEvidenceFields are the evidence a merchant may submit; a new
// dispute has none.
var disputeEvidenceFields = []string{
	"access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure", "cancellation_rebuttal",
	"customer_communication", "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
	"duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id", "product_description", "receipt",
	"refund_policy", "refund_policy_disclosure", "refund_refusal_explanation", "service_date", "service_documentation",
	"shipping_address", "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
	"uncategorized_file", "uncategorized_text",
}

// disputeReasons are Stripe's; the sandbox's own action uses fraudulent
// unless told otherwise.
var disputeReasons = map[string]bool{
	"bank_cannot_process": true, "check_returned": true, "credit_not_processed": true, "customer_initiated": true,
	"debit_not_authorized": true, "duplicate": true, "fraudulent": true, "general": true, "incorrect_account_details": true,
	"insufficient_funds": true, "product_not_received": true, "product_unacceptable": true, "subscription_canceled": true,
	"unrecognized": true,
}

// open reports a dispute the bank has not ruled on.
func (d dispute) open() bool {
	switch d.Status {
	case "needs_response", "under_review", "warning_needs_response", "warning_under_review":
		return true
	}
	return false
}

// openDispute disputes what is left of a succeeded charge: the charge
// becomes disputed and charge.dispute.created fires. A charge has at most
// one dispute.
func (t *txn) openDispute(ch charge, reason string) (dispute, error) {
	if reason == "" {
		reason = "fraudulent"
	}
	if !disputeReasons[reason] {
		return dispute{}, invalidParam("reason", fmt.Sprintf("Invalid reason: %s", reason))
	}
	if ch.Status != "succeeded" {
		return dispute{}, invalidRequest("charge", fmt.Sprintf("Charge %s has not succeeded, so it cannot be disputed.", ch.ID))
	}
	if ch.Disputed {
		return dispute{}, invalidRequest("charge", fmt.Sprintf("Charge %s is already disputed.", ch.ID))
	}
	amount := ch.Amount - ch.AmountRefunded
	if amount <= 0 {
		return dispute{}, invalidRequest("charge", fmt.Sprintf("Charge %s is fully refunded: there is nothing left to dispute.", ch.ID))
	}
	ev := map[string]any{}
	for _, f := range disputeEvidenceFields {
		ev[f] = nil
	}
	d := dispute{
		ID: t.newID("dp_"), Object: objDispute, Amount: amount, BalanceTransactions: []any{}, Charge: ch.ID, Created: t.now.Unix(),
		Currency: ch.Currency, Evidence: ev, EvidenceDetails: disputeEvidenceDetails{DueBy: nint(t.now.Add(7 * 24 * time.Hour).Unix())},
		Metadata: map[string]string{}, PaymentIntent: ch.PaymentIntent, Reason: reason, Status: "needs_response",
	}
	ch.Disputed = true
	if err := t.put(objDispute, d.ID, d); err != nil {
		return d, err
	}
	if err := t.put(objCharge, ch.ID, ch); err != nil {
		return d, err
	}
	return d, t.emit("charge.dispute.created", d, nil)
}

// closeDispute is the bank's ruling: won gives the money back to the
// merchant, lost keeps it with the cardholder. An inquiry (warning_*)
// that the merchant wins closes as warning_closed, as Stripe's do.
func (t *txn) closeDispute(d dispute, outcome string) (dispute, error) {
	if outcome != "won" && outcome != "lost" {
		return d, invalidParam("outcome", "Close a dispute as won or lost.")
	}
	if !d.open() {
		return d, invalidRequest("", fmt.Sprintf("Dispute %s is already closed (%s).", d.ID, d.Status))
	}
	prev := mustMap(d)
	switch {
	case outcome == "won" && strings.HasPrefix(d.Status, "warning_"):
		d.Status = "warning_closed"
	default:
		d.Status = outcome
	}
	d.IsChargeRefundable = false
	if err := t.put(objDispute, d.ID, d); err != nil {
		return d, err
	}
	return d, t.emit("charge.dispute.closed", d, prev)
}

func (t *txn) disputeByID(id, param string) (dispute, error) {
	var d dispute
	if err := t.get(objDispute, id, &d); err != nil {
		return d, noSuch("dispute", id, param)
	}
	return d, nil
}

// chargeDispute is the dispute of a charge, if it has one.
func (t *txn) chargeDispute(chargeID string) (dispute, bool) {
	var out dispute
	found := false
	t.eachNewest(objDispute, func(_ string, raw []byte) bool {
		var d dispute
		if json.Unmarshal(raw, &d) == nil && d.Charge == chargeID {
			out, found = d, true
			return false
		}
		return true
	})
	return out, found
}

func apiGetDispute(t *txn, r *request) (any, error) { return t.disputeByID(r.id, "id") }

func apiListDisputes(t *txn, r *request) (any, error) {
	return t.listByPayment(r, objDispute, "/v1/disputes")
}

// apiCloseDispute is Stripe's "accept the dispute": the merchant gives
// up, and the dispute is lost.
func apiCloseDispute(t *txn, r *request) (any, error) {
	d, err := t.disputeByID(r.id, "id")
	if err != nil {
		return nil, err
	}
	return t.closeDispute(d, "lost")
}

// The bank's side, which Stripe's API does not offer: open a dispute on a
// charge, rule on one. For admins and this machine, like the clock; a
// form on the events page posts here with return=page.

func (s *Sandbox) staffAction(fn func(t *txn, c *fiber.Ctx) (any, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		page := c.FormValue("return") == "page"
		if !s.staff(c) {
			if page {
				return s.forbidden(c)
			}
			return c.Status(http.StatusForbidden).JSON(fiber.Map{"error": staffOnly})
		}
		var body []byte
		err := s.update(nil, func(t *txn) error {
			v, err := fn(t, c)
			if err != nil {
				return err
			}
			body, err = t.render(v, nil)
			return err
		})
		if err != nil {
			if page {
				return s.pageError(c, err)
			}
			return s.writeErr(c, err)
		}
		if page {
			return c.Redirect(mountPath+"/events", http.StatusSeeOther)
		}
		return writeJSON(c, http.StatusOK, body, "req_"+randomString(14))
	}
}

func disputeCharge(t *txn, c *fiber.Ctx) (any, error) {
	ch, err := t.chargeByID(c.Params("id"), "id")
	if err != nil {
		return nil, err
	}
	return t.openDispute(ch, strings.TrimSpace(c.FormValue("reason")))
}

func ruleDispute(t *txn, c *fiber.Ctx) (any, error) {
	d, err := t.disputeByID(c.Params("id"), "id")
	if err != nil {
		return nil, err
	}
	return t.closeDispute(d, strings.TrimSpace(c.FormValue("outcome")))
}
