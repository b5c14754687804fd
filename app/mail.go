package app

import "time"

// MailStatus is where a message is in the outbox.
type MailStatus string

const (
	MailPending MailStatus = "pending" // waiting for (another) attempt
	MailSent    MailStatus = "sent"    // accepted by the SMTP server
	MailFailed  MailStatus = "failed"  // gave up after the last attempt
	MailLogged  MailStatus = "logged"  // no SMTP configured: not sent (a shop on this machine shows it on its console)
)

// Mail is an email in the outbox. It is queued in the transaction that
// decided to send it and sent by the outbox worker after the commit.
type Mail struct {
	ID            string     `json:"id"`
	To            string     `json:"to"`
	Subject       string     `json:"subject"`
	Text          string     `json:"text"`
	HTML          string     `json:"html,omitempty"`
	Template      string     `json:"template,omitempty"` // which views/emails template made it
	Status        MailStatus `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        time.Time  `json:"sent_at,omitempty"`
}
