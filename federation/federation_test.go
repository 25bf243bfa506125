package federation_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
	"github.com/commonground/commonground/web"
)

// remote is a stand-in for an actor on a server we do not control (a Mastodon
// user): it serves its actor document and records what reaches its inbox.
type remote struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	mu       sync.Mutex
	received [][]byte
	headers  []http.Header
	gets     atomic.Int32 // documents fetched from it
}

func newRemote(t testing.TB) *remote {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	r := &remote{key: key}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, req *http.Request) {
		r.gets.Add(1)
		if req.PathValue("name") == "gone" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		id := r.srv.URL + "/users/" + req.PathValue("name")
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": req.PathValue("name"), "inbox": id + "/inbox",
			"endpoints": map[string]string{"sharedInbox": r.srv.URL + "/inbox"},
			"publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": pubPEM},
		})
	})
	mux.HandleFunc("GET /.well-known/webfinger", func(w http.ResponseWriter, req *http.Request) {
		user, _, _ := strings.Cut(strings.TrimPrefix(req.URL.Query().Get("resource"), "acct:"), "@")
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{"subject": req.URL.Query().Get("resource"),
			"links": []map[string]string{{"rel": "self", "type": "application/activity+json", "href": r.srv.URL + "/users/" + user}}})
	})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.received = append(r.received, body)
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *remote) actor(name string) string { return r.srv.URL + "/users/" + name }

func (r *remote) inboxBodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.received...)
}

// instance is our movement behind a real HTTP server, federation running.
type instance struct {
	url    string
	db     *storage.DB
	fed    *federation.Service
	svc    *proposals.Service
	allies *alliances.Service
}

func newInstance(t testing.TB, db *storage.DB, workers int) *instance {
	t.Helper()
	return newInstanceWith(t, db, func(c *federation.Config) { c.DeliveryWorkers = workers })
}

// newInstanceWith is newInstance with its federation settings changed by set.
func newInstanceWith(t testing.TB, db *storage.DB, set func(*federation.Config)) *instance {
	t.Helper()
	ctx := context.Background()
	svc := proposals.NewService(db.Store(), time.Now)
	if _, err := svc.EnsureKeyPair(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Initialize(ctx, proposals.Founding{Movement: proposals.Movement{Name: "River Movement", Handle: "river"},
		Admin: proposals.NewAccount{Username: "admin", Password: "a long shared secret"}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + srv.Listener.Addr().String())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	allies := alliances.NewService(db.Alliances(), svc, nil, alliances.Config{Host: base.Host}, time.Now)
	cfg := federation.Config{BaseURL: base, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		DeliveryWorkers: 1, RetryBase: 200 * time.Millisecond, Version: "test"}
	set(&cfg)
	fed, err := federation.New(cfg, db, allies, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Options{BaseURL: base, MaxBodyBytes: 1 << 20}, web.Deps{Log: log, Service: svc, Health: db.Ping, Federation: fed, Alliances: allies})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fed.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &instance{url: srv.URL, db: db, fed: fed, svc: svc, allies: allies}
}

func (in *instance) actor() string { return in.url + "/users/river" }

// post sends body to our inbox, signed by key as keyID at the given time.
func post(t testing.TB, inbox string, body []byte, keyID string, key *rsa.PrivateKey, at time.Time, mutate func(*http.Request)) int {
	t.Helper()
	req, _ := http.NewRequest("POST", inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if key != nil {
		if err := signing.Sign(req, keyID, key, body, at); err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func inboxCount(t testing.TB, db *storage.DB) int {
	t.Helper()
	var n int
	err := db.ReadTx(context.Background(), func(tx *storage.Tx) error {
		acts, err := tx.DueInbox(context.Background(), time.Now().Add(time.Hour))
		n = len(acts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInboxRefusesWhatIsNotProperlySigned(t *testing.T) {
	in := newInstance(t, storagetest.SQLite(t), 2)
	eve := newRemote(t)
	eveID, eveKey := eve.actor("eve"), eve.actor("eve")+"#main-key"
	follow, _ := vocab.MarshalFollow(eve.srv.URL+"/follows/1", eveID, in.actor())
	inbox := in.actor() + "/inbox"
	now := time.Now()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)

	cases := []struct {
		name   string
		body   []byte
		key    *rsa.PrivateKey
		at     time.Time
		mutate func(*http.Request)
		want   int
	}{
		{"unsigned", follow, nil, now, nil, 401},
		{"forged signature", follow, other, now, nil, 401},
		{"wrong digest", follow, eve.key, now, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(follow), "Follow", "Follo", 1)))
			r.ContentLength = int64(len(follow) - 1)
		}, 401},
		{"old date", follow, eve.key, now.Add(-2 * time.Hour), nil, 401},
		{"future date", follow, eve.key, now.Add(2 * time.Hour), nil, 401},
		{"actor is not the key owner", mustFollow(eve.srv.URL+"/follows/2", eve.actor("mallory"), in.actor()), eve.key, now, nil, 401},
		{"malformed JSON", []byte(`{"type": "Follow", "id":`), eve.key, now, nil, 400},
		{"wrong content type", follow, eve.key, now, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415},
		{"10 MB body", append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), 10<<20)...), eve.key, now, nil, 413},
	}
	for _, c := range cases {
		if got := post(t, inbox, c.body, eveKey, c.key, c.at, c.mutate); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if n := inboxCount(t, in.db); n != 0 {
		t.Fatalf("%d refused activities were stored", n)
	}
	// Forged requests do not make this server fetch the key again and again.
	gets := eve.gets.Load()
	for range 5 {
		post(t, inbox, follow, eveKey, other, now, nil)
	}
	if more := eve.gets.Load() - gets; more != 0 {
		t.Errorf("5 forged requests made %d fetches of eve's key", more)
	}
	// A key its server says is gone is refused (401), not "try later" (503).
	goneID := eve.actor("gone")
	if got := post(t, inbox, mustFollow(eve.srv.URL+"/follows/9", goneID, in.actor()), goneID+"#main-key", eve.key, now, nil); got != 401 {
		t.Errorf("key of a gone actor: %d, want 401", got)
	}

	// A proper Follow is accepted once, answered with Accept{the Follow as received}.
	for range 3 { // redelivered: stored once, answered once
		if got := post(t, inbox, follow, eveKey, eve.key, now, nil); got != 202 {
			t.Fatalf("valid Follow: %d", got)
		}
	}
	if got := post(t, in.url+"/inbox", mustActivity(`{"@context":"https://www.w3.org/ns/activitystreams","id":"`+eve.srv.URL+`/bites/1","type":"Bite","actor":"`+eveID+`","object":"`+in.actor()+`"}`), eveKey, eve.key, now, nil); got != 202 {
		t.Fatalf("unknown type at the shared inbox: %d", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(eve.inboxBodies()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	bodies := eve.inboxBodies()
	if len(bodies) != 1 {
		t.Fatalf("eve received %d activities, want exactly one Accept", len(bodies))
	}
	var accept struct {
		Type   string          `json:"type"`
		Actor  string          `json:"actor"`
		Object json.RawMessage `json:"object"`
	}
	json.Unmarshal(bodies[0], &accept)
	var got, sent any
	json.Unmarshal(accept.Object, &got)
	json.Unmarshal(follow, &sent)
	if accept.Type != "Accept" || accept.Actor != in.actor() || fmt.Sprint(got) != fmt.Sprint(sent) {
		t.Fatalf("answer: %s", bodies[0])
	}
	if eve.headers[0].Get("Signature") == "" || eve.headers[0].Get("Digest") == "" {
		t.Fatal("the Accept was not signed")
	}

	// An Undo that only names its object ends the follow only when it names
	// the Follow: undoing a like is not an unfollow.
	undo := func(n int, object string) {
		t.Helper()
		body := `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + eve.srv.URL + `/undos/` + fmt.Sprint(n) +
			`","type":"Undo","actor":"` + eveID + `","object":"` + object + `"}`
		if got := post(t, inbox, mustActivity(body), eveKey, eve.key, now, nil); got != 202 {
			t.Fatalf("Undo of %s: %d", object, got)
		}
		waitFor(t, func() bool { return inboxCount(t, in.db) == 0 })
	}
	isFollower := func() bool {
		err := in.db.ReadTx(context.Background(), func(tx *storage.Tx) error { _, err := tx.Follower(context.Background(), eveID); return err })
		if err != nil && !errors.Is(err, proposals.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	undo(1, eve.srv.URL+"/likes/1")
	if !isFollower() {
		t.Fatal("an Undo of a like removed the follower")
	}
	undo(2, eve.srv.URL+"/follows/1")
	if isFollower() {
		t.Fatal("an Undo naming the Follow left the follower")
	}
}

func mustFollow(id, actor, object string) []byte {
	b, _ := vocab.MarshalFollow(id, actor, object)
	return b
}

func mustActivity(s string) []byte { return []byte(s) }

// BenchmarkInboxOnPostgres: signed activities accepted per second by the inbox
// (signature check with a cached key, parse, store once), 32 senders at once.
func BenchmarkInboxOnPostgres(b *testing.B) {
	in := newInstance(b, storagetest.Postgres(b), 1)
	eve := newRemote(b)
	eveID, eveKey := eve.actor("eve"), eve.actor("eve")+"#main-key"
	inbox := in.url + "/inbox"
	// Warm the key cache with one request.
	post(b, inbox, mustFollow(eve.srv.URL+"/follows/warm", eveID, in.actor()), eveKey, eve.key, time.Now(), nil)
	type signed struct {
		body []byte
		hdr  http.Header
	}
	reqs := make([]signed, b.N)
	for i := range reqs {
		body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/notes/%d/activity","type":"Create","actor":"%s","object":{"id":"%s/notes/%d","type":"Note","attributedTo":"%s","content":"hello %d"}}`,
			eve.srv.URL, i, eveID, eve.srv.URL, i, eveID, i))
		req, _ := http.NewRequest("POST", inbox, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		signing.Sign(req, eveKey, eve.key, body, time.Now())
		reqs[i] = signed{body, req.Header}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				req, _ := http.NewRequest("POST", inbox, bytes.NewReader(reqs[i].body))
				req.Header = reqs[i].hdr.Clone()
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 202 {
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
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "activities/s")
	if failed.Load() > 0 {
		b.Fatalf("%d of %d refused", failed.Load(), b.N)
	}
}

// BenchmarkDeliverToFollowers: one statement version to 5,000 followers on 500
// shared inboxes (10 servers on loopback), from publishing to the last delivery.
func BenchmarkDeliverToFollowers(b *testing.B) {
	db := storagetest.Postgres(b)
	in := newInstance(b, db, 32)
	var servers []*remote
	for range 10 {
		servers = append(servers, newRemote(b))
	}
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		for i := range 5000 {
			srv := servers[i%10]
			shared := fmt.Sprintf("%s/shared/%d", srv.srv.URL, i%500)
			id := fmt.Sprintf("%s/users/f%d", srv.srv.URL, i)
			a := storage.RemoteActor{ID: id, Inbox: id + "/inbox", SharedInbox: shared, KeyID: id + "#main-key", FetchedAt: time.Now()}
			if err := tx.SaveRemoteActor(ctx, a); err != nil {
				return err
			}
			if _, err := tx.SaveFollower(ctx, id, id+"/follow", "{}", time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	received := func() int { // Creates: each version also goes with an unpin, a pin and an Update
		n := 0
		for _, s := range servers {
			for _, body := range s.inboxBodies() {
				if bytes.Contains(body, []byte(`"type":"Create"`)) {
					n++
				}
			}
		}
		return n
	}
	b.ResetTimer()
	for i := range b.N {
		before := received()
		start := time.Now()
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			v, err := tx.CurrentVersion(ctx)
			if err != nil {
				return err
			}
			v.Number++
			v.Statement.Preamble = fmt.Sprint("round ", i)
			if err := tx.CreateVersion(ctx, v); err != nil {
				return err
			}
			return tx.RecordEvent(ctx, proposals.EventVersionAdopted, int64(v.Number), time.Now())
		})
		if err != nil {
			b.Fatal(err)
		}
		in.fed.Kick()
		for received()-before < 500 {
			if time.Since(start) > time.Minute {
				b.Fatalf("only %d of 500 inboxes reached after a minute", received()-before)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-to-500-inboxes")
	}
	if got := received(); got != 500*b.N {
		b.Fatalf("%d deliveries, want %d: shared inboxes must get one each", got, 500*b.N)
	}
}

// TestPublishingReachesFollowersAndCanBeWithdrawn: a follower's server gets the
// Create{Note} with the structured statement, once per shared inbox, with the
// new version pinned in place of the old (Remove, Add, and an Update of the
// actor, for servers that read pins only from the actor); and a withdrawal as
// Delete{Tombstone}, unpinned too, after which the note's URL answers 410 with
// a Tombstone and neither featured nor the outbox lists it.
// On both databases: the inbox worker and the delivery queue use each
// database's own locking.
func TestPublishingReachesFollowersAndCanBeWithdrawn(t *testing.T) {
	storagetest.Each(t, testPublishingReachesFollowersAndCanBeWithdrawn)
}

// byType reads received activities by type ("Remove", "Add", ...).
func byType(t *testing.T, bodies [][]byte) map[string][]vocab.Activity {
	t.Helper()
	out := map[string][]vocab.Activity{}
	for _, b := range bodies {
		act, err := vocab.ParseActivity(b)
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		out[act.Type] = append(out[act.Type], act)
	}
	return out
}

func testPublishingReachesFollowersAndCanBeWithdrawn(t *testing.T, db *storage.DB) {
	in := newInstance(t, db, 2)
	eve := newRemote(t)
	now := time.Now()
	for _, name := range []string{"eve", "ann"} { // two followers on one server
		// ann's key is eve's too in this stand-in server, so her Follow verifies as well.
		id := eve.actor(name)
		if got := post(t, in.actor()+"/inbox", mustFollow(id+"/follow", id, in.actor()), id+"#main-key", eve.key, now, nil); got != 202 {
			t.Fatalf("%s's follow: %d", name, got)
		}
	}
	waitFor(t, func() bool { return len(eve.inboxBodies()) >= 2 }) // two Accepts
	ctx := context.Background()
	err := in.db.InTx(ctx, func(tx *storage.Tx) error {
		v, err := tx.CurrentVersion(ctx)
		if err != nil {
			return err
		}
		v.Number++
		v.Statement = proposals.Statement{Preamble: "We care for rivers.", Items: []proposals.Item{{ID: "r1", Section: proposals.Objectives, Text: "Clean water <for> all"}}}
		if err := tx.CreateVersion(ctx, v); err != nil {
			return err
		}
		return tx.RecordEvent(ctx, proposals.EventVersionAdopted, int64(v.Number), time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	in.fed.Kick()
	waitFor(t, func() bool { return len(eve.inboxBodies()) >= 6 })
	time.Sleep(300 * time.Millisecond)
	got := byType(t, eve.inboxBodies())
	if len(eve.inboxBodies()) != 6 || len(got["Accept"]) != 2 || len(got["Create"]) != 1 || len(got["Remove"]) != 1 || len(got["Add"]) != 1 || len(got["Update"]) != 1 {
		t.Fatalf("%d activities reached the shared inbox, want 2 Accepts, then one each of Create, Remove, Add and Update (one per server)", len(eve.inboxBodies()))
	}
	create := got["Create"][0]
	note, err := vocab.ParseNote(create.Object)
	if err != nil || note.Statement == nil || note.Statement.Statement.Items[0].Text != "Clean water <for> all" || !strings.Contains(note.Content, "Clean water &lt;for&gt; all") {
		t.Fatalf("note: %+v %v", note, err)
	}
	featured := in.actor() + "/featured"
	if add := got["Add"][0]; add.ObjectID != note.ID || !strings.Contains(string(add.Raw), `"target":"`+featured+`"`) {
		t.Errorf("pin: %s", add.Raw)
	}
	if remove := got["Remove"][0]; remove.ObjectID != in.url+"/statement/versions/1" || !strings.Contains(string(remove.Raw), `"target":"`+featured+`"`) {
		t.Errorf("unpin: %s", remove.Raw)
	}
	if update := got["Update"][0]; update.ObjectID != in.actor() || update.ObjectType != "Group" || !strings.Contains(string(update.Object), featured) {
		t.Errorf("the actor's Update, for servers that read pins from it: %s", update.Raw)
	}
	if code, body := getAP(t, note.ID); code != 200 || !strings.Contains(body, "Clean water") {
		t.Fatalf("the published note: %d %s", code, body)
	}

	admin := proposals.Member{ID: 1, Role: proposals.RoleAdmin, Status: proposals.StatusActive}
	if err := in.fed.WithdrawPublication(ctx, admin, note.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(eve.inboxBodies()) >= 9 })
	time.Sleep(300 * time.Millisecond)
	got = byType(t, eve.inboxBodies())
	if len(eve.inboxBodies()) != 9 || len(got["Delete"]) != 1 || len(got["Remove"]) != 2 || len(got["Update"]) != 2 {
		t.Fatalf("%d activities after the withdrawal, want a Delete, a Remove and an Update more", len(eve.inboxBodies()))
	}
	if del := got["Delete"][0]; del.ObjectID != note.ID || del.ObjectType != "Tombstone" {
		t.Fatalf("withdrawal: %+v", del)
	}
	if got["Remove"][0].ObjectID != note.ID && got["Remove"][1].ObjectID != note.ID {
		t.Fatal("the withdrawn note was not unpinned")
	}
	// Withdrawn stays withdrawn: 410 with a Tombstone, out of featured and the outbox.
	code, body := getAP(t, note.ID)
	var tomb map[string]any
	json.Unmarshal([]byte(body), &tomb)
	if code != 410 || tomb["type"] != "Tombstone" || tomb["id"] != note.ID || tomb["formerType"] != "Note" || tomb["deleted"] == nil {
		t.Fatalf("the withdrawn note's URL: %d %s", code, body)
	}
	for _, collection := range []string{"featured", "outbox"} {
		if code, body := getAP(t, in.actor()+"/"+collection); code != 200 || strings.Contains(body, note.ID) || !strings.Contains(body, `"totalItems":0`) {
			t.Errorf("%s after the withdrawal: %d %s", collection, code, body)
		}
	}
	if code, _ := getAP(t, in.url+"/statement/versions/1"); code != 200 {
		t.Errorf("version 1's note after version 2 was withdrawn: %d", code)
	}
	if err := in.fed.WithdrawPublication(ctx, admin, note.ID); err == nil {
		t.Fatal("withdrawing twice succeeded")
	}
}

// getAP fetches an ActivityPub document as a peer would.
func getAP(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOnlyFacilitatorsDecideMatches(t *testing.T) {
	in := newInstance(t, storagetest.SQLite(t), 1)
	ctx := context.Background()
	for _, role := range []proposals.Role{proposals.RoleMember, proposals.RoleFacilitator} {
		name := string(role)
		if _, err := in.svc.CreateMember(ctx, proposals.NewAccount{Username: name, Password: "a long shared secret"}, role); err != nil {
			t.Fatal(err)
		}
		token, _, err := in.svc.SignIn(ctx, name, "a long shared secret")
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"ours": {"self|x"}, "theirs": {"other|y"}, "decision": {"rejected"}}
		req, _ := http.NewRequest("POST", in.url+"/common-ground/decide", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: token})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := map[proposals.Role]int{proposals.RoleMember: 403, proposals.RoleFacilitator: 400}[role] // 400: no such objectives
		if resp.StatusCode != want {
			t.Errorf("%s deciding a match: %d, want %d", role, resp.StatusCode, want)
		}
	}
}

// The federation forms' fields go through the same cleaning as every other
// text: bad bytes in a handle are refused with 400, and an id no actor or
// publication can have (from a garbled or forged hidden field) is not found,
// never a database failure. On both databases: PostgreSQL refuses NUL and
// invalid UTF-8 that SQLite would take.
func TestFederationFormsRefuseBadText(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstance(t, db, 1)
		token, _, err := in.svc.SignIn(context.Background(), "admin", "a long shared secret")
		if err != nil {
			t.Fatal(err)
		}
		send := func(path string, form url.Values) (int, string) {
			req, _ := http.NewRequest("POST", in.url+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "cg_session", Value: token})
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		for _, bad := range []string{"ally\x00@example.org", "ally\xff@example.org", "ally\u202e@example.org"} {
			if status, page := send("/federation/follow", url.Values{"handle": {bad}}); status != 400 || strings.Contains(page, "Something went wrong") {
				t.Errorf("follow %q: %d, want 400", bad, status)
			}
			for _, path := range []string{"/federation/unfollow", "/federation/followers/approve", "/federation/followers/remove"} {
				if status, _ := send(path, url.Values{"actor": {"https://example.org/users/" + bad}}); status != 404 {
					t.Errorf("%s %q: %d, want 404", path, bad, status)
				}
			}
			if status, _ := send("/federation/withdraw", url.Values{"object": {in.url + "/statement/versions/" + bad}}); status != 404 {
				t.Errorf("withdraw %q: %d, want 404", bad, status)
			}
		}
	})
}

// A movement that approves its followers by hand holds a Follow until an
// admin approves it (then Accept) or removes it (then Reject); a follower
// already accepted who follows again stays accepted and is answered at once.
func TestFollowersHeldForApproval(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		in := newInstance(t, db, 1)
		admin := proposals.Member{ID: 1, Role: proposals.RoleAdmin, Status: proposals.StatusActive}
		if err := in.fed.SetManualApproval(ctx, admin, true); err != nil {
			t.Fatal(err)
		}
		eve := newRemote(t)
		status := func(name string) string {
			t.Helper()
			var f storage.Follower
			err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { f, err = tx.Follower(ctx, eve.actor(name)); return err })
			if errors.Is(err, proposals.ErrNotFound) {
				return "none"
			} else if err != nil {
				t.Fatal(err)
			}
			return f.Status
		}
		follow := func(name, followID string) {
			t.Helper()
			id := eve.actor(name)
			if got := post(t, in.actor()+"/inbox", mustFollow(id+followID, id, in.actor()), id+"#main-key", eve.key, time.Now(), nil); got != 202 {
				t.Fatalf("%s's follow: %d", name, got)
			}
		}
		follow("eve", "/follow/1")
		follow("ann", "/follow/1")
		waitFor(t, func() bool { return status("eve") == "pending" && status("ann") == "pending" })
		time.Sleep(200 * time.Millisecond)
		if n := len(eve.inboxBodies()); n != 0 {
			t.Fatalf("%d answers to follows held for approval, want none yet", n)
		}

		if err := in.fed.ApproveFollower(ctx, admin, eve.actor("eve")); err != nil {
			t.Fatal(err)
		}
		if err := in.fed.RemoveFollower(ctx, admin, eve.actor("ann")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return len(eve.inboxBodies()) >= 2 })
		got := byType(t, eve.inboxBodies())
		if len(got["Accept"]) != 1 || len(got["Reject"]) != 1 || got["Accept"][0].Actor != in.actor() ||
			!strings.Contains(string(got["Accept"][0].Raw), eve.actor("eve")+"/follow/1") || !strings.Contains(string(got["Reject"][0].Raw), eve.actor("ann")+"/follow/1") {
			t.Fatalf("answers: %d Accept, %d Reject; want one each, from us, naming each Follow", len(got["Accept"]), len(got["Reject"]))
		}
		if s, a := status("eve"), status("ann"); s != "accepted" || a != "none" {
			t.Fatalf("after the admin's answers: eve %s, ann %s", s, a)
		}

		// Following again (a server that lost its state): still accepted,
		// and the new Follow is answered at once.
		follow("eve", "/follow/2")
		waitFor(t, func() bool { return len(eve.inboxBodies()) >= 3 })
		got = byType(t, eve.inboxBodies())
		if len(got["Accept"]) != 2 || !strings.Contains(string(got["Accept"][1].Raw), eve.actor("eve")+"/follow/2") || status("eve") != "accepted" {
			t.Fatalf("a second Follow from an accepted follower: %d Accepts, status %s", len(got["Accept"]), status("eve"))
		}
	})
}
