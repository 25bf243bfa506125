package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// loadFixture is an instance, run by the real binary on one of the two
// databases, with members who each hold a session, and one proposal open for
// voting.
type loadFixture struct {
	inst     *instance
	base     string
	svc      *proposals.Service
	members  []proposals.Member
	sessions []string
	proposal int64
}

// eachDatabase runs a load benchmark on SQLite and on PostgreSQL, side by side.
func eachDatabase(b *testing.B, bench func(b *testing.B, dbURL string)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, "sqlite:"+filepath.Join(b.TempDir(), "load.db")) })
	b.Run("postgres", func(b *testing.B) { bench(b, storagetest.PostgresURL(b)) })
}

func newLoadFixture(b testing.TB, dbURL string, members int) *loadFixture {
	b.Helper()
	ctx := context.Background()
	target, err := storage.ParseURL(dbURL, "")
	if err != nil {
		b.Fatal(err)
	}
	db, err := storage.Open(ctx, target)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, time.Now); err != nil {
		b.Fatal(err)
	}
	svc := proposals.NewService(db.Store(), time.Now)
	admin, err := svc.Initialize(ctx, proposals.Founding{Movement: proposals.Movement{Name: "Load", Handle: "load"},
		Admin: proposals.NewAccount{Username: "admin", Password: "a long shared secret"}})
	if err != nil {
		b.Fatal(err)
	}
	f := &loadFixture{svc: svc}
	f.members, f.sessions = storeVoters(b, db, 0, members)
	f.proposal = openVote(b, svc, f.members[0], admin, "Load", proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: "Endure"})
	f.inst = startServe(b, "--data-dir", b.TempDir(), "--database-url", dbURL)
	f.base = "http://" + f.inst.addr
	return f
}

func loadClient() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// vote posts one vote as the member with session, and fails b unless it is recorded.
func (f *loadFixture) vote(b testing.TB, client *http.Client, session, position string) {
	if err := f.tryVote(client, session, position); err != nil {
		b.Error(err)
	}
}

// tryVote posts one vote; nil means the instance answered that it is recorded.
func (f *loadFixture) tryVote(client *http.Client, session, position string) error {
	path := fmt.Sprintf("%s/proposals/%d/vote", f.base, f.proposal)
	if code := postForm(client, path, session, url.Values{"position": {position}}); code != http.StatusSeeOther {
		return fmt.Errorf("vote answered %d", code)
	}
	return nil
}

// postForm sends form to target with a session and returns the status (0 when
// nothing answered).
func postForm(client *http.Client, target, session string, form url.Values) int {
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(client, req, session)
}

// send sends req with a session and returns the status (0 when nothing answered).
func send(client *http.Client, req *http.Request, session string) int {
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: session})
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// storeVoters stores n members (voter<from> …), each with a session,
// directly: hashing n passwords would dominate a test's set-up.
func storeVoters(tb testing.TB, db *storage.DB, from, n int) ([]proposals.Member, []string) {
	tb.Helper()
	ctx := context.Background()
	hash, _ := proposals.HashPassword("not used by the test")
	var members []proposals.Member
	var sessions []string
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		now := time.Now()
		for i := from; i < from+n; i++ {
			m, err := tx.CreateMember(ctx, proposals.Member{Username: fmt.Sprintf("voter%04d", i), Role: proposals.RoleMember,
				Status: proposals.StatusActive, CreatedAt: now, UpdatedAt: now}, hash)
			if err != nil {
				return err
			}
			token := proposals.NewToken()
			if err := tx.CreateSession(ctx, proposals.TokenHash(token), m.ID, now, now.Add(time.Hour)); err != nil {
				return err
			}
			members, sessions = append(members, m), append(sessions, token)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return members, sessions
}

// openVote drafts a one-change proposal as author and opens it for voting
// as admin; it returns the proposal's id.
func openVote(tb testing.TB, svc *proposals.Service, author, admin proposals.Member, title string, change proposals.Change) int64 {
	tb.Helper()
	ctx := context.Background()
	p, err := svc.CreateProposal(ctx, author, title, "Decided under test.")
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.AddChange(ctx, author, p.ID, change); err != nil {
		tb.Fatal(err)
	}
	if err := svc.OpenVoting(ctx, admin, p.ID); err != nil {
		tb.Fatal(err)
	}
	return p.ID
}

// percentiles reports the p50 and p99 of lat, in milliseconds.
func percentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// A vote the instance answered for is kept, and counted once, when the
// process is killed (kill -9) while members vote at once: after the kill,
// each member's vote is the last one answered, or the one in flight when it
// died; the audit trail holds every answered vote and at most that one more.
// On both databases (a vote is one statement on PostgreSQL, two on SQLite).
func TestVotesSurviveKill9(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "votes.db")
			if name == "postgres" {
				dbURL = storagetest.PostgresURL(t)
			}
			const voters = 20
			f := newLoadFixture(t, dbURL, voters)
			client := loadClient()
			positions := []consensus.Position{consensus.Agree, consensus.Disagree, consensus.StandAside}
			answered := make([][]consensus.Position, voters) // per voter, in order
			inFlight := make([]consensus.Position, voters)
			var votes, started atomic.Int64 // votes answered; voters with one answered
			var wg sync.WaitGroup
			for v := range voters {
				wg.Go(func() {
					for i := v; ; i++ {
						pos := positions[i%len(positions)]
						inFlight[v] = pos
						if f.tryVote(client, f.sessions[v], string(pos)) != nil {
							return // killed
						}
						answered[v] = append(answered[v], pos)
						if len(answered[v]) == 1 {
							started.Add(1)
						}
						votes.Add(1)
					}
				})
			}
			// Killed mid-load, once every voter has a vote answered (the
			// checks below read the trail as one of them).
			eventually(t, "every voter has a vote answered, 200 in all, before the kill", 2*time.Minute, func() bool {
				return votes.Load() >= 200 && started.Load() >= voters
			})
			f.inst.cmd.Process.Kill()
			f.inst.cmd.Wait()
			wg.Wait()
			ctx := context.Background()
			view, err := f.svc.ViewProposal(ctx, &f.members[0], f.proposal)
			if err != nil {
				t.Fatal(err)
			}
			_, events, err := f.svc.VoteTrail(ctx, f.members[0], f.proposal)
			if err != nil {
				t.Fatal(err)
			}
			current := map[int64]consensus.Position{}
			for _, vote := range view.Votes {
				current[vote.MemberID] = vote.Position
			}
			trail := map[int64]int{}
			for _, e := range events {
				trail[e.MemberID]++
			}
			for v, m := range f.members {
				acked := answered[v]
				if len(acked) == 0 {
					continue
				}
				if got := current[m.ID]; got != acked[len(acked)-1] && got != inFlight[v] {
					t.Errorf("voter %d: vote %q after the kill, want the last one answered, %q (or %q, in flight)", v, got, acked[len(acked)-1], inFlight[v])
				}
				if n := trail[m.ID]; n < len(acked) || n > len(acked)+1 {
					t.Errorf("voter %d: %d audit entries for %d answered votes", v, n, len(acked))
				}
			}
			t.Logf("%d votes answered before the kill, all kept", votes.Load())
		})
	}
}

// BenchmarkVotesOverHTTP: 200 signed-in members change their votes at once
// through the real server, b.N votes in all. Reported as votes per second,
// with p50 and p99. Each member votes once before the timer starts, so that
// what is timed is the steady state, votes changed over connections already
// open: at default settings b.N is a few hundred, and its first run, timed,
// was mostly 200 connection set-ups and first inserts.
func BenchmarkVotesOverHTTP(b *testing.B) {
	eachDatabase(b, func(b *testing.B, dbURL string) {
		const voters = 200
		f := newLoadFixture(b, dbURL, voters)
		client := loadClient()
		var warm sync.WaitGroup
		for v := range voters {
			warm.Go(func() { f.vote(b, client, f.sessions[v], "agree") })
		}
		warm.Wait()
		positions := []string{"stand_aside", "disagree", "agree"}
		var next atomic.Int64
		lat := make([]time.Duration, b.N)
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for v := range voters {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
					t := time.Now()
					f.vote(b, client, f.sessions[v], positions[int(i)%len(positions)])
					lat[i] = time.Since(t)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		tally, _ := f.svc.Tally(context.Background(), f.proposal)
		if tally.Cast() != voters {
			b.Fatalf("tally counts %d votes, want %d: one per member, however often changed", tally.Cast(), voters)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "votes/s")
		percentiles(b, lat)
	})
}

// BenchmarkProposalPage: the proposal page with 1,000 votes and 200
// comments, read by 32 readers at once; p50 and p99 reported.
func BenchmarkProposalPage(b *testing.B) {
	eachDatabase(b, func(b *testing.B, dbURL string) {
		f := newLoadFixture(b, dbURL, 1000)
		ctx := context.Background()
		for i, m := range f.members {
			pos := []consensus.Position{consensus.Agree, consensus.Agree, consensus.StandAside, consensus.Disagree}[i%4]
			if err := f.svc.CastVote(ctx, m, f.proposal, pos, "reason number "+fmt.Sprint(i)); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 200 {
			if _, err := f.svc.AddComment(ctx, f.members[i], f.proposal, 0, "A comment with a link https://example.org/"+fmt.Sprint(i)+"\n\nand a second paragraph."); err != nil {
				b.Fatal(err)
			}
		}
		readConcurrently(b, f, fmt.Sprintf("/proposals/%d", f.proposal), f.sessions[0], 100_000)
	})
}

// BenchmarkStatementPage: the public statement page, read by 32 readers at
// once without a session; p50 and p99 reported.
func BenchmarkStatementPage(b *testing.B) {
	eachDatabase(b, func(b *testing.B, dbURL string) {
		f := newLoadFixture(b, dbURL, 1)
		readConcurrently(b, f, "/statement", "", 1_000)
	})
}

// readConcurrently reads path b.N times, 32 readers at once over open
// connections (each reader reads it once before the timer starts), and
// reports p50 and p99. A page shorter than minBytes fails: it is not the page.
func readConcurrently(b *testing.B, f *loadFixture, path, session string, minBytes int64) {
	const readers = 32
	client := loadClient()
	get := func() time.Duration {
		req, _ := http.NewRequest("GET", f.base+path, nil)
		if session != "" {
			req.AddCookie(&http.Cookie{Name: "cg_session", Value: session})
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Errorf("%s: %v %v", path, err, resp)
			return 0
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n < minBytes {
			b.Errorf("%s: %d bytes, the page is not all there", path, n)
		}
		return time.Since(start)
	}
	var warm sync.WaitGroup
	for range readers {
		warm.Go(func() { get() })
	}
	warm.Wait()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				lat[i] = get()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	percentiles(b, lat)
}
