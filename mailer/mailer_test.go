package mailer_test

import (
	"context"
	"errors"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/mailer"
	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/notify/notifytest"
)

func TestConfigErrorsNameTheSetting(t *testing.T) {
	for _, c := range []struct{ url, from, want string }{
		{"http://mail.example", "a@example.org", "--smtp-url"},
		{"smtp://", "a@example.org", "--smtp-url"},
		{"smtp://mail.example", "not an address", "--mail-from"},
	} {
		if _, err := mailer.New(mailer.Config{URL: c.url, From: c.from}, time.Now); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q, %q: %v, want an error naming %s", c.url, c.from, err, c.want)
		}
	}
}

// A subject is one header line whatever the title held, encoded when it is
// not ASCII; a refused recipient is a final failure.
func TestHeadersCannotBeInjectedAndRefusalsAreFinal(t *testing.T) {
	srv := notifytest.Start(t, notifytest.Options{TLS: true, User: "u", Password: "p", Refuse: []string{"gone@example.org"}})
	m, err := mailer.New(mailer.Config{URL: srv.URL(), From: "Rivière <n@example.org>", TLS: srv.ClientTLS()}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = m.Send(ctx, notify.Mail{To: "ada@example.org", Subject: "Vote: «l'eau»\r\nBcc: evil@example.org", Text: "Line one\nLine two é", MessageID: "<n-1@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, 1, 10*time.Second)[0]
	subject, err := new(mime.WordDecoder).DecodeHeader(got.Header.Get("Subject"))
	if err != nil || subject != "Vote: «l'eau» Bcc: evil@example.org" || got.Header.Get("Bcc") != "" {
		t.Errorf("subject %q (%v), Bcc %q", subject, err, got.Header.Get("Bcc"))
	}
	if strings.TrimSuffix(got.Body, "\n") != "Line one\nLine two é" || got.Header.Get("Message-ID") != "<n-1@example.org>" || len(got.To) != 1 {
		t.Errorf("body %q, message id %q, to %v", got.Body, got.Header.Get("Message-ID"), got.To)
	}
	if err := m.Send(ctx, notify.Mail{To: "gone@example.org", Subject: "x", Text: "x"}); !errors.Is(err, notify.ErrRejected) {
		t.Errorf("a refused recipient: %v, want ErrRejected", err)
	}
	srv.FailNext(1)
	if err := m.Send(ctx, notify.Mail{To: "ada@example.org", Subject: "x", Text: "x"}); err == nil || errors.Is(err, notify.ErrRejected) {
		t.Errorf("a 451: %v, want an error worth a retry", err)
	}
}
