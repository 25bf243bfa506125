// Package mailer sends the instance's email through the SMTP server set by
// --smtp-url: STARTTLS (or TLS from the start with smtps://), and
// authentication when the URL carries a user name.
package mailer

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/commonground/commonground/notify"
)

// Config is where and as whom mail is sent.
type Config struct {
	// URL is smtp://[user:password@]host[:port] (STARTTLS, port 587 by
	// default) or smtps://… (TLS from the start, port 465).
	URL string
	// From is the sender, "Name <address>" or an address.
	From string
	// TLS, when set, is the TLS configuration to use (tests trust their own
	// certificate with it); the server name is filled in.
	TLS *tls.Config
	// Timeout bounds one message's whole conversation (30 s by default).
	Timeout time.Duration
}

// Mailer sends mail over SMTP. It holds no connection: each message has its
// own, so a server that drops idle connections costs nothing.
type Mailer struct {
	host, addr string
	implicit   bool // TLS from the start (smtps)
	auth       smtp.Auth
	from       *mail.Address
	tls        *tls.Config
	timeout    time.Duration
	now        func() time.Time
}

// New checks the configuration; its errors name the setting at fault.
func New(c Config, now func() time.Time) (*Mailer, error) {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return nil, errors.New("--smtp-url: want smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465")
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("--mail-from %q: want an address such as Riverside <notifications@example.org>", c.From)
	}
	m := &Mailer{host: u.Hostname(), implicit: u.Scheme == "smtps", from: from, timeout: c.Timeout, now: now}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "465", false: "587"}[m.implicit]
	}
	m.addr = net.JoinHostPort(m.host, port)
	if m.timeout <= 0 {
		m.timeout = 30 * time.Second
	}
	m.tls = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
	if c.TLS != nil {
		m.tls = c.TLS.Clone()
		m.tls.ServerName = m.host
	}
	if user := u.User.Username(); user != "" {
		password, _ := u.User.Password()
		// PlainAuth refuses to send the password without TLS, except to
		// localhost: a server that offers no STARTTLS gets no password.
		m.auth = smtp.PlainAuth("", user, password, m.host)
	}
	return m, nil
}

// Send sends one message. A permanent refusal (a 5xx answer) wraps
// notify.ErrRejected; anything else may pass and is worth a retry.
func (m *Mailer) Send(ctx context.Context, msg notify.Mail) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	conn, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) }) // shutdown interrupts a slow server
	defer stop()
	err = m.converse(conn, msg)
	var proto *textproto.Error
	if errors.As(err, &proto) && proto.Code >= 500 {
		return fmt.Errorf("%w: %w", notify.ErrRejected, err)
	}
	return err
}

func (m *Mailer) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return nil, fmt.Errorf("connect to the mail server: %w", err)
	}
	if m.implicit {
		tc := tls.Client(conn, m.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS with the mail server: %w", err)
		}
		return tc, nil
	}
	return conn, nil
}

func (m *Mailer) converse(conn net.Conn, msg notify.Mail) error {
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("mail server greeting: %w", err)
	}
	defer c.Close()
	if !m.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tls); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		} else if !isLoopback(m.host) {
			return errors.New("the mail server does not offer STARTTLS; mail is not sent in the clear")
		}
	}
	if m.auth != nil {
		if err := c.Auth(m.auth); err != nil {
			return fmt.Errorf("authenticate with the mail server: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(msg.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(m.build(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err // the server did not accept the message
	}
	c.Quit() // the message is accepted: a failed goodbye changes nothing
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// build writes the message: plain text in quoted-printable UTF-8, with the
// unsubscribe headers of RFC 2369 and RFC 8058 (one-click).
func (m *Mailer) build(msg notify.Mail) []byte {
	var b bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&b, "%s: %s\r\n", name, value) }
	header("From", m.from.String())
	header("To", (&mail.Address{Address: msg.To}).String())
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Subject)))
	header("Date", m.now().Format(time.RFC1123Z))
	if msg.MessageID != "" {
		header("Message-ID", msg.MessageID)
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	if msg.UnsubscribeURL != "" {
		header("List-Unsubscribe", "<"+msg.UnsubscribeURL+">")
		header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(msg.Text, "\r\n", "\n"), "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

// oneLine keeps a header on one line, whatever the text held.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
