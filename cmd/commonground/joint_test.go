package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ally makes every peer follow every other and waits until all are allied.
func ally(t *testing.T, peers ...*peer) {
	t.Helper()
	for _, p := range peers {
		for _, q := range peers {
			if p != q {
				p.post("/federation/follow", url.Values{"handle": {q.handle()}}, 303)
			}
		}
	}
	for _, p := range peers {
		eventually(t, p.name+" is allied with every other", 30*time.Second, func() bool {
			_, page := p.get("/federation", "")
			return strings.Count(page, ">allied<") == len(peers)-1
		})
	}
}

// agree has p and q confirm that their two texts state the same aim.
func agree(p *peer, ours string, q *peer, theirs string) {
	p.decide(ours, theirs, "confirmed")
	q.decide(theirs, ours, "confirmed")
}

// member adds a member to the peer's movement and returns the peer as seen
// by that member, signed in.
func (p *peer) member(username string) *peer {
	p.t.Helper()
	runAdmin(p.t, p.dataDir, "a long member secret", "create-user", "--username", username)
	return p.as(username, "a long member secret")
}

// vote records a position on a proposal.
func (p *peer) vote(proposal, position string) {
	p.t.Helper()
	p.post(proposal+"/vote", url.Values{"position": {position}, "reason": {"as discussed"}}, 303)
}

var jointLink = regexp.MustCompile(`href="/joint-statements/(\d+)"`)

// jointWith is the page of the joint statement whose title is title, on p.
func (p *peer) jointWith(title string) string {
	_, page := p.get("/joint-statements", "")
	i := strings.Index(page, ">"+title+"<")
	if i < 0 {
		return ""
	}
	links := jointLink.FindAllStringSubmatchIndex(page[:i], -1)
	if len(links) == 0 {
		return ""
	}
	last := links[len(links)-1]
	return "/joint-statements/" + page[last[2]:last[3]]
}

// standings reads a joint statement's JSON: movement name → "verdict vN".
func (p *peer) standings(path string) (version int, out map[string]string) {
	p.t.Helper()
	status, body := p.get(path+".json", "")
	if status != 200 {
		return 0, nil
	}
	var doc struct {
		Version   int `json:"version"`
		Movements []struct {
			Name    string `json:"name"`
			Verdict string `json:"verdict"`
			Version int    `json:"version"`
			Outcome *struct {
				Requirements []struct {
					Met bool `json:"met"`
				} `json:"requirements"`
			} `json:"outcome"`
		} `json:"movements"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		p.t.Fatalf("%s: joint statement JSON: %v\n%s", p.name, err, body)
	}
	out = map[string]string{}
	for _, m := range doc.Movements {
		s := m.Verdict
		if m.Version != 0 {
			s += fmt.Sprintf(" v%d", m.Version)
		}
		if m.Outcome != nil && len(m.Outcome.Requirements) != 4 {
			s += " (outcome without its requirements)"
		}
		out[m.Name] = s
	}
	return doc.Version, out
}

func showsStandings(p *peer, path string, version int, want map[string]string) bool {
	v, got := p.standings(path)
	return v == version && fmt.Sprint(got) == fmt.Sprint(want)
}

// openVote starts a vote from a joint statement's page and returns the proposal's path.
func (p *peer) openVote(joint, action string) string {
	p.t.Helper()
	return p.post(joint+"/"+action, nil, 303).Header.Get("Location")
}

func TestJointStatementSignedByThreeInstancesEachByItsOwnVote(t *testing.T) {
	a, b, c := newPeer(t, "river", "127.0.0.5"), newPeer(t, "forest", "127.0.0.6"), newPeer(t, "delta", "127.0.0.7")
	a.adopt("Tell the truth about the climate emergency")
	b.adopt("Governments must be honest about the climate crisis")
	c.adopt("Authorities must tell the truth about the climate breakdown")
	ally(t, a, b, c)
	bea, cal := b.member("bea"), c.member("cal")
	// Delta signs joint statements only with two thirds of its members.
	c.post("/settings/decisions", url.Values{"kind": {"joint_statements"}, "preset": {"two_thirds"}, "quorum": {"1/2"}, "voting_days": {"7"}}, 303)

	// The three movements agree that their truth objectives state one aim;
	// River picks that common ground, which fills the new joint statement
	// with the three wordings side by side.
	agree(a, "Tell the truth about the climate emergency", b, "Governments must be honest about the climate crisis")
	agree(a, "Tell the truth about the climate emergency", c, "Authorities must tell the truth about the climate breakdown")
	var keys string
	eventually(t, "river shows the truth objective agreed with both allies", 30*time.Second, func() bool {
		for _, g := range a.commonGround().Agreed {
			if len(g.Theirs) == 2 {
				keys = g.Ours.Key + " " + g.Theirs[0].Key + " " + g.Theirs[1].Key
			}
		}
		return keys != ""
	})
	_, form := a.get("/joint-statements/new?group="+url.QueryEscape(keys), "")
	for _, want := range []string{"River Movement: Tell the truth about the climate emergency", "Forest Movement: Governments must be honest",
		`value="` + b.actor() + `" checked`, `value="` + c.actor() + `" checked`} {
		if !strings.Contains(form, want) {
			t.Fatalf("the new joint statement form lacks %q:\n%s", want, form)
		}
	}
	text := url.Values{"title": {"Truth about the climate"}, "preamble": {"Three movements, one demand."},
		"item_id": {""}, "item_section": {"objectives"}, "item_text": {"Governments must tell the truth about the climate emergency"},
		"invited": {b.actor(), c.actor()}}
	jointA := a.post("/joint-statements", text, 303).Header.Get("Location")

	// River's members sign it first; only then is it offered.
	vote := a.openVote(jointA, "sign")
	a.vote(vote, "agree")
	a.post(vote+"/close", url.Values{"confirm": {"yes"}}, 303)

	var jointB, jointC string
	eventually(t, "forest and delta are invited", 30*time.Second, func() bool {
		jointB, jointC = b.jointWith("Truth about the climate"), c.jointWith("Truth about the climate")
		return jointB != "" && jointC != ""
	})

	// Forest signs under consensus, one member standing aside. River is down
	// meanwhile: Forest's answer waits in its queue and nothing is lost.
	voteB := b.openVote(jointB, "sign")
	b.vote(voteB, "agree")
	bea.vote(voteB, "stand_aside")
	if code := a.inst.stop(t); code != 0 {
		t.Fatalf("river exited with %d", code)
	}
	b.post(voteB+"/close", url.Values{"confirm": {"yes"}}, 303)
	// Delta declines under two thirds: one agrees, one disagrees.
	voteC := c.openVote(jointC, "sign")
	c.vote(voteC, "agree")
	cal.vote(voteC, "disagree")
	c.post(voteC+"/close", url.Values{"confirm": {"yes"}}, 303)
	a.start()

	peers := map[*peer]string{a: jointA, b: jointB, c: jointC}
	want := map[string]string{"River Movement": "signed v1", "Forest Movement": "signed v1", "Delta Movement": "declined v1"}
	for p, path := range peers {
		eventually(t, p.name+" shows river and forest signed, delta declined", 60*time.Second, func() bool {
			return showsStandings(p, path, 1, want)
		})
	}
	_, page := b.get(jointB, "")
	for _, s := range []string{"1 agree, 1 stand aside, 0 disagree, 0 block, of 2 members", "agreement: ", "Two-thirds majority"} {
		if !strings.Contains(page, s) {
			t.Errorf("forest's page does not show %q", s)
		}
	}

	// River adopts version 2. Forest's signature stands for version 1 only
	// until its members sign again; Delta signs version 2.
	text.Set("item_text", "Governments must tell the whole truth about the climate emergency")
	a.post(jointA+"/edit", text, 303)
	vote = a.openVote(jointA, "sign")
	a.vote(vote, "agree")
	a.post(vote+"/close", url.Values{"confirm": {"yes"}}, 303)
	want = map[string]string{"River Movement": "signed v2", "Forest Movement": "signed v1", "Delta Movement": "declined v1"}
	for p, path := range peers {
		eventually(t, p.name+" shows version 2, forest's signature of version 1 only", 30*time.Second, func() bool {
			return showsStandings(p, path, 2, want)
		})
	}
	if _, page := b.get(jointB, ""); !strings.Contains(page, "signed version 1 only") {
		t.Error("forest's page does not say that its signature is of version 1 only")
	}
	voteB = b.openVote(jointB, "sign")
	b.vote(voteB, "agree")
	bea.vote(voteB, "agree")
	b.post(voteB+"/close", url.Values{"confirm": {"yes"}}, 303)
	voteC = c.openVote(jointC, "sign")
	c.vote(voteC, "agree")
	cal.vote(voteC, "agree")
	c.post(voteC+"/close", url.Values{"confirm": {"yes"}}, 303)
	want = map[string]string{"River Movement": "signed v2", "Forest Movement": "signed v2", "Delta Movement": "signed v2"}
	for p, path := range peers {
		eventually(t, p.name+" shows all three signed version 2", 30*time.Second, func() bool {
			return showsStandings(p, path, 2, want)
		})
	}

	// Forest withdraws by a vote of its members.
	voteB = b.openVote(jointB, "withdraw")
	b.vote(voteB, "agree")
	bea.vote(voteB, "agree")
	b.post(voteB+"/close", url.Values{"confirm": {"yes"}}, 303)
	want["Forest Movement"] = "withdrawn v2"
	for p, path := range peers {
		eventually(t, p.name+" shows forest's signature withdrawn", 30*time.Second, func() bool {
			return showsStandings(p, path, 2, want)
		})
	}
	// The public reads it too, and Markdown lists every movement.
	_, md := get(t, a.base()+jointA+".md")
	var lines []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "- ") {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	if len(lines) != 3 || !strings.Contains(lines[1], "Forest Movement: withdrew its signature") {
		t.Errorf("public Markdown movements: %q", lines)
	}
}

// TestBrowserJointStatementFromCommonGroundToTwoSignatures: a facilitator of
// River picks the shared objective on the common ground page, rewrites the
// wordings into one text, invites Forest and puts it to River's vote; River's
// members sign; Forest's facilitator opens Forest's vote from the invitation;
// Forest signs; both instances show both signatures. Every page is saved.
func TestBrowserJointStatementFromCommonGroundToTwoSignatures(t *testing.T) {
	process := newBrowserProcess(t)
	a, b := newPeer(t, "river", "127.0.0.8"), newPeer(t, "forest", "127.0.0.9")
	a.adopt("Tell the truth about the climate emergency")
	b.adopt("Governments must be honest about the climate crisis")
	ally(t, a, b)
	agree(a, "Tell the truth about the climate emergency", b, "Governments must be honest about the climate crisis")
	eventually(t, "river shows the agreed common ground", 30*time.Second, func() bool {
		return a.commonGround().agreedWith("Tell the truth about the climate emergency") != nil
	})

	ra := newBrowser(t, process, a.base())
	ra.signIn("admin", "a long shared secret")
	ra.open("/common-ground", ".cluster.agreed")
	ra.do("pick the group", chromedp.Click(chromedp.CSS(`input[name="group"]`)))
	ra.shot("40-joint-common-ground-picked")
	ra.submit(`#joint-start`, "#item-text-0")
	if got := ra.value("#item-text-0"); !strings.Contains(got, "River Movement: Tell the truth") || !strings.Contains(got, "Forest Movement: Governments must be honest") {
		t.Fatalf("the new joint statement's first item: %q", got)
	}
	ra.shot("41-joint-new-from-common-ground")
	ra.fill(map[string]string{"title": "Truth about the climate", "item-text-0": "Governments must tell the truth about the climate emergency"})
	ra.submit(`form.joint-editor`, `form[action$="/sign"]`)
	ra.shot("42-joint-draft")
	ra.submit(`form[action$="/sign"]`, "#reason")
	ra.shot("43-joint-vote-river")
	ra.do("choose agree", chromedp.Click(chromedp.CSS(`input[name="position"][value="agree"]`)))
	ra.vote()
	ra.closeVoting()
	ra.shot("44-joint-vote-river-closed")

	rb := newBrowser(t, process, b.base())
	rb.signIn("admin", "a long shared secret")
	eventually(t, "forest is invited", 30*time.Second, func() bool { return b.jointWith("Truth about the climate") != "" })
	rb.open("/joint-statements", "#h-invited")
	rb.shot("45-joint-list-forest-invited")
	rb.do("open the invitation", chromedp.Click(chromedp.CSS(".proposal-row h3 a")), chromedp.WaitVisible(chromedp.CSS(`form[action$="/sign"]`)))
	rb.shot("46-joint-forest-invited")
	rb.submit(`form[action$="/sign"]`, "#reason")
	rb.do("choose agree", chromedp.Click(chromedp.CSS(`input[name="position"][value="agree"]`)))
	rb.vote()
	rb.closeVoting()
	rb.shot("47-joint-vote-forest-closed")

	// Both instances record both signatures (read from their JSON), and each
	// one's page shows them.
	for _, p := range []*peer{a, b} {
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, got := p.standings(p.jointWith("Truth about the climate"))
			if got["River Movement"] == "signed v1" && got["Forest Movement"] == "signed v1" {
				break
			}
			if time.Now().After(deadline) {
				dumpFederation(t, a, b)
				t.Fatalf("%s does not record both signatures: %v", p.name, got)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, p := range []*browser{ra, rb} {
		p.open("/joint-statements", "h1")
		p.do("open the joint statement", chromedp.Click(chromedp.CSS(".proposal-row h3 a")), chromedp.WaitVisible(chromedp.CSS(".standings")))
		if got := strings.Count(p.text(".standings"), "signed"); got < 2 {
			t.Errorf("%s shows %d signatures:\n%s", p.base, got, p.text(".standings"))
		}
	}
	ra.shot("48-joint-signed-river")
	rb.shot("49-joint-signed-forest")
	// The public page, on a phone.
	public := newBrowser(t, process, a.base())
	public.do("phone width", chromedp.EmulateViewport(390, 844))
	public.open(a.jointWith("Truth about the climate"), ".standings")
	public.shot("50-joint-public-phone")
}

// BenchmarkSignatureReachesElevenInstances: the time from the closing of an
// ally's vote to every one of eleven instances (the initiator and ten
// invited allies, each its own serve process on loopback) showing that
// ally's signature. Each ally signs each version once; every ten signatures
// the initiator adopts a new version, outside the timer.
func BenchmarkSignatureReachesElevenInstances(b *testing.B) {
	a := newPeer(b, "hub", "127.0.0.20")
	var allies []*peer
	for i := range 10 {
		allies = append(allies, newPeer(b, fmt.Sprintf("ally%d", i), fmt.Sprintf("127.0.0.%d", 21+i)))
	}
	for _, p := range allies {
		a.post("/federation/follow", url.Values{"handle": {p.handle()}}, 303)
		p.post("/federation/follow", url.Values{"handle": {a.handle()}}, 303)
	}
	benchEventually(b, "the hub is allied with all ten", 60*time.Second, func() bool {
		_, page := a.get("/federation", "")
		return strings.Count(page, ">allied<") == 10
	})
	text := url.Values{"title": {"Hub and spokes"}, "item_id": {""}, "item_section": {"objectives"}, "item_text": {"Version 0"}}
	for _, p := range allies {
		text.Add("invited", p.actor())
	}
	jointA := a.post("/joint-statements", text, 303).Header.Get("Location")
	paths := map[*peer]string{a: jointA}
	version := 0
	adopt := func() {
		version++
		text.Set("item_text", fmt.Sprintf("Version %d", version))
		a.post(jointA+"/edit", text, 303)
		vote := a.openVote(jointA, "sign")
		a.vote(vote, "agree")
		a.post(vote+"/close", url.Values{"confirm": {"yes"}}, 303)
		for _, p := range allies {
			benchEventually(b, p.name+" receives version "+fmt.Sprint(version), 60*time.Second, func() bool {
				if paths[p] == "" {
					paths[p] = p.jointWith("Hub and spokes")
				}
				if paths[p] == "" {
					return false
				}
				v, _ := p.standings(paths[p])
				return v == version
			})
		}
	}
	var elapsed time.Duration
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		if i%10 == 0 {
			adopt()
		}
		ally := allies[i%10]
		vote := ally.openVote(paths[ally], "sign")
		ally.vote(vote, "agree")
		want := fmt.Sprintf("signed v%d", version)
		start := time.Now()
		b.StartTimer()
		ally.post(vote+"/close", url.Values{"confirm": {"yes"}}, 303)
		for p, path := range paths {
			benchEventually(b, p.name+" shows "+ally.name+"'s signature", 60*time.Second, func() bool {
				_, got := p.standings(path)
				return got[strings.ToUpper(ally.name[:1])+ally.name[1:]+" Movement"] == want
			})
		}
		b.StopTimer()
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/signature-everywhere")
}

func benchEventually(b *testing.B, what string, within time.Duration, ok func() bool) {
	b.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// vote submits the vote form and waits for the vote to be recorded: the
// page it leaves already shows a message (voting is open), so waiting for
// a message alone could go on before the vote is in.
func (b *browser) vote() {
	b.t.Helper()
	b.click(`form[action*="/vote"] button[type="submit"]`)
	if got := b.waitText(".flash", "Your vote is recorded", 30*time.Second); !strings.Contains(got, "Your vote is recorded") {
		b.t.Fatalf("after voting the page says %q", got)
	}
}

// dumpFederation logs what each peer's database holds of federation work,
// to see why something did not arrive.
func dumpFederation(t *testing.T, peers ...*peer) {
	for _, p := range peers {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(p.dataDir, "commonground.db")+"?mode=ro")
		if err != nil {
			t.Log(err)
			continue
		}
		for _, q := range []string{
			`SELECT id || ' ' || type || ' processed=' || COALESCE(processed_at, 'no') || ' attempts=' || attempts || ' err=' || error FROM inbox_activities`,
			`SELECT activity_id || ' -> ' || inbox || ' ' || status || ' attempts=' || attempts || ' err=' || last_error FROM deliveries`,
			`SELECT id || ' ' || kind || ' ' || ref || ' processed=' || COALESCE(processed_at, 'no') FROM outbox_events`,
		} {
			rows, err := db.Query(q)
			if err != nil {
				t.Logf("%s: %v", p.name, err)
				continue
			}
			for rows.Next() {
				var line string
				rows.Scan(&line)
				t.Logf("%s: %s", p.name, line)
			}
			rows.Close()
		}
		db.Close()
	}
}
