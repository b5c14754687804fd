// Package mail composes Vendo's emails from the templates in views/emails/
// and delivers them through the outbox: a message is queued in the
// transaction that decided to send it, and a worker sends it over SMTP
// after the commit, retrying with backoff. Without SMTP_URL nothing is
// sent: the message stays in the outbox, and a shop on this machine (a
// developer's) shows it whole on its console so its links can be
// followed. The log never holds a message's links, and the outbox never
// holds a link that carries a secret (see SecretLinks).
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Config is what New needs.
type Config struct {
	Store *store.Store
	Log   *slog.Logger
	// Views is the views/ tree; templates are emails/NAME.txt (first line
	// "Subject: …", a blank line, then the text body) and, optionally,
	// emails/NAME.html (the HTML alternative).
	Views fs.FS
	// BaseURL is the shop's public address, for links in messages.
	BaseURL string
	// SMTPURL is smtp://user:pass@host:port (STARTTLS when the server
	// offers it) or smtps://… (TLS from the start); an optional ?from=
	// sets the sender address. Empty means "log messages, send nothing".
	SMTPURL string
	// TLSConfig, when set, is used for STARTTLS and smtps (a private CA in
	// tests); nil verifies the server against the system's roots.
	TLSConfig *tls.Config
	// Sender overrides the SMTP sender (tests); nil uses SMTPURL.
	Sender Sender
	// Poll is how often the worker looks for due messages besides being
	// woken by a commit; 30s when 0.
	Poll time.Duration
	// MaxAttempts is how many times a message is tried before it is marked
	// failed; 8 when 0 (about four hours of retries).
	MaxAttempts int
	// Console, without SMTP, is where each message is shown whole, links
	// included: the server sets it only for a shop whose public address
	// is this machine's (a developer at the terminal). The log gets a line
	// without the links either way (issue 17, hole 11).
	Console io.Writer
}

// Sender delivers one message; an error means "try again later".
type Sender interface {
	Send(ctx context.Context, from From, m app.Mail) error
}

// From is the sender of every message.
type From struct{ Name, Address string }

// Mailer composes, queues and delivers mail. Its Run method is the outbox
// worker; Queue may be called from any goroutine.
type Mailer struct {
	cfg    Config
	log    *slog.Logger
	html   *htmltemplate.Template
	text   *texttemplate.Template
	sender Sender // nil: log only
	from   string // address from SMTP_URL's ?from=, if any
	wake   chan struct{}
	links  []secretLink // set while the shop is built, read-only after
}

// A secret link is one whose token is "<ref>.<mac>", where only the shop
// can compute the mac from the ref (sign-in links, download links). The
// outbox never stores one (issue 17, hole 8): as a message is queued,
// each such link becomes a reference, "[[link PATH REF]]", and the link
// is made again from it only as the message is sent. So the database, its
// backups and an admin reading the outbox hold no link anyone can use,
// while the customer receives a working one.
type secretLink struct {
	path string              // "/login/email/"
	re   *regexp.Regexp      // BaseURL + path + (ref) . mac
	sign func(string) string // ref → ref.mac
}

// placeholderRE finds the references in a stored message.
var placeholderRE = regexp.MustCompile(`\[\[link (/[a-z/]+/) ([A-Za-z0-9_-]+)\]\]`)

// SecretLinks declares that links under path (like "/downloads/") carry a
// secret: sign completes a reference into the link's token. The server
// calls it while it builds the shop, before any mail is queued.
func (m *Mailer) SecretLinks(path string, sign func(ref string) string) {
	re := regexp.MustCompile(regexp.QuoteMeta(m.cfg.BaseURL+path) + `([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+`)
	m.links = append(m.links, secretLink{path: path, re: re, sign: sign})
}

// redact replaces each secret link in s with its reference.
func (m *Mailer) redact(s string) string {
	for _, l := range m.links {
		s = l.re.ReplaceAllString(s, "[[link "+l.path+" $1]]")
	}
	return s
}

// Render makes a stored message sendable: each reference becomes its link
// again. The outbox worker calls it just before sending; tests call it to
// read what a customer receives.
func (m *Mailer) Render(msg app.Mail) app.Mail {
	render := func(s string) string {
		return placeholderRE.ReplaceAllStringFunc(s, func(ph string) string {
			sub := placeholderRE.FindStringSubmatch(ph)
			for _, l := range m.links {
				if l.path == sub[1] {
					return m.cfg.BaseURL + l.path + l.sign(sub[2])
				}
			}
			return ph
		})
	}
	msg.Text, msg.HTML = render(msg.Text), render(msg.HTML)
	return msg
}

// New parses the email templates (a broken one fails start-up) and
// prepares the sender.
func New(cfg Config) (*Mailer, error) {
	if cfg.Poll <= 0 {
		cfg.Poll = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	m := &Mailer{cfg: cfg, log: cfg.Log.With("component", "mail"), wake: make(chan struct{}, 1)}
	m.html = htmltemplate.New("emails")
	m.text = texttemplate.New("emails")
	err := fs.WalkDir(cfg.Views, "emails", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(cfg.Views, p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(path.Base(p), path.Ext(p))
		switch path.Ext(p) {
		case ".html":
			_, err = m.html.New(name).Parse(string(body))
		case ".txt":
			_, err = m.text.New(name).Parse(string(body))
		}
		if err != nil {
			return fmt.Errorf("email template %s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Sender != nil:
		m.sender = cfg.Sender
	case cfg.SMTPURL != "":
		s, from, err := newSMTPSender(cfg.SMTPURL, cfg.TLSConfig)
		if err != nil {
			return nil, err
		}
		m.sender, m.from = s, from
	}
	return m, nil
}

// Sends reports whether messages leave the building (SMTP is configured).
func (m *Mailer) Sends() bool { return m.sender != nil }

// Compose renders the template name for recipient to. data is available
// in the template next to .Shop (the settings) and .BaseURL.
func (m *Mailer) Compose(settings app.Settings, name, to string, data map[string]any) (app.Mail, error) {
	vars := map[string]any{"Shop": settings, "BaseURL": m.cfg.BaseURL, "To": to}
	for k, v := range data {
		vars[k] = v
	}
	t := m.text.Lookup(name)
	if t == nil {
		return app.Mail{}, fmt.Errorf("compose: no template emails/%s.txt", name)
	}
	var text bytes.Buffer
	if err := t.Execute(&text, vars); err != nil {
		return app.Mail{}, fmt.Errorf("compose %s: %w", name, err)
	}
	head, body, ok := strings.Cut(strings.ReplaceAll(text.String(), "\r\n", "\n"), "\n\n")
	subject, found := strings.CutPrefix(strings.TrimSpace(head), "Subject:")
	if !ok || !found {
		return app.Mail{}, fmt.Errorf("compose %s: the text template must start with \"Subject: …\" and a blank line", name)
	}
	out := app.Mail{To: to, Subject: strings.TrimSpace(subject), Text: strings.TrimSpace(body) + "\n", Template: name}
	if h := m.html.Lookup(name); h != nil {
		var html bytes.Buffer
		if err := h.Execute(&html, vars); err != nil {
			return app.Mail{}, fmt.Errorf("compose %s (html): %w", name, err)
		}
		out.HTML = html.String()
	} else {
		out.HTML = textToHTML(out.Text)
	}
	return out, nil
}

// Queue composes a message and puts it in the outbox inside tx: it is sent
// only if tx commits, and once committed it is not lost. The worker is
// woken after the commit.
func (m *Mailer) Queue(tx *store.Tx, name, to string, data map[string]any) error {
	settings, err := tx.Settings()
	if err != nil {
		return err
	}
	msg, err := m.Compose(settings, name, to, data)
	if err != nil {
		return err
	}
	msg.Text, msg.HTML = m.redact(msg.Text), m.redact(msg.HTML)
	if err := tx.QueueMail(&msg); err != nil {
		return err
	}
	tx.OnCommit(func() {
		m.log.Info("mail queued", "id", msg.ID, "to", msg.To, "subject", msg.Subject)
		m.Notify()
	})
	return nil
}

// Notify wakes the worker without blocking.
func (m *Mailer) Notify() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run is the outbox worker: it delivers due messages when woken and every
// Poll, until ctx ends. Pending messages from before a restart are picked
// up at once.
func (m *Mailer) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := m.Flush(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// Flush makes one attempt at every due message and returns how many were
// delivered (or logged).
func (m *Mailer) Flush(ctx context.Context) (int, error) {
	st := m.cfg.Store
	var (
		due      []app.Mail
		settings app.Settings
	)
	err := st.View(ctx, func(tx *store.Tx) (err error) {
		if due, err = tx.DueMail(50); err != nil {
			return err
		}
		settings, err = tx.Settings()
		return err
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	if m.sender == nil {
		return m.logDue(ctx, due)
	}
	from := m.fromAddress(settings)
	done := 0
	for _, stored := range due {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		msg := m.Render(stored)
		sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
		sendErr := m.sender.Send(sendCtx, from, msg)
		cancel()
		if ctx.Err() != nil {
			return done, ctx.Err() // shutting down: the attempt does not count
		}
		err := st.UpdateMail(ctx, msg.ID, func(x *app.Mail) {
			x.Attempts++
			if sendErr == nil {
				x.Status, x.SentAt, x.LastError = app.MailSent, st.Now(), ""
				return
			}
			x.LastError = sendErr.Error()
			if x.Attempts >= m.cfg.MaxAttempts {
				x.Status = app.MailFailed
				return
			}
			x.NextAttemptAt = st.Now().Add(Backoff(x.Attempts))
		})
		if err != nil {
			return done, err
		}
		if sendErr != nil {
			m.log.Warn("mail not delivered; will retry", "id", msg.ID, "to", msg.To, "attempt", msg.Attempts+1, "err", sendErr)
			continue
		}
		m.log.Info("mail sent", "id", msg.ID, "to", msg.To, "subject", msg.Subject)
		done++
	}
	return done, nil
}

// logDue shows the due messages on the console (when there is one) and
// marks them logged, all in one write: nothing leaves the machine, so
// there is no delivery to record one at a time, and a write per message
// was a commit and an fsync per receipt, queued behind the webhooks'.
func (m *Mailer) logDue(ctx context.Context, due []app.Mail) (int, error) {
	ids := make([]string, 0, len(due))
	for _, stored := range due {
		msg := m.Render(stored)
		if m.cfg.Console != nil {
			fmt.Fprintf(m.cfg.Console, "\n--- mail to %s (SMTP_URL is not set, so it is shown here, not sent): %s\n%s---\n", msg.To, msg.Subject, msg.Text)
		}
		m.log.Info("mail not sent (SMTP_URL is not set); it stays in the outbox", "id", msg.ID, "to", msg.To, "subject", msg.Subject,
			"shown_on_console", m.cfg.Console != nil)
		ids = append(ids, msg.ID)
	}
	st := m.cfg.Store
	if err := st.UpdateMails(ctx, ids, func(x *app.Mail) { x.Status = app.MailLogged; x.SentAt = st.Now() }); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// Backoff is the wait before attempt n+1 after n failed attempts: 30s,
// 1m, 2m, … up to an hour.
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func (m *Mailer) fromAddress(s app.Settings) From {
	addr := m.from
	if addr == "" {
		addr = s.SupportEmail
	}
	if addr == "" {
		host := m.cfg.BaseURL
		if i := strings.Index(host, "://"); i >= 0 {
			host = host[i+3:]
		}
		if i := strings.IndexAny(host, ":/"); i >= 0 {
			host = host[:i]
		}
		if !strings.Contains(host, ".") {
			host += ".localdomain"
		}
		addr = "no-reply@" + host
	}
	return From{Name: s.ShopName, Address: addr}
}
