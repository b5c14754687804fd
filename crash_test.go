package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"vendo/app/store"
)

// fakeStripeAPI answers the one call the checkout handler makes: retrieve
// a Checkout Session (paid, one line), in Stripe's wire format.
func fakeStripeAPI(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/v1/checkout/sessions/")
		if r.Method != "GET" || id == r.URL.Path {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"No such object"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "object": "checkout.session", "mode": "payment", "status": "complete", "payment_status": "paid",
			"amount_total": 1200, "amount_subtotal": 1200, "currency": "usd", "created": time.Now().Unix(), "livemode": false,
			"customer_details": map[string]any{"email": "crash-" + id + "@example.com", "name": "Crash Test"},
			"payment_intent":   "pi_" + id, "metadata": map[string]any{},
			"line_items": map[string]any{"object": "list", "has_more": false, "data": []any{map[string]any{
				"id": "li_" + id, "object": "item", "quantity": 1, "amount_total": 1200, "currency": "usd", "description": "Crash",
				"price": map[string]any{"id": "price_crash", "object": "price", "unit_amount": 1200, "currency": "usd", "product": "prod_crash"},
			}}},
		})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestCrashDuringWebhookStormLosesNoAcknowledgedEvent kills Vendo with
// SIGKILL while 8 senders deliver events, restarts it on the same data,
// and checks that every event it answered 2xx is in the ledger with its
// effect (an order for its session) in the store (DESIGN.md §5 rule 2).
func TestCrashDuringWebhookStormLosesNoAcknowledgedEvent(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	const secret = "whsec_crash_test"
	env := []string{"STRIPE_SECRET_KEY=sk_test_crash", "STRIPE_WEBHOOK_SECRET=" + secret, "STRIPE_API_BASE=" + fakeStripeAPI(t), "VENDO_SYNC_INTERVAL=0"}
	cmd := startVendo(t, data, addr, env...)

	var acked sync.Map
	var n atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sess := fmt.Sprintf("cs_crash_%d_%d", w, i)
				payload, _ := json.Marshal(map[string]any{
					"id": "evt_" + sess, "object": "event", "type": "checkout.session.completed", "api_version": stripe.APIVersion,
					"created": time.Now().Unix(), "data": map[string]any{"object": map[string]any{"id": sess, "object": "checkout.session"}},
				})
				signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
				req, _ := http.NewRequest("POST", "http://"+addr+"/webhooks/stripe", bytes.NewReader(payload))
				req.Header.Set("Stripe-Signature", signed.Header)
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					acked.Store("evt_"+sess, sess)
					n.Add(1)
				}
			}
		}(w)
	}
	// Let the storm run until a good number were acknowledged, then kill.
	deadline := time.Now().Add(30 * time.Second)
	for n.Load() < 150 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if n.Load() < 50 {
		t.Fatalf("only %d events acknowledged before the kill", n.Load())
	}

	// Restart on the same data: it must come up cleanly.
	addr2 := freeAddr(t)
	cmd2 := startVendo(t, data, addr2, env...)
	cmd2.Process.Signal(os.Interrupt)
	cmd2.Wait()

	st, err := store.Open(data+"/vendo.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	missing := 0
	acked.Range(func(k, v any) bool {
		rec, found, err := st.Event(context.Background(), k.(string))
		if err != nil || !found || rec.Outcome != store.EventApplied {
			missing++
			return true
		}
		st.View(context.Background(), func(tx *store.Tx) error {
			if _, ok, _ := tx.OrderByCheckoutSession(v.(string)); !ok {
				missing++
			}
			return nil
		})
		return true
	})
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events lost their ledger record or effect", missing, n.Load())
	}
	t.Logf("%d acknowledged events all survived SIGKILL", n.Load())
}
