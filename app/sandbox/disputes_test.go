package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v76"
)

// payWith pays a new payment session with a card and returns the paid
// session with its charge.
func (e *env) payWith(c catalog, number string) (*stripe.CheckoutSession, *stripe.Charge) {
	e.t.Helper()
	s := e.paymentSession(c)
	if resp, body := e.postForm(s.URL, cardValues(number)); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("pay with %s: %d %s", number, resp.StatusCode, body)
	}
	p := &stripe.CheckoutSessionParams{}
	p.AddExpand("payment_intent.latest_charge")
	got, err := e.api.CheckoutSessions.Get(s.ID, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return got, got.PaymentIntent.LatestCharge
}

func (e *env) charge(id string) *stripe.Charge {
	e.t.Helper()
	p := &stripe.ChargeParams{}
	p.AddExpand("refunds")
	ch, err := e.api.Charges.Get(id, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return ch
}

// TestCard0259PaysThenIsDisputed: the payment succeeds and completes the
// session; right after, the cardholder disputes it. The dispute is
// listed by charge and payment intent, blocks refunds, and is ruled on
// through the bank's action (won here).
func TestCard0259PaysThenIsDisputed(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s, ch := e.payWith(c, "4000 0000 0000 0259")
	evs := e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
		"checkout.session.completed", "charge.dispute.created")
	dp := evs[len(evs)-1].Data.Object
	if dp["charge"] != ch.ID || dp["payment_intent"] != s.PaymentIntent.ID || dp["status"] != "needs_response" || dp["reason"] != "fraudulent" ||
		dp["amount"] != float64(5500) {
		t.Fatalf("charge.dispute.created: %v", dp)
	}
	if got := e.charge(ch.ID); !got.Disputed {
		t.Error("the charge does not say it is disputed")
	}
	for _, byPI := range []bool{false, true} {
		lp := &stripe.DisputeListParams{Charge: stripe.String(ch.ID)}
		if byPI {
			lp = &stripe.DisputeListParams{PaymentIntent: stripe.String(s.PaymentIntent.ID)}
		}
		it := e.api.Disputes.List(lp)
		n := 0
		for it.Next() {
			n++
			if it.Dispute().ID != dp["id"] || it.Dispute().Status != stripe.DisputeStatusNeedsResponse {
				t.Errorf("listed dispute: %+v", it.Dispute())
			}
		}
		if it.Err() != nil || n != 1 {
			t.Errorf("disputes of the charge (by payment intent %v): %d, %v", byPI, n, it.Err())
		}
	}
	if _, err := e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch.ID)}); err == nil || !strings.Contains(err.Error(), "charged back") {
		t.Errorf("refunding a disputed charge: %v", err)
	}

	resp, body := e.postForm(mountPath+"/disputes/"+dp["id"].(string)+"/close", url.Values{"outcome": {"won"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"won"`) {
		t.Fatalf("rule won: %d %s", resp.StatusCode, body)
	}
	closed := e.expect("charge.dispute.closed")[0]
	if closed.Data.Object["status"] != "won" || closed.Data.PreviousAttributes["status"] != "needs_response" {
		t.Errorf("charge.dispute.closed: %v prev %v", closed.Data.Object, closed.Data.PreviousAttributes)
	}
	if resp, body := e.postForm(mountPath+"/disputes/"+dp["id"].(string)+"/close", url.Values{"outcome": {"lost"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "already closed") {
		t.Errorf("ruling twice: %d %s", resp.StatusCode, body)
	}
	e.expect()
}

// TestDisputeAnyChargeFromTheEventsPage: the events page offers to
// dispute a paid charge and then to rule on the dispute; a lost dispute
// is final, and Stripe's own "accept" (POST /v1/disputes/:id/close) loses
// too.
func TestDisputeAnyChargeFromTheEventsPage(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	_, ch := e.payWith(c, "4242424242424242")
	e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
	_, page := e.get(mountPath + "/events")
	if !strings.Contains(page, `action="/sandbox/stripe/charges/`+ch.ID+`/dispute"`) {
		t.Fatalf("the events page does not offer to dispute %s", ch.ID)
	}
	resp, _ := e.postForm(mountPath+"/charges/"+ch.ID+"/dispute", url.Values{"return": {"page"}, "reason": {"product_not_received"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != mountPath+"/events" {
		t.Fatalf("dispute from the page: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	dp := e.expect("charge.dispute.created")[0].Data.Object
	if dp["reason"] != "product_not_received" {
		t.Errorf("reason %v", dp["reason"])
	}
	_, page = e.get(mountPath + "/events")
	if strings.Contains(page, `/charges/`+ch.ID+`/dispute"`) || !strings.Contains(page, `action="/sandbox/stripe/disputes/`+dp["id"].(string)+`/close"`) {
		t.Fatal("after the dispute, the page should offer a ruling and no second dispute")
	}
	if resp, body := e.postForm(mountPath+"/charges/"+ch.ID+"/dispute", nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already disputed") {
		t.Errorf("a second dispute: %d %s", resp.StatusCode, body)
	}
	got, err := e.api.Disputes.Close(dp["id"].(string), nil)
	if err != nil || got.Status != stripe.DisputeStatusLost {
		t.Fatalf("accept the dispute: %+v %v", got, err)
	}
	if ev := e.expect("charge.dispute.closed")[0]; ev.Data.Object["status"] != "lost" {
		t.Errorf("closed as %v", ev.Data.Object["status"])
	}
}

// TestRefundOf5126FailsAnHourLater: the refund succeeds at first (the
// charge says refunded); an hour of sandbox time later it fails, the
// charge's refunded amount goes back down, and charge.refund.updated
// tells the shop.
func TestRefundOf5126FailsAnHourLater(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	_, ch := e.payWith(c, "4000000000005126")
	e.expect("customer.created", "payment_method.attached", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed")
	re, err := e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch.ID)})
	if err != nil || re.Status != stripe.RefundStatusSucceeded {
		t.Fatalf("refund: %+v %v", re, err)
	}
	e.expect("charge.refunded", "refund.created")
	if got := e.charge(ch.ID); !got.Refunded || got.AmountRefunded != 5500 {
		t.Fatalf("after the refund: refunded %v, %d", got.Refunded, got.AmountRefunded)
	}
	e.advance("59m")
	e.expect()
	e.advance("2m")
	evs := e.expect("charge.refund.updated", "refund.updated")
	if o := evs[0].Data.Object; o["id"] != re.ID || o["status"] != "failed" || o["failure_reason"] != "expired_or_canceled_card" ||
		evs[0].Data.PreviousAttributes["status"] != "succeeded" {
		t.Errorf("charge.refund.updated: %v prev %v", o, evs[0].Data.PreviousAttributes)
	}
	got := e.charge(ch.ID)
	if got.Refunded || got.AmountRefunded != 0 || len(got.Refunds.Data) != 1 || got.Refunds.Data[0].Status != stripe.RefundStatusFailed {
		t.Fatalf("after the failure: refunded %v, %d, refunds %+v", got.Refunded, got.AmountRefunded, got.Refunds.Data)
	}
	// The money is the merchant's again, so it can be refunded again.
	if _, err := e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch.ID), Amount: stripe.Int64(500)}); err != nil {
		t.Fatalf("refund after the failure: %v", err)
	}
	e.expect("charge.refunded", "refund.created")
}

// TestRefundsAndDisputesListByPayment: both lists filter by charge and by
// payment intent, as Stripe's do (the shop's sync and reconcile read them
// that way), so one payment's refund or dispute never shows under another.
func TestRefundsAndDisputesListByPayment(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	// Refunded payments and disputed ones (a disputed charge cannot be
	// refunded), two of each.
	type payment struct{ charge, pi string }
	var refunded, disputed []payment
	for range 2 {
		s, ch := e.payWith(c, "4242 4242 4242 4242")
		if _, err := e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch.ID), Amount: stripe.Int64(100)}); err != nil {
			t.Fatal(err)
		}
		refunded = append(refunded, payment{ch.ID, s.PaymentIntent.ID})
		s, ch = e.payWith(c, "4000 0000 0000 0259")
		disputed = append(disputed, payment{ch.ID, s.PaymentIntent.ID})
	}
	refundsOf := func(p *stripe.RefundListParams) (charges []string) {
		it := e.api.Refunds.List(p)
		for it.Next() {
			charges = append(charges, it.Refund().Charge.ID)
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		return charges
	}
	disputesOf := func(p *stripe.DisputeListParams) (charges []string) {
		it := e.api.Disputes.List(p)
		for it.Next() {
			charges = append(charges, it.Dispute().Charge.ID)
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		return charges
	}
	if got := refundsOf(&stripe.RefundListParams{}); len(got) != 2 {
		t.Fatalf("all refunds: %v", got)
	}
	if got := disputesOf(&stripe.DisputeListParams{}); len(got) != 2 {
		t.Fatalf("all disputes: %v", got)
	}
	for _, p := range refunded {
		for _, got := range [][]string{
			refundsOf(&stripe.RefundListParams{Charge: stripe.String(p.charge)}),
			refundsOf(&stripe.RefundListParams{PaymentIntent: stripe.String(p.pi)}),
		} {
			if len(got) != 1 || got[0] != p.charge {
				t.Errorf("refunds listed for charge %s: %v", p.charge, got)
			}
		}
	}
	for _, p := range disputed {
		for _, got := range [][]string{
			disputesOf(&stripe.DisputeListParams{Charge: stripe.String(p.charge)}),
			disputesOf(&stripe.DisputeListParams{PaymentIntent: stripe.String(p.pi)}),
		} {
			if len(got) != 1 || got[0] != p.charge {
				t.Errorf("disputes listed for charge %s: %v", p.charge, got)
			}
		}
	}
}
