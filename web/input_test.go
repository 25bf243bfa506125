package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
	"github.com/commonground/commonground/web"
)

// badTexts are what no person types but an attacker sends: NUL and bytes that
// are not UTF-8 (which PostgreSQL cannot store), another control character,
// and a right-to-left override (which makes a name show as another).
var badTexts = map[string]string{
	"NUL":             "Ada\x00Lovelace",
	"invalid UTF-8":   "Ada\xff\xfeLovelace",
	"control":         "Ada\x1bLovelace",
	"bidi override":   "Ada\u202eecalevoL",
	"bidi isolate":    "Ada\u2067Lovelace",
	"C1 control":      "Ada\u0085Lovelace",
	"invalid in utf8": "\xc3\x28",
}

// Every text field of every form goes through the one cleaning: bad text is
// refused with 400 and a message for the person, never a 500, and nothing of
// it is stored. On both databases: PostgreSQL refuses NUL and invalid UTF-8
// where SQLite would have stored them as they were.
func TestEveryTextFieldIsCleaned(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		ctx := context.Background()
		admin := proposals.Member{ID: s.ids["admin"], Role: proposals.RoleAdmin, Status: proposals.StatusActive}
		token, _, err := s.svc.CreateInvitation(ctx, admin, proposals.InvitationRequest{Role: proposals.RoleMember, MaxUses: 100, ValidDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		draft := s.createProposal("member")
		open := s.createProposal("member")
		if resp := s.do("member", "POST", open+"/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {"Homes for all"}}); resp.StatusCode != 303 {
			t.Fatalf("add change: %d", resp.StatusCode)
		}
		if resp := s.do("facilitator", "POST", open+"/open", nil); resp.StatusCode != 303 {
			t.Fatalf("open voting: %d", resp.StatusCode)
		}
		var openID int64
		fmt.Sscanf(open, "/proposals/%d", &openID)
		commentID, err := s.svc.AddComment(ctx, proposals.Member{ID: s.ids["member"], Role: proposals.RoleMember, Status: proposals.StatusActive}, openID, 0, "A first comment")
		if err != nil {
			t.Fatal(err)
		}
		comment := fmt.Sprint("/comments/", commentID)

		forms := []struct {
			who, path string
			form      url.Values
			fields    []string // the fields that get the bad text, one at a time
			want      int
		}{
			{"", "/join/" + token, url.Values{"username": {"newcomer"}, "display_name": {"New"}, "password": {"a long enough secret"}, "password_confirm": {"a long enough secret"}}, []string{"username", "display_name"}, 400},
			{"admin", "/settings", url.Values{"name": {"Food Bank Network"}, "summary": {"We feed people."}}, []string{"name", "summary"}, 400},
			{"admin", "/members/invitations", url.Values{"role": {"member"}, "max_uses": {"1"}, "valid_days": {"1"}, "note": {"for the kitchen team"}}, []string{"note"}, 400},
			{"member", "/proposals", url.Values{"title": {"A title"}, "rationale": {"Reasons."}}, []string{"title", "rationale"}, 400},
			{"member", draft + "/edit", url.Values{"title": {"A title"}, "rationale": {"Reasons."}}, []string{"title", "rationale"}, 400},
			{"member", draft + "/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {"Food for all"}}, []string{"text", "kind", "section"}, 400},
			{"member", draft + "/changes", url.Values{"kind": {"amend"}, "item_id": {"x"}, "text": {"Food for all"}}, []string{"item_id"}, 409}, // no such item
			{"member", open + "/vote", url.Values{"position": {"agree"}, "reason": {"I agree."}}, []string{"reason", "position"}, 400},
			{"member", open + "/comments", url.Values{"body": {"A comment"}}, []string{"body", "parent_id"}, 400},
			{"member", comment + "/edit", url.Values{"body": {"An edited comment"}}, []string{"body"}, 400},
			{"facilitator", comment + "/hide", url.Values{"reason": {"Off topic"}}, []string{"reason"}, 400},
			{"admin", "/settings/decisions", url.Values{"kind": {"values"}, "preset": {"consensus"}, "quorum": {"50%"}, "voting_days": {"7"}}, []string{"kind", "preset", "quorum", "voting_days"}, 400},
			{"member", "/account/notifications", url.Values{"email": {"member@example.org"}, "mode_vote_opened_email": {"digest"}}, []string{"email", "mode_vote_opened_email"}, 400},
		}
		for _, f := range forms {
			for _, field := range f.fields {
				for name, bad := range badTexts {
					form := url.Values{}
					for k, v := range f.form {
						form[k] = v
					}
					form.Set(field, bad)
					resp := s.do(f.who, "POST", f.path, form)
					page := body(resp)
					want := f.want
					if resp.StatusCode != want || strings.Contains(page, "Something went wrong") {
						t.Errorf("%s %s=%s: %d, want %d with a message for the person", f.path, field, name, resp.StatusCode, want)
					}
				}
			}
		}
		// Sign-in: a bad username is a wrong username, not a failure.
		for name, bad := range badTexts {
			if resp := s.do("", "POST", "/login", url.Values{"username": {bad}, "password": {"whatever it is"}}); resp.StatusCode != 401 {
				t.Errorf("sign-in with a username with %s: %d, want 401", name, resp.StatusCode)
			}
		}
		// Nothing of it was stored.
		m, err := s.svc.Movement(ctx)
		if err != nil || m.Name != "Food Bank Network" || m.Summary != "" {
			t.Errorf("the movement changed: %+v %v", m, err)
		}
		ms, _ := s.svc.Members(ctx, admin)
		if len(ms) != 4 {
			t.Errorf("%d members, want the 4 there were", len(ms))
		}
		invs, _ := s.svc.Invitations(ctx, admin)
		if len(invs) != 1 {
			t.Errorf("%d invitations, want the 1 there was", len(invs))
		}
		tally, _ := s.svc.Tally(ctx, openID)
		if tally.Cast() != 0 {
			t.Errorf("%d votes were cast", tally.Cast())
		}
		// A display name with a right-to-left override cannot pass for another.
		join := s.do("", "POST", "/join/"+token, url.Values{"username": {"mallory"}, "display_name": {"admin\u202e"},
			"password": {"a long enough secret"}, "password_confirm": {"a long enough secret"}})
		if page := body(join); join.StatusCode != 400 || !strings.Contains(page, "changes the direction of the text") {
			t.Errorf("display name with U+202E: %d", join.StatusCode)
		}
		// What is allowed still is: right-to-left text with its marks, emoji, tabs in a comment.
		if resp := s.do("member", "POST", open+"/comments", url.Values{"body": {"שלום\u200f עולם 👩\u200d👩\u200d👧\tand a tab"}}); resp.StatusCode != 303 {
			t.Errorf("a comment in Hebrew with an RLM, an emoji sequence and a tab: %d", resp.StatusCode)
		}
		if err := s.svc.CastVote(ctx, proposals.Member{ID: s.ids["member"], Role: proposals.RoleMember, Status: proposals.StatusActive},
			openID, consensus.Agree, "  Yes:\r\nwe need this.  "); err != nil {
			t.Errorf("a reason on two lines: %v", err)
		}
	})
}

// A fresh instance's setup form cleans its fields too, and sets nothing up
// when one is bad.
func TestSetupFormIsCleaned(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		svc := proposals.NewService(db.Store(), time.Now)
		srv := httptest.NewUnstartedServer(nil)
		base, _ := url.Parse("http://" + srv.Listener.Addr().String())
		h, err := web.New(web.Options{BaseURL: base, MaxBodyBytes: 1 << 20}, web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Service: svc, Health: db.Ping})
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = h
		srv.Start()
		t.Cleanup(srv.Close)
		token, err := svc.SetupToken(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		good := url.Values{"token": {token}, "name": {"Tenants"}, "handle": {"tenants"}, "summary": {"A union."},
			"username": {"ada"}, "display_name": {"Ada"}, "password": {"a long enough secret"}, "password_confirm": {"a long enough secret"}}
		for _, field := range []string{"name", "handle", "summary", "username", "display_name"} {
			for name, bad := range badTexts {
				form := url.Values{}
				for k, v := range good {
					form[k] = v
				}
				form.Set(field, bad)
				resp, err := http.PostForm(srv.URL+"/setup", form)
				if err != nil {
					t.Fatal(err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 400 || strings.Contains(string(page), "Something went wrong") {
					t.Errorf("setup %s=%s: %d, want 400", field, name, resp.StatusCode)
				}
			}
		}
		if need, err := svc.NeedsSetup(context.Background()); err != nil || !need {
			t.Fatalf("a refused setup set the instance up: %v %v", need, err)
		}
	})
}
