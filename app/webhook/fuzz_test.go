package webhook_test

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app/store"
	"vendo/app/webhook"
)

// FuzzWebhookRoute throws arbitrary bodies and signature headers (some
// correctly signed) at the receiver: it must never panic, must answer one
// of its documented statuses, and must store nothing for a bad signature.
func FuzzWebhookRoute(f *testing.F) {
	valid := eventJSON("evt_seed", "test.grant", "obj_seed", time.Now().Unix())
	f.Add(valid, "", true)
	f.Add(valid, "t=1,v1=00", false)
	f.Add([]byte(`{"id":"evt_1","type":"x","data":{"object":{"id":5}}}`), "", true)
	f.Add([]byte(`{"id":"","type":""}`), "", true)
	f.Add([]byte(`not json`), "", true)
	f.Add([]byte(`{"data":null,"id":"evt_2","type":"test.grant"}`), "", true)

	st, err := store.Open(f.TempDir()+"/fuzz.db", store.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	ledger := webhook.NewLedger(st, quiet)
	a := fiber.New(fiber.Config{DisableStartupMessage: true})
	a.Post("/webhooks/stripe", (&webhook.Receiver{Ledger: ledger, Secret: secret, Log: quiet}).Handle)

	f.Fuzz(func(t *testing.T, body []byte, header string, signIt bool) {
		if signIt {
			header = sign(body, secret, time.Now())
		}
		req := httptest.NewRequest("POST", "/webhooks/stripe", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", header)
		resp, err := a.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case 200, 400, 413, 500:
		default:
			t.Fatalf("unexpected status %d", resp.StatusCode)
		}
		if !signIt && resp.StatusCode == 200 {
			t.Fatalf("unsigned body accepted: header %q", header)
		}
	})
}
