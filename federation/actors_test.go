package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// An actor whose key was just fetched is kept in memory, so that its Follow
// is answered without reading it again; an Update fetched here replaces it
// at once, and a change stored by another process is read within
// actorCacheFor.
func TestAnActorJustFetchedIsNotReadAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
		pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		var mu sync.Mutex
		inbox := "/inbox-1"
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			id := srv.URL + "/users/eve"
			w.Header().Set("Content-Type", "application/activity+json")
			json.NewEncoder(w).Encode(map[string]any{
				"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
				"id":       id, "type": "Person", "inbox": srv.URL + inbox,
				"publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": pubPEM},
			})
		}))
		t.Cleanup(srv.Close)
		eve := srv.URL + "/users/eve"

		s := newRiverService(t, db, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
		now := time.Now()
		s.now = func() time.Time { return now }
		if _, _, err := s.lookupKey(ctx, eve+"#main-key", false); err != nil {
			t.Fatal(err)
		}
		known := func(want string, statements int64) {
			t.Helper()
			before := db.Statements()
			a, err := s.knownActor(ctx, eve)
			if err != nil {
				t.Fatal(err)
			}
			if a.Inbox != srv.URL+want {
				t.Errorf("inbox %s, want %s", a.Inbox, srv.URL+want)
			}
			if n := db.Statements() - before; n != statements {
				t.Errorf("the actor cost %d statements, want %d", n, statements)
			}
		}
		known("/inbox-1", 0) // fetched with its key a moment ago

		// Another process stores a new inbox: read here once the minute is up.
		moved := storage.RemoteActor{ID: eve, Type: "Person", Inbox: srv.URL + "/inbox-2", KeyID: eve + "#main-key", PublicKeyPEM: pubPEM, FetchedAt: now}
		if err := db.InTx(ctx, func(tx *storage.Tx) error { return tx.SaveRemoteActor(ctx, moved) }); err != nil {
			t.Fatal(err)
		}
		known("/inbox-1", 0)
		now = now.Add(actorCacheFor)
		known("/inbox-2", 1)
		known("/inbox-2", 0)

		// An Update handled here fetches the actor again: kept at once.
		mu.Lock()
		inbox = "/inbox-3"
		mu.Unlock()
		if _, err := s.fetchActor(ctx, eve, ""); err != nil {
			t.Fatal(err)
		}
		known("/inbox-3", 0)

		// A read of the store under way when an Update is fetched does not
		// bring the old inbox back.
		mu.Lock()
		inbox = "/inbox-4"
		mu.Unlock()
		now = now.Add(actorCacheFor)
		s.actors.Remember(eve, now, func() (storage.RemoteActor, error) {
			if _, err := s.fetchActor(ctx, eve, ""); err != nil {
				t.Fatal(err)
			}
			return moved, nil // what the read saw, before the Update
		})
		known("/inbox-4", 0)
	})
}
