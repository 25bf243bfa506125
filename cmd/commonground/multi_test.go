package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// cluster is one instance run by several `serve` processes on one
// PostgreSQL database, each on its own loopback address, with members who
// each hold a session.
type cluster struct {
	t        testing.TB
	dbURL    string
	base     string // the instance's base URL: the first process's address
	addrs    []string
	procs    []*instance
	db       *storage.DB
	sqlDB    *sql.DB // for the checks that read the tables themselves
	svc      *proposals.Service
	admin    proposals.Member
	adminKey string // the admin's session token
	members  []proposals.Member
	sessions []string
}

// startCluster starts n serve processes together on a fresh database: they
// migrate, make the key pair and the setup token at the same moment.
func startCluster(t testing.TB, n int, extra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, dbURL: storagetest.PostgresURL(t)}
	for i := range n {
		c.addrs = append(c.addrs, freeAddr(t, fmt.Sprintf("127.0.0.%d", 2+i)))
	}
	c.base = "http://" + c.addrs[0]
	for _, addr := range c.addrs {
		args := append([]string{"--listen", addr, "--base-url", c.base, "--database-url", c.dbURL, "--data-dir", t.TempDir(),
			"--allow-private", "127.0.0.0/8", "--federation-http", "--delivery-retry-base", "300ms",
			"--database-connections", "16"}, extra...) // leaves room under PostgreSQL's default 100 for the other tests
		c.procs = append(c.procs, launchServe(t, args...))
	}
	for _, p := range c.procs {
		p.awaitListening(t)
	}
	ctx := context.Background()
	target, _ := storage.ParseURL(c.dbURL, "")
	db, err := storage.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c.db = db
	if c.sqlDB, err = sql.Open("postgres", c.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.sqlDB.Close() })
	c.svc = proposals.NewService(db.Store(), time.Now)
	return c
}

// setUp makes the movement and its admin, signed in.
func (c *cluster) setUp() {
	c.t.Helper()
	ctx := context.Background()
	admin, err := c.svc.Initialize(ctx, proposals.Founding{Movement: proposals.Movement{Name: "Commons", Handle: "commons"},
		Admin: proposals.NewAccount{Username: "admin", Password: "a long shared secret"}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.admin = admin
	if c.adminKey, _, err = c.svc.SignIn(ctx, "admin", "a long shared secret"); err != nil {
		c.t.Fatal(err)
	}
}

// addMembers stores n more members, each with a session.
func (c *cluster) addMembers(n int) {
	c.t.Helper()
	members, sessions := storeVoters(c.t, c.db, len(c.members), n)
	c.members, c.sessions = append(c.members, members...), append(c.sessions, sessions...)
}

// openProposal opens a one-change proposal for voting and returns its id.
func (c *cluster) openProposal(title string, change proposals.Change) int64 {
	c.t.Helper()
	return openVote(c.t, c.svc, c.admin, c.admin, title, change)
}

var clusterClient = &http.Client{
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// post sends a form to process i with a session and returns the status (0
// when the process did not answer).
func (c *cluster) post(i int, session, path string, form url.Values) int {
	return postForm(clusterClient, "http://"+c.addrs[i]+path, session, form)
}

// get asks process i for a page with a session and returns the status.
func (c *cluster) get(i int, session, path string) int {
	req, _ := http.NewRequest("GET", "http://"+c.addrs[i]+path, nil)
	return send(clusterClient, req, session)
}

// publicPage is the text of an anonymous page from process i ("" when it did not answer).
func (c *cluster) publicPage(i int, path string) string { return c.page(i, "", path) }

// page is the text of a page from process i, read with a session ("" when
// it did not answer).
func (c *cluster) page(i int, session, path string) string {
	req, _ := http.NewRequest("GET", "http://"+c.addrs[i]+path, nil)
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: session})
	}
	resp, err := clusterClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// liveTally is what a live tally event carries that the tests read.
type liveTally struct {
	Cast       int `json:"cast"`
	Agree      int `json:"agree"`
	StandAside int `json:"stand_aside"`
	Disagree   int `json:"disagree"`
	Block      int `json:"block"`
	Votes      []struct {
		Member string `json:"member"`
	} `json:"votes"`
}

// liveEvents opens the live tally of a proposal on process i; each event
// arrives on the channel, decoded.
func (c *cluster) liveEvents(i int, session string, proposal int64) <-chan liveTally {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s/proposals/%d/events", c.addrs[i], proposal), nil)
	req.AddCookie(&http.Cookie{Name: "cg_session", Value: session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		c.t.Fatalf("live tally on process %d: %v %v", i, err, resp)
	}
	out := make(chan liveTally, 100)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var lt liveTally
				json.Unmarshal([]byte(data), &lt)
				out <- lt
			}
		}
		close(out)
	}()
	return out
}

func firstEvent(t testing.TB, events <-chan liveTally) liveTally {
	t.Helper()
	select {
	case lt := <-events:
		return lt
	case <-time.After(10 * time.Second):
		t.Fatal("no live tally event within 10 s")
	}
	return liveTally{}
}

func (c *cluster) count(query string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.sqlDB.QueryRow(query, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestThreeProcessesOnOnePostgresAreOneInstance runs one instance as three
// `serve` processes on one PostgreSQL database, each on its own loopback
// address, and checks that together they behave as one.
func TestThreeProcessesOnOnePostgresAreOneInstance(t *testing.T) {
	c := startCluster(t, 3, "--scheduler-interval", "300ms")

	// Started together on an empty database: one schema, one key pair, one
	// setup token, whichever process is asked.
	for i, p := range c.procs[1:] {
		if p.started["movement key pair"] != c.procs[0].started["movement key pair"] || p.started["setup token"] != c.procs[0].started["setup token"] {
			t.Fatalf("process %d started with key %s and token %q; process 0 with %s and %q", i+1,
				p.started["movement key pair"], p.started["setup token"], c.procs[0].started["movement key pair"], c.procs[0].started["setup token"])
		}
	}
	if c.procs[0].started["setup token"] == "" {
		t.Fatal("no setup token logged")
	}

	c.setUp()
	ctx := context.Background()
	// Decided at its deadline while the three run; its only voter, the admin, agrees.
	const dueObjective = "Decided once by three processes"
	due := c.openProposal("Add an objective", proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: dueObjective, Position: proposals.MaxItems})
	if err := c.svc.CastVote(ctx, c.admin, due, consensus.Agree, ""); err != nil {
		t.Fatal(err)
	}
	c.addMembers(60)
	vote := c.openProposal("Add a value", proposals.Change{Kind: proposals.AddItem, Section: proposals.Values, Text: "Share the work", Position: proposals.MaxItems})
	if err := c.svc.CastVote(ctx, c.admin, vote, consensus.Agree, "so I see the results"); err != nil {
		t.Fatal(err)
	}
	votePath := fmt.Sprintf("/proposals/%d/vote", vote)

	t.Run("votes through all three at once", func(t *testing.T) {
		positions := []string{"agree", "stand_aside", "disagree"}
		final := make([]string, len(c.members))
		var failed atomic.Int64
		var wg sync.WaitGroup
		for m := range c.members {
			wg.Go(func() {
				for round := range 3 { // each member changes their vote, through each process in turn
					pos := positions[(m+round)%len(positions)]
					if code := c.post((m+round)%3, c.sessions[m], votePath, url.Values{"position": {pos}}); code != http.StatusSeeOther {
						failed.Add(1)
						return
					}
					final[m] = pos
				}
			})
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Fatalf("%d votes were refused", failed.Load())
		}
		want := map[string]int{"agree": 1} // the admin's
		for _, pos := range final {
			want[pos]++
		}
		tally, err := c.svc.Tally(ctx, vote)
		if err != nil {
			t.Fatal(err)
		}
		if tally.Agree != want["agree"] || tally.StandAside != want["stand_aside"] || tally.Disagree != want["disagree"] || tally.Cast() != len(c.members)+1 {
			t.Fatalf("stored tally %+v, want %v", tally, want)
		}
		for i := range c.procs {
			lt := firstEvent(t, c.liveEvents(i, c.adminKey, vote))
			if lt.Agree != want["agree"] || lt.StandAside != want["stand_aside"] || lt.Disagree != want["disagree"] || lt.Cast != len(c.members)+1 || len(lt.Votes) != lt.Cast {
				t.Fatalf("process %d shows %+v, want %v", i, lt, want)
			}
		}
	})

	t.Run("a live tally on A shows a vote cast through C within a second", func(t *testing.T) {
		events := c.liveEvents(0, c.adminKey, vote)
		before := firstEvent(t, events)
		// A's proposal page is read first, so that A keeps it in memory.
		proposalPage := fmt.Sprintf("/proposals/%d", vote)
		if page := c.page(0, c.adminKey, proposalPage); !strings.Contains(page, `id="h-votes"`) || strings.Contains(page, "not like this") {
			t.Fatal("A's proposal page before the vote: no table of votes, or the vote already there")
		}
		// A member who has only voted agree so far blocks, through C.
		m := 0
		if code := c.post(2, c.sessions[m], votePath, url.Values{"position": {"block"}, "reason": {"not like this"}}); code != http.StatusSeeOther {
			t.Fatalf("vote through C: %d", code)
		}
		cast := time.Now()
		deadline := time.After(time.Second)
		for {
			select {
			case lt := <-events:
				if lt.Block == before.Block+1 {
					t.Logf("the vote through C reached A's live tally %s after C answered", time.Since(cast).Round(time.Millisecond))
					eventually(t, "A's proposal page shows the vote cast through C", time.Second, func() bool {
						return strings.Contains(c.page(0, c.adminKey, proposalPage), "not like this")
					})
					t.Logf("and A's proposal page %s after C answered (A had kept the page from before)", time.Since(cast).Round(time.Millisecond))
					return
				}
			case <-deadline:
				t.Fatal("A's live tally did not show the vote cast through C within a second")
			}
		}
	})

	t.Run("a sign-in limit reached through A holds on B", func(t *testing.T) {
		if _, err := c.svc.CreateMember(ctx, proposals.NewAccount{Username: "victim", Password: "a long passphrase of theirs"}, proposals.RoleMember); err != nil {
			t.Fatal(err)
		}
		guess := url.Values{"username": {"victim"}, "password": {"a wrong guess"}}
		for i := range proposals.FreeSignIns {
			if code := c.post(0, "", "/login", guess); code != http.StatusUnauthorized {
				t.Fatalf("guess %d through A: %d", i+1, code)
			}
		}
		for i := 1; i < 3; i++ {
			if code := c.post(i, "", "/login", guess); code != http.StatusTooManyRequests {
				t.Fatalf("the next guess through process %d: %d, want 429 (the limit is the instance's, not the process's)", i, code)
			}
		}
	})

	t.Run("a proposal due while all three run is closed once and published once", func(t *testing.T) {
		ally := newPeer(t, "ally", "127.0.0.9")
		ally.post("/federation/follow", url.Values{"handle": {"@commons@" + c.addrs[0]}}, 303)
		eventually(t, "the ally follows the instance", 20*time.Second, func() bool {
			return c.count(`SELECT COUNT(*) FROM followers WHERE status = 'accepted'`) == 1
		})
		for i := range c.procs { // each process now keeps the statement in memory
			if strings.Contains(c.publicPage(i, "/statement"), dueObjective) {
				t.Fatalf("process %d shows the objective before it was adopted", i)
			}
		}
		if _, err := c.sqlDB.Exec(`UPDATE proposals SET closes_at = $1 WHERE id = $2`, time.Now().Add(-time.Second), due); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the ally receives the adopted version", 30*time.Second, func() bool { return ally.hasReceived(dueObjective) })
		// The process that closed it told the others in the same commit:
		// each shows the new statement at once, not when its memory expires.
		for i := range c.procs {
			eventually(t, fmt.Sprintf("process %d shows the new statement", i), time.Second, func() bool {
				return strings.Contains(c.publicPage(i, "/statement"), dueObjective)
			})
		}
		time.Sleep(time.Second) // three schedulers ran meanwhile: give a second close, if any, the time to show
		if n := c.count(`SELECT COUNT(*) FROM statement_versions`); n != 2 {
			t.Fatalf("%d statement versions, want 2: the proposal was adopted more than once", n)
		}
		if n := c.count(`SELECT COUNT(*) FROM outbox_items WHERE body LIKE '%"Create"%' AND body LIKE $1`, "%"+dueObjective+"%"); n != 1 {
			t.Fatalf("the adopted version was published %d times, want once", n)
		}
		if n := c.count(`SELECT COUNT(*) FROM deliveries WHERE body LIKE '%"Create"%' AND body LIKE $1`, "%"+dueObjective+"%"); n != 1 {
			t.Fatalf("%d deliveries of the version to the one follower, want 1", n)
		}
		if n := c.count(`SELECT COUNT(*) FROM deliveries WHERE body LIKE $1 AND status = 'delivered' AND attempts = 1`, "%"+dueObjective+"%"); n != 1 {
			t.Fatal("the delivery was not made exactly once")
		}
	})

	t.Run("a sign-out through A ends the session on B and C at once", func(t *testing.T) {
		session := c.sessions[len(c.sessions)-1]
		for i := 1; i < 3; i++ {
			if code := c.get(i, session, "/account"); code != 200 { // now in B's and C's session cache
				t.Fatalf("account page through process %d: %d", i, code)
			}
		}
		if code := c.post(0, session, "/account/sign-out-everywhere", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("sign out everywhere through A: %d", code)
		}
		for i := 1; i < 3; i++ {
			// The notice travels in the sign-out's commit; B and C have it
			// within milliseconds, long before their cache would expire.
			took := eventually(t, fmt.Sprintf("process %d refuses the signed-out session", i), time.Second, func() bool {
				return c.get(i, session, "/account") != 200
			})
			t.Logf("the sign-out through A held on process %d after %s", i, took.Round(time.Millisecond))
		}
	})

	t.Run("a process killed with kill -9 mid-load loses nothing acknowledged", func(t *testing.T) {
		acked := make([]bool, len(c.members))
		var wg sync.WaitGroup
		var throughB atomic.Int64
		killed := make(chan struct{})
		go func() {
			// Killed once it acknowledged a few votes, while others are on their way.
			for deadline := time.Now().Add(20 * time.Second); throughB.Load() < 3 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			c.procs[1].cmd.Process.Signal(syscall.SIGKILL)
			close(killed)
		}()
		for m := range c.members {
			wg.Go(func() {
				code := c.post(m%3, c.sessions[m], votePath, url.Values{"position": {"stand_aside"}, "reason": {"after the crash"}})
				acked[m] = code == http.StatusSeeOther
				if acked[m] && m%3 == 1 {
					throughB.Add(1)
				}
			})
			time.Sleep(5 * time.Millisecond) // a stream of votes, not one burst, so the kill lands mid-load
		}
		wg.Wait()
		<-killed
		lost, n := 0, 0
		view, err := c.svc.ViewProposal(ctx, &c.admin, vote)
		if err != nil {
			t.Fatal(err)
		}
		byMember := map[int64]proposals.Vote{}
		for _, v := range view.Votes {
			byMember[v.MemberID] = v
		}
		for m, ok := range acked {
			if !ok {
				continue
			}
			n++
			if v := byMember[c.members[m].ID]; v.Position != consensus.StandAside || v.Reason != "after the crash" {
				lost++
			}
		}
		t.Logf("%d of %d votes acknowledged while process B was killed (%d of them by B)", n, len(c.members), throughB.Load())
		if throughB.Load() == 0 {
			t.Fatal("B acknowledged no vote before it was killed: the kill was not mid-load")
		}
		if lost > 0 || n == 0 {
			t.Fatalf("%d of %d acknowledged votes are not stored", lost, n)
		}
		if len(view.Votes) != len(c.members)+1 || view.Tally.Cast() != len(c.members)+1 {
			t.Fatalf("%d votes stored, tally of %d: want one per member (%d)", len(view.Votes), view.Tally.Cast(), len(c.members)+1)
		}
		for _, i := range []int{0, 2} {
			if status, _ := get(t, "http://"+c.addrs[i]+"/healthz"); status != 200 {
				t.Fatalf("process %d after B was killed: %d", i, status)
			}
		}
	})
}

// BenchmarkVotesThroughProcesses: 200 signed-in members vote (and change
// their votes) at once, spread evenly over one or three `serve` processes on
// one PostgreSQL database. Reported as votes per second; on one machine the
// processes share its cores, so the aim is no loss from sharing the work.
func BenchmarkVotesThroughProcesses(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("processes=%d", n), func(b *testing.B) {
			const voters = 200
			c := startCluster(b, n, "--database-connections", fmt.Sprint(24/n)) // the same connections in all
			c.setUp()
			c.addMembers(voters)
			proposal := c.openProposal("Load", proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: "Endure", Position: proposals.MaxItems})
			path := fmt.Sprintf("/proposals/%d/vote", proposal)
			positions := []string{"agree", "stand_aside", "disagree", "agree"}
			var next, failed atomic.Int64
			// Each member votes once through each process before the timer
			// starts, so that what is timed is the steady state (connections
			// open, sessions known to every process), not the set-up.
			var warm sync.WaitGroup
			for v := range voters {
				warm.Go(func() {
					for p := range n {
						if c.post(p, c.sessions[v], path, url.Values{"position": {"agree"}}) != http.StatusSeeOther {
							failed.Add(1)
						}
					}
				})
			}
			warm.Wait()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for v := range voters {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if c.post(int(i)%n, c.sessions[v], path, url.Values{"position": {positions[int(i)%len(positions)]}}) != http.StatusSeeOther {
							failed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d of %d votes failed", failed.Load(), b.N)
			}
			tally, _ := c.svc.Tally(context.Background(), proposal)
			if tally.Cast() != voters {
				b.Fatalf("tally counts %d votes, want %d: one per member, however often changed", tally.Cast(), voters)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "votes/s")
		})
	}
}
