package web

import "testing"

func TestStatusText(t *testing.T) {
	for in, want := range map[string]string{
		"past_due":           "Payment failed",
		"partially_refunded": "Partly refunded",
		"active":             "Active",
		"canceled":           "Canceled",
		"paid":               "Paid",
		"open":               "Due",
		"ignored":            "Ignored",
		"something_new":      "Something new",
		"":                   "",
	} {
		if got := statusText(in); got != want {
			t.Errorf("statusText(%q) = %q, want %q", in, got, want)
		}
	}
	type mailStatus string
	if got := statusText(mailStatus("logged")); got != "Logged" {
		t.Errorf("a typed status reads %q, want Logged", got)
	}
}
