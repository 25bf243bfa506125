package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// The discussion and the votes of a proposal page are rendered once for the
// viewers who see them alike, and each viewer still sees their own: the edit
// form of their own comments only, the hide forms only as a facilitator,
// times in their own zone, and a new comment or vote at once.
func TestAPageRenderedOnceShowsEachViewerTheirOwn(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		// A member who wrote nothing sees what the admin sees, but for the
		// hide forms.
		if _, err := s.svc.CreateMember(context.Background(), proposals.NewAccount{Username: "reader", Password: "a quiet phrase to read by"}, proposals.RoleMember); err != nil {
			t.Fatal(err)
		}
		token, _, err := s.svc.SignIn(context.Background(), "reader", "a quiet phrase to read by")
		if err != nil {
			t.Fatal(err)
		}
		s.cookies["reader"] = token
		path := s.openVote()
		comment := func(who, text string) int64 {
			t.Helper()
			if resp := s.do(who, "POST", path+"/comments", url.Values{"body": {text}}); resp.StatusCode != 303 {
				t.Fatalf("%s's comment: %d", who, resp.StatusCode)
			}
			page := body(s.do(who, "GET", path, nil))
			var id int64
			at := strings.Index(page, text)
			if at < 0 {
				t.Fatalf("%s's comment is not on the page", who)
			}
			start := strings.LastIndex(page[:at], `id="comment-`)
			fmt.Sscanf(page[start:], `id="comment-%d"`, &id)
			return id
		}
		mine := comment("member", "A thought from a member.")
		theirs := comment("facilitator", "A note from a facilitator.")
		// Results show to those who voted.
		s.do("member", "POST", path+"/vote", url.Values{"position": {"agree"}, "reason": {"It helps the pantry."}})
		s.do("facilitator", "POST", path+"/vote", url.Values{"position": {"agree"}, "reason": {"Fine by me."}})
		s.do("admin", "POST", path+"/vote", url.Values{"position": {"agree"}, "reason": {"Agreed."}})
		s.do("reader", "POST", path+"/vote", url.Values{"position": {"agree"}, "reason": {"Agreed."}})

		edits := func(page string, id int64) bool {
			return strings.Contains(page, fmt.Sprintf(`action="/comments/%d/edit"`, id))
		}
		for range 2 { // the second time from what the first rendered
			for _, c := range []struct {
				who, zone            string
				editMine, editTheirs bool
				hides                bool
			}{
				{"member", "Asia/Tokyo", true, false, false},
				{"facilitator", "", false, true, true},
				{"admin", "", false, false, true},
				{"reader", "", false, false, false},
				{"member", "", true, false, false},
			} {
				var headers []string
				if c.zone != "" {
					headers = []string{"Cookie", "tz=" + c.zone}
				}
				page := body(s.do(c.who, "GET", path, nil, headers...))
				if edits(page, mine) != c.editMine || edits(page, theirs) != c.editTheirs {
					t.Errorf("%s (%s) may edit the member's comment: %v, the facilitator's: %v; want %v and %v",
						c.who, c.zone, edits(page, mine), edits(page, theirs), c.editMine, c.editTheirs)
				}
				if hides := strings.Contains(page, "Hide comment"); hides != c.hides {
					t.Errorf("%s sees the hide forms: %v, want %v", c.who, hides, c.hides)
				}
				wantZone := " UTC</time>"
				if c.zone != "" {
					wantZone = " JST</time>"
				}
				if got := excerpt(page, `<article class="comment" id="comment-`+fmt.Sprint(mine)); !strings.Contains(got, wantZone) {
					t.Errorf("%s (%s) sees the comment's time in another zone:\n%s", c.who, c.zone, got)
				}
				for _, reason := range []string{"It helps the pantry.", "Fine by me.", "Agreed."} {
					if !strings.Contains(page, reason) {
						t.Errorf("%s does not see the vote %q", c.who, reason)
					}
				}
			}
		}

		// What changes is shown at once, though the page was rendered before.
		comment("admin", "A word from the admin.")
		s.do("facilitator", "POST", path+"/vote", url.Values{"position": {"stand_aside"}, "reason": {"Not my area."}})
		page := body(s.do("member", "GET", path, nil))
		for _, want := range []string{"A word from the admin.", "Not my area.", "It helps the pantry.", "Agreed."} {
			if !strings.Contains(page, want) {
				t.Errorf("the member's page lacks %q", want)
			}
		}
	})
}
