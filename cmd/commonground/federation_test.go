package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/storage/storagetest"
)

// peer is one instance in a federation test: its own serve process, database
// and loopback address, and a browser-like client signed in as its admin.
type peer struct {
	t       testing.TB
	name    string
	listen  string
	dataDir string
	inst    *instance
	client  *http.Client
}

func freeAddr(t testing.TB, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		storagetest.Unavailable(t, "loopback", fmt.Sprintf("cannot listen on %s (the tests need the whole 127.0.0.0/8 loopback range): %v", ip, err))
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func newPeer(t testing.TB, name, ip string) *peer {
	t.Helper()
	p := &peer{t: t, name: name, listen: freeAddr(t, ip), dataDir: t.TempDir()}
	runAdmin(t, p.dataDir, "a long shared secret", "init", "--name", strings.ToUpper(name[:1])+name[1:]+" Movement", "--handle", name, "--admin", "admin")
	p.start()
	jar, _ := cookiejar.New(nil)
	p.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	p.post("/login", url.Values{"username": {"admin"}, "password": {"a long shared secret"}}, 303)
	return p
}

func (p *peer) start() {
	p.inst = startServe(p.t, "--listen", p.listen, "--data-dir", p.dataDir, "--allow-private", "127.0.0.0/8",
		"--federation-http", "--delivery-retry-base", "300ms", "--scheduler-interval", "200ms")
}

func (p *peer) base() string   { return "http://" + p.listen }
func (p *peer) handle() string { return "@" + p.name + "@" + p.listen }
func (p *peer) actor() string  { return p.base() + "/users/" + p.name }

// post sends a form as the signed-in admin and checks the status.
func (p *peer) post(path string, form url.Values, want int) *http.Response {
	p.t.Helper()
	resp, err := p.client.PostForm(p.base()+path, form)
	if err != nil {
		p.t.Fatalf("%s POST %s: %v", p.name, path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		p.t.Fatalf("%s POST %s: %d, want %d\n%s", p.name, path, resp.StatusCode, want, body)
	}
	return resp
}

func (p *peer) get(path string, accept string) (int, string) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.base()+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// totalItems reads an ActivityPub collection's size.
func (p *peer) totalItems(collection string) int {
	_, body := p.get("/users/"+p.name+"/"+collection, "application/activity+json")
	var c struct {
		TotalItems int `json:"totalItems"`
	}
	json.Unmarshal([]byte(body), &c)
	return c.TotalItems
}

// eventually waits until ok holds, failing the test after within; it
// returns how long that took. It looks often enough to measure a bound of
// a second (every 5 ms) and no more than every 100 ms for longer waits.
func eventually(t testing.TB, what string, within time.Duration, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	every := min(max(within/200, 5*time.Millisecond), 100*time.Millisecond)
	for !ok() {
		if time.Since(start) > within {
			t.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(every)
	}
	return time.Since(start)
}

// adopt runs a one-change proposal through the admin's votes to adoption.
func (p *peer) adopt(objective string) {
	p.t.Helper()
	loc := p.post("/proposals", url.Values{"title": {"Add " + objective}}, 303).Header.Get("Location")
	p.post(loc+"/changes", url.Values{"kind": {"add"}, "section": {"objectives"}, "text": {objective}}, 303)
	p.post(loc+"/open", nil, 303)
	p.post(loc+"/vote", url.Values{"position": {"agree"}}, 303)
	p.post(loc+"/close", url.Values{"confirm": {"yes"}}, 303)
}

// hasReceived reports whether the federation page shows text from a followed movement.
func (p *peer) hasReceived(text string) bool {
	_, body := p.get("/federation", "")
	return strings.Contains(body, text)
}

func TestTwoInstancesFederate(t *testing.T) {
	a := newPeer(t, "river", "127.0.0.2")
	b := newPeer(t, "forest", "127.0.0.3")

	// B finds A by handle and follows it; A accepts.
	b.post("/federation/follow", url.Values{"handle": {a.handle()}}, 303)
	eventually(t, "A lists B as a follower", 15*time.Second, func() bool { return a.totalItems("followers") == 1 })
	eventually(t, "B's follow is accepted", 15*time.Second, func() bool { return b.totalItems("following") == 1 })

	// A adopts a proposal; B receives the new version and shows it.
	a.adopt("Clean rivers for all")
	eventually(t, "B shows A's version 2", 20*time.Second, func() bool { return b.hasReceived("Clean rivers for all") })
	if _, body := a.get("/users/river/outbox", "application/activity+json"); !strings.Contains(body, "Clean rivers for all") {
		t.Fatal("A's outbox does not hold the published version")
	}

	// B unfollows; A stops delivering to B.
	b.post("/federation/unfollow", url.Values{"actor": {a.actor()}}, 303)
	eventually(t, "A drops B from its followers", 15*time.Second, func() bool { return a.totalItems("followers") == 0 })
	a.adopt("Restore the wetlands")
	// Publishing and queueing to every follower happen in one transaction, so
	// once the version is in A's outbox any delivery to B would be queued too.
	eventually(t, "A publishes the new version", 15*time.Second, func() bool {
		_, body := a.get("/users/river/outbox", "application/activity+json")
		return strings.Contains(body, "Restore the wetlands")
	})
	time.Sleep(time.Second) // deliveries to followers take a few milliseconds here
	if b.hasReceived("Restore the wetlands") {
		t.Fatal("B received a version published after it unfollowed")
	}

	// B follows again, then goes down while A publishes; A stops; B comes back,
	// then A, which sends B the delivery from its queue.
	b.post("/federation/follow", url.Values{"handle": {a.handle()}}, 303)
	eventually(t, "A lists B again", 15*time.Second, func() bool { return a.totalItems("followers") == 1 })
	if code := b.inst.stop(t); code != 0 {
		t.Fatalf("B exited with %d", code)
	}
	a.adopt("Free public transport")
	eventually(t, "A's delivery to the stopped B fails and waits for a retry", 15*time.Second, func() bool {
		_, page := a.get("/federation", "")
		return strings.Contains(page, "their server refused the connection")
	})
	if _, page := a.get("/federation", ""); strings.Contains(page, "dial tcp") {
		t.Error("the Allies page shows Go's network error instead of words")
	}
	if code := a.inst.stop(t); code != 0 {
		t.Fatalf("A exited with %d", code)
	}
	// B first: A retries at once when it is back, and a retry that found B
	// still down would count towards pausing B's host (5 failures in a row,
	// 4.5 s at this retry base), which a slow start could reach.
	b.start()
	a.start()
	eventually(t, "B receives, after the outage, the version A published", 45*time.Second, func() bool { return b.hasReceived("Free public transport") })
}

// TestDiscoveryDocuments checks what Mastodon reads first, on a live instance.
func TestDiscoveryDocuments(t *testing.T) {
	a := newPeer(t, "river", "127.0.0.2")
	status, body := a.get("/.well-known/webfinger?resource=acct:river@"+a.listen, "")
	var wf struct {
		Subject string `json:"subject"`
		Links   []struct{ Rel, Type, Href string }
	}
	if status != 200 || json.Unmarshal([]byte(body), &wf) != nil || wf.Subject != "acct:river@"+a.listen {
		t.Fatalf("webfinger: %d %s", status, body)
	}
	self := ""
	for _, l := range wf.Links {
		if l.Rel == "self" && l.Type == "application/activity+json" {
			self = l.Href
		}
	}
	if self != a.actor() {
		t.Fatalf("webfinger self link %q, want the actor id %q", self, a.actor())
	}
	status, body = a.get("/users/river", "application/activity+json")
	var actor map[string]any
	if status != 200 || json.Unmarshal([]byte(body), &actor) != nil || actor["id"] != a.actor() || actor["type"] != "Group" {
		t.Fatalf("actor: %d %s", status, body)
	}
	if status, _ := a.get("/users/river", "text/html"); status != 303 {
		t.Fatalf("a browser asking for the actor gets %d, want a redirect to the page", status)
	}
	if status, _ := a.get("/.well-known/webfinger?resource=acct:nobody@"+a.listen, ""); status != 404 {
		t.Fatalf("unknown account: %d", status)
	}
	for _, v := range []string{"2.0", "2.1"} {
		status, body := a.get("/nodeinfo/"+v, "")
		var ni map[string]any
		if status != 200 || json.Unmarshal([]byte(body), &ni) != nil || ni["version"] != v || ni["software"].(map[string]any)["name"] != "commonground" {
			t.Fatalf("nodeinfo %s: %d %s", v, status, body)
		}
	}
	if status, body := a.get("/users/river/featured", "application/activity+json"); status != 200 || !strings.Contains(body, "OrderedCollection") {
		t.Fatalf("featured: %d %s", status, body)
	}
	if status, _ := a.get("/.well-known/host-meta", ""); status != 200 {
		t.Fatalf("host-meta: %d", status)
	}
}

// commonGround reads a peer's common ground as JSON.
func (p *peer) commonGround() cgJSON {
	_, body := p.get("/common-ground.json", "")
	var cg cgJSON
	if err := json.Unmarshal([]byte(body), &cg); err != nil {
		p.t.Fatalf("%s: common ground JSON: %v: %s", p.name, err, body)
	}
	return cg
}

type cgWording struct {
	Key, Movement, Text string
}

type cgPair struct {
	Ours, Theirs cgWording
	Likely       bool
	RejectedBy   string `json:"rejected_by"`
}

type cgJSON struct {
	Agreed []struct {
		Ours   cgWording
		Theirs []cgWording
	}
	ToConfirm   []cgPair `json:"to_confirm"`
	Suggestions []struct {
		Ours       cgWording
		Candidates []cgPair
	}
	Waiting  []cgPair
	Rejected []cgPair
}

// suggested finds the suggestion pairing our text with an ally's text.
func (cg cgJSON) suggested(ours, theirs string) (cgPair, bool) {
	for _, s := range cg.Suggestions {
		for _, c := range s.Candidates {
			if c.Ours.Text == ours && c.Theirs.Text == theirs {
				return c, true
			}
		}
	}
	for _, c := range cg.ToConfirm {
		if c.Ours.Text == ours && c.Theirs.Text == theirs {
			return c, true
		}
	}
	return cgPair{}, false
}

// agreedWith lists, for our text, the allies' wordings agreed with it.
func (cg cgJSON) agreedWith(ours string) map[string]string {
	for _, g := range cg.Agreed {
		if g.Ours.Text == ours {
			out := map[string]string{}
			for _, t := range g.Theirs {
				out[t.Movement] = t.Text
			}
			return out
		}
	}
	return nil
}

// decide confirms or rejects the pair of our text and an ally's text once
// the peer suggests it.
func (p *peer) decide(ours, theirs, decision string) {
	p.t.Helper()
	var pair cgPair
	eventually(p.t, p.name+" suggests “"+theirs+"” for “"+ours+"”", 30*time.Second, func() bool {
		var ok bool
		pair, ok = p.commonGround().suggested(ours, theirs)
		return ok
	})
	p.post("/common-ground/decide", url.Values{"ours": {pair.Ours.Key}, "theirs": {pair.Theirs.Key}, "decision": {decision}}, 303)
}

func TestCommonGroundIsAgreedByBothMovements(t *testing.T) {
	peers := []*peer{newPeer(t, "river", "127.0.0.2"), newPeer(t, "forest", "127.0.0.3"), newPeer(t, "delta", "127.0.0.4")}
	a, b, c := peers[0], peers[1], peers[2]
	a.adopt("Tell the truth about the climate emergency")
	a.adopt("Free public transport in every city")
	b.adopt("Governments must be honest about the climate crisis")
	b.adopt("Protect old-growth forests from logging")
	c.adopt("Authorities must tell the truth about the climate breakdown")
	c.adopt("Net zero emissions by 2030")
	ally(t, a, b, c)

	const truthA, truthB, truthC = "Tell the truth about the climate emergency", "Governments must be honest about the climate crisis",
		"Authorities must tell the truth about the climate breakdown"
	// River confirms that Forest's objective states the same aim as its own:
	// Forest is asked, and confirms too. The pair is agreed on both sides.
	a.decide(truthA, truthB, "confirmed")
	eventually(t, "forest is asked to confirm river's pair", 30*time.Second, func() bool {
		for _, p := range b.commonGround().ToConfirm {
			if p.Ours.Text == truthB && p.Theirs.Text == truthA {
				return true
			}
		}
		return false
	})
	if got := a.commonGround().agreedWith(truthA); got != nil {
		t.Fatalf("river shows %v agreed before forest confirmed", got)
	}
	b.decide(truthB, truthA, "confirmed")
	eventually(t, "river and forest both show the agreed pair", 30*time.Second, func() bool {
		return a.commonGround().agreedWith(truthA)["Forest Movement"] == truthB && b.commonGround().agreedWith(truthB)["River Movement"] == truthA
	})
	// Delta rejects river's wording: river sees who rejected it, and it is
	// no longer suggested there.
	c.decide(truthC, truthA, "rejected")
	eventually(t, "river shows delta's rejection", 30*time.Second, func() bool {
		for _, p := range a.commonGround().Rejected {
			if p.Theirs.Text == truthC && p.RejectedBy == "Delta Movement" {
				return true
			}
		}
		return false
	})
	if _, still := a.commonGround().suggested(truthA, truthC); still {
		t.Fatal("river still suggests the pair delta rejected")
	}
	// The agreed common ground is public; the suggestions are not.
	_, public := get(t, a.base()+"/common-ground.json")
	if !strings.Contains(public, truthB) || strings.Contains(public, "suggestions") || strings.Contains(public, truthC) {
		t.Fatalf("public common ground:\n%s", public)
	}
	for _, p := range peers {
		for _, s := range p.commonGround().Suggestions {
			for _, cand := range s.Candidates {
				if strings.Contains(cand.Theirs.Text, "old-growth") || strings.Contains(cand.Ours.Text, "old-growth") {
					if cand.Likely {
						t.Errorf("%s suggests the forest objective as likely: %+v", p.name, cand)
					}
				}
			}
		}
	}

	// The pages a person sees, saved for looking at (when a browser is installed).
	if findChromium() != "" {
		br := newBrowser(t, newBrowserProcess(t), a.base())
		br.signIn("admin", "a long shared secret")
		br.open("/common-ground", "#h-agreed")
		br.shot("30-common-ground")
		br.open("/federation", ".remote")
		br.shot("31-allies")
	}
}
