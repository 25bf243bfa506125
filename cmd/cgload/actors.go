package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commonground/commonground/federation/signing"
)

// actorServer serves cgload's ActivityPub actors on loopback hosts
// (127.0.0.1, 127.0.0.2, …: the instance counts each host apart, as it would
// different servers) and records what the instance sends them.
type actorServer struct {
	key    *rsa.PrivateKey
	pubPEM string
	bases  []string // http://127.0.0.N:port, one per host
	n      int      // actors: a0 … a(n-1), actor k on host k % len(bases)
	srvs   []*http.Server
	client *http.Client

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced at each arrival
	accepted map[string]time.Time
	creates  map[string]*arrival // by the Create's object id
	lastPost time.Time
}

// arrival is when a Create reached the shared inboxes.
type arrival struct {
	inboxes     map[string]bool
	first, last time.Time
}

func serveActors(n, hosts int, key *rsa.PrivateKey) (*actorServer, error) {
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	a := &actorServer{key: key, pubPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), n: n,
		client: newClient(256), changed: make(chan struct{}), accepted: map[string]time.Time{}, creates: map[string]*arrival{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", a.serveActor)
	mux.HandleFunc("POST /", a.receive)
	for h := range hosts {
		ip := fmt.Sprintf("127.0.0.%d", h+1)
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			a.close()
			return nil, fmt.Errorf("cannot serve actors on %s (the 127.0.0.0/8 loopback range is needed; try --hosts 1): %w", ip, err)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		a.srvs = append(a.srvs, srv)
		a.bases = append(a.bases, "http://"+ln.Addr().String())
		go srv.Serve(ln)
	}
	return a, nil
}

// close waits until the instance has stopped sending (its last deliveries
// of a fan-out), so that none of them fails, then stops serving.
func (a *actorServer) close() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		quiet := time.Since(a.lastPost) > 2*time.Second
		a.mu.Unlock()
		if quiet {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, s := range a.srvs {
		s.Close()
	}
}

func (a *actorServer) actor(k int) string {
	return a.bases[k%len(a.bases)] + "/users/a" + strconv.Itoa(k)
}

func (a *actorServer) serveActor(w http.ResponseWriter, r *http.Request) {
	k, err := strconv.Atoi(strings.TrimPrefix(r.PathValue("name"), "a"))
	if err != nil || k < 0 || k >= a.n {
		http.NotFound(w, r)
		return
	}
	id := a.actor(k)
	base := a.bases[k%len(a.bases)]
	w.Header().Set("Content-Type", "application/activity+json")
	json.NewEncoder(w).Encode(map[string]any{
		"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       id, "type": "Person", "preferredUsername": "a" + strconv.Itoa(k), "inbox": id + "/inbox",
		// Each follower has a shared inbox of its own, so that a fan-out reaches as many inboxes as followers.
		"endpoints": map[string]string{"sharedInbox": base + "/shared/" + strconv.Itoa(k)},
		"publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": a.pubPEM},
	})
}

// receive records the Accepts of our Follows and the Creates of a fan-out.
func (a *actorServer) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	var act struct {
		Type   string          `json:"type"`
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(body, &act); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	objectID := idOf(act.Object)
	now := time.Now()
	a.mu.Lock()
	a.lastPost = now
	switch act.Type {
	case "Accept":
		a.accepted[objectID] = now
	case "Create":
		c := a.creates[objectID]
		if c == nil {
			c = &arrival{inboxes: map[string]bool{}, first: now}
			a.creates[objectID] = c
		}
		c.inboxes[r.Host+r.URL.Path] = true
		c.last = now
	}
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// idOf reads an object that is an IRI or embeds its id.
func idOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &o)
	return o.ID
}

// waitUntil returns when done (called with the lock held) is true, or fails after wait.
func (a *actorServer) waitUntil(ctx context.Context, wait time.Duration, what string, done func() bool) error {
	timeout := time.After(wait)
	for {
		a.mu.Lock()
		ok, changed := done(), a.changed
		a.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-timeout:
			return fmt.Errorf("gave up after %s waiting for %s", wait, what)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// signed is an inbox POST signed ahead of time, so that signing (RSA, as
// costly as the instance's verification) does not compete with the instance
// while it is measured.
type signed struct {
	body []byte
	hdr  http.Header
}

func (a *actorServer) sign(in *instance, k int, body []byte) (signed, error) {
	req, err := http.NewRequest("POST", in.base+"/inbox", bytes.NewReader(body))
	if err != nil {
		return signed{}, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := signing.Sign(req, a.actor(k)+"#main-key", a.key, body, time.Now()); err != nil {
		return signed{}, err
	}
	return signed{body, req.Header}, nil
}

// send posts a signed activity and checks that the inbox took it (202).
func (a *actorServer) send(ctx context.Context, in *instance, s signed) error {
	req, err := http.NewRequestWithContext(ctx, "POST", in.base+"/inbox", bytes.NewReader(s.body))
	if err != nil {
		return err
	}
	req.Header = s.hdr.Clone()
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	switch {
	case resp.StatusCode == http.StatusAccepted:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("the inbox refused an activity over its hourly quota per host (start the instance with a larger --inbox-quota, or use more --hosts): %s", bytes.TrimSpace(msg))
	}
	return fmt.Errorf("the inbox answered %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
}

// follows signs a Follow of the instance from each of the first n actors.
func (a *actorServer) follows(in *instance, n int, tag string) ([]signed, []string, error) {
	reqs := make([]signed, n)
	ids := make([]string, n)
	for k := range n {
		ids[k] = a.actor(k) + "/follows/" + tag
		body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": ids[k], "type": "Follow", "actor": a.actor(k), "object": in.actor})
		var err error
		if reqs[k], err = a.sign(in, k, body); err != nil {
			return nil, nil, err
		}
	}
	return reqs, ids, nil
}

// followAll has every actor follow the instance, and waits for the Accepts:
// the instance then knows their keys and delivers to them.
func (a *actorServer) followAll(ctx context.Context, in *instance, width int, wait time.Duration) error {
	reqs, ids, err := a.follows(in, a.n, fmt.Sprint("warm-", time.Now().UnixNano()))
	if err != nil {
		return err
	}
	if err := parallel(ctx, len(reqs), width, func(ctx context.Context, i int) error { return a.send(ctx, in, reqs[i]) }); err != nil {
		return err
	}
	return a.waitUntil(ctx, wait, "the instance to accept every Follow (is it approving followers by hand? turn that off on its Allies page)",
		func() bool { return a.allAccepted(ids) })
}

func (a *actorServer) allAccepted(ids []string) bool {
	for _, id := range ids {
		if _, ok := a.accepted[id]; !ok {
			return false
		}
	}
	return true
}
