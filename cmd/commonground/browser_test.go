package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/commonground/commonground/internal/testbinary"
	"github.com/commonground/commonground/storage/storagetest"
)

// findChromium returns the path of a Chromium-family browser, or "" if none.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir is where browser tests save what the pages looked like, for a
// person to look at: COMMONGROUND_TEST_OUTPUT, or testoutput/ at the repo root.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("COMMONGROUND_TEST_OUTPUT")
	if dir == "" {
		dir = filepath.Join("..", "..", "testoutput")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium browser context (its own cookies) on one tab.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

// newBrowserProcess starts headless Chromium and returns a context for it.
func newBrowserProcess(t *testing.T) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		storagetest.Unavailable(t, "chromium", "no chromium, chromium-browser or google-chrome on PATH; install Debian's chromium package")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	// A bound on the whole browser session, so a hung page fails the test
	// instead of CI; generous for a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return browserCtx
}

// newBrowser opens a fresh browser context: a separate cookie jar, like a
// different person on a different computer.
func newBrowser(t *testing.T, process context.Context, base string) *browser {
	ctx, cancel := chromedp.NewContext(process, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return &browser{t: t, ctx: ctx, base: base, shots: screenshotDir(t)}
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path and waits for waitFor. A navigation that Chromium
// reports aborted (the page it replaces was itself still finishing one, on
// a loaded machine) is tried again.
func (b *browser) open(path string, waitFor string) {
	b.t.Helper()
	for attempt := 1; ; attempt++ {
		err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "net::ERR_ABORTED") || attempt == 3 {
			b.t.Fatalf("open %s: %v", path, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// fill types into form fields by id.
func (b *browser) fill(fields map[string]string) {
	b.t.Helper()
	for id, value := range fields {
		b.do("fill #"+id, chromedp.SetValue(chromedp.ID(id), value))
	}
}

// submit clicks the submit button of the form matching formSel and waits for
// an element of the page that follows.
func (b *browser) submit(formSel, waitFor string) {
	b.t.Helper()
	b.click(formSel + ` button[type="submit"]`)
	b.do("after submitting "+formSel, chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// click clicks an element. A page still settling (the previous navigation's
// document replaced under the query) can make the node found vanish before
// the click, on a loaded machine: then nothing was clicked, and the click is
// tried again.
func (b *browser) click(sel string) {
	b.t.Helper()
	for attempt := 1; ; attempt++ {
		err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(sel)))
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "Could not find node") || attempt == 5 {
			b.t.Fatalf("click %s: %v", sel, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// value is what a form field holds.
func (b *browser) value(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return s
}

func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.base)
}

// shot saves a full-page PNG screenshot.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowserSetupInviteJoinSuspend walks the first hour of an instance in a
// real browser: setup with the token from the log, an invitation, a second
// person joining and signing in, and the admin suspending them, which ends
// their session.
func TestBrowserSetupInviteJoinSuspend(t *testing.T) {
	process := newBrowserProcess(t)
	inst := startServe(t, "--data-dir", t.TempDir())
	token := inst.started["setup token"]
	if token == "" {
		t.Fatal("serve logged no setup token")
	}
	base := "http://" + inst.addr
	admin := newBrowser(t, process, base)

	admin.open("/", "#token")
	if loc := admin.location(); loc != "/setup" {
		t.Fatalf("a fresh instance sent the browser to %s, want /setup", loc)
	}
	admin.shot("01-setup")
	admin.fill(map[string]string{"token": "not-the-token", "name": "Riverside Tenants", "handle": "riverside",
		"summary":  "Tenants of the Riverside estate, organising for safe and affordable homes.",
		"username": "ada", "display_name": "Ada Lovelace", "password": "a long shared secret", "password_confirm": "a long shared secret"})
	admin.submit(`form[action="/setup"]`, "#form-error")
	if msg := admin.text("#form-error"); !strings.Contains(msg, "not the setup token") {
		t.Fatalf("wrong token message: %q", msg)
	}
	admin.shot("02-setup-wrong-token")
	admin.fill(map[string]string{"token": token, "password": "a long shared secret", "password_confirm": "a long shared secret"})
	admin.submit(`form[action="/setup"]`, ".flash")
	if loc := admin.location(); loc != "/members/invitations" {
		t.Fatalf("after setup the admin is at %s", loc)
	}

	admin.fill(map[string]string{"max_uses": "1", "valid_days": "7", "note": "housing working group"})
	admin.submit(`form[action="/members/invitations"]`, "#new-link")
	link, err := chromedp.Run(admin.ctx, chromedp.Value(chromedp.ID("new-link")))
	if err != nil || !strings.HasPrefix(link, base+"/join/") {
		t.Fatalf("invitation link %q, %v", link, err)
	}
	admin.shot("03-invitation-created")

	member := newBrowser(t, process, base)
	member.do("open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("username")))
	member.shot("04-join")
	member.fill(map[string]string{"username": "mia", "display_name": "Mia Chen", "password": "tenants unite 2026", "password_confirm": "tenants unite 2026"})
	member.submit(`form[action^="/join/"]`, ".flash")
	member.shot("05-home-member")
	member.submit(`form[action="/logout"]`, `a[href="/login"]`)
	member.open("/login", "#username")
	member.shot("06-sign-in")
	member.fill(map[string]string{"username": "mia", "password": "tenants unite 2026"})
	member.submit(`form[action="/login"]`, `a[href="/account"]`)
	member.open("/members", "#member-mia")
	member.shot("07-members-as-member")

	// The used-up invitation no longer works.
	other := newBrowser(t, process, base)
	other.do("reuse invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h := other.text("main h1"); h != "This invitation is used up" {
		t.Fatalf("reused invitation shows %q", h)
	}
	if msg := other.text("main p"); !strings.Contains(msg, "used up") {
		t.Fatalf("reused invitation message %q", msg)
	}

	admin.open("/members", "#member-mia")
	admin.shot("08-members-as-admin")
	admin.click(`#member-mia details.confirm summary`)
	admin.do("give a reason", chromedp.SetValue(chromedp.CSS(`#member-mia textarea[name="reason"]`), "Asked to pause while away"))
	admin.shot("08b-suspend-asks-for-reason-and-confirmation")
	admin.click(`#member-mia input[name="confirm"]`)
	admin.submit(`#member-mia form[action$="/suspend"]`, ".flash")
	if msg := admin.text(".flash"); !strings.Contains(msg, "suspended") {
		t.Fatalf("suspend flash: %q", msg)
	}
	if got := admin.text("#member-mia"); !strings.Contains(got, "Suspended by Ada Lovelace") || !strings.Contains(got, "Asked to pause while away") {
		t.Fatalf("the members page does not show who suspended Mia and why: %q", got)
	}

	member.do("reload after suspension", chromedp.Navigate(base+"/members"), chromedp.WaitVisible(chromedp.ID("password")))
	if loc := member.location(); !strings.HasPrefix(loc, "/login") {
		t.Fatalf("suspended member still sees %s", loc)
	}
	member.shot("09-suspended-member-signed-out")
	member.fill(map[string]string{"username": "mia", "password": "tenants unite 2026"})
	member.submit(`form[action="/login"]`, "#form-error")
	if msg := member.text("#form-error"); !strings.Contains(msg, "suspended") {
		t.Fatalf("suspended sign-in message: %q", msg)
	}

	admin.open("/settings", "#name")
	admin.shot("10-settings")
	admin.open("/account", "#current_password")
	admin.shot("11-account")
	admin.do("phone viewport", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/members"), chromedp.WaitVisible(chromedp.CSS("table")))
	admin.shot("12-members-phone")
}

// runAdmin runs `commonground admin ...` on a data directory, password on stdin.
func runAdmin(t testing.TB, dataDir, password string, args ...string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"admin"}, append(args, "--data-dir", dataDir)...)...)
	cmd.Env = testbinary.Env()
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("admin %v: %v\n%s", args, err, out)
	}
}

func (b *browser) signIn(username, password string) {
	b.t.Helper()
	b.open("/login", "#username")
	b.fill(map[string]string{"username": username, "password": password})
	b.submit(`form[action="/login"]`, `a[href="/account"]`)
}

// closeVoting closes voting early as a facilitator: it opens the
// confirmation, ticks it and waits for the outcome.
func (b *browser) closeVoting() {
	b.t.Helper()
	b.click(`#facilitate details.confirm summary`)
	b.click(`form[action*="/close"] input[name="confirm"]`)
	b.submit(`form[action*="/close"]`, ".outcome")
}

// waitText polls an element's text until it contains want: the live tally
// updates without a reload, through server-sent events.
func (b *browser) waitText(sel, want string, within time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		// While the page navigates, the element may be gone for a moment.
		got, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
		if err == nil && strings.Contains(got, want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestBrowserProposalBecomesVersion2: a member proposes adding an objective, a
// facilitator opens voting, three members vote (one page's tally updating live),
// the proposal closes, and the public statement shows the objective in version 2.
func TestBrowserProposalBecomesVersion2(t *testing.T) {
	process := newBrowserProcess(t)
	dataDir := t.TempDir()
	const pw = "a long shared secret"
	runAdmin(t, dataDir, pw, "init", "--name", "Riverside Tenants", "--handle", "riverside", "--admin", "ada")
	for _, u := range []string{"mia", "bo", "cy"} {
		runAdmin(t, dataDir, pw, "create-user", "--username", u)
	}
	inst := startServe(t, "--data-dir", dataDir)
	base := "http://" + inst.addr

	mia := newBrowser(t, process, base)
	mia.signIn("mia", pw)
	mia.draft("Water is a commons", "Our estate's water bills doubled since privatisation.\n\nSee https://example.org/report.", "Keep water in public hands")
	if got := mia.text(".diff ins"); got != "Keep water in public hands" {
		t.Fatalf("the draft's diff shows %q", got)
	}
	mia.shot("20-proposal-draft")
	proposalPath := mia.location()

	ada := newBrowser(t, process, base)
	ada.signIn("ada", pw)
	ada.open(proposalPath, "h1")
	ada.submit(`form[action$="/open"]`, "#tally")

	voters := map[string]*browser{"mia": mia}
	for _, u := range []string{"bo", "cy"} {
		voters[u] = newBrowser(t, process, base)
		voters[u].signIn(u, pw)
	}
	castVote := func(who, position, reason string) {
		b := voters[who]
		b.open(proposalPath, "#reason")
		b.do("choose "+position, chromedp.Click(chromedp.CSS(`input[name="position"][value="`+position+`"]`)))
		if reason != "" {
			b.fill(map[string]string{"reason": reason})
		}
		b.submit(`form[action*="/vote"]`, ".flash")
	}
	castVote("mia", "agree", "")
	mia.shot("21-proposal-voted")
	castVote("bo", "stand_aside", "Water is <b>everyone's</b>")
	if got := mia.waitText(`#tally [data-count="cast"]`, "2", 10*time.Second); got != "2" {
		t.Fatalf("mia's open page shows %q votes cast; the live tally did not update", got)
	}
	// The table of who voted how and why follows too, without a reload; a
	// reason is shown as the text typed, never as markup.
	if got := mia.waitText("#votes tbody", "Water is <b>everyone's</b>", 10*time.Second); !strings.Contains(got, "bo") || !strings.Contains(got, "stand aside") {
		t.Fatalf("mia's open page's table of votes shows %q; bo's vote did not appear", got)
	}
	mia.shot("21b-proposal-live-votes")
	castVote("cy", "agree", "")
	voters["cy"].shot("22-proposal-open-tally")

	ada.open(proposalPath, "h1")
	ada.closeVoting()
	if got := ada.text(".outcome"); !strings.Contains(got, "Adopted") {
		t.Fatalf("outcome: %q", got)
	}
	ada.shot("23-proposal-adopted")

	public := newBrowser(t, process, base)
	public.open("/statement", ".statement")
	page := public.text(".statement")
	if !strings.Contains(page, "Keep water in public hands") || !strings.Contains(page, "Version 2") {
		t.Fatalf("the public statement page does not show the objective in version 2:\n%s", page)
	}
	public.shot("24-public-statement")
	public.open("/statement/history", ".history")
	public.shot("25-history")
	public.open("/statement/diff?from=1&to=2", ".diff")
	public.shot("26-diff")
}
