package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/commonground/commonground/storage/storagetest"
)

// axeScript is axe-core, installed by npm from testdata/axe/package-lock.json.
const axeScript = "testdata/axe/node_modules/axe-core/axe.min.js"

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core on the page the browser shows and returns what it finds.
func (b *browser) axe(script string) []axeViolation {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](script+";true")); err != nil {
		b.t.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
		return JSON.stringify(r.violations.map(function (v) {
			return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); })};
		}));
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe-core's answer: %v", err)
	}
	return vs
}

// TestBrowserPagesPassAxe runs axe-core, the accessibility checker, on every
// page an admin and a visitor reach, at desktop width and, for a third of
// them and the proposal page, at phone width:
// each finding (of any impact) fails the test, with what axe says to fix.
func TestBrowserPagesPassAxe(t *testing.T) {
	script, err := os.ReadFile(axeScript)
	if err != nil {
		storagetest.Unavailable(t, "axe", "axe-core is not installed; run: npm ci --prefix cmd/commonground/testdata/axe")
	}
	process := newBrowserProcess(t)
	const pw = "a long shared secret"
	p := newPeer(t, "river", "127.0.0.2")
	p.adopt("Rent caps for every flat")
	runAdmin(t, p.dataDir, pw, "create-user", "--username", "mia")
	open := p.amendAndOpen("Cap rents at inflation", p.itemID("Rent caps for every flat"), "Rent rises capped at inflation")
	p.post(open+"/comments", map[string][]string{"body": {"Inflation is already high."}}, 303)
	draft := p.post("/proposals", map[string][]string{"title": {"A repairs log"}}, 303).Header.Get("Location")

	admin := newBrowser(t, process, p.base())
	admin.signIn("admin", pw)
	visitor := newBrowser(t, process, p.base())
	pages := []struct {
		who  *browser
		path string
	}{
		{admin, "/"}, {admin, "/statement"}, {admin, "/statement/history"}, {admin, "/proposals"},
		{admin, "/proposals/new"}, {admin, open}, {admin, draft}, {admin, open + "/audit"},
		{admin, "/members"}, {admin, "/members/invitations"}, {admin, "/account"}, {admin, "/settings"},
		{admin, "/settings/decisions"}, {admin, "/federation"}, {admin, "/common-ground"}, {admin, "/joint-statements"},
		{visitor, "/"}, {visitor, "/statement"}, {visitor, "/login"}, {visitor, "/common-ground"},
	}
	found := 0
	for _, width := range []string{"desktop", "phone"} {
		for _, b := range []*browser{admin, visitor} {
			if width == "phone" {
				b.phone()
			} else {
				b.desktop()
			}
		}
		for i, pg := range pages {
			if width == "phone" && i%3 != 0 && pg.path != open {
				continue // at phone width, a third of the pages (the layout is shared) and the proposal page
			}
			pg.who.open(pg.path, "main")
			for _, v := range pg.who.axe(string(script)) {
				found++
				t.Errorf("%s at %s width: %s (%s): %s, at %s", pg.path, width, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "; "))
			}
		}
	}
	t.Logf("axe-core checked %d pages at desktop width and some at phone width: %d findings", len(pages), found)
}
