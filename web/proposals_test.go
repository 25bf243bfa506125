package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/internal/testclock"
	"github.com/commonground/commonground/storage/storagetest"
)

// createProposal posts a new draft as who and returns its path.
func (s *site) createProposal(who string) string {
	s.t.Helper()
	resp := s.do(who, "POST", "/proposals", url.Values{"title": {"Add an objective"}, "rationale": {"Because <b>bold</b>."}})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/proposals/") {
		s.t.Fatalf("create proposal: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return resp.Header.Get("Location")
}

func TestProposalPermissionsOverHTTP(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.createProposal("member")
	add := url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {"Homes for all <script>x</script>"}}
	checks := []struct {
		who, method, path string
		form              url.Values
		want              int
	}{
		{"", "GET", path, nil, 303},
		{"facilitator", "GET", path, nil, 200}, // facilitators see drafts
		{"admin", "POST", path + "/changes", add, 403},
		{"member", "POST", path + "/changes", url.Values{"kind": {"delete_everything"}}, 400},
		{"member", "POST", path + "/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {""}}, 400},
		{"member", "POST", path + "/changes", add, 303},
		{"member", "POST", path + "/open", nil, 403},
		{"facilitator", "POST", path + "/open", nil, 303},
		{"member", "POST", path + "/changes", add, 409}, // frozen once open
		{"member", "POST", path + "/vote", url.Values{"position": {"maybe"}}, 400},
		{"member", "POST", path + "/vote", url.Values{"position": {"block"}}, 400}, // a block needs a reason
		{"suspended", "POST", path + "/vote", url.Values{"position": {"agree"}}, 401},
		{"", "POST", path + "/vote", url.Values{"position": {"agree"}}, 401},
		{"member", "POST", path + "/vote", url.Values{"position": {"agree"}}, 303},
		{"member", "POST", path + "/comments", url.Values{"body": {"See <img src=x onerror=alert(1)> https://example.org/?a=1&b=2"}}, 303},
		{"member", "POST", path + "/comments", url.Values{"body": {strings.Repeat("long ", 3000)}}, 400},
		{"member", "POST", path + "/close", nil, 403},
		{"member", "POST", path + "/withdraw", nil, 403},
		{"member", "POST", path + "/fallback", nil, 403},
		{"member", "GET", "/proposals/999", nil, 404},
		{"member", "GET", "/proposals/abc", nil, 404},
		{"member", "GET", "/settings/decisions", nil, 403},
		{"admin", "GET", "/settings/decisions", nil, 200},
		{"admin", "POST", "/settings/decisions", url.Values{"kind": {"values"}, "preset": {"consensus"}, "quorum": {"140%"}, "voting_days": {"7"}}, 400},
		{"admin", "POST", "/settings/decisions", url.Values{"kind": {"values"}, "preset": {"dictator"}, "quorum": {"50%"}, "voting_days": {"7"}}, 400},
		{"admin", "POST", "/settings/decisions", url.Values{"kind": {"values"}, "preset": {"two_thirds"}, "quorum": {"60%"}, "voting_days": {"3"}}, 303},
		{"facilitator", "POST", path + "/close", nil, 400}, // asks to confirm
		{"member", "POST", path + "/vote", url.Values{"position": {"agree"}}, 303},
		{"facilitator", "POST", path + "/close", url.Values{"confirm": {"yes"}}, 303},
		{"member", "POST", path + "/vote", url.Values{"position": {"agree"}}, 409}, // closed
	}
	for _, c := range checks {
		if resp := s.do(c.who, c.method, c.path, c.form); resp.StatusCode != c.want {
			t.Errorf("%s %s as %q: %d, want %d: %s", c.method, c.path, c.who, resp.StatusCode, c.want, firstLine(body(resp), "alert"))
		}
	}
	page := body(s.do("member", "GET", path, nil))
	for _, bad := range []string{"<script>x</script>", "<img src=x", "<b>bold</b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the proposal page contains raw %q", bad)
		}
	}
	if !strings.Contains(page, `href="https://example.org/?a=1&amp;b=2"`) {
		t.Error("a link in a comment is not made clickable and escaped")
	}
}

func firstLine(s, marker string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, marker) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// A form that fails shows the page again with what was typed still in it.
func TestFailedFormsKeepWhatWasTyped(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.createProposal("member")
	failed := func(who, action string, form url.Values, want ...string) {
		t.Helper()
		resp := s.do(who, "POST", path+action, form)
		page := body(resp)
		if resp.StatusCode < 400 {
			t.Fatalf("%s: %d, want a refusal", action, resp.StatusCode)
		}
		for _, w := range want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page shown again lacks %q", action, w)
			}
		}
	}
	// An item added at a nonsense position keeps its words, in the form of
	// its section only.
	typed := "Homes for all, and more homes"
	failed("member", "/changes", url.Values{"kind": {"add"}, "section": {"values"}, "text": {typed}, "position": {"first"}},
		`id="add-values" name="text" rows="2" required placeholder="The new wording">`+typed+"</textarea>")
	if page := body(s.do("member", "GET", path, nil)); strings.Contains(page, typed) {
		t.Error("the typed text shows on a fresh page too")
	}
	failed("member", "/edit", url.Values{"title": {""}, "rationale": {"My careful reasons"}}, ">My careful reasons</textarea>")

	s.do("member", "POST", path+"/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {"Homes for all"}})
	s.do("facilitator", "POST", path+"/open", nil)
	failed("member", "/vote", url.Values{"position": {"maybe"}, "reason": {"I have doubts about the wording"}}, ">I have doubts about the wording</textarea>")
	comment := strings.Repeat("long ", 3000)
	failed("member", "/comments", url.Values{"body": {comment}}, `aria-describedby="form-error">`+strings.TrimSpace(comment))
}

func TestHugeCommentIsRefusedWith413(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.createProposal("member")
	if resp := s.do("member", "POST", path+"/comments", url.Values{"body": {strings.Repeat("x", 5<<20)}}); resp.StatusCode != 413 {
		t.Fatalf("5 MB comment: %d, want 413", resp.StatusCode)
	}
}

func TestPublicStatementForms(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	resp := s.do("", "GET", "/statement", nil)
	page := body(resp)
	if resp.StatusCode != 200 || !strings.Contains(page, `<meta property="og:title" content="Food Bank Network: core statement">`) {
		t.Fatalf("public statement page: %d", resp.StatusCode)
	}
	resp = s.do("", "GET", "/statement.json", nil)
	var doc struct {
		Version  int `json:"version"`
		Sections []struct {
			Section string `json:"section"`
			Items   []any  `json:"items"`
		} `json:"sections"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Version != 1 || len(doc.Sections) != 3 || doc.Sections[2].Section != "red_lines" || doc.Sections[0].Items == nil {
		t.Fatalf("statement.json: %+v %v", doc, err)
	}
	if resp := s.do("", "GET", "/statement.md", nil); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") || !strings.Contains(body(resp), "# Food Bank Network: core statement") {
		t.Fatal("statement.md")
	}
	for path, want := range map[string]int{"/statement?version=99": 404, "/statement.json?version=abc": 400, "/statement?version=1": 200,
		"/statement/history": 200, "/statement/diff?from=1&to=1": 200, "/statement/diff": 400} {
		if resp := s.do("", "GET", path, nil); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestTallyStreamsAsServerSentEvents(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.createProposal("member")
	s.do("member", "POST", path+"/changes", url.Values{"kind": {"add"}, "section": {"values"}, "text": {"Solidarity"}})
	s.do("facilitator", "POST", path+"/open", nil)
	s.do("member", "POST", path+"/vote", url.Values{"position": {"agree"}})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+path+"/events", nil)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: s.cookies["member"]})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var tally struct {
				Visible bool `json:"visible"`
				Cast    int  `json:"cast"`
				Agree   int  `json:"agree"`
			}
			json.Unmarshal([]byte(data), &tally)
			if !tally.Visible || tally.Cast != 1 || tally.Agree != 1 {
				t.Fatalf("first tally event: %s", data)
			}
			return
		}
	}
	t.Fatal("no tally event")
}

func TestReviewFindingsStayFixed(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")

	// A draft stays between its author and the facilitators, also once withdrawn.
	draft := s.createProposal("member")
	other := s.createProposal("facilitator")
	if strings.Contains(body(s.do("member", "GET", "/proposals", nil)), other) {
		t.Error("a member sees another member's draft in the list")
	}
	if resp := s.do("member", "POST", other+"/comments", url.Values{"body": {"peek"}}); resp.StatusCode != 404 {
		t.Errorf("a member commented on another's draft: %d", resp.StatusCode)
	}
	s.do("member", "POST", draft+"/withdraw", nil)
	if resp := s.do("facilitator", "GET", draft, nil); resp.StatusCode != 200 {
		t.Errorf("a facilitator cannot see a withdrawn draft: %d", resp.StatusCode)
	}
	if resp := s.do("admin", "GET", other, nil); resp.StatusCode != 200 {
		t.Errorf("admin: %d", resp.StatusCode)
	}
	s.do("facilitator", "POST", other+"/withdraw", nil)
	if resp := s.do("member", "GET", other, nil); resp.StatusCode != 403 {
		t.Errorf("a withdrawn draft is visible to other members: %d", resp.StatusCode)
	}

	// No open redirect through characters browsers strip.
	for _, next := range []string{"/\t/evil.example/x", "/\\evil.example", "https://evil.example", "//evil.example", "/\n/evil.example"} {
		resp := s.do("", "POST", "/login", url.Values{"username": {"admin"}, "password": {"secret phrase of xxxxx"}, "next": {next}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirects to %q", next, loc)
		}
	}

	// A malformed form is the sender's mistake, not a server error.
	req := strings.NewReader("title=%zz")
	resp, _ := http.Post(s.url+"/login", "application/x-www-form-urlencoded", req)
	if resp.StatusCode != 400 {
		t.Errorf("malformed form encoding: %d, want 400", resp.StatusCode)
	}
}

func TestAccountLimitIgnoresCaseAndSpaces(t *testing.T) {
	clk := testclock.New(time.Now())
	s := newSiteWith(t, storagetest.SQLite(t), "http", clk.Now, nil)
	for i, name := range []string{"member", "Member", "MEMBER", " member", "member "} {
		if resp := s.do("", "POST", "/login", url.Values{"username": {name}, "password": {fmt.Sprint("guess", i)}}); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	if resp := s.do("", "POST", "/login", url.Values{"username": {"Member"}, "password": {"secret phrase of xxxxxx"}}); resp.StatusCode != 429 {
		t.Fatalf("6th attempt under another spelling: %d, want 429", resp.StatusCode)
	}
}
