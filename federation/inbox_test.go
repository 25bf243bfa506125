package federation_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// follows makes in follow actor (accepted), as if it had followed by handle.
func (in *instance) follows(t testing.TB, actor string) {
	t.Helper()
	ctx := context.Background()
	err := in.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SaveRemoteActor(ctx, storage.RemoteActor{ID: actor, Type: "Group", Inbox: actor + "/inbox", FetchedAt: time.Now()}); err != nil {
			return err
		}
		followID := in.url + "/follows/" + proposals.NewToken()[:12]
		if err := tx.SaveFollowing(ctx, actor, followID, time.Now()); err != nil {
			return err
		}
		return tx.SetFollowingStatus(ctx, followID, "accepted", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// statementCreate is actor's Create{Note} of its statement version n, with
// the activity id Common Ground gives it (predictable: note id + /activity).
func statementCreate(t testing.TB, actor string, n int, objective string) (id string, body []byte) {
	t.Helper()
	base := actor[:strings.Index(actor, "/users/")]
	note := vocab.Note{ID: fmt.Sprintf("%s/statement/versions/%d", base, n), AttributedTo: actor, Content: "<p>" + objective + "</p>",
		Published: time.Now(), To: []string{vocab.PublicAddress},
		Statement: &vocab.StatementDoc{Version: n, AdoptedAt: time.Now(), Statement: proposals.Statement{
			Items: []proposals.Item{{ID: "o1", Section: proposals.Objectives, Text: objective}}}}}
	id = note.ID + "/activity"
	body, err := vocab.MarshalCreate(id, actor, note)
	if err != nil {
		t.Fatal(err)
	}
	return id, body
}

// keptVersion is the newest statement version in keeps of actor (0 for none).
func (in *instance) keptVersion(t testing.TB, actor string) int {
	t.Helper()
	var kept []storage.RemoteStatement
	if err := in.db.ReadTx(context.Background(), func(tx *storage.Tx) (err error) {
		kept, err = tx.LatestRemoteStatements(context.Background())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range kept {
		if k.ActorID == actor {
			return k.Version
		}
	}
	return 0
}

// No remote actor can make an ally's next statement look like a redelivery:
// an activity whose id is not on its signing actor's host is refused, and ids
// are kept per sender, so that another actor of the same host claiming the
// id first changes nothing. (Before: a signed Like with the ally's predictable
// next id made its real version be dropped as a duplicate.)
func TestAnActivityIdIsItsSendersOwn(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstance(t, db, 1)
		home, elsewhere := newRemote(t), newRemote(t)
		forest, mallory, eve := home.actor("forest"), home.actor("mallory"), elsewhere.actor("eve")
		in.follows(t, forest)
		nextID, create := statementCreate(t, forest, 4, "Protect old-growth forests")
		like := func(actor string) []byte {
			return []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + nextID + `","type":"Like","actor":"` + actor + `","object":"` + in.actor() + `"}`)
		}
		inbox := in.url + "/inbox"
		if got := post(t, inbox, like(eve), eve+"#main-key", elsewhere.key, time.Now(), nil); got != 400 {
			t.Fatalf("a Like from another host using the ally's id: %d, want 400", got)
		}
		if got := post(t, inbox, like(mallory), mallory+"#main-key", home.key, time.Now(), nil); got != 202 {
			t.Fatalf("a Like from the ally's own host using its id: %d, want 202 (kept as mallory's)", got)
		}
		if got := post(t, inbox, create, forest+"#main-key", home.key, time.Now(), nil); got != 202 {
			t.Fatalf("the ally's real version 4: %d", got)
		}
		waitFor(t, func() bool { return in.keptVersion(t, forest) == 4 })
		// A statement whose note id is on another host is not the ally's to give.
		stray := vocab.Note{ID: elsewhere.srv.URL + "/statement/versions/5", AttributedTo: forest, Content: "<p>stray</p>", To: []string{vocab.PublicAddress},
			Statement: &vocab.StatementDoc{Version: 5, Statement: proposals.Statement{Items: []proposals.Item{{ID: "o1", Section: proposals.Objectives, Text: "Stray"}}}}}
		strayCreate, _ := vocab.MarshalCreate(home.srv.URL+"/users/forest/activities/5", forest, stray)
		if got := post(t, inbox, strayCreate, forest+"#main-key", home.key, time.Now(), nil); got != 202 {
			t.Fatalf("a Create of a note on another host: %d", got)
		}
		waitFor(t, func() bool { return inboxCount(t, in.db) == 0 })
		if v := in.keptVersion(t, forest); v != 4 {
			t.Fatalf("a note whose id is on another host was kept as version %d", v)
		}
		// A redelivery by the same sender is still stored once.
		if got := post(t, inbox, create, forest+"#main-key", home.key, time.Now(), nil); got != 202 {
			t.Fatalf("redelivery: %d", got)
		}
		if n := inboxCount(t, in.db); n != 0 {
			t.Fatalf("%d activities waiting after a redelivery, want it recognised as one", n)
		}
	})
}

// The bytes one sending host may store in the inbox are limited per hour:
// past the quota it is told to come back later (429, nothing lost), while
// other hosts go on, and activities sent at once cannot all slip under it.
// (Before: no limit; 20 signed 1 MB activities added 20 MB in 5 s.)
func TestOneHostsInboxStorageIsLimited(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		const quota = federation.MaxActivityBytes // the least a quota may be
		in := newInstanceWith(t, db, func(c *federation.Config) { c.InboxQuota = quota })
		inbox := in.url + "/inbox"
		big := func(r *remote, name string, i int) []byte {
			actor := r.actor(name)
			return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/notes/%d/activity","type":"Create","actor":"%s",
				"object":{"id":"%s/notes/%d","type":"Note","attributedTo":"%s","content":"%s"}}`,
				actor, i, actor, actor, i, actor, strings.Repeat("x", 200_000)))
		}
		usage := func(r *remote) int64 {
			host := strings.TrimPrefix(r.srv.URL, "http://")
			var n int64
			if err := db.ReadTx(context.Background(), func(tx *storage.Tx) (err error) {
				n, err = tx.InboxUsage(context.Background(), host, time.Now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}

		flood, other := newRemote(t), newRemote(t)
		accepted := 0
		for i := range 8 {
			req := big(flood, "flood", i)
			switch got := post(t, inbox, req, flood.actor("flood")+"#main-key", flood.key, time.Now(), nil); got {
			case 202:
				accepted++
			case 429:
			default:
				t.Fatalf("activity %d: %d", i, got)
			}
		}
		if accepted != 5 || usage(flood) > quota {
			t.Fatalf("%d of 8 activities of 200 kB accepted, %d bytes stored, want 5 within the %d-byte quota", accepted, usage(flood), quota)
		}
		if got := post(t, inbox, big(other, "calm", 0), other.actor("calm")+"#main-key", other.key, time.Now(), nil); got != 202 {
			t.Fatalf("another host while the first is over its quota: %d", got)
		}
		// At once: the quota holds under concurrency too.
		rush := newRemote(t)
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				got := post(t, inbox, big(rush, "rush", i), rush.actor("rush")+"#main-key", rush.key, time.Now(), nil)
				mu.Lock()
				codes[got]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[202] != 5 || codes[429] != 15 || usage(rush) > quota {
			t.Fatalf("20 activities at once: %v, %d bytes stored; want 5 stored and 15 told to retry, within %d bytes", codes, usage(rush), quota)
		}
	})
}

// The 429 says when to come back.
func TestInboxQuotaSaysWhenToRetry(t *testing.T) {
	in := newInstanceWith(t, storagetest.SQLite(t), func(c *federation.Config) { c.InboxQuota = federation.MaxActivityBytes })
	r := newRemote(t)
	actor := r.actor("flood")
	content := strings.Repeat("x", 600_000)
	var resp *http.Response
	for i := range 2 {
		body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/n/%d","type":"Create","actor":"%s","object":{"id":"%s/o/%d","type":"Note","attributedTo":"%s","content":"%s"}}`,
			actor, i, actor, actor, i, actor, content))
		resp = postResponse(t, in.url+"/inbox", body, actor+"#main-key", r.key)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second 600 kB activity within a 1 MiB quota: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// postResponse is post, returning the response (its body read and closed).
func postResponse(t testing.TB, inbox string, body []byte, keyID string, key *rsa.PrivateKey) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := signing.Sign(req, keyID, key, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// A running instance purges what is past the retention period, from start.
func TestRunningInstancePurgesOldWork(t *testing.T) {
	db := storagetest.SQLite(t)
	ctx := context.Background()
	old := time.Now().Add(-2 * time.Hour)
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.RecordInboxActivity(ctx, "https://a.example/likes/1", "Like", "https://a.example/u", "a.example", `{"a":"body"}`, old); err != nil {
			return err
		}
		return tx.MarkInboxProcessed(ctx, "https://a.example/u", "https://a.example/likes/1", "", old)
	})
	if err != nil {
		t.Fatal(err)
	}
	in := newInstanceWith(t, db, func(c *federation.Config) { c.Retention = time.Hour })
	waitFor(t, func() bool {
		var fresh bool
		err := in.db.InTx(ctx, func(tx *storage.Tx) (err error) {
			fresh, err = tx.RecordInboxActivity(ctx, "https://a.example/likes/1", "Like", "https://a.example/u", "a.example", `{}`, time.Now())
			if fresh {
				err = errors.New("roll back") // only looking
			}
			return err
		})
		return fresh && err != nil
	})
}
