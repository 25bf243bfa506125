package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// liveEvent is one event of the live tally stream, as the page's script reads it.
type liveEvent struct {
	Visible bool   `json:"visible"`
	Status  string `json:"status"`
	Cast    int    `json:"cast"`
	Agree   int    `json:"agree"`
	// Requirements are kept as sent, to check their fields.
	Requirements []map[string]any `json:"requirements"`
	Votes        []struct {
		Member   string `json:"member"`
		Position string `json:"position"`
		Label    string `json:"label"`
		Reason   string `json:"reason"`
	} `json:"votes"`
}

// liveStream is an open /events stream whose events arrive on a channel,
// which closes when the server ends the stream.
type liveStream struct {
	events chan liveEvent
	cancel context.CancelFunc
}

func (s *site) openLive(who, path string) *liveStream {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+path+"/events", nil)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: s.cookies[who]})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		cancel()
		s.t.Fatalf("events as %s: %d", who, resp.StatusCode)
	}
	ls := &liveStream{events: make(chan liveEvent, 100), cancel: cancel}
	s.t.Cleanup(cancel)
	go func() {
		defer close(ls.events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev liveEvent
				json.Unmarshal([]byte(data), &ev)
				ls.events <- ev
			}
		}
	}()
	return ls
}

// next waits for the next event (the test fails if none comes within 10 s).
func (ls *liveStream) next(t testing.TB) liveEvent {
	t.Helper()
	select {
	case ev, ok := <-ls.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no live tally event within 10 s")
	}
	return liveEvent{}
}

// openVote makes a proposal open for voting and returns its path.
func (s *site) openVote() string {
	path := s.createProposal("member")
	s.do("member", "POST", path+"/changes", url.Values{"kind": {"add"}, "section": {"values"}, "text": {"Solidarity"}})
	s.do("facilitator", "POST", path+"/open", nil)
	return path
}

// A vote reaches every open page with the table of who voted how and why,
// read once for all of them; open pages cost no query while nothing changes
// (before: each page read the tally every 2 seconds).
func TestLiveTallyIsReadOnceForEveryWatcher(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		path := s.openVote()
		s.do("admin", "POST", path+"/vote", url.Values{"position": {"agree"}, "reason": {"first"}})
		const watchers = 30
		streams := make([]*liveStream, watchers)
		for i := range streams {
			streams[i] = s.openLive("admin", path)
			if ev := streams[i].next(t); ev.Cast != 1 || len(ev.Votes) != 1 {
				t.Fatalf("first event: %+v", ev)
			}
		}

		idle := db.Statements()
		time.Sleep(3 * time.Second) // more than the old polling interval
		if n := db.Statements() - idle; n != 0 {
			t.Fatalf("%d open pages ran %d statements in 3 s with nothing changing, want 0", watchers, n)
		}

		before := db.Statements()
		s.do("facilitator", "POST", path+"/vote", url.Values{"position": {"disagree"}, "reason": {"Not <b>yet</b>"}})
		for i, st := range streams {
			ev := st.next(t)
			if ev.Cast != 2 || len(ev.Votes) != 2 || ev.Votes[1].Member != "facilitator" || ev.Votes[1].Label != "disagree" || ev.Votes[1].Reason != "Not <b>yet</b>" {
				t.Fatalf("watcher %d after a vote: %+v", i, ev)
			}
		}
		// The vote itself (session, proposal, voter, vote, audit, notice) and
		// one read of the live state, whatever the number of pages.
		if n := db.Statements() - before; n > 20 {
			t.Fatalf("a vote seen by %d pages cost %d statements, want one read for all of them", watchers, n)
		}
	})
}

// Results stay hidden from a voter who has not voted, in the live stream too.
func TestLiveTallyHidesResultsUntilYouVote(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.openVote()
	s.do("admin", "POST", path+"/vote", url.Values{"position": {"block"}, "reason": {"red line"}})
	member := s.openLive("member", path)
	if ev := member.next(t); ev.Visible || ev.Cast != 1 || len(ev.Votes) != 0 || ev.Agree != 0 {
		t.Fatalf("a voter who has not voted sees: %+v", ev)
	}
	s.do("member", "POST", path+"/vote", url.Values{"position": {"agree"}})
	if ev := member.next(t); !ev.Visible || ev.Cast != 2 || len(ev.Votes) != 2 {
		t.Fatalf("once voted: %+v", ev)
	}
}

// A member suspended while a page is open stops receiving at once.
func TestLiveTallyEndsWithTheSession(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		path := s.openVote()
		stream := s.openLive("member", path)
		stream.next(t)
		s.do("admin", "POST", fmt.Sprintf("/members/%d/suspend", s.ids["member"]), url.Values{"reason": {"left"}, "confirm": {"yes"}})
		select {
		case _, ok := <-stream.events:
			if ok {
				// One event may have been on its way; the stream must end after it.
				if _, ok := <-stream.events; ok {
					t.Fatal("a suspended member's stream goes on")
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a suspended member's stream was still open 10 s later")
		}
		if resp := s.do("member", "GET", path, nil); resp.StatusCode == 200 {
			t.Fatal("the suspended member's session still opens pages")
		}
	})
}

// The live tally says of each requirement whether it is met, as the page
// does, so the script need not guess it from the sentence.
func TestLiveTallySaysWhichRequirementsAreMet(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.openVote()
	s.do("admin", "POST", path+"/vote", url.Values{"position": {"agree"}})
	ev := s.openLive("admin", path).next(t)
	if !ev.Visible || len(ev.Requirements) == 0 {
		t.Fatalf("no requirements in the live tally: %+v", ev)
	}
	met, missed := 0, 0
	for _, req := range ev.Requirements {
		sentence, _ := req["sentence"].(string)
		isMet, ok := req["met"].(bool)
		if sentence == "" || !ok {
			t.Fatalf("requirement without its sentence or whether it is met: %v", req)
		}
		if isMet {
			met++
		} else {
			missed++
		}
	}
	// One agree vote of four eligible members: agreement met, quorum missed.
	if met == 0 || missed == 0 {
		t.Fatalf("%d met and %d missed, want some of each: %v", met, missed, ev.Requirements)
	}
	page := body(s.do("admin", "GET", path, nil))
	if strings.Count(page, `<li class="met">`) != met || strings.Count(page, `<li class="missed">`) != missed {
		t.Fatalf("the live tally marks %d met and %d missed, the page otherwise", met, missed)
	}
}

// Another member's sign-out leaves my open pages alone: they neither end
// nor re-read their session (before, every sign-out anywhere woke every
// stream of every proposal, and each read its session from the database).
// My own suspension still ends them.
func TestLiveTallyWakesOnlyTheMembersStreams(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		path := s.openVote()
		streams := make([]*liveStream, 5)
		for i := range streams {
			streams[i] = s.openLive("member", path)
			streams[i].next(t)
		}
		time.Sleep(300 * time.Millisecond) // the first wakes' checks are done
		if resp := s.do("facilitator", "POST", "/logout", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", resp.StatusCode)
		}
		before := db.Statements()
		time.Sleep(time.Second) // the notice reaches every process
		if n := db.Statements() - before; n != 0 {
			t.Fatalf("another member's sign-out made my %d open pages run %d statements, want 0", len(streams), n)
		}
		for i, st := range streams {
			select {
			case _, ok := <-st.events:
				if !ok {
					t.Fatalf("stream %d ended with another member's sign-out", i)
				}
			default:
			}
		}

		s.do("admin", "POST", fmt.Sprintf("/members/%d/suspend", s.ids["member"]), url.Values{"reason": {"left"}, "confirm": {"yes"}})
		for i, st := range streams {
			deadline := time.After(10 * time.Second)
			for ended := false; !ended; {
				select {
				case _, ok := <-st.events:
					ended = !ok
				case <-deadline:
					t.Fatalf("stream %d of a suspended member was still open 10 s later", i)
				}
			}
		}
	})
}

// BenchmarkLiveTallyWatchers: a vote reaches N open pages of one proposal.
// One iteration is one vote, until every page has it. Reported: statements
// per vote (the vote itself included) and per idle second, with N pages.
func BenchmarkLiveTallyWatchers(b *testing.B) {
	for _, watchers := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("watchers=%d", watchers), func(b *testing.B) {
			db := storagetest.Postgres(b)
			s := newSiteTB(b, db, "http")
			path := s.openVote()
			s.do("admin", "POST", path+"/vote", url.Values{"position": {"agree"}}) // so the admin's pages show results
			streams := make([]*liveStream, watchers)
			for i := range streams {
				streams[i] = s.openLive("admin", path)
				streams[i].next(b)
			}
			positions := []string{"agree", "disagree"}
			b.ResetTimer()
			start := db.Statements()
			for i := range b.N {
				s.do("facilitator", "POST", path+"/vote", url.Values{"position": {positions[i%2]}})
				var wg sync.WaitGroup
				for _, st := range streams {
					wg.Go(func() {
						for ev := st.next(b); !hasVote(ev, "facilitator", positions[i%2]); ev = st.next(b) {
						}
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			b.ReportMetric(float64(db.Statements()-start)/float64(b.N), "statements/vote")
			idle := db.Statements()
			time.Sleep(2 * time.Second)
			b.ReportMetric(float64(db.Statements()-idle)/2, "statements/idle-s")
		})
	}
}

func hasVote(ev liveEvent, member, position string) bool {
	for _, v := range ev.Votes {
		if v.Member == member && v.Position == position {
			return true
		}
	}
	return false
}
