package app

import "time"

// AuditEntry is one line of the admin audit log.
type AuditEntry struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`  // who: an email, or "system"
	Action string    `json:"action"` // what, like "admin.sign_in"
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
	IP     string    `json:"ip,omitempty"`
}
