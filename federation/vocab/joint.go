package vocab

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

// Joint statements travel in Common Ground's own vocabulary (ActivityPub has
// nothing for co-signing): the initiator sends an Offer whose object is a
// Note carrying cgJointStatement; each invited movement answers with an
// Accept (signed) or a Reject (declined) of that Offer carrying cgVerdict,
// and withdraws with an Undo of its Accept; the initiator sends the new
// record of verdicts to every participant as an Update of the Note. The Note
// is readable HTML too, which is what Mastodon users see of it.
//
//	"cgJointStatement": {
//	  "cgJointId": "https://a.example/joint-statements/7",   // across versions
//	  "cgVersion": 2, "cgHash": "sha256:…",
//	  "cgTitle": "…", "cgPreamble": "…", "cgItems": [ {"cgItemId", "cgSection", "cgText"} ],
//	  "cgInitiator": "https://a.example/users/a",
//	  "cgInvited": ["https://b.example/users/b"],
//	  "cgParticipants": [ {"cgActor", "cgName", "cgHandle", "cgUrl"} ],
//	  "cgVerdicts": [ {"cgActor", "cgVersion", "cgVerdict", "cgDecidedAt", "cgOutcome"} ]
//	}
//	"cgVerdict": {"cgJointId", "cgVersion", "cgHash", "cgVerdict", "cgDecidedAt", "cgOutcome"}
//
// cgOutcome is the consensus outcome as JSON (rule, tally, every
// requirement), from which anyone can recompute the verdict.
const (
	termJoint        = "cgJointStatement"
	termJointID      = "cgJointId"
	termHash         = "cgHash"
	termTitle        = "cgTitle"
	termInitiator    = "cgInitiator"
	termInvited      = "cgInvited"
	termParticipants = "cgParticipants"
	termActor        = "cgActor"
	termName         = "cgName"
	termHandle       = "cgHandle"
	termURL          = "cgUrl"
	termVerdicts     = "cgVerdicts"
	termVerdict      = "cgVerdict"
	termDecidedAt    = "cgDecidedAt"
	termOutcome      = "cgOutcome"
)

// JointDoc is one version of a joint statement as published by its initiator.
type JointDoc struct {
	JointID      string // the joint statement across its versions
	Version      int
	Hash         string
	Title        string
	Statement    proposals.Statement // preamble and items
	Initiator    string
	Invited      []string
	Participants []JointParticipant
	Verdicts     []VerdictDoc
}

// JointParticipant names a movement taking part.
type JointParticipant struct {
	Actor, Name, Handle, URL string
}

// VerdictDoc is a movement's decision on a version of a joint statement.
type VerdictDoc struct {
	JointID   string
	Actor     string // in a JointDoc's list; the activity's actor otherwise
	Version   int
	Hash      string
	Verdict   string // signed, declined or withdrawn
	DecidedAt time.Time
	Outcome   consensus.Outcome
}

type wireJoint struct {
	JointID      string            `json:"cgJointId"`
	Version      int               `json:"cgVersion"`
	Hash         string            `json:"cgHash"`
	Title        string            `json:"cgTitle"`
	Preamble     string            `json:"cgPreamble"`
	Items        []wireItem        `json:"cgItems"`
	Initiator    string            `json:"cgInitiator"`
	Invited      []string          `json:"cgInvited"`
	Participants []wireParticipant `json:"cgParticipants"`
	Verdicts     []wireVerdict     `json:"cgVerdicts"`
}

type wireParticipant struct {
	Actor  string `json:"cgActor"`
	Name   string `json:"cgName,omitempty"`
	Handle string `json:"cgHandle,omitempty"`
	URL    string `json:"cgUrl,omitempty"`
}

type wireVerdict struct {
	JointID   string            `json:"cgJointId,omitempty"`
	Actor     string            `json:"cgActor,omitempty"`
	Version   int               `json:"cgVersion"`
	Hash      string            `json:"cgHash,omitempty"`
	Verdict   string            `json:"cgVerdict"`
	DecidedAt string            `json:"cgDecidedAt"`
	Outcome   consensus.Outcome `json:"cgOutcome"`
}

func (d *JointDoc) wire() wireJoint {
	w := wireJoint{JointID: d.JointID, Version: d.Version, Hash: d.Hash, Title: d.Title, Preamble: d.Statement.Preamble,
		Items: make([]wireItem, 0, len(d.Statement.Items)), Initiator: d.Initiator, Invited: append([]string{}, d.Invited...),
		Participants: make([]wireParticipant, 0, len(d.Participants)), Verdicts: make([]wireVerdict, 0, len(d.Verdicts))}
	for _, it := range d.Statement.Items {
		w.Items = append(w.Items, wireItem{ID: it.ID, Section: string(it.Section), Text: it.Text})
	}
	for _, p := range d.Participants {
		w.Participants = append(w.Participants, wireParticipant(p))
	}
	for _, v := range d.Verdicts {
		w.Verdicts = append(w.Verdicts, v.wire())
	}
	return w
}

func (v VerdictDoc) wire() wireVerdict {
	return wireVerdict{JointID: v.JointID, Actor: v.Actor, Version: v.Version, Hash: v.Hash, Verdict: v.Verdict,
		DecidedAt: v.DecidedAt.UTC().Format(time.RFC3339Nano), Outcome: v.Outcome}
}

func (w wireVerdict) doc() (VerdictDoc, error) {
	at, err := time.Parse(time.RFC3339Nano, w.DecidedAt)
	if err != nil {
		return VerdictDoc{}, invalid("%s: %s: %v", termVerdict, termDecidedAt, err)
	}
	switch w.Verdict {
	case "signed", "declined", "withdrawn":
	default:
		return VerdictDoc{}, invalid("%s: unknown verdict %q", termVerdict, w.Verdict)
	}
	if w.Version < 1 {
		return VerdictDoc{}, invalid("%s: version %d", termVerdict, w.Version)
	}
	return VerdictDoc{JointID: w.JointID, Actor: w.Actor, Version: w.Version, Hash: w.Hash, Verdict: w.Verdict,
		DecidedAt: at, Outcome: w.Outcome}, nil
}

// parseJoint reads the cgJointStatement value of a Note; nil when absent.
func parseJoint(v any) (*JointDoc, error) {
	if v == nil {
		return nil, nil
	}
	var w wireJoint
	if err := remarshal(v, &w); err != nil {
		return nil, invalid("%s: %v", termJoint, err)
	}
	if err := requireIRIs(termJointID, w.JointID, termInitiator, w.Initiator); err != nil {
		return nil, err
	}
	if w.Version < 1 || w.Title == "" || !strings.HasPrefix(w.Hash, "sha256:") {
		return nil, invalid("%s: a version, a title and a sha256 hash are required", termJoint)
	}
	d := &JointDoc{JointID: w.JointID, Version: w.Version, Hash: w.Hash, Title: w.Title, Initiator: w.Initiator,
		Statement: proposals.Statement{Preamble: w.Preamble}}
	seen := map[string]bool{}
	for _, it := range w.Items {
		if it.ID == "" || seen[it.ID] {
			return nil, invalid("%s: item ids must be present and unique", termJoint)
		}
		seen[it.ID] = true
		if _, err := proposals.ParseSection(it.Section); err != nil {
			return nil, invalid("%s: item %q: unknown section %q", termJoint, it.ID, it.Section)
		}
		d.Statement.Items = append(d.Statement.Items, proposals.Item{ID: it.ID, Section: proposals.Section(it.Section), Text: it.Text})
	}
	for _, a := range w.Invited {
		if err := requireIRIs(termInvited, a); err != nil {
			return nil, err
		}
		d.Invited = append(d.Invited, a)
	}
	for _, p := range w.Participants {
		if err := requireIRIs(termActor, p.Actor); err != nil {
			return nil, err
		}
		d.Participants = append(d.Participants, JointParticipant(p))
	}
	for _, wv := range w.Verdicts {
		v, err := wv.doc()
		if err != nil {
			return nil, err
		}
		if err := requireIRIs(termActor, v.Actor); err != nil {
			return nil, err
		}
		d.Verdicts = append(d.Verdicts, v)
	}
	return d, nil
}

// remarshal decodes a small decoded subtree into a typed value.
func remarshal(v any, into any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}

// ParseVerdict reads the cgVerdict an Accept, Reject or Undo carries.
func ParseVerdict(act Activity) (VerdictDoc, error) {
	m, err := decodeObject(act.Raw)
	if err != nil {
		return VerdictDoc{}, err
	}
	raw, ok := m[termVerdict]
	if !ok {
		return VerdictDoc{}, invalid("%s %s carries no %s", act.Type, act.ID, termVerdict)
	}
	var w wireVerdict
	if err := remarshal(raw, &w); err != nil {
		return VerdictDoc{}, invalid("%s: %v", termVerdict, err)
	}
	if err := requireIRIs(termJointID, w.JointID); err != nil {
		return VerdictDoc{}, err
	}
	v, err := w.doc()
	if err != nil {
		return VerdictDoc{}, err
	}
	v.Actor = act.Actor
	return v, nil
}

// CarriesVerdict reports whether an activity is about a joint statement
// (an Accept, Reject or Undo with cgVerdict, or of an Offer), not about a
// follow.
func CarriesVerdict(act Activity) bool { return act.Verdict || act.ObjectType == "Offer" }

// MarshalOffer offers a joint statement version (its Note) to the invited
// movements.
func MarshalOffer(id, actor string, to []string, note Note) ([]byte, error) {
	if note.Joint == nil {
		return nil, fmt.Errorf("vocab: an Offer carries a joint statement")
	}
	t, err := noteType(note)
	if err != nil {
		return nil, err
	}
	m, err := buildActivity(streams.NewActivityStreamsOffer(), envelope{id: id, actor: actor, to: to, published: note.Published}, t)
	if err != nil {
		return nil, err
	}
	decorateNote(m["object"].(map[string]any), note)
	return encode(m)
}

// MarshalUpdateNote sends a Note again, changed (the new record of a joint
// statement's verdicts), to the given audience.
func MarshalUpdateNote(id, actor string, to []string, note Note) ([]byte, error) {
	t, err := noteType(note)
	if err != nil {
		return nil, err
	}
	m, err := buildActivity(streams.NewActivityStreamsUpdate(), envelope{id: id, actor: actor, to: to}, t)
	if err != nil {
		return nil, err
	}
	decorateNote(m["object"].(map[string]any), note)
	return encode(m)
}

// MarshalVerdict answers an Offer: Accept when the movement signed, Reject
// when it declined, with the verdict and the outcome of its vote.
func MarshalVerdict(id, actor, offerID, offerActor string, v VerdictDoc) ([]byte, error) {
	var t activityType
	switch v.Verdict {
	case "signed":
		t = streams.NewActivityStreamsAccept()
	case "declined":
		t = streams.NewActivityStreamsReject()
	default:
		return nil, fmt.Errorf("vocab: a %q verdict is not an answer to an offer", v.Verdict)
	}
	var b builder
	offer := streams.NewActivityStreamsOffer()
	offer.SetJSONLDId(idProp(b.iri("offer id", offerID)))
	offer.SetActivityStreamsActor(withIRIs(streams.NewActivityStreamsActorProperty(), b.iri("offer actor", offerActor)))
	if b.err != nil {
		return nil, b.err
	}
	m, err := buildActivity(t, envelope{id: id, actor: actor, to: []string{offerActor}, published: v.DecidedAt}, offer)
	if err != nil {
		return nil, err
	}
	v.Actor = ""
	m[termVerdict] = v.wire()
	return encode(m)
}

// MarshalWithdrawal undoes the Accept that signed a joint statement (accept
// is that activity as it was sent), with the outcome of the vote to withdraw.
func MarshalWithdrawal(id, actor string, accept []byte, v VerdictDoc) ([]byte, error) {
	if v.Verdict != "withdrawn" {
		return nil, fmt.Errorf("vocab: a withdrawal carries a withdrawn verdict, not %q", v.Verdict)
	}
	undo, err := MarshalUndo(id, actor, accept)
	if err != nil {
		return nil, err
	}
	m, err := decodeObject(undo)
	if err != nil {
		return nil, err
	}
	v.Actor = ""
	m[termVerdict] = v.wire()
	return encode(m)
}

// JointHTML renders a joint statement for people: Mastodon shows it in full.
// lead is the first paragraph (who signed, or what happened), as plain text;
// link is where the statement and each movement's vote can be read.
func JointHTML(lead string, doc JointDoc, standing []string, link string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<p><strong>%s</strong></p>", html.EscapeString(lead))
	fmt.Fprintf(&b, "<p><strong>%s</strong> (joint statement, version %d)</p>", html.EscapeString(doc.Title), doc.Version)
	writeStatementHTML(&b, doc.Statement)
	if len(standing) > 0 {
		b.WriteString("<ul>")
		for _, s := range standing {
			b.WriteString("<li>" + html.EscapeString(s) + "</li>")
		}
		b.WriteString("</ul>")
	}
	fmt.Fprintf(&b, `<p>Each movement's vote: <a href="%s">%s</a></p>`, html.EscapeString(link), html.EscapeString(link))
	return b.String()
}

// A facilitator's decision about common ground goes to the ally it concerns
// as an activity of our own type, which other servers ignore:
//
//	{"type": "CommonGroundDecision", "actor": …, "to": [ally],
//	 "cgPair": {"cgOurs": {"cgItemId", "cgText"}, "cgTheirs": {"cgItemId", "cgText"},
//	            "cgDecision": "confirmed" | "rejected" | "cleared", "cgDecidedAt": …}}
//
// "ours" and "theirs" are the sender's: the receiver reads them the other
// way round.
const (
	PairDecisionType = "CommonGroundDecision"
	termPair         = "cgPair"
	termOurs         = "cgOurs"
	termTheirs       = "cgTheirs"
	termDecision     = "cgDecision"
)

// PairDoc is a decision about a pair of items, as its sender sees it.
type PairDoc struct {
	OurItem, OurText     string
	TheirItem, TheirText string
	Decision             string
	DecidedAt            time.Time
}

type wirePairItem struct {
	ID   string `json:"cgItemId"`
	Text string `json:"cgText"`
}

type wirePair struct {
	Ours      wirePairItem `json:"cgOurs"`
	Theirs    wirePairItem `json:"cgTheirs"`
	Decision  string       `json:"cgDecision"`
	DecidedAt string       `json:"cgDecidedAt"`
}

// MarshalPairDecision tells an ally what this movement decided about one of
// its items and one of the ally's.
func MarshalPairDecision(id, actor, ally string, d PairDoc) ([]byte, error) {
	if err := require("activity id", id, "actor", actor, "ally", ally, "our item", d.OurItem, "their item", d.TheirItem); err != nil {
		return nil, err
	}
	m := map[string]any{
		"@context": jsonLDContext(), "id": id, "type": PairDecisionType, "actor": actor, "to": []string{ally},
		termPair: wirePair{Ours: wirePairItem{d.OurItem, d.OurText}, Theirs: wirePairItem{d.TheirItem, d.TheirText},
			Decision: d.Decision, DecidedAt: d.DecidedAt.UTC().Format(time.RFC3339Nano)},
	}
	return encode(m)
}

// ParsePairDecision reads the decision a CommonGroundDecision carries.
func ParsePairDecision(act Activity) (PairDoc, error) {
	m, err := decodeObject(act.Raw)
	if err != nil {
		return PairDoc{}, err
	}
	var w wirePair
	if err := remarshal(m[termPair], &w); err != nil {
		return PairDoc{}, invalid("%s: %v", termPair, err)
	}
	at, err := time.Parse(time.RFC3339Nano, w.DecidedAt)
	if err != nil {
		return PairDoc{}, invalid("%s: %s: %v", termPair, termDecidedAt, err)
	}
	switch w.Decision {
	case "confirmed", "rejected", "cleared":
	default:
		return PairDoc{}, invalid("%s: unknown decision %q", termPair, w.Decision)
	}
	if w.Ours.ID == "" || w.Theirs.ID == "" || len(w.Ours.ID) > 200 || len(w.Theirs.ID) > 200 {
		return PairDoc{}, invalid("%s: both item ids are required", termPair)
	}
	return PairDoc{OurItem: w.Ours.ID, OurText: w.Ours.Text, TheirItem: w.Theirs.ID, TheirText: w.Theirs.Text,
		Decision: w.Decision, DecidedAt: at}, nil
}
