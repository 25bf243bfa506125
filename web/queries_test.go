package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// The SQL statements a request costs (BEGIN and COMMIT counted), on each
// database: every vote pays for each one, a round trip to PostgreSQL. The
// figures are logged for the performance note; the bounds keep them from
// creeping back up. The session is kept in memory. A vote is one statement
// on PostgreSQL (the checks, the vote and its audit row); on SQLite, which
// has no INSERT in WITH and no round trip, BEGIN, the vote, its audit row,
// COMMIT. A vote that its rule may refuse without a reason (a disagreement
// or a block without one) takes a transaction that reads the rule first:
// BEGIN, the proposal with the voter's eligibility, the vote and its audit
// row (one statement on PostgreSQL), COMMIT.
func TestStatementsPerRequest(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		path := s.createProposal("member")
		s.do("member", "POST", path+"/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {"Homes for all"}})
		if resp := s.do("admin", "POST", path+"/open", nil); resp.StatusCode != 303 {
			t.Fatalf("open voting: %d", resp.StatusCode)
		}
		// settle waits until the work a request leaves behind (the
		// notification worker it wakes) is done, so that only the measured
		// request is counted.
		settle := func() {
			for last := int64(-1); ; {
				time.Sleep(150 * time.Millisecond)
				n := db.Statements()
				if n == last {
					return
				}
				last = n
			}
		}
		cost := func(what string, want int, who, method, path string, form url.Values) {
			t.Helper()
			settle()
			before := db.Statements()
			if resp := s.do(who, method, path, form); resp.StatusCode >= 400 {
				t.Fatalf("%s: %d", what, resp.StatusCode)
			}
			n := int(db.Statements() - before)
			t.Logf("%s (%s): %d statements", what, db.Dialect(), n)
			if n > want {
				t.Errorf("%s on %s: %d statements, want at most %d", what, db.Dialect(), n, want)
			}
		}
		vote, checked := 1, 4
		if db.Dialect() == storage.SQLite {
			vote, checked = 4, 5
		}
		cost("first vote", vote, "member", "POST", path+"/vote", url.Values{"position": {"agree"}})
		cost("changed vote", vote, "member", "POST", path+"/vote", url.Values{"position": {"stand_aside"}})
		cost("a disagreement without a reason", checked, "member", "POST", path+"/vote", url.Values{"position": {"disagree"}})
		cost("a disagreement with a reason", vote, "member", "POST", path+"/vote", url.Values{"position": {"disagree"}, "reason": {"too soon"}})
		// The movement (its name heads every page), the current statement
		// and what a proposal's page shows every member alike are kept in
		// memory until they change, or for 5 s: a page read again reads
		// nothing, and a vote or a comment has the next reader read it all
		// again.
		cost("proposal page", 11, "member", "GET", path, nil)
		cost("proposal page, read again", 0, "member", "GET", path, nil)
		cost("proposal page, read by another member", 0, "admin", "GET", path, nil)
		cost("a comment", 5, "member", "POST", path+"/comments", url.Values{"body": {"Why homes first?"}})
		cost("proposal page after the comment", 11, "member", "GET", path, nil)
		if page := body(s.do("admin", "GET", path, nil)); !strings.Contains(page, "Why homes first?") {
			t.Error("the proposal page kept from before the comment was shown after it")
		}
		s.do("admin", "POST", path+"/vote", url.Values{"position": {"stand_aside"}, "reason": {"others know better"}})
		if page := body(s.do("member", "GET", path, nil)); !strings.Contains(page, "others know better") {
			t.Error("the proposal page kept from before the admin's vote was shown after it")
		}
		cost("public statement page", 1, "", "GET", "/statement", nil)
		cost("public statement page, read again", 0, "", "GET", "/statement", nil)
	})
}
