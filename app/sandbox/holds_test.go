package sandbox

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// TestHeldDeliveriesGoOutInTheChosenOrder: a rule holds the deliveries of
// some events (by type, by object); everything else goes out; the held
// ones wait, are listed in held order, and go out in the order the test
// releases them, through the Go API and the HTTP one.
func TestHeldDeliveriesGoOutInTheChosenOrder(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	resp, body := e.postForm(mountPath+"/deliveries/hold", url.Values{"type": {"checkout.session.*"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "checkout.session.*") {
		t.Fatalf("hold by type: %d %s", resp.StatusCode, body)
	}
	if _, err := e.sb.Hold(HoldRule{Type: "charge.succeeded"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.Hold(HoldRule{}); err == nil {
		t.Error("an empty rule, which would hold everything, was accepted")
	}
	s, _ := e.payWith(c, "4242424242424242")
	e.expect("customer.created", "payment_method.attached", "payment_intent.created", "payment_intent.succeeded")

	var held struct {
		Data []HeldDelivery `json:"data"`
	}
	waitHeld := func(n int) {
		t.Helper()
		for range 200 {
			_, body := e.get(mountPath + "/deliveries/held")
			decodeJSON(t, body, &held)
			if len(held.Data) >= n {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("held %d deliveries, want %d", len(held.Data), n)
	}
	waitHeld(2)
	if held.Data[0].Type != "charge.succeeded" || held.Data[1].Type != "checkout.session.completed" || held.Data[1].Object != s.ID {
		t.Fatalf("held: %+v", held.Data)
	}
	_, page := e.get(mountPath + "/events")
	if !strings.Contains(page, "Held deliveries") || !strings.Contains(page, held.Data[1].Event) {
		t.Error("the events page does not list the held deliveries")
	}

	// Released newest first: the receiver sees them in that order.
	resp, body = e.postForm(mountPath+"/deliveries/release", url.Values{"id": {held.Data[1].ID, held.Data[0].ID}})
	if resp.StatusCode != http.StatusOK || strings.Count(body, `"status":200`) != 2 {
		t.Fatalf("release: %d %s", resp.StatusCode, body)
	}
	e.expect("checkout.session.completed", "charge.succeeded")
	if _, err := e.sb.Release(context.Background(), held.Data[0].ID); err == nil {
		t.Error("released the same delivery twice")
	}

	// By object: only the events about one object wait.
	if err := e.sb.Unhold(); err != nil {
		t.Fatal(err)
	}
	ch := s.PaymentIntent.LatestCharge
	if _, err := e.sb.Hold(HoldRule{Object: ch.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch.ID), Amount: stripe.Int64(100)}); err != nil {
		t.Fatal(err)
	}
	e.expect("refund.created")
	waitHeld(1)
	if len(held.Data) != 1 || held.Data[0].Type != "charge.refunded" {
		t.Fatalf("held by object: %+v", held.Data)
	}
	// A released delivery the receiver refuses is retried like any other
	// (held again while a rule matches it: stop holding first).
	if err := e.sb.Unhold(); err != nil {
		t.Fatal(err)
	}
	e.rc.mu.Lock()
	e.rc.failFirst = e.rc.calls + 1
	e.rc.mu.Unlock()
	out, err := e.sb.Release(context.Background())
	if err != nil || len(out) != 1 || out[0].Status != http.StatusInternalServerError {
		t.Fatalf("release all: %+v %v", out, err)
	}
	e.expect("charge.refunded")
	if h, _ := e.sb.Held(); len(h) != 0 {
		t.Errorf("still held: %+v", h)
	}
}

// TestStalledReadAnswersWhatWasTrueWhenItWasRead: the answer is taken
// when the read arrives and sent when the test lets it go, after a newer
// write: the stale read a slow network makes.
func TestStalledReadAnswersWhatWasTrueWhenItWasRead(t *testing.T) {
	e := newEnv(t)
	cus, err := e.api.Customers.New(&stripe.CustomerParams{Email: stripe.String("old@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	stalled, release := e.sb.StallRead(cus.ID)
	defer release()
	got := make(chan *stripe.Customer, 1)
	go func() {
		c, err := e.api.Customers.Get(cus.ID, nil)
		if err != nil {
			t.Error(err)
		}
		got <- c
	}()
	select {
	case <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("the read was not stalled")
	}
	if _, err := e.api.Customers.Update(cus.ID, &stripe.CustomerParams{Email: stripe.String("new@example.com")}); err != nil {
		t.Fatal(err)
	}
	release()
	if c := <-got; c == nil || c.Email != "old@example.com" {
		t.Fatalf("the stalled read answered %+v, want the old email", c)
	}
	// Only the next read was stalled.
	if c, err := e.api.Customers.Get(cus.ID, nil); err != nil || c.Email != "new@example.com" {
		t.Fatalf("the next read: %+v %v", c, err)
	}
}
