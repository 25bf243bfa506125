package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// as returns the peer as seen by another of its members, signed in.
func (p *peer) as(username, password string) *peer {
	p.t.Helper()
	jar, _ := cookiejar.New(nil)
	other := *p
	other.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	other.post("/login", url.Values{"username": {username}, "password": {password}}, 303)
	return &other
}

// itemID finds the id of the objective with text in the current statement.
func (p *peer) itemID(text string) string {
	p.t.Helper()
	_, body := p.get("/statement.json", "")
	var st struct {
		Sections []struct {
			Items []struct{ ID, Text string }
		}
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		p.t.Fatal(err)
	}
	for _, sec := range st.Sections {
		for _, it := range sec.Items {
			if it.Text == text {
				return it.ID
			}
		}
	}
	p.t.Fatalf("no item %q in the statement", text)
	return ""
}

// amendAndOpen drafts a proposal amending one item and opens voting on it.
func (p *peer) amendAndOpen(title, itemID, text string) string {
	p.t.Helper()
	loc := p.post("/proposals", url.Values{"title": {title}}, 303).Header.Get("Location")
	p.post(loc+"/changes", url.Values{"kind": {"amend"}, "item_id": {itemID}, "text": {text}}, 303)
	p.post(loc+"/open", nil, 303)
	return loc
}

// top is an element's distance from the top of the page, in CSS pixels.
func (b *browser) top(sel string) int {
	b.t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q); return e ? e.getBoundingClientRect().top + window.scrollY : -1})()`, sel)
	y, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](js))
	if err != nil {
		b.t.Fatalf("position of %s: %v", sel, err)
	}
	return int(y)
}

// phone and desktop switch the browser's viewport.
func (b *browser) phone()   { b.do("phone width", chromedp.EmulateViewport(390, 844)) }
func (b *browser) desktop() { b.do("desktop width", chromedp.EmulateViewport(1280, 900)) }

// draft starts a proposal in the browser and, given an objective, adds it;
// it returns the draft's address.
func (b *browser) draft(title, rationale, objective string) string {
	b.open("/proposals/new", "#title")
	fields := map[string]string{"title": title}
	if rationale != "" {
		fields["rationale"] = rationale
	}
	b.fill(fields)
	b.submit(`form[action="/proposals"]`, "#add-objectives")
	if objective != "" {
		b.fill(map[string]string{"add-objectives": objective})
		b.submit(`form.add-item:has(#add-objectives)`, ".diff ins")
	}
	return b.location()
}

// TestBrowserNewUserFixes walks what a new user stumbled on, at phone and
// desktop width: the vote above the statement, a warning that another open
// proposal changes the same objective, an error next to the vote form that
// keeps the choice made, the fallback round offered when only a block stopped
// modified consensus, closing that asks to confirm, a conflicted proposal's
// headline, drafts written together and commented on before the vote, the
// member's time zone, the navigation on one line, and a reload of a form's
// address.
func TestBrowserNewUserFixes(t *testing.T) {
	process := newBrowserProcess(t)
	const pw = "a long shared secret"
	p := newPeer(t, "river", "127.0.0.2")
	for _, objective := range []string{"Rent caps for every flat", "Repairs within a week", "A tenants' hall open every evening",
		"No evictions in winter", "Heating that works", "Fair service charges", "Safe stairwells and lifts"} {
		p.adopt(objective) // the admin alone, before the others join
	}
	for _, u := range []string{"mia", "bo"} {
		runAdmin(t, p.dataDir, pw, "create-user", "--username", u)
	}
	rent := p.itemID("Rent caps for every flat")
	first := p.amendAndOpen("Cap rents at inflation", rent, "Rent rises capped at inflation for every flat")
	second := p.amendAndOpen("Cap rents at 2%", rent, "Rent rises capped at 2% a year for every flat")
	base := p.base()

	mia := newBrowser(t, process, base)
	mia.signIn("mia", pw)

	// The vote comes right after what changes, on a phone too; the whole
	// statement is collapsed at the end.
	mia.phone()
	mia.open(first, "#vote")
	changes, vote, tally, full := mia.top("#h-changes"), mia.top("#vote"), mia.top("#tally"), mia.top("#full-statement")
	t.Logf("phone, %s: what changes at %d px, your position at %d px, tally at %d px, whole statement at %d px", first, changes, vote, tally, full)
	if !(changes < vote && vote < tally && tally < full) {
		t.Errorf("phone order: changes %d, vote %d, tally %d, whole statement %d; want them in that order", changes, vote, tally, full)
	}
	if got := mia.text("#h-changes + .diff"); strings.Contains(got, "Repairs within a week") {
		t.Errorf("the changes repeat an objective that does not change: %q", got)
	}
	if got := mia.text("#overlaps"); !strings.Contains(got, "Cap rents at 2%") || !strings.Contains(got, "Rent caps for every flat") {
		t.Errorf("no warning that another open proposal changes the same objective: %q", got)
	}
	mia.shot("60-proposal-phone")
	nav := mia.top("main")
	t.Logf("phone: the header and navigation take %d px", nav)
	if nav > 110 {
		t.Errorf("on a phone the header takes %d px", nav)
	}

	// A block without a reason is refused next to the vote form, the choice kept.
	mia.desktop()
	mia.open(first, "#vote")
	mia.click(`input[name="position"][value="block"]`)
	mia.submit(`form[action*="/vote"]`, "#vote #form-error")
	if got := mia.text("#vote #form-error"); !strings.Contains(got, "A block needs a reason") {
		t.Errorf("the vote form's error: %q", got)
	}
	if checked, err := chromedp.Run(mia.ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="position"][value="block"]').checked`)); err != nil || !checked {
		t.Errorf("the position chosen was lost with the error (%v)", err)
	}
	if formY, errY := mia.top("#vote"), mia.top("#vote #form-error"); errY < formY {
		t.Errorf("the error (%d px) is not in the vote form (%d px)", errY, formY)
	}
	mia.shot("61-vote-error-next-to-the-form")
	mia.do("give the reason", chromedp.SetValue(chromedp.ID("reason"), "Inflation caps still let rents double over a decade"))
	mia.vote()

	// The navigation holds on one line at desktop width.
	navHeight := mia.top("main")
	t.Logf("desktop: the header and navigation take %d px", navHeight)
	if navHeight > 80 {
		t.Errorf("on a desktop the header takes %d px: the navigation wrapped", navHeight)
	}

	bo := p.as("bo", pw)
	bo.post(first+"/vote", url.Values{"position": {"agree"}}, 303)
	p.post(first+"/vote", url.Values{"position": {"agree"}}, 303)

	// Closing early asks to confirm; then only the block stopped it, and the
	// fallback round is offered.
	ada := newBrowser(t, process, base)
	ada.signIn("admin", pw)
	ada.open(first, "#facilitate")
	ada.closeVoting()
	if got := ada.text(".outcome"); !strings.Contains(got, "Only blocks stopped it") {
		t.Errorf("modified consensus, 2 agree and 1 block: %q", got)
	}
	ada.shot("62-fallback-offered")
	ada.submit(`form[action$="/fallback"]`, "#tally")
	for _, who := range []*peer{p, bo, p.as("mia", pw)} {
		who.post(first+"/vote", url.Values{"position": {"agree"}}, 303)
	}
	ada.open(first, "#facilitate")
	ada.closeVoting()
	if got := ada.text(".outcome"); !strings.Contains(got, "Adopted") {
		t.Fatalf("the fallback round: %q", got)
	}

	// The second proposal on the same objective is agreed but not applied,
	// and its headline says so.
	for _, who := range []*peer{p, bo} {
		who.post(second+"/vote", url.Values{"position": {"agree"}}, 303)
	}
	ada.open(second, "#facilitate")
	ada.closeVoting()
	if got := ada.text(".outcome"); !strings.Contains(got, "Agreed by the vote, but not applied") {
		t.Errorf("a conflicted proposal's headline: %q", got)
	}
	ada.shot("63-conflicted-headline")

	// Drafts are written together and discussed before the vote.
	draft := mia.draft("A repairs log everyone can read", "", "")
	mia.click(`#coauthors summary`)
	mia.fill(map[string]string{"coauthor": "nobody"})
	mia.submit(`form[action*="/coauthors"]`, "#coauthors #form-error")
	if got := mia.text("#coauthors #form-error"); !strings.Contains(got, "No active member has the username") {
		t.Errorf("adding an unknown co-author: %q", got)
	}
	if got := mia.value("#coauthor"); got != "nobody" {
		t.Errorf("the username typed was lost: %q", got)
	}
	mia.fill(map[string]string{"coauthor": "bo"})
	mia.submit(`form[action*="/coauthors"]`, ".flash")
	mia.click(`#coauthors summary`)
	mia.submit(`form[action$="/share"]`, ".flash")
	bo.post(draft+"/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {"A public repairs log"}}, 303)
	p.post(draft+"/comments", url.Values{"body": {"Could the log name the contractor too?"}}, 303)
	mia.open(draft, "#h-discussion")
	if got := mia.text("main"); !strings.Contains(got, "A public repairs log") || !strings.Contains(got, "Could the log name the contractor too?") {
		t.Errorf("the draft does not show the co-author's change and the comment:\n%s", got)
	}
	mia.shot("64-draft-with-coauthor-and-comment")
	mia.phone()
	mia.shot("65-draft-phone")
	mia.desktop()

	// Times in the member's time zone.
	mia.open("/account", "#time_zone")
	mia.fill(map[string]string{"time_zone": "Mars/Olympus"})
	mia.submit(`form[action="/account/time-zone"]`, "#time-zone #form-error")
	if got := mia.value("#time_zone"); got != "Mars/Olympus" {
		t.Errorf("the zone typed was lost: %q", got)
	}
	mia.fill(map[string]string{"time_zone": "Asia/Tokyo"})
	mia.submit(`form[action="/account/time-zone"]`, ".flash")
	mia.open(draft, "#h-discussion")
	if got := mia.text(".comment header"); !strings.Contains(got, "JST") {
		t.Errorf("a comment's time is not in the member's zone: %q", got)
	}

	// Reloading a form's address leads back to its page, never bare text.
	mia.open(first+"/vote", "h1")
	if loc := mia.location(); loc != first {
		t.Errorf("opening a form's address led to %s, want %s", loc, first)
	}
}
