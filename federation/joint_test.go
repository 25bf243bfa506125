package federation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// alliedWith makes the instance follow r's actor name, accepted: an ally.
func (in *instance) alliedWith(t testing.TB, r *remote, name string) string {
	t.Helper()
	id := r.actor(name)
	ctx := context.Background()
	err := in.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SaveRemoteActor(ctx, storage.RemoteActor{ID: id, Type: "Group", Handle: name + "@" + strings.TrimPrefix(r.srv.URL, "http://"),
			Name: strings.ToUpper(name[:1]) + name[1:], Inbox: id + "/inbox", FetchedAt: time.Now()}); err != nil {
			return err
		}
		if err := tx.SaveFollowing(ctx, id, in.url+"/follows/"+name, time.Now()); err != nil {
			return err
		}
		return tx.SetFollowingStatus(ctx, in.url+"/follows/"+name, "accepted", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (in *instance) admin(t testing.TB) proposals.Member {
	t.Helper()
	_, m, err := in.svc.SignIn(context.Background(), "admin", "a long shared secret")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (in *instance) joint(t *testing.T, id int64) alliances.JointStatement {
	t.Helper()
	var j alliances.JointStatement
	err := in.db.ReadTx(context.Background(), func(tx *storage.Tx) (err error) { j, err = tx.Joint(context.Background(), id); return err })
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// received lists the activities of a type that reached r.
func (r *remote) activities(typ string) []vocab.Activity {
	var out []vocab.Activity
	for _, b := range r.inboxBodies() {
		if act, err := vocab.ParseActivity(b); err == nil && act.Type == typ {
			out = append(out, act)
		}
	}
	return out
}

func outcome(t testing.TB, preset string, tally consensus.Tally) consensus.Outcome {
	t.Helper()
	rule, err := consensus.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	return consensus.Decide(rule, tally)
}

// TestVerdictsOnOurJointStatementAreCheckedAndCountedOnce: the initiator
// takes a verdict only from a movement it invited, for an offer it made,
// with an outcome that holds; a verdict delivered again changes nothing.
func TestVerdictsOnOurJointStatementAreCheckedAndCountedOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstance(t, db, 2)
		ctx := context.Background()
		allies := newRemote(t)
		forest, mallory := in.alliedWith(t, allies, "forest"), in.alliedWith(t, allies, "mallory")
		admin := in.admin(t)
		// Someone on Mastodon follows the movement, and reads what it signs.
		reader := newRemote(t)
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			id := reader.actor("alice")
			if err := tx.SaveRemoteActor(ctx, storage.RemoteActor{ID: id, Type: "Person", Inbox: id + "/inbox", FetchedAt: time.Now()}); err != nil {
				return err
			}
			_, err := tx.SaveFollower(ctx, id, id+"#follow", "{}", time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		id, err := in.allies.StartJoint(ctx, admin, alliances.JointText{Title: "Clean rivers",
			Items: []proposals.Item{{Section: proposals.Objectives, Text: "No sewage in rivers by 2030"}}}, []string{forest})
		if err != nil {
			t.Fatal(err)
		}
		pid, err := in.allies.ProposeSigning(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.svc.CastVote(ctx, admin, pid, consensus.Agree, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := in.svc.CloseEarly(ctx, admin, pid); err != nil {
			t.Fatal(err)
		}
		in.fed.Kick()
		waitFor(t, func() bool { return len(allies.activities("Offer")) == 1 })
		offer := allies.activities("Offer")[0]
		waitFor(t, func() bool { return len(reader.activities("Create")) == 1 })
		note, err := vocab.ParseNote(reader.activities("Create")[0].Object)
		if err != nil || note.Joint == nil || !strings.Contains(note.Content, "No sewage in rivers by 2030") ||
			!strings.Contains(note.Content, "River Movement: signed (1 agree, 0 stand aside, 0 disagree, 0 block, of 1 member)") ||
			!strings.Contains(note.Content, "Forest: not decided yet") {
			t.Fatalf("what followers read: %v\n%s", err, note.Content)
		}
		if want := in.url + "/joint-statements/1/versions/1/offer"; offer.ID != want || len(offer.To) != 1 || offer.To[0] != forest {
			t.Fatalf("offer %s to %v, want %s to forest only", offer.ID, offer.To, want)
		}

		signed := vocab.VerdictDoc{JointID: in.url + "/joint-statements/1", Version: 1, Verdict: "signed",
			DecidedAt: time.Now().UTC().Truncate(time.Second), Outcome: outcome(t, "consensus", consensus.Tally{Eligible: 3, Agree: 2, StandAside: 1})}
		send := func(who, activityID string, v vocab.VerdictDoc) int {
			body, err := vocab.MarshalVerdict(activityID, who, offer.ID, in.actor(), v)
			if err != nil {
				t.Fatal(err)
			}
			return post(t, in.url+"/inbox", body, who+"#main-key", allies.key, time.Now(), nil)
		}
		for range 3 { // delivered three times: counted once
			if got := send(forest, allies.srv.URL+"/verdicts/1", signed); got != 202 {
				t.Fatalf("forest's verdict: %d", got)
			}
		}
		// The same decision under another activity id is the same decision.
		send(forest, allies.srv.URL+"/verdicts/1-again", signed)
		// Refused: a movement that was not invited; an outcome that does not
		// follow from its tally (2 agree of 3 is adopted under consensus).
		send(mallory, allies.srv.URL+"/verdicts/2", signed)
		forged := signed
		forged.Verdict, forged.DecidedAt = "declined", signed.DecidedAt.Add(time.Minute)
		forged.Outcome.Adopted = false
		send(forest, allies.srv.URL+"/verdicts/3", forged)

		waitFor(t, func() bool { return inboxCount(t, db) == 0 })
		j := in.joint(t, id)
		var theirs []alliances.Verdict
		for _, v := range j.Verdicts {
			if v.Movement != alliances.Self {
				theirs = append(theirs, v)
			}
		}
		if len(theirs) != 1 || theirs[0].Movement != forest || theirs[0].Kind != alliances.Signed {
			t.Fatalf("verdicts of others: %+v, want forest's signature once", theirs)
		}
		// Forest is told the new record once.
		waitFor(t, func() bool { return len(allies.activities("Update")) >= 1 })
		time.Sleep(500 * time.Millisecond)
		if n := len(allies.activities("Update")); n != 1 {
			t.Errorf("forest received %d Updates of the record, want 1", n)
		}
	})
}

// TestOffersFromAlliesAreKeptOnce: an offer is kept once however often it
// comes; an offer from a movement we do not follow, or whose text does not
// match its hash, is refused.
func TestOffersFromAlliesAreKeptOnce(t *testing.T) {
	in := newInstance(t, storagetest.SQLite(t), 2)
	others := newRemote(t)
	river := in.alliedWith(t, others, "river")
	eve := others.actor("eve") // not followed
	text := alliances.JointText{Title: "Clean rivers", Items: []proposals.Item{{ID: "i1", Section: proposals.Objectives, Text: "No sewage in rivers by 2030"}}}
	offer := func(from, activityID string, hash string) int {
		doc := vocab.JointDoc{JointID: strings.Replace(from, "/users/", "/joint-statements/", 1), Version: 1, Hash: hash, Title: text.Title,
			Statement: text.Statement(), Initiator: from, Invited: []string{in.actor()},
			Verdicts: []vocab.VerdictDoc{{Actor: from, Version: 1, Verdict: "signed", DecidedAt: time.Now().UTC().Truncate(time.Second),
				Outcome: outcome(t, "consensus", consensus.Tally{Eligible: 1, Agree: 1})}}}
		note := vocab.Note{ID: doc.JointID + "/versions/1", AttributedTo: from, Content: "<p>Clean rivers</p>", Joint: &doc,
			To: []string{vocab.PublicAddress}}
		body, err := vocab.MarshalOffer(activityID, from, []string{in.actor()}, note)
		if err != nil {
			t.Fatal(err)
		}
		return post(t, in.url+"/inbox", body, from+"#main-key", others.key, time.Now(), nil)
	}
	for range 3 {
		if got := offer(river, others.srv.URL+"/offers/1", text.Hash()); got != 202 {
			t.Fatalf("river's offer: %d", got)
		}
	}
	offer(eve, others.srv.URL+"/offers/2", text.Hash())
	offer(river, others.srv.URL+"/offers/3", "sha256:0000")
	waitFor(t, func() bool { return inboxCount(t, in.db) == 0 })
	list, err := in.allies.Joints(context.Background(), in.admin(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Invited) != 1 || len(list.Invited[0].Joint.Versions) != 1 || list.Invited[0].Joint.Initiator != river {
		raw, _ := json.Marshal(list)
		t.Fatalf("joint statements after the offers: %s", raw)
	}
	if got := list.Invited[0].Current; got == nil || got.Text.Items[0].Text != "No sewage in rivers by 2030" {
		t.Fatalf("current version: %+v", got)
	}
}

// BenchmarkSignatureReceived: what one ally's signature costs the initiator,
// from its Accept reaching the inbox to the new record delivered to all ten
// invited allies: time per signature, and SQL statements (BEGIN and COMMIT
// counted). Each ally signs each version once; every ten signatures the
// initiator adopts a new version (outside the timer).
func BenchmarkSignatureReceived(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			db := storagetest.SQLite(b)
			if backend == "postgres" {
				db = storagetest.Postgres(b)
			}
			benchmarkSignatures(b, db)
		})
	}
}

func benchmarkSignatures(b *testing.B, db *storage.DB) {
	in := newInstance(b, db, 8)
	ctx := context.Background()
	srv := newRemote(b)
	var allies []string
	for i := range 10 {
		allies = append(allies, in.alliedWith(b, srv, fmt.Sprintf("ally%d", i)))
	}
	admin := in.admin(b)
	text := alliances.JointText{Title: "Clean rivers", Items: []proposals.Item{{Section: proposals.Objectives, Text: "No sewage in rivers, version 1"}}}
	id, err := in.allies.StartJoint(ctx, admin, text, allies)
	if err != nil {
		b.Fatal(err)
	}
	// Progress is read from what the allies' server received, not from the
	// database, so that waiting adds no statement to the count.
	waitFor := func(typ string, n int) {
		deadline := time.Now().Add(30 * time.Second)
		for len(srv.activities(typ)) < n {
			if time.Now().After(deadline) {
				b.Fatalf("%d %s received within 30s, want %d", len(srv.activities(typ)), typ, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	settle := func() { time.Sleep(20 * time.Millisecond) } // the last deliveries' results are recorded
	version := 0
	adopt := func() {
		version++
		text.Items[0].Text = fmt.Sprintf("No sewage in rivers, version %d", version)
		if err := in.allies.EditJoint(ctx, admin, id, text, allies); err != nil {
			b.Fatal(err)
		}
		pid, err := in.allies.ProposeSigning(ctx, admin, id)
		if err != nil {
			b.Fatal(err)
		}
		if err := in.svc.CastVote(ctx, admin, pid, consensus.Agree, ""); err != nil {
			b.Fatal(err)
		}
		if _, err := in.svc.CloseEarly(ctx, admin, pid); err != nil {
			b.Fatal(err)
		}
		in.fed.Kick()
		waitFor("Offer", 10*version)
		settle()
	}
	signed := outcome(b, "consensus", consensus.Tally{Eligible: 3, Agree: 3})
	var statements int64
	var elapsed time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if i%10 == 0 {
			adopt()
		}
		ally := allies[i%10]
		v := vocab.VerdictDoc{JointID: fmt.Sprintf("%s/joint-statements/%d", in.url, id), Version: version, Verdict: "signed",
			DecidedAt: time.Now().UTC(), Outcome: signed}
		offerID := fmt.Sprintf("%s/joint-statements/%d/versions/%d/offer", in.url, id, version)
		body, err := vocab.MarshalVerdict(fmt.Sprintf("%s/verdicts/%d", srv.srv.URL, i), ally, offerID, in.actor(), v)
		if err != nil {
			b.Fatal(err)
		}
		before, start := db.Statements(), time.Now()
		b.StartTimer()
		if got := post(b, in.url+"/inbox", body, ally+"#main-key", srv.key, time.Now(), nil); got != 202 {
			b.Fatalf("signature %d: %d", i, got)
		}
		waitFor("Update", 10*(i+1))
		b.StopTimer()
		elapsed += time.Since(start)
		settle()
		statements += db.Statements() - before
		b.StartTimer()
	}
	b.ReportMetric(float64(statements)/float64(b.N), "statements/signature")
	b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N)/1000, "ms/signature")
}
