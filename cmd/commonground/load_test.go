package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
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

// loadFixture is a PostgreSQL-backed instance, run by the real binary, with
// members who each hold a session, and one proposal open for voting.
type loadFixture struct {
	base     string
	svc      *proposals.Service
	members  []proposals.Member
	sessions []string
	proposal int64
}

func newLoadFixture(b *testing.B, members int) *loadFixture {
	b.Helper()
	ctx := context.Background()
	dbURL := storagetest.PostgresURL(b)
	target, _ := storage.ParseURL(dbURL, "")
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
	hash, _ := proposals.HashPassword("not used by the load")
	err = db.InTx(ctx, func(tx *storage.Tx) error {
		now := time.Now()
		for i := range members {
			// Stored directly: hashing 1,000 passwords would dominate the set-up.
			m, err := tx.CreateMember(ctx, proposals.Member{Username: fmt.Sprintf("voter%04d", i), Role: proposals.RoleMember,
				Status: proposals.StatusActive, CreatedAt: now, UpdatedAt: now}, hash)
			if err != nil {
				return err
			}
			token := proposals.NewToken()
			if err := tx.CreateSession(ctx, proposals.TokenHash(token), m.ID, now, now.Add(time.Hour)); err != nil {
				return err
			}
			f.members = append(f.members, m)
			f.sessions = append(f.sessions, token)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := svc.CreateProposal(ctx, f.members[0], "Load", "Under load.")
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.AddChange(ctx, f.members[0], p.ID, proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: "Endure"}); err != nil {
		b.Fatal(err)
	}
	if err := svc.OpenVoting(ctx, admin, p.ID); err != nil {
		b.Fatal(err)
	}
	f.proposal = p.ID
	inst := startServe(b, "--data-dir", b.TempDir(), "--database-url", dbURL)
	f.base = "http://" + inst.addr
	return f
}

func loadClient() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// BenchmarkVotesOverHTTP: 200 signed-in members vote (and change their votes)
// at once through the real server on PostgreSQL. Reported as votes per second.
func BenchmarkVotesOverHTTP(b *testing.B) {
	const voters = 200
	f := newLoadFixture(b, voters)
	client := loadClient()
	path := fmt.Sprintf("%s/proposals/%d/vote", f.base, f.proposal)
	positions := []string{"agree", "stand_aside", "disagree", "agree"}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				form := url.Values{"position": {positions[int(i)%len(positions)]}}
				req, _ := http.NewRequest("POST", path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(&http.Cookie{Name: "cg_session", Value: f.sessions[v]})
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != http.StatusSeeOther {
					failed.Add(1)
				}
				if resp != nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d votes failed", failed.Load(), b.N)
	}
	tally, _ := f.svc.Tally(context.Background(), f.proposal)
	if want := min(b.N, voters); tally.Cast() != want {
		b.Fatalf("tally counts %d votes, want %d", tally.Cast(), want)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "votes/s")
}

// BenchmarkProposalPage: the proposal page with 1,000 votes (and their audit
// trail) and 200 comments, requested one after another; p50 and p99 reported.
func BenchmarkProposalPage(b *testing.B) {
	f := newLoadFixture(b, 1000)
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
	client := loadClient()
	get := func() time.Duration {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/proposals/%d", f.base, f.proposal), nil)
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: f.sessions[0]})
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("proposal page: %v %v", err, resp)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n < 100_000 {
			b.Fatalf("page of %d bytes: the votes and comments are not on it", n)
		}
		return time.Since(start)
	}
	get() // warm up
	b.ResetTimer()
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		lat = append(lat, get())
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
