package web

import (
	"fmt"
	"strings"
)

// statusWords are the words people read for the statuses Vendo and Stripe
// store (orders, subscriptions, invoices, refunds, licences, events, mail):
// "Payment failed", not past_due. Every page shows a status through
// statusText, the template func "status".
var statusWords = map[string]string{
	// orders
	"pending":            "Pending",
	"paid":               "Paid",
	"failed":             "Failed",
	"partially_refunded": "Partly refunded",
	"refunded":           "Refunded",
	// subscriptions (Stripe's statuses)
	"active":             "Active",
	"trialing":           "Trial",
	"past_due":           "Payment failed",
	"unpaid":             "Unpaid",
	"canceled":           "Canceled",
	"incomplete":         "Awaiting payment",
	"incomplete_expired": "Expired",
	"paused":             "Paused",
	// invoices
	"draft":         "Draft",
	"open":          "Due",
	"void":          "Void",
	"uncollectible": "Uncollectible",
	// refunds
	"succeeded":       "Succeeded",
	"requires_action": "Needs action",
	// licences and entitlements
	"revoked": "Revoked",
	// webhook events
	"applied": "Applied",
	"ignored": "Ignored",
	// mail
	"sent":   "Sent",
	"logged": "Logged",
	// products
	"archived": "Archived",
}

// statusText is a status as words: the known ones from statusWords, any
// other with its underscores as spaces and a capital first letter.
func statusText(v any) string {
	s := fmt.Sprint(v)
	if w, ok := statusWords[s]; ok {
		return w
	}
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
