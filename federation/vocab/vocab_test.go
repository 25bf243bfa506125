package vocab

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

const (
	base     = "https://cg.example"
	actorID  = base + "/m/water"
	followID = "https://mastodon.example/a1b2c3d4-5678-90ab-cdef-1234567890ab"
	follower = "https://mastodon.example/users/alice"
)

var (
	publishedAt = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	adoptedAt   = time.Date(2025, 4, 30, 18, 30, 15, 123456000, time.UTC)
)

func testActor() Actor {
	return Actor{
		ID:                actorID,
		Inbox:             actorID + "/inbox",
		Outbox:            actorID + "/outbox",
		Followers:         actorID + "/followers",
		Following:         actorID + "/following",
		Featured:          actorID + "/featured",
		SharedInbox:       base + "/inbox",
		PreferredUsername: "water",
		Name:              "Clean Water Now",
		Summary:           "<p>Clean rivers &amp; lakes for everyone.</p>",
		URL:               base + "/movements/water",
		IconURL:           base + "/media/water.png",
		IconMediaType:     "image/png",
		PublicKeyID:       actorID + "#main-key",
		PublicKeyPEM:      "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
		Discoverable:      true,
		Published:         publishedAt,
		Fields:            []PropertyValue{{Name: "Website", Value: `<a href="https://water.example">water.example</a>`}},
	}
}

func testStatement(nItems int) StatementDoc {
	st := proposals.Statement{Preamble: "We, the people of the valley,\nwant clean water.\n\nThis is our ground."}
	for i := 0; i < nItems; i++ {
		sec := proposals.Sections[i%len(proposals.Sections)]
		st.Items = append(st.Items, proposals.Item{
			ID:      fmt.Sprintf("it-%02d", i+1),
			Section: sec,
			Text:    fmt.Sprintf("Item %d of the %s: no more dumping <upstream> & downstream.", i+1, sec.Label()),
		})
	}
	return StatementDoc{Version: 3, AdoptedAt: adoptedAt, Statement: st}
}

func testNote(nItems int) Note {
	doc := testStatement(nItems)
	return Note{
		ID:           actorID + "/statement/3",
		AttributedTo: actorID,
		URL:          base + "/movements/water/statement/3",
		Content:      StatementHTML("Clean Water Now", doc),
		Name:         "Core statement, version 3",
		Published:    publishedAt,
		To:           []string{PublicAddress},
		Cc:           []string{actorID + "/followers"},
		Statement:    &doc,
	}
}

// mastodonFollow is a Follow as Mastodon sends it, plus a key we do not know,
// which an Accept must echo.
const mastodonFollow = `{
  "@context": "https://www.w3.org/ns/activitystreams",
  "id": "` + followID + `",
  "type": "Follow",
  "actor": "` + follower + `",
  "object": "` + actorID + `",
  "x-extra": {"kept": [1, 2]}
}`

// must(t)(f()) stops the test when f fails and returns its output.
func must(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, b)
	}
	return m
}

func pretty(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/golden/name.json as JSON values, so
// that key order and spacing do not matter; -update rewrites the file.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	gotV := decode(t, got)
	if *update {
		if err := os.WriteFile(path, pretty(t, gotV), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !reflect.DeepEqual(gotV, decode(t, want)) {
		t.Errorf("%s differs from %s; got:\n%s", name, path, pretty(t, gotV))
	}
}

const (
	allyB = "https://b.example/users/forest"
	allyC = "https://c.example/users/delta"
)

var decidedAt = time.Date(2025, 5, 2, 9, 30, 0, 0, time.UTC)

// testOutcome is a real verdict: consensus, 2 agree and 1 stand aside of 3.
func testOutcome(t testing.TB) consensus.Outcome {
	rule, err := consensus.Preset("consensus")
	if err != nil {
		t.Fatal(err)
	}
	return consensus.Decide(rule, consensus.Tally{Eligible: 3, Agree: 2, StandAside: 1})
}

func testJointNote(t testing.TB) Note {
	doc := JointDoc{JointID: base + "/joint-statements/7", Version: 2, Hash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Title:     "Clean water, together",
		Statement: proposals.Statement{Preamble: "Three movements of the valley.", Items: []proposals.Item{{ID: "j1", Section: proposals.Objectives, Text: "No sewage in rivers by 2030"}}},
		Initiator: actorID, Invited: []string{allyB, allyC},
		Participants: []JointParticipant{{Actor: actorID, Name: "Clean Water Now", Handle: "water@cg.example"},
			{Actor: allyB, Name: "Forest Movement", Handle: "forest@b.example", URL: "https://b.example/"}, {Actor: allyC, Name: "Delta Movement"}},
		Verdicts: []VerdictDoc{{Actor: actorID, Version: 2, Verdict: "signed", DecidedAt: decidedAt, Outcome: testOutcome(t)}}}
	return Note{ID: base + "/joint-statements/7/versions/2", AttributedTo: actorID, URL: base + "/joint-statements/7",
		Content: JointHTML("Clean Water Now signed a joint statement and invites its allies to sign it too.", doc,
			[]string{"Clean Water Now: signed", "Forest Movement: not decided yet"}, base+"/joint-statements/7"),
		Published: publishedAt, To: []string{PublicAddress}, Cc: []string{actorID + "/followers", allyB, allyC}, Joint: &doc}
}

func testVerdict(t testing.TB, verdict string) VerdictDoc {
	return VerdictDoc{JointID: base + "/joint-statements/7", Version: 2, Hash: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Verdict: verdict, DecidedAt: decidedAt, Outcome: testOutcome(t)}
}

const offerID = base + "/joint-statements/7/versions/2/offer"

// outputs are every kind of document this package writes, by golden name.
func outputs(t *testing.T) map[string][]byte {
	note := testNote(4)
	joint := testJointNote(t)
	accept := must(t)(MarshalVerdict("https://b.example/joint-statements/3/verdicts/2-signed-1", allyB, offerID, actorID, testVerdict(t, "signed")))
	return map[string][]byte{
		"joint_note":     must(t)(MarshalNote(joint)),
		"joint_offer":    must(t)(MarshalOffer(offerID, actorID, []string{allyB, allyC}, joint)),
		"joint_update":   must(t)(MarshalUpdateNote(joint.ID+"/updates/5", actorID, []string{allyB, allyC}, joint)),
		"verdict_accept": accept,
		"verdict_reject": must(t)(MarshalVerdict("https://c.example/joint-statements/4/verdicts/2-declined-1", allyC, offerID, actorID, testVerdict(t, "declined"))),
		"verdict_undo":   must(t)(MarshalWithdrawal("https://b.example/joint-statements/3/verdicts/2-withdrawn-2", allyB, accept, testVerdict(t, "withdrawn"))),
		"actor":          must(t)(MarshalActor(testActor())),
		"note":           must(t)(MarshalNote(note)),
		"create":         must(t)(MarshalCreate(base+"/activities/create-3", actorID, note)),
		"accept":         must(t)(MarshalAccept(base+"/activities/accept-1", actorID, []byte(mastodonFollow))),
		"update_actor":   must(t)(MarshalUpdateActor(base+"/activities/update-1", testActor())),
		"delete":         must(t)(MarshalDelete(base+"/activities/delete-1", actorID, note.ID, []string{PublicAddress})),
		"collection": must(t)(MarshalOrderedCollection(actorID+"/outbox", 2, nil,
			[]string{base + "/activities/create-2", base + "/activities/create-3"})),
		"add":       must(t)(MarshalAdd(note.ID+"/pin", actorID, note.ID, actorID+"/featured")),
		"remove":    must(t)(MarshalRemove(note.ID+"/unpin", actorID, note.ID, actorID+"/featured")),
		"tombstone": must(t)(MarshalTombstone(note.ID, "Note", publishedAt)),
	}
}

func TestGolden(t *testing.T) {
	for name, got := range outputs(t) {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, got) })
	}
}

func TestContext(t *testing.T) {
	for name, got := range outputs(t) {
		ctx, ok := decode(t, got)["@context"].([]any)
		if !ok || len(ctx) != 3 {
			t.Errorf("%s: @context is not [as, security, {terms}]: %v", name, ctx)
			continue
		}
		if ctx[0] != activityStreamsContext || ctx[1] != securityContext {
			t.Errorf("%s: @context starts %v, %v", name, ctx[0], ctx[1])
		}
		if bytes.Contains(got, []byte(`"http://joinmastodon.org/ns"`)) {
			t.Errorf("%s: bare joinmastodon.org/ns in output", name)
		}
		// The Follow inside an Accept is echoed as received, @context included.
		if n := bytes.Count(got, []byte(`"@context"`)); n != 1 && name != "accept" {
			t.Errorf("%s: %d @context keys, want 1 (only at the top)", name, n)
		}
	}
}

func TestActorShape(t *testing.T) {
	m := decode(t, must(t)(MarshalActor(testActor())))
	for key, want := range map[string]any{
		"type":                      "Group",
		"id":                        actorID,
		"inbox":                     actorID + "/inbox",
		"outbox":                    actorID + "/outbox",
		"followers":                 actorID + "/followers",
		"following":                 actorID + "/following",
		"featured":                  actorID + "/featured",
		"preferredUsername":         "water",
		"name":                      "Clean Water Now",
		"summary":                   "<p>Clean rivers &amp; lakes for everyone.</p>",
		"url":                       base + "/movements/water",
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
	} {
		if m[key] != want {
			t.Errorf("%s = %#v, want %#v", key, m[key], want)
		}
	}
	key, _ := m["publicKey"].(map[string]any)
	if key["id"] != actorID+"#main-key" || key["owner"] != m["id"] || key["publicKeyPem"] != testActor().PublicKeyPEM {
		t.Errorf("publicKey = %v", key)
	}
	if ep, _ := m["endpoints"].(map[string]any); ep["sharedInbox"] != base+"/inbox" {
		t.Errorf("endpoints = %v", m["endpoints"])
	}
	att, ok := m["attachment"].([]any)
	if !ok || len(att) != 1 {
		t.Fatalf("attachment with one field is not a one-element array: %#v", m["attachment"])
	}
	want := map[string]any{"type": "PropertyValue", "name": "Website", "value": `<a href="https://water.example">water.example</a>`}
	if !reflect.DeepEqual(att[0], want) {
		t.Errorf("attachment[0] = %v", att[0])
	}
}

func TestActorWithoutFieldsHasEmptyAttachment(t *testing.T) {
	a := testActor()
	a.Fields = nil
	m := decode(t, must(t)(MarshalActor(a)))
	if att, ok := m["attachment"].([]any); !ok || len(att) != 0 {
		t.Errorf("attachment = %#v, want []", m["attachment"])
	}
}

func TestMarshalActorRefusesMissingOrBadIRIs(t *testing.T) {
	a := testActor()
	a.PublicKeyPEM = ""
	if _, err := MarshalActor(a); err == nil || !strings.Contains(err.Error(), "publicKeyPem") {
		t.Errorf("missing key: err = %v", err)
	}
	a = testActor()
	a.Inbox = "/relative/inbox"
	if _, err := MarshalActor(a); err == nil || !strings.Contains(err.Error(), "inbox") {
		t.Errorf("relative inbox: err = %v", err)
	}
}

func TestUpdateActorCarriesWholeActor(t *testing.T) {
	m := decode(t, must(t)(MarshalUpdateActor(base+"/activities/update-1", testActor())))
	obj, _ := m["object"].(map[string]any)
	actor := decode(t, must(t)(MarshalActor(testActor())))
	delete(actor, "@context")
	if !reflect.DeepEqual(obj, actor) {
		t.Errorf("Update object differs from the actor:\n%s", pretty(t, obj))
	}
	if !reflect.DeepEqual(m["to"], []any{PublicAddress}) || !reflect.DeepEqual(m["cc"], []any{actorID + "/followers"}) {
		t.Errorf("to = %v, cc = %v", m["to"], m["cc"])
	}
}

func TestAcceptEmbedsFollowAsReceived(t *testing.T) {
	for name, marshal := range map[string]func(string, string, []byte) ([]byte, error){
		"Accept": MarshalAccept, "Reject": MarshalReject,
	} {
		m := decode(t, must(t)(marshal(base+"/activities/answer-1", actorID, []byte(mastodonFollow))))
		if m["type"] != name || m["actor"] != actorID {
			t.Errorf("%s: type %v actor %v", name, m["type"], m["actor"])
		}
		if !reflect.DeepEqual(m["object"], decode(t, []byte(mastodonFollow))) {
			t.Errorf("%s: object is not the Follow as received:\n%s", name, pretty(t, m["object"]))
		}
	}
}

func TestAcceptRefusesOtherFollows(t *testing.T) {
	if _, err := MarshalAccept(base+"/a", base+"/m/other", []byte(mastodonFollow)); err == nil {
		t.Error("accepted a Follow of another actor")
	}
	like := strings.Replace(mastodonFollow, `"Follow"`, `"Like"`, 1)
	if _, err := MarshalAccept(base+"/a", actorID, []byte(like)); err == nil {
		t.Error("accepted a Like")
	}
}

func TestFollowUndoRoundTrip(t *testing.T) {
	follow := must(t)(MarshalFollow(base+"/activities/follow-1", actorID, follower))
	undo := must(t)(MarshalUndo(base+"/activities/undo-1", actorID, follow))
	a, err := ParseActivity(undo)
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "Undo" || a.ObjectType != "Follow" || a.ObjectID != base+"/activities/follow-1" {
		t.Errorf("Undo parsed as %+v", a)
	}
	inner, err := ParseActivity(a.Object)
	if err != nil || inner.Type != "Follow" || inner.ObjectID != follower {
		t.Errorf("embedded Follow: %+v, %v", inner, err)
	}
	if _, err := MarshalUndo(base+"/u", base+"/m/other", follow); err == nil {
		t.Error("undid another actor's Follow")
	}
}

func TestNoteRoundTrip(t *testing.T) {
	note := testNote(7)
	got, err := ParseNote(must(t)(MarshalNote(note)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Statement, note.Statement) {
		t.Errorf("statement changed:\n got %+v\nwant %+v", got.Statement, note.Statement)
	}
	want := ParsedNote{ID: note.ID, AttributedTo: actorID, Content: note.Content, URL: note.URL,
		Name: note.Name, Published: publishedAt, Statement: got.Statement}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("note = %+v\nwant %+v", got, want)
	}
}

func TestCreateRoundTrip(t *testing.T) {
	note := testNote(3)
	a, err := ParseActivity(must(t)(MarshalCreate(base+"/activities/create-3", actorID, note)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "Create" || a.Actor != actorID || a.ObjectType != "Note" || a.ObjectID != note.ID {
		t.Errorf("Create parsed as %+v", a)
	}
	if !reflect.DeepEqual(a.To, note.To) || !reflect.DeepEqual(a.Cc, note.Cc) {
		t.Errorf("to %v cc %v", a.To, a.Cc)
	}
	n, err := ParseNote(a.Object)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(n.Statement, note.Statement) {
		t.Errorf("statement changed: %+v", n.Statement)
	}
	if _, err := MarshalCreate(base+"/c", base+"/m/other", note); err == nil {
		t.Error("Create by someone other than the author")
	}
}

func TestParseMastodonFollow(t *testing.T) {
	a, err := ParseActivity([]byte(mastodonFollow))
	if err != nil {
		t.Fatal(err)
	}
	want := Activity{ID: followID, Type: "Follow", Actor: follower, ObjectID: actorID, Raw: []byte(mastodonFollow)}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got %+v", a)
	}
}

// A Mastodon Create{Note}: nulls, contentMap, a Hashtag go-fed does not know.
const mastodonCreate = `{
  "@context": ["https://www.w3.org/ns/activitystreams", {"ostatus": "http://ostatus.org#",
    "atomUri": "ostatus:atomUri", "sensitive": "as:sensitive", "Hashtag": "as:Hashtag", "toot": "http://joinmastodon.org/ns#"}],
  "id": "https://mastodon.example/users/alice/statuses/1/activity",
  "type": "Create",
  "actor": "https://mastodon.example/users/alice",
  "published": "2025-05-02T08:00:00Z",
  "to": ["https://www.w3.org/ns/activitystreams#Public"],
  "cc": ["https://mastodon.example/users/alice/followers", "` + actorID + `"],
  "object": {
    "id": "https://mastodon.example/users/alice/statuses/1",
    "type": "Note",
    "summary": null,
    "inReplyTo": "` + actorID + `/statement/3",
    "published": "2025-05-02T08:00:00Z",
    "url": "https://mastodon.example/@alice/1",
    "attributedTo": "https://mastodon.example/users/alice",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "cc": ["https://mastodon.example/users/alice/followers"],
    "sensitive": false,
    "atomUri": "https://mastodon.example/users/alice/statuses/1",
    "inReplyToAtomUri": null,
    "conversation": "tag:mastodon.example,2025-05-02:objectId=1:objectType=Conversation",
    "content": "<p>Count me in! <a href=\"https://mastodon.example/tags/water\" class=\"mention hashtag\" rel=\"tag\">#<span>water</span></a></p>",
    "contentMap": {"en": "<p>Count me in!</p>"},
    "attachment": [],
    "tag": [{"type": "Hashtag", "href": "https://mastodon.example/tags/water", "name": "#water"}],
    "replies": {"id": "https://mastodon.example/users/alice/statuses/1/replies", "type": "Collection",
      "first": {"type": "CollectionPage", "next": "https://mastodon.example/users/alice/statuses/1/replies?page=true",
        "partOf": "https://mastodon.example/users/alice/statuses/1/replies", "items": []}}
  },
  "signature": {"type": "RsaSignature2017", "creator": "https://mastodon.example/users/alice#main-key",
    "created": "2025-05-02T08:00:01Z", "signatureValue": "abc=="}
}`

func TestParseMastodonCreateNote(t *testing.T) {
	a, err := ParseActivity([]byte(mastodonCreate))
	if err != nil {
		t.Fatal(err)
	}
	n, err := ParseNote(a.Object)
	if err != nil {
		t.Fatal(err)
	}
	if n.InReplyTo != actorID+"/statement/3" || n.AttributedTo != a.Actor || n.Statement != nil ||
		!strings.HasPrefix(n.Content, "<p>Count me in!") || !n.Published.Equal(time.Date(2025, 5, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("note = %+v", n)
	}
}

func TestParseGoToSocialCreateWithSeveralNotes(t *testing.T) {
	vote := func(i int, option string) string {
		return fmt.Sprintf(`{"id": "https://gts.example/users/bob/statuses/%d", "type": "Note", "name": %q,
			"attributedTo": "https://gts.example/users/bob", "inReplyTo": "%s/proposals/9",
			"to": "%s", "published": "2025-05-03T10:00:00Z"}`, i, option, actorID, actorID)
	}
	body := `{"@context": ["https://www.w3.org/ns/activitystreams", "https://gotosocial.org/ns"],
		"id": "https://gts.example/users/bob/activities/create/77", "type": "Create",
		"actor": "https://gts.example/users/bob", "to": "` + actorID + `",
		"object": [` + vote(1, "Yes") + `, ` + vote(2, "Amend first") + `]}`
	a, err := ParseActivity([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Objects) != 2 || a.Object != nil || !reflect.DeepEqual(a.To, []string{actorID}) {
		t.Fatalf("got %d objects, object %s, to %v", len(a.Objects), a.Object, a.To)
	}
	one := strings.Replace(body, `, `+vote(2, "Amend first"), "", 1)
	if a1, err := ParseActivity([]byte(one)); err != nil || a1.Objects != nil || a1.ObjectType != "Note" ||
		a1.ObjectID != "https://gts.example/users/bob/statuses/1" || a1.Object == nil {
		t.Errorf("one-element array: %+v, %v", a1, err)
	}
	for i, raw := range a.Objects {
		n, err := ParseNote(raw)
		if err != nil {
			t.Fatal(err)
		}
		if n.InReplyTo != actorID+"/proposals/9" || n.Name != []string{"Yes", "Amend first"}[i] {
			t.Errorf("vote %d = %+v", i, n)
		}
	}
}

const mastodonActor = `{
  "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers", "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"}, "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"}, "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "schema": "http://schema.org#", "PropertyValue": "schema:PropertyValue", "value": "schema:value",
    "discoverable": "toot:discoverable", "Device": "toot:Device", "Ed25519Signature": "toot:Ed25519Signature",
    "Ed25519Key": "toot:Ed25519Key", "Curve25519Key": "toot:Curve25519Key", "EncryptedMessage": "toot:EncryptedMessage",
    "publicKeyBase64": "toot:publicKeyBase64", "deviceId": "toot:deviceId",
    "claim": {"@type": "@id", "@id": "toot:claim"}, "fingerprintKey": {"@type": "@id", "@id": "toot:fingerprintKey"},
    "identityKey": {"@type": "@id", "@id": "toot:identityKey"}, "devices": {"@type": "@id", "@id": "toot:devices"},
    "messageFranking": "toot:messageFranking", "messageType": "toot:messageType", "cipherText": "toot:cipherText",
    "suspended": "toot:suspended", "memorial": "toot:memorial", "indexable": "toot:indexable",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}}],
  "id": "https://mastodon.example/users/alice",
  "type": "Person",
  "following": "https://mastodon.example/users/alice/following",
  "followers": "https://mastodon.example/users/alice/followers",
  "inbox": "https://mastodon.example/users/alice/inbox",
  "outbox": "https://mastodon.example/users/alice/outbox",
  "featured": "https://mastodon.example/users/alice/collections/featured",
  "featuredTags": "https://mastodon.example/users/alice/collections/tags",
  "preferredUsername": "alice",
  "name": "Alice",
  "summary": "<p>Rivers, mostly.</p>",
  "url": "https://mastodon.example/@alice",
  "manuallyApprovesFollowers": false,
  "discoverable": true,
  "indexable": false,
  "published": "2022-11-01T00:00:00Z",
  "memorial": false,
  "devices": "https://mastodon.example/users/alice/collections/devices",
  "publicKey": {"id": "https://mastodon.example/users/alice#main-key", "owner": "https://mastodon.example/users/alice",
    "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"},
  "tag": [],
  "attachment": [{"type": "PropertyValue", "name": "Pronouns", "value": "she/her"}],
  "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
  "icon": {"type": "Image", "mediaType": "image/png", "url": "https://files.mastodon.example/avatar.png"},
  "image": {"type": "Image", "mediaType": "image/jpeg", "url": "https://files.mastodon.example/header.jpg"}
}`

func TestParseMastodonActor(t *testing.T) {
	r, err := ParseActor([]byte(mastodonActor))
	if err != nil {
		t.Fatal(err)
	}
	const u = "https://mastodon.example/users/alice"
	want := RemoteActor{
		ID: u, Type: "Person", Inbox: u + "/inbox", SharedInbox: "https://mastodon.example/inbox",
		Outbox: u + "/outbox", Followers: u + "/followers", Featured: u + "/collections/featured",
		PreferredUsername: "alice", Name: "Alice", Summary: "<p>Rivers, mostly.</p>", URL: "https://mastodon.example/@alice",
		PublicKeyID: u + "#main-key", PublicKeyOwner: u, PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
	}
	if r != want {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
}

func TestParseOwnActor(t *testing.T) {
	r, err := ParseActor(must(t)(MarshalActor(testActor())))
	if err != nil {
		t.Fatal(err)
	}
	a := testActor()
	if r.Type != "Group" || r.SharedInbox != a.SharedInbox || r.Featured != a.Featured || r.PublicKeyOwner != a.ID || r.PublicKeyPEM != a.PublicKeyPEM {
		t.Errorf("got %+v", r)
	}
	if _, err := ParseActor([]byte(mastodonFollow)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a Follow parsed as an actor: %v", err)
	}
}

func TestParsePublicKeyDoc(t *testing.T) {
	bare := `{"id": "https://gts.example/users/a/main-key", "owner": "https://gts.example/users/a",
		"publicKeyPem": "-----BEGIN PUBLIC KEY-----\nGTS\n-----END PUBLIC KEY-----\n"}`
	for name, tc := range map[string]struct{ body, id, owner string }{
		"bare GoToSocial key": {bare, "https://gts.example/users/a/main-key", "https://gts.example/users/a"},
		"Mastodon actor":      {mastodonActor, "https://mastodon.example/users/alice#main-key", "https://mastodon.example/users/alice"},
	} {
		id, owner, pem, err := ParsePublicKeyDoc([]byte(tc.body))
		if err != nil || id != tc.id || owner != tc.owner || !strings.HasPrefix(pem, "-----BEGIN PUBLIC KEY-----") {
			t.Errorf("%s: %q %q %q %v", name, id, owner, pem, err)
		}
	}
	if _, _, _, err := ParsePublicKeyDoc([]byte(`{"id": "https://x.example/k", "owner": "https://x.example/u", "publicKeyPem": ""}`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty pem: %v", err)
	}
}

func TestParseMalformed(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"not JSON":      {`{"id": `, "not JSON"},
		"array":         {`[{"type": "Follow"}]`, "got an array"},
		"missing type":  {`{"id": "https://a.example/1", "actor": "https://a.example/u"}`, "missing type"},
		"missing id":    {`{"type": "Follow", "actor": "https://a.example/u"}`, "missing id"},
		"missing actor": {`{"id": "https://a.example/1", "type": "Follow"}`, "missing actor"},
		"relative id":   {`{"id": "/1", "type": "Follow", "actor": "https://a.example/u"}`, "not an absolute IRI"},
		"bad date": {`{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://a.example/1",
			"type": "Create", "actor": "https://a.example/u", "published": "last tuesday"}`, "published is not a date-time"},
	} {
		_, err := ParseActivity([]byte(tc.body))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, tc.want)
		}
	}
}

func TestParseUnknownType(t *testing.T) {
	body := `{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://bite.example/b/1",
		"type": "Bite", "actor": "https://bite.example/users/c", "target": "` + actorID + `"}`
	a, err := ParseActivity([]byte(body))
	if err != nil || a.Type != "Bite" {
		t.Errorf("Bite: %+v, %v", a, err)
	}
}

func TestParseNoteRefusesBadStatement(t *testing.T) {
	m := decode(t, must(t)(MarshalNote(testNote(2))))
	m[termStatement].(map[string]any)[termItems].([]any)[0].(map[string]any)[termSection] = "wishes"
	if _, err := ParseNote(pretty(t, m)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "wishes") {
		t.Errorf("err = %v", err)
	}
}

func TestCollectionRoundTrip(t *testing.T) {
	notes := [][]byte{must(t)(MarshalNote(testNote(1))), must(t)(MarshalNote(testNote(2)))}
	body := must(t)(MarshalOrderedCollection(actorID+"/featured", 2, notes, nil))
	total, items, ids, first, err := ParseCollection(body)
	if err != nil || total != 2 || len(items) != 2 || first != "" || ids[0] != testNote(1).ID {
		t.Fatalf("total %d items %d ids %v first %q err %v", total, len(items), ids, first, err)
	}
	if _, err := ParseNote(items[1]); err != nil {
		t.Error(err)
	}
	if bytes.Count(body, []byte(`"@context"`)) != 1 {
		t.Error("embedded items kept their @context")
	}
	empty := decode(t, must(t)(MarshalOrderedCollection(actorID+"/following", 0, nil, nil)))
	if items, ok := empty["orderedItems"].([]any); !ok || len(items) != 0 {
		t.Errorf("empty collection orderedItems = %#v", empty["orderedItems"])
	}
	if _, err := MarshalOrderedCollection(actorID+"/x", 1, notes, []string{base}); err == nil {
		t.Error("accepted both items and ids")
	}
}

func TestParseRemoteCollections(t *testing.T) {
	paged := `{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://mastodon.example/users/alice/followers",
		"type": "OrderedCollection", "totalItems": 1234, "first": "https://mastodon.example/users/alice/followers?page=1"}`
	total, items, _, first, err := ParseCollection([]byte(paged))
	if err != nil || total != 1234 || items != nil || first != "https://mastodon.example/users/alice/followers?page=1" {
		t.Errorf("paged: %d %v %q %v", total, items, first, err)
	}
	embedded := `{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://m.example/s/1/replies", "type": "Collection",
		"first": {"id": "https://m.example/s/1/replies?page=true", "type": "CollectionPage",
			"items": ["https://m.example/s/2", {"id": "https://m.example/s/3", "type": "Note", "content": "hi"}]}}`
	total, items, ids, first, err := ParseCollection([]byte(embedded))
	if err != nil || total != 2 || len(items) != 2 || first != "https://m.example/s/1/replies?page=true" ||
		!reflect.DeepEqual(ids, []string{"https://m.example/s/2", "https://m.example/s/3"}) {
		t.Errorf("embedded page: %d %d %v %q %v", total, len(items), ids, first, err)
	}
	if _, _, _, _, err := ParseCollection([]byte(mastodonFollow)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a Follow parsed as a collection: %v", err)
	}
}

var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)[^>]*>`)

func TestStatementHTML(t *testing.T) {
	doc := testStatement(0)
	doc.Statement.Items = []proposals.Item{
		{ID: "a", Section: proposals.RedLines, Text: `No <script>alert("x")</script> ever`},
		{ID: "b", Section: proposals.Objectives, Text: "Rivers & lakes\nfor all"},
	}
	got := StatementHTML("Water <Now>", doc)
	want := `<p><strong>Water &lt;Now&gt; — core statement, version 3</strong></p>` +
		`<p>We, the people of the valley,<br>want clean water.</p><p>This is our ground.</p>` +
		`<p><strong>Objectives</strong></p><ol><li>Rivers &amp; lakes<br>for all</li></ol>` +
		`<p><strong>Red lines</strong></p><ol><li>No &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; ever</li></ol>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	allowed := map[string]bool{"p": true, "ul": true, "ol": true, "li": true, "strong": true, "em": true, "a": true, "br": true}
	for _, m := range tagRE.FindAllStringSubmatch(got, -1) {
		if !allowed[m[2]] {
			t.Errorf("tag %q would not survive Mastodon's sanitiser", m[0])
		}
	}
}

// What Mastodon users read of a new version: what changed first (the
// proposal's title, the items added, amended, moved and removed, the vote in
// one line, a link to the diff), then the statement; all escaped, and only
// tags Mastodon keeps.
func TestAdoptionHTML(t *testing.T) {
	doc := testStatement(2)
	change := VersionChange{
		Title:           "Protect the <river> & lakes",
		Added:           []ChangedItem{{Section: proposals.Objectives, New: "Clean water for all"}},
		Amended:         []ChangedItem{{Section: proposals.Values, Old: "Care", New: "Care for all"}},
		Moved:           []ChangedItem{{Section: proposals.RedLines, New: "No dumping"}},
		Removed:         []ChangedItem{{Section: proposals.RedLines, Old: "No dams"}},
		PreambleChanged: true,
		Outcome:         "Adopted by the members' vote: 3 of 4 members voted; 3 agree, 0 stand aside, 0 disagree, 0 block.",
		DiffURL:         base + "/statement/diff?from=2&to=3",
	}
	got := AdoptionHTML("Water <Now>", change, doc)
	want := `<p><strong>Water &lt;Now&gt; adopted “Protect the &lt;river&gt; &amp; lakes”</strong>: version 3 of its core statement.</p>` +
		`<ul><li>Added to objectives: Clean water for all</li><li>Amended in values: Care for all (was: Care)</li>` +
		`<li>Moved in red lines: No dumping</li><li>Removed from red lines: No dams</li><li>The preamble was rewritten.</li></ul>` +
		`<p>Adopted by the members&#39; vote: 3 of 4 members voted; 3 agree, 0 stand aside, 0 disagree, 0 block. ` +
		`<a href="https://cg.example/statement/diff?from=2&amp;to=3">See what changed</a></p>` +
		StatementHTML("Water <Now>", doc)
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	allowed := map[string]bool{"p": true, "ul": true, "ol": true, "li": true, "strong": true, "em": true, "a": true, "br": true}
	for _, m := range tagRE.FindAllStringSubmatch(got, -1) {
		if !allowed[m[2]] {
			t.Errorf("tag %q would not survive Mastodon's sanitiser", m[0])
		}
	}
	if bare := AdoptionHTML("Water", VersionChange{}, doc); !strings.HasPrefix(bare, "<p><strong>Water adopted version 3 of its core statement.</strong></p><p><strong>Water — core statement") {
		t.Errorf("without a proposal: %s", bare)
	}
}

func BenchmarkParseActivity(b *testing.B) {
	body, err := MarshalCreate(base+"/activities/create-3", actorID, testNote(30))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseActivity(body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestJointStatementRoundTrip(t *testing.T) {
	joint := testJointNote(t)
	offer := must(t)(MarshalOffer(offerID, actorID, []string{allyB, allyC}, joint))
	act, err := ParseActivity(offer)
	if err != nil {
		t.Fatal(err)
	}
	if act.Type != "Offer" || act.ObjectType != "Note" || CarriesVerdict(act) {
		t.Fatalf("offer parsed as %s of %s (verdict %v)", act.Type, act.ObjectType, CarriesVerdict(act))
	}
	note, err := ParseNote(act.Object)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(note.Joint, joint.Joint) {
		t.Errorf("joint statement read back:\n%+v\nwant\n%+v", note.Joint, joint.Joint)
	}
	for _, verdict := range []string{"signed", "declined"} {
		body := must(t)(MarshalVerdict(allyB+"/verdict", allyB, offerID, actorID, testVerdict(t, verdict)))
		act, err := ParseActivity(body)
		if err != nil {
			t.Fatal(err)
		}
		if !CarriesVerdict(act) || act.ObjectID != offerID {
			t.Fatalf("%s verdict: carries %v, object %q", verdict, CarriesVerdict(act), act.ObjectID)
		}
		v, err := ParseVerdict(act)
		if err != nil {
			t.Fatal(err)
		}
		want := testVerdict(t, verdict)
		want.Actor = allyB
		if !reflect.DeepEqual(v, want) {
			t.Errorf("%s verdict read back:\n%+v\nwant\n%+v", verdict, v, want)
		}
	}
	// A Follow's Accept carries no verdict, although our @context names the term.
	if act, _ := ParseActivity(must(t)(MarshalAccept(base+"/a", actorID, []byte(mastodonFollow)))); CarriesVerdict(act) {
		t.Error("the Accept of a Follow is read as a verdict")
	}
}

func TestParseJointStatementRefusesMalformed(t *testing.T) {
	for name, mutate := range map[string]func(m map[string]any){
		"no hash":            func(m map[string]any) { delete(m, "cgHash") },
		"relative initiator": func(m map[string]any) { m["cgInitiator"] = "/users/water" },
		"duplicate items": func(m map[string]any) {
			items := m["cgItems"].([]any)
			m["cgItems"] = append(items, items[0])
		},
		"unknown section": func(m map[string]any) { m["cgItems"].([]any)[0].(map[string]any)["cgSection"] = "wishes" },
		"bad verdict":     func(m map[string]any) { m["cgVerdicts"].([]any)[0].(map[string]any)["cgVerdict"] = "maybe" },
	} {
		doc := decode(t, must(t)(MarshalNote(testJointNote(t))))
		mutate(doc["cgJointStatement"].(map[string]any))
		raw, _ := json.Marshal(doc)
		if _, err := ParseNote(raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// ParseReceived reads what ParseActivity read, without go-fed: the worker
// reads an activity the inbox checked, and must see the same thing; and it
// tells whether an object carries a statement, so that statuses are not read
// as Notes of ours.
func TestParseReceivedReadsWhatParseActivityRead(t *testing.T) {
	withStatement, err := MarshalCreate(base+"/activities/create-3", actorID, testNote(3))
	if err != nil {
		t.Fatal(err)
	}
	status := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + base + `/notes/1/activity","type":"Create","actor":"` + actorID +
		`","object":{"id":"` + base + `/notes/1","type":"Note","attributedTo":"` + actorID + `","content":"hello"}}`)
	for _, c := range []struct {
		body      []byte
		documents bool
	}{{withStatement, true}, {status, false}} {
		checked, err := ParseActivity(c.body)
		if err != nil {
			t.Fatal(err)
		}
		received, err := ParseReceived(c.body)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(checked, received) {
			t.Errorf("ParseReceived = %+v, ParseActivity = %+v", received, checked)
		}
		if received.Documents != c.documents {
			t.Errorf("Documents = %v, want %v for %s", received.Documents, c.documents, c.body[:80])
		}
	}
}

func BenchmarkParseReceived(b *testing.B) {
	body, err := MarshalCreate(base+"/activities/create-3", actorID, testNote(30))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReceived(body); err != nil {
			b.Fatal(err)
		}
	}
}
