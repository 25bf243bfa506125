package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// An activity whose handling fails for a passing reason is due again later,
// a bounded number of times; a refusal or a malformed document is final.
func TestInboxRetriesPassingFailuresOnly(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		if _, err := proposals.NewService(db.Store(), time.Now).EnsureKeyPair(ctx); err != nil {
			t.Fatal(err)
		}
		base, _ := url.Parse("https://river.example")
		s, err := New(Config{BaseURL: base}, db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		due := func(at time.Time) map[string]int {
			var as []storage.InboxActivity
			if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { as, err = tx.DueInbox(ctx, at); return err }); err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, a := range as {
				out[a.ID] = a.Attempts
			}
			return out
		}
		attempts := map[string]int{} // as the worker reads them
		fail := func(id string, err error) {
			t.Helper()
			a := storage.InboxActivity{ID: id, Actor: "https://a.example/u", Attempts: attempts[id]}
			attempts[id]++
			if err := db.InTx(ctx, func(tx *storage.Tx) error { return s.recordFailure(ctx, tx, a, err) }); err != nil {
				t.Fatal(err)
			}
		}
		err = db.InTx(ctx, func(tx *storage.Tx) error {
			for _, id := range []string{"passing", "refused", "malformed"} {
				if _, err := tx.RecordInboxActivity(ctx, id, "Follow", "https://a.example/u", "a.example", "{}", now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		fail("refused", refusal("Follow of someone else"))
		fail("malformed", vocab.ErrInvalid)
		fail("passing", errors.New("dial tcp: connection refused"))
		if got := due(now); len(got) != 0 {
			t.Fatalf("due right after: %v, want nothing (the refused and malformed are done, the other waits)", got)
		}
		if got := due(now.Add(time.Minute)); len(got) != 1 || got["passing"] != 1 {
			t.Fatalf("due a minute later: %v, want passing after 1 attempt", got)
		}
		for i := 1; i < inboxAttempts; i++ {
			now = now.Add(time.Minute << i)
			if due(now)["passing"] != i {
				t.Fatalf("attempt %d: not due at %v", i+1, now)
			}
			fail("passing", errors.New("dial tcp: connection refused"))
		}
		if got := due(now.Add(24 * time.Hour)); len(got) != 0 {
			t.Fatalf("after %d attempts still due: %v", inboxAttempts, got)
		}
	})
}

// Pinned posts listed by link (as Mastodon lists them) are fetched, and the
// statement among them is kept.
func TestFetchFeaturedFollowsLinks(t *testing.T) {
	ctx := context.Background()
	db := storagetest.SQLite(t)
	if _, err := proposals.NewService(db.Store(), time.Now).EnsureKeyPair(ctx); err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	mux := http.NewServeMux()
	actor := func() string { return srv.URL + "/users/forest" }
	mux.HandleFunc("GET /featured", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s/featured","type":"OrderedCollection",
			"orderedItems":["%[1]s/notes/chat","%[1]s/notes/statement"]}`, srv.URL)
	})
	mux.HandleFunc("GET /notes/{name}", func(w http.ResponseWriter, r *http.Request) {
		n := vocab.Note{ID: srv.URL + "/notes/" + r.PathValue("name"), AttributedTo: actor(), Content: "<p>hello</p>",
			Published: time.Now(), To: []string{"https://www.w3.org/ns/activitystreams#Public"}}
		if r.PathValue("name") == "statement" {
			n.Statement = &vocab.StatementDoc{Version: 3, AdoptedAt: time.Now(), Statement: proposals.Statement{
				Items: []proposals.Item{{ID: "f1", Section: proposals.Objectives, Text: "Protect old-growth forests"}}}}
		}
		body, err := vocab.MarshalNote(n)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(body)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	base, _ := url.Parse("https://river.example")
	s, err := New(Config{BaseURL: base, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, db, nil,
		slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	remote := storage.RemoteActor{ID: actor(), Type: "Group", Inbox: actor() + "/inbox", Featured: srv.URL + "/featured", FetchedAt: time.Now()}
	err = db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SaveRemoteActor(ctx, remote); err != nil {
			return err
		}
		return tx.SaveFollowing(ctx, remote.ID, "https://river.example/follows/1", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	s.fetchFeatured(ctx, remote)
	var kept []storage.RemoteStatement
	if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { kept, err = tx.LatestRemoteStatements(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 || kept[0].Version != 3 || kept[0].NoteID != srv.URL+"/notes/statement" {
		t.Fatalf("kept %+v, want version 3 from the linked note", kept)
	}
}

// Lanes: one per sender at a time, at most the workers in all, and at most a
// quarter of them for one host, so that a host with many actors cannot take
// every lane.
func TestInboxLanesShareWorkersBetweenHosts(t *testing.T) {
	l := newInboxLanes(8)
	// start asks for a lane for one sender.
	start := func(actor, host string) bool { return len(l.startLanes(host, []string{actor})) == 1 }
	if !start("https://a.example/users/1", "a.example") || start("https://a.example/users/1", "a.example") {
		t.Fatal("a sender's second lane started while its first runs")
	}
	if !start("https://a.example/users/2", "a.example") || start("https://a.example/users/3", "a.example") {
		t.Fatal("one host took more than 2 of 8 lanes")
	}
	for i := range 6 {
		if !start(fmt.Sprintf("https://h%d.example/users/x", i), fmt.Sprintf("h%d.example", i)) {
			t.Fatalf("lane %d of 8 refused", i+3)
		}
	}
	if !l.full() || start("https://z.example/users/x", "z.example") {
		t.Fatal("a ninth lane started")
	}
	l.done([]string{"https://a.example/users/1"}, "a.example")
	if l.full() || !start("https://a.example/users/3", "a.example") {
		t.Fatal("a lane that ended was not given to the next sender")
	}
}

// A host's senders are shared out between the lanes it may start, each
// sender in one lane, so that a round of interleaved senders still gives
// each lane a batch; a sender already in a lane waits for the next round.
func TestInboxLanesShareAHostsSendersBetweenItsLanes(t *testing.T) {
	l := newInboxLanes(8) // 2 lanes per host
	senders := []string{"https://a.example/users/1", "https://a.example/users/2", "https://a.example/users/3",
		"https://a.example/users/4", "https://a.example/users/5"}
	lanes := l.startLanes("a.example", senders)
	if len(lanes) != 2 {
		t.Fatalf("%d lanes for one host, want its share of 2", len(lanes))
	}
	seen := map[string]int{}
	for _, lane := range lanes {
		for _, a := range lane {
			seen[a]++
		}
	}
	for _, a := range senders {
		if seen[a] != 1 {
			t.Fatalf("sender %s is in %d lanes, want 1: %v", a, seen[a], lanes)
		}
	}
	if more := l.startLanes("a.example", []string{"https://a.example/users/6"}); more != nil {
		t.Fatalf("a third lane for the host: %v", more)
	}
	l.done(lanes[0], "a.example")
	again := l.startLanes("a.example", append(senders, "https://a.example/users/6"))
	if len(again) != 1 {
		t.Fatalf("after a lane ended: %d lanes, want 1", len(again))
	}
	for _, a := range again[0] {
		if slices.Contains(lanes[1], a) {
			t.Fatalf("sender %s started a second lane while its first runs", a)
		}
	}
	if len(again[0]) != len(lanes[0])+1 {
		t.Fatalf("the new lane took %v, want the idle senders %v and the new one", again[0], lanes[0])
	}
}

// A delivery to an address this instance does not connect to (private,
// loopback without the allow-list, reserved) is given up at once: retrying
// cannot make it public. (Before: tried 10 times.)
func TestDeliveryToAForbiddenAddressIsFinalAtOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		s := newRiverService(t, db, nil) // no allow-list
		now := time.Now()
		var batch []storage.Delivery
		err := db.InTx(ctx, func(tx *storage.Tx) (err error) {
			for _, inbox := range []string{"http://10.1.2.3/inbox", "http://127.0.0.1:9/inbox", "http://[fd00::1]/inbox"} {
				if err := s.deliverTo(ctx, tx, "https://river.example/accepts/1", inbox, []byte(`{}`)); err != nil {
					return err
				}
			}
			batch, err = tx.ClaimDeliveries(ctx, now.Add(time.Second), now.Add(time.Minute), 10)
			return err
		})
		if err != nil || len(batch) != 3 {
			t.Fatalf("claimed %d: %v", len(batch), err)
		}
		s.deliverBatch(ctx, batch)
		var stats storage.QueueStats
		if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { stats, err = tx.DeliveryStats(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		if stats.Failed != 3 || stats.Pending != 0 {
			t.Fatalf("after one attempt each: %+v, want all 3 given up", stats)
		}
	})
}

// A batch's deliveries sent are recorded together, and in order with its
// failures: a host that took one delivery, refused the next and took the
// one after is healthy; one that took one and refused the next keeps its
// failure (a record of the first, made at the end of the batch, would wipe
// it). A batch of successes is recorded in one statement.
func TestADeliveryBatchIsRecordedInOrder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		// Two hosts on loopback: their inboxes refuse what is sent to /refuse.
		inbox := func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			if r.URL.Path == "/refuse" {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		}
		mended, ailing := httptest.NewServer(http.HandlerFunc(inbox)), httptest.NewServer(http.HandlerFunc(inbox))
		t.Cleanup(mended.Close)
		t.Cleanup(ailing.Close)
		s := newRiverService(t, db, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
		claim := func(inboxes ...string) []storage.Delivery {
			t.Helper()
			now := time.Now()
			var batch []storage.Delivery
			err := db.InTx(ctx, func(tx *storage.Tx) (err error) {
				for i, inbox := range inboxes {
					if err := s.deliverTo(ctx, tx, fmt.Sprintf("https://river.example/notes/%d/%d", now.UnixNano(), i), inbox, []byte(`{}`)); err != nil {
						return err
					}
				}
				batch, err = tx.ClaimDeliveries(ctx, now.Add(time.Second), now.Add(time.Minute), 10)
				return err
			})
			if err != nil || len(batch) != len(inboxes) {
				t.Fatalf("claimed %d of %d: %v", len(batch), len(inboxes), err)
			}
			return batch
		}
		health := func() map[string]int {
			t.Helper()
			var hs []storage.HostHealth
			if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { hs, err = tx.FailingHosts(ctx); return err }); err != nil {
				t.Fatal(err)
			}
			failing := map[string]int{}
			for _, h := range hs {
				failing[h.Host] = h.ConsecutiveFailures
			}
			return failing
		}

		s.deliverBatch(ctx, claim(mended.URL+"/inbox", mended.URL+"/refuse", mended.URL+"/inbox",
			ailing.URL+"/inbox", ailing.URL+"/refuse"))
		failing := health()
		mendedHost, ailingHost := strings.TrimPrefix(mended.URL, "http://"), strings.TrimPrefix(ailing.URL, "http://")
		if _, ok := failing[mendedHost]; ok || failing[ailingHost] != 1 {
			t.Fatalf("failing hosts %v: want %s healthy (its last delivery went) and %s at 1 failure", failing, mendedHost, ailingHost)
		}
		var stats storage.QueueStats
		if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { stats, err = tx.DeliveryStats(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		if stats.Delivered != 3 || stats.Pending != 2 {
			t.Fatalf("after the batch: %+v, want 3 delivered and the 2 refused pending a retry", stats)
		}

		batch := claim(mended.URL+"/inbox", mended.URL+"/inbox", mended.URL+"/inbox", mended.URL+"/inbox")
		before := db.Statements()
		s.deliverBatch(ctx, batch)
		want := int64(4) // BEGIN, the deliveries, the hosts, COMMIT
		if db.Dialect() == storage.Postgres {
			want = 1
		}
		if n := db.Statements() - before; n != want {
			t.Errorf("4 deliveries sent cost %d statements to record, want %d for them all", n, want)
		}
	})
}

// newRiverService is federation for a movement "river" set up on db, at
// https://river.example, connecting to the private addresses in allow only;
// its workers are not running.
func newRiverService(t *testing.T, db *storage.DB, allow []netip.Prefix) *Service {
	t.Helper()
	ctx := context.Background()
	svc := proposals.NewService(db.Store(), time.Now)
	if _, err := svc.EnsureKeyPair(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Initialize(ctx, proposals.Founding{Movement: proposals.Movement{Name: "River", Handle: "river"},
		Admin: proposals.NewAccount{Username: "admin", Password: "a long shared secret"}}); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://river.example")
	s, err := New(Config{BaseURL: base, Allow: allow}, db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A fan-out is sent by every delivery worker at once: a kick wakes one, and
// each that claims a full batch wakes the next. (Before, the others slept
// until their poll, a second later, while one worker sent everything.) The
// workers here never poll, and the inbox holds each request until every
// worker is sending or a long wait has passed.
func TestAFanOutIsSentByEveryWorker(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		const workers = 4
		var mu sync.Mutex
		inFlight, most := 0, 0
		all := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			mu.Lock()
			inFlight++
			if most = max(most, inFlight); most == workers {
				select {
				case <-all:
				default:
					close(all)
				}
			}
			mu.Unlock()
			select {
			case <-all:
			case <-time.After(2 * time.Second):
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
		}))
		t.Cleanup(srv.Close)
		s := newRiverService(t, db, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
		s.cfg.DeliveryWorkers, s.deliveryPoll = workers, time.Hour
		stopped := make(chan struct{})
		go func() { s.Run(ctx); close(stopped) }()
		t.Cleanup(func() { cancel(); <-stopped })
		// Each loop looks once when it starts: the fan-out comes once they
		// all wait (no statement for a while).
		for last := int64(-1); last != db.Statements(); time.Sleep(300 * time.Millisecond) {
			last = db.Statements()
		}
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			for i := range workers * claimBatch {
				if err := s.deliverTo(ctx, tx, "https://river.example/notes/fan-out", fmt.Sprintf("%s/inbox/%d", srv.URL, i), []byte(`{}`)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		notify(s.kick) // as the publisher does, once
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var stats storage.QueueStats
			if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { stats, err = tx.DeliveryStats(ctx); return err }); err != nil {
				t.Fatal(err)
			}
			if stats.Delivered == workers*claimBatch {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%+v, want all %d delivered", stats, workers*claimBatch)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if most != workers {
			t.Errorf("at most %d deliveries went at once, want %d: one from each worker", most, workers)
		}
	})
}
