package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/commonground/commonground/notify/notifytest"
)

// TestBrowserHomeShowsWhatToDoAndEmailArrives: a member gives an email
// address and confirms it by the link mailed to it, a facilitator opens a vote, the email reaches a real SMTP server
// (through --smtp-url, with AUTH), and the member's home page shows the vote
// with the time left, their draft, and the movement's full handle with a copy
// button; at phone and desktop width. The email's one-click unsubscribe works.
func TestBrowserHomeShowsWhatToDoAndEmailArrives(t *testing.T) {
	process := newBrowserProcess(t)
	mail := notifytest.Start(t, notifytest.Options{User: "instance", Password: "mail secret"})
	dataDir := t.TempDir()
	const pw = "a long shared secret"
	runAdmin(t, dataDir, pw, "init", "--name", "Riverside Tenants", "--handle", "riverside", "--admin", "ada")
	runAdmin(t, dataDir, pw, "create-user", "--username", "mia")
	inst := startServe(t, "--data-dir", dataDir, "--smtp-url", mail.URL(), "--mail-from", "Riverside Tenants <notifications@riverside.example>")
	base := "http://" + inst.addr

	mia := newBrowser(t, process, base)
	mia.signIn("mia", pw)
	mia.open("/account/notifications", "#email")
	if page := mia.text("main"); strings.Contains(page, "sends no email") {
		t.Fatal("with --smtp-url the settings page still says email is off")
	}
	mia.fill(map[string]string{"email": "mia@example.org"})
	mia.submit(`form[action="/account/notifications"]`, "#email-unconfirmed")
	mia.shot("30-notification-settings")
	confirm := mail.WaitFor(t, 1, 30*time.Second)[0]
	if subj := confirm.Header.Get("Subject"); subj != "Confirm your email address" || confirm.To[0] != "mia@example.org" {
		t.Fatalf("the first email is %q to %v, want the confirmation to mia", subj, confirm.To)
	}
	link := strings.Fields(strings.Split(confirm.Body, base)[1])[0]
	mia.open(link, "h1")
	if page := mia.text("main"); !strings.Contains(page, "Address confirmed") {
		t.Fatalf("the confirmation link shows:\n%s", page)
	}
	mia.draft("Paint the stairwell", "It is grey.", "")

	ada := newBrowser(t, process, base)
	ada.signIn("ada", pw)
	proposalPath := ada.draft("Water is a commons", "Our bills doubled.", "Keep water in public hands")
	opened := time.Now()
	ada.submit(`form[action$="/open"]`, "#tally")

	var got notifytest.Received
	for _, m := range mail.WaitFor(t, 2, 30*time.Second) {
		if m.Header.Get("Subject") != "Confirm your email address" {
			got = m
		}
	}
	if got.To == nil {
		t.Fatalf("no email to mia; the server received %d", len(mail.Messages()))
	}
	t.Logf("voting opened (the facilitator's click) → email accepted by the SMTP server: %s", got.At.Sub(opened).Round(time.Millisecond))
	if subj := got.Header.Get("Subject"); subj != "Voting is open: Water is a commons" || !got.Authenticated {
		t.Errorf("subject %q, authenticated %v", subj, got.Authenticated)
	}
	if !strings.Contains(got.Body, base+proposalPath) {
		t.Errorf("the email does not link the proposal:\n%s", got.Body)
	}

	mia.open("/", ".agenda")
	agenda := mia.text(".agenda")
	for _, want := range []string{"Water is a commons", "7 days left", "Paint the stairwell"} {
		if !strings.Contains(agenda, want) {
			t.Errorf("the home page lacks %q:\n%s", want, agenda)
		}
	}
	if handle := mia.text("#movement-handle"); handle != "@riverside@"+inst.addr {
		t.Errorf("the handle reads %q, want @riverside@%s", handle, inst.addr)
	}
	mia.do("the copy button shows", chromedp.WaitVisible(chromedp.CSS(".copy-button")))
	mia.shot("31-home-desktop")
	mia.phone()
	mia.open("/", ".agenda")
	mia.shot("32-home-phone")

	unsubscribe := strings.Trim(got.Header.Get("List-Unsubscribe"), "<>")
	resp, err := http.PostForm(unsubscribe, url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d", resp.StatusCode)
	}
	mia.open("/account/notifications", "#email")
	if v := mia.value(`select[name="mode_vote_opened_email"]`); v != "off" {
		t.Errorf("after unsubscribing, voting-opened email is %q", v)
	}
}
