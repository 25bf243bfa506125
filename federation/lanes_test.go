package federation_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// slowServer is a remote server whose actor documents never come: each GET
// hangs until the test ends (or the fetch gives up), as a server under load,
// or one made slow on purpose, would.
type slowServer struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	waiting atomic.Int32 // GETs hanging now
}

func newSlowServer(t testing.TB) *slowServer {
	t.Helper()
	s := &slowServer{}
	s.key, _ = rsa.GenerateKey(rand.Reader, 2048)
	release := make(chan struct{})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.waiting.Add(1)
		defer s.waiting.Add(-1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "too late", http.StatusServiceUnavailable)
	}))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: the hanging handlers return, then the server closes
	return s
}

// known stores the slow server's actor with its key, as if fetched before:
// its signatures verify without a fetch, and what it sends reaches the inbox.
func (s *slowServer) known(t testing.TB, in *instance, name string) string {
	t.Helper()
	id := s.srv.URL + "/users/" + name
	der, _ := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	err := in.db.InTx(context.Background(), func(tx *storage.Tx) error {
		return tx.SaveRemoteActor(context.Background(), storage.RemoteActor{ID: id, Type: "Person", Inbox: id + "/inbox",
			KeyID: id + "#main-key", PublicKeyPEM: pubPEM, FetchedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// One slow sender holds up only itself: five Updates from an actor whose
// server does not answer the fetches they cause are handled in its own lane,
// while an ally's new statement is kept at once. (Before: activities were
// handled one at a time with each fetch inline, and the ally's statement
// waited 52 s behind the five.) On both databases: the batch of due work is
// read with each database's SQL.
func TestOneSlowSenderHoldsUpOnlyItself(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstance(t, db, 1)
		slow := newSlowServer(t)
		slowpoke := slow.known(t, in, "slowpoke")
		allies := newRemote(t)
		forest := allies.actor("forest")
		in.follows(t, forest)
		inbox := in.url + "/inbox"
		for i := range 5 {
			update := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s#updates/%d","type":"Update","actor":"%s","object":"%s"}`,
				slowpoke, i, slowpoke, slowpoke)
			if got := post(t, inbox, []byte(update), slowpoke+"#main-key", slow.key, time.Now(), nil); got != 202 {
				t.Fatalf("slow sender's Update %d: %d", i, got)
			}
		}
		waitFor(t, func() bool { return slow.waiting.Load() > 0 }) // its first fetch hangs
		_, create := statementCreate(t, forest, 4, "Protect old-growth forests")
		sent := time.Now()
		if got := post(t, inbox, create, forest+"#main-key", allies.key, time.Now(), nil); got != 202 {
			t.Fatalf("the ally's statement: %d", got)
		}
		waitFor(t, func() bool { return in.keptVersion(t, forest) == 4 })
		t.Logf("the ally's statement was kept %s after it arrived, behind 5 Updates of a sender whose server does not answer", time.Since(sent).Round(time.Millisecond))
		if slow.waiting.Load() == 0 {
			t.Fatal("the slow sender's fetch ended before the ally's statement was kept: the test proves nothing")
		}
	})
}
