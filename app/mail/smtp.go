package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"vendo/app"
)

var _ Sender = (*smtpSender)(nil)

// smtpSender sends through one SMTP server with go-mail: a connection per
// attempt, which suits the outbox's low volume.
type smtpSender struct {
	host string
	opts []gomail.Option
}

// newSMTPSender reads SMTP_URL: smtp:// uses STARTTLS when the server
// offers it (port 587 by default), smtps:// TLS from the start (465).
func newSMTPSender(raw string, tlsConfig *tls.Config) (*smtpSender, string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, "", fmt.Errorf("SMTP_URL is not a mail server address: use smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	s := &smtpSender{host: u.Hostname()}
	port := 587
	switch u.Scheme {
	case "smtp":
		s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		s.opts = append(s.opts, gomail.WithSSL())
	default:
		return nil, "", fmt.Errorf("SMTP_URL must start with smtp:// or smtps://")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, "", fmt.Errorf("SMTP_URL has a bad port %q", p)
		}
	}
	s.opts = append(s.opts, gomail.WithPort(port), gomail.WithTimeout(30*time.Second))
	if tlsConfig != nil {
		s.opts = append(s.opts, gomail.WithTLSConfig(tlsConfig))
	}
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		s.opts = append(s.opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return s, u.Query().Get("from"), nil
}

func (s *smtpSender) Send(ctx context.Context, from From, m app.Mail) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(from.Name, from.Address); err != nil {
		return fmt.Errorf("sender %q: %w", from.Address, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	// The outbox id makes the Message-ID stable across retries, so a
	// receiver can drop a duplicate after a crash between send and mark.
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	msg.SetMessageIDWithValue(m.ID + "@" + domain)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}
