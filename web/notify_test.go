package web_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

func (s *site) member(who string) proposals.Member {
	role := proposals.RoleMember
	switch who {
	case "admin":
		role = proposals.RoleAdmin
	case "facilitator":
		role = proposals.RoleFacilitator
	}
	return proposals.Member{ID: s.ids[who], Username: who, Role: role, Status: proposals.StatusActive}
}

// openVoteTitled opens a vote on a new proposal of the member's, over HTTP.
func (s *site) openVoteTitled(title string) string {
	s.t.Helper()
	p := s.createProposal("member")
	if resp := s.do("member", "POST", p+"/edit", url.Values{"title": {title}, "rationale": {"Reasons."}}); resp.StatusCode != 303 {
		s.t.Fatalf("edit: %d", resp.StatusCode)
	}
	if resp := s.do("member", "POST", p+"/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {title}}); resp.StatusCode != 303 {
		s.t.Fatalf("add change: %d", resp.StatusCode)
	}
	if resp := s.do("facilitator", "POST", p+"/open", nil); resp.StatusCode != 303 {
		s.t.Fatalf("open voting: %d", resp.StatusCode)
	}
	return p
}

// The home page shows a member what waits for them, and its cost does not
// grow with what it lists: one query a section.
func TestHomeShowsOpenVotesInAFixedNumberOfQueries(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		first := s.openVoteTitled("Rent strike fund")
		s.createProposal("member") // a draft of theirs
		home := func() (string, int64) {
			before := db.Statements()
			resp := s.do("member", "GET", "/", nil)
			page := body(resp)
			if resp.StatusCode != 200 {
				t.Fatalf("home: %d", resp.StatusCode)
			}
			return page, db.Statements() - before
		}
		home() // the movement, read once, is then kept in memory
		page, one := home()
		for _, want := range []string{"Votes waiting for you", `href="` + first + `"`, "Rent strike fund", "days left", "Drafts you are writing", "@foodbanks@127.0.0.1:"} {
			if !strings.Contains(page, want) {
				t.Errorf("the home page lacks %q", want)
			}
		}
		for i := range 20 {
			s.openVoteTitled(fmt.Sprintf("Proposal %d", i))
		}
		page, many := home()
		if strings.Count(page, "days left") != 21 {
			t.Errorf("the home page lists %d open votes, want 21", strings.Count(page, "days left"))
		}
		if many != one {
			t.Errorf("a home page view took %d statements with 1 open vote and %d with 21: it must not grow with the list", one, many)
		}
		t.Logf("statements per home page view of a signed-in member (%s): %d", db.Dialect(), many)
		if resp := s.do("member", "POST", first+"/vote", url.Values{"position": {"agree"}}); resp.StatusCode != 303 {
			t.Fatalf("vote: %d", resp.StatusCode)
		}
		if page, _ := home(); strings.Contains(page, `href="`+first+`"`) {
			t.Error("a vote cast still shows as waiting")
		}
		public := body(s.do("", "GET", "/", nil))
		if strings.Contains(public, "Votes waiting") || !strings.Contains(public, "@foodbanks@127.0.0.1:") {
			t.Error("the public home page shows a member's agenda, or not the full handle")
		}
	})
}

func TestSettingsPageSaysEmailIsOffWithoutAMailServer(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	page := body(s.do("member", "GET", "/account/notifications", nil))
	if !strings.Contains(page, "sends no email") {
		t.Error("the settings page does not say the instance sends no email")
	}
	if resp := s.do("member", "POST", "/account/notifications", url.Values{"email": {"member@example.org"}, "mode_outcome_email": {"off"}}); resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	st, err := s.notes.Settings(context.Background(), s.member("member"))
	if err != nil || st.Email != "member@example.org" || st.Modes[notify.Outcome][notify.Email] != notify.Off {
		t.Errorf("saved: %+v %v", st, err)
	}
	resp := s.do("member", "POST", "/account/notifications", url.Values{"email": {"not an address"}, "mode_outcome_email": {"immediate"}})
	page = body(resp)
	if resp.StatusCode != 400 || !strings.Contains(page, "like name@example.org") || !strings.Contains(page, `value="not an address"`) {
		t.Errorf("a bad address: %d, the form should say why and keep what was typed", resp.StatusCode)
	}
	if !regexp.MustCompile(`name="mode_outcome_email"[^>]*>\s*(<option[^>]*>[^<]*</option>)*?<option value="immediate" selected>`).MatchString(page) {
		t.Error("a bad address lost the mode chosen with it: the outcome by email should still read at once")
	}
	if resp := s.do("", "GET", "/account/notifications", nil); resp.StatusCode != 303 {
		t.Errorf("the settings page without sign-in: %d, want a redirect to sign in", resp.StatusCode)
	}
}

// An unsubscribe link works without sign-in, in one click from a mail program
// (RFC 8058); opened in a browser it asks first, since mail scanners open
// links; a link not signed for that member and kind does nothing.
func TestUnsubscribeLinkOverHTTP(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	link, _ := url.Parse(s.notes.UnsubscribeURL(s.ids["member"], string(notify.VoteOpened)))
	path := "/unsubscribe?" + link.RawQuery
	modes := func() notify.Mode {
		st, err := s.notes.Settings(context.Background(), s.member("member"))
		if err != nil {
			t.Fatal(err)
		}
		return st.Modes[notify.VoteOpened][notify.Email]
	}
	if page := body(s.do("", "GET", path, nil)); !strings.Contains(page, "Stop these emails?") || modes() != notify.Immediate {
		t.Error("opening the link changed the setting, or did not ask")
	}
	forged := strings.Replace(path, fmt.Sprintf("m=%d", s.ids["member"]), fmt.Sprintf("m=%d", s.ids["admin"]), 1)
	if resp := s.do("", "POST", forged, url.Values{"List-Unsubscribe": {"One-Click"}}); resp.StatusCode != 400 {
		t.Errorf("a link for another member: %d, want 400", resp.StatusCode)
	}
	resp := s.do("", "POST", path, url.Values{"List-Unsubscribe": {"One-Click"}})
	if page := body(resp); resp.StatusCode != 200 || !strings.Contains(page, "You are unsubscribed") {
		t.Errorf("one-click unsubscribe: %d", resp.StatusCode)
	}
	if modes() != notify.Off {
		t.Error("one-click unsubscribe left the kind on")
	}
}
