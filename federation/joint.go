package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// Joint statements over ActivityPub (see vocab/joint.go for the shapes):
// converters between alliances' values and our vocabulary, the publishing of
// this movement's decisions, and the handling of what allies send.

// The ids of joint statements on this instance.
func (s *Service) jointIRI(id int64) string {
	return s.base() + "/joint-statements/" + strconv.FormatInt(id, 10)
}
func (s *Service) jointNoteID(id int64, version int) string {
	return s.jointIRI(id) + "/versions/" + strconv.Itoa(version)
}
func offerIDOf(noteID string) string { return noteID + "/offer" }

// verdictActivityID names the activity carrying one of our verdicts: it is
// computed again from the verdict when a withdrawal must undo it.
func (s *Service) verdictActivityID(jointID int64, v alliances.Verdict) string {
	return fmt.Sprintf("%s/verdicts/%d-%s-%d", s.jointIRI(jointID), v.Version, v.Kind, v.DecidedAt.UnixMicro())
}

// localJointID reads our own joint statement's id from its IRI.
func (s *Service) localJointID(iri string) (int64, bool) {
	rest, ok := strings.CutPrefix(iri, s.base()+"/joint-statements/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// movementIRI and fromIRI map alliances' names of movements to actor ids
// and back: this movement is alliances.Self in the domain.
func movementIRI(me, movement string) string {
	if movement == alliances.Self {
		return me
	}
	return movement
}

func fromIRI(me, iri string) string {
	if iri == me {
		return alliances.Self
	}
	return iri
}

// jointIRIOf is a joint statement's id across versions, wherever it started.
func (s *Service) jointIRIOf(j alliances.JointStatement) string {
	if j.Ours() {
		return s.jointIRI(j.ID)
	}
	return j.IRI
}

// jointDoc is version v of j as published, with the verdicts recorded here.
func (s *Service) jointDoc(j alliances.JointStatement, v alliances.JointVersion, me string) vocab.JointDoc {
	doc := vocab.JointDoc{JointID: s.jointIRIOf(j), Version: v.Number, Hash: v.Hash, Title: v.Text.Title,
		Statement: v.Text.Statement(), Initiator: movementIRI(me, j.Initiator)}
	for _, m := range j.Invited {
		doc.Invited = append(doc.Invited, movementIRI(me, m))
	}
	for _, p := range j.Participants {
		if p.ID == alliances.Self && p.URL == "" {
			p.URL = s.base() + "/"
		}
		doc.Participants = append(doc.Participants, vocab.JointParticipant{Actor: movementIRI(me, p.ID), Name: p.Name, Handle: p.Handle, URL: p.URL})
	}
	for _, vd := range j.Verdicts {
		doc.Verdicts = append(doc.Verdicts, vocab.VerdictDoc{Actor: movementIRI(me, vd.Movement), Version: vd.Version,
			Verdict: string(vd.Kind), DecidedAt: vd.DecidedAt, Outcome: vd.Outcome})
	}
	return doc
}

// jointNote is version v of j as a Note by this movement: the text as HTML,
// where each movement stands, and the structured document. The initiator's
// Note of a version is the joint statement itself; a signatory's is its
// announcement to its followers.
func (s *Service) jointNote(m proposals.Movement, j alliances.JointStatement, v alliances.JointVersion, published time.Time) vocab.Note {
	me := s.actorID(m.Handle)
	doc := s.jointDoc(j, v, me)
	id := s.jointNoteID(j.ID, v.Number)
	page := s.base() + "/joint-statements/" + strconv.FormatInt(j.ID, 10)
	cc := []string{me + "/followers"}
	if j.Ours() {
		for _, inv := range j.Invited {
			cc = append(cc, inv)
		}
	}
	return vocab.Note{ID: id, AttributedTo: me, URL: page, Published: published,
		Content: vocab.JointHTML(jointLead(m.Name, j, v), doc, standingLines(j, v), page),
		To:      []string{vocab.PublicAddress}, Cc: cc, Joint: &doc}
}

// jointLead is the first line Mastodon users read.
func jointLead(ours string, j alliances.JointStatement, v alliances.JointVersion) string {
	if verdict, ok := j.VerdictOf(alliances.Self, v.Number); ok && verdict.Kind == alliances.Signed {
		if j.Ours() {
			return fmt.Sprintf("%s signed a joint statement and invites its allies to sign it too.", ours)
		}
		return fmt.Sprintf("%s signed a joint statement started by %s.", ours, j.Participant(j.Initiator).Label())
	}
	return fmt.Sprintf("A joint statement started by %s.", j.Participant(j.Initiator).Label())
}

// standingLines says, for people, where each movement stands on version v.
func standingLines(j alliances.JointStatement, v alliances.JointVersion) []string {
	var out []string
	for _, m := range append([]string{j.Initiator}, j.Invited...) {
		name := j.Participant(m).Label()
		verdict, ok := j.VerdictOf(m, v.Number)
		switch {
		case !ok:
			out = append(out, name+": not decided yet")
		case verdict.Kind == alliances.Signed:
			out = append(out, name+": signed ("+verdict.Vote()+")")
		default:
			out = append(out, name+": "+verdict.Kind.Label())
		}
	}
	return out
}

// publishJointDecision announces a verdict of this movement's members: the
// initiator offers a version it signed to the invited allies and tells its
// followers; an invited movement answers the offer (Accept, Reject, or Undo
// of its Accept) and tells its followers when it signed.
func (s *Service) publishJointDecision(ctx context.Context, tx *storage.Tx, m proposals.Movement, proposalID int64) error {
	p, err := tx.Proposal(ctx, proposalID)
	if err != nil {
		return err
	}
	j, err := tx.Joint(ctx, p.JointID)
	if err != nil {
		return err
	}
	verdict, ok := j.VerdictOf(alliances.Self, p.JointVersion)
	if !ok || verdict.ProposalID != p.ID {
		return nil // a later decision stands, and is announced by its own event
	}
	v, ok := j.Version(p.JointVersion)
	if !ok {
		return fmt.Errorf("joint statement %d has no version %d: %w", j.ID, p.JointVersion, proposals.ErrNotFound)
	}
	me := s.actorID(m.Handle)
	if j.Ours() {
		switch verdict.Kind {
		case alliances.Signed:
			if err := s.offer(ctx, tx, m, j, v); err != nil {
				return err
			}
			return s.announceSigned(ctx, tx, m, j, v)
		case alliances.Withdrawn:
			return s.sendRecord(ctx, tx, m, j, fmt.Sprintf("withdrawn-%d", verdict.DecidedAt.UnixMicro()))
		}
		return nil // our members declined it: it is never offered
	}
	initiator, err := tx.RemoteActor(ctx, j.Initiator)
	if err != nil {
		return err
	}
	doc := vocab.VerdictDoc{JointID: j.IRI, Version: v.Number, Hash: v.Hash, Verdict: string(verdict.Kind),
		DecidedAt: verdict.DecidedAt, Outcome: verdict.Outcome}
	id := s.verdictActivityID(j.ID, verdict)
	var body []byte
	if verdict.Kind == alliances.Withdrawn {
		signed, ok := j.SignatureOf(alliances.Self, v.Number)
		if !ok {
			return fmt.Errorf("joint statement %d: a withdrawal without a signature: %w", j.ID, proposals.ErrNotFound)
		}
		accept, err := vocab.MarshalVerdict(s.verdictActivityID(j.ID, signed), me, v.OfferID, j.Initiator, vocab.VerdictDoc{
			JointID: j.IRI, Version: v.Number, Hash: v.Hash, Verdict: string(signed.Kind), DecidedAt: signed.DecidedAt, Outcome: signed.Outcome})
		if err != nil {
			return err
		}
		body, err = vocab.MarshalWithdrawal(id, me, accept, doc)
		if err != nil {
			return err
		}
	} else if body, err = vocab.MarshalVerdict(id, me, v.OfferID, j.Initiator, doc); err != nil {
		return err
	}
	if err := s.deliverTo(ctx, tx, id, initiator.Inbox, body); err != nil {
		return err
	}
	if verdict.Kind == alliances.Signed {
		return s.announceSigned(ctx, tx, m, j, v)
	}
	return nil
}

// offer sends a version our members signed to every invited ally.
func (s *Service) offer(ctx context.Context, tx *storage.Tx, m proposals.Movement, j alliances.JointStatement, v alliances.JointVersion) error {
	note := s.jointNote(m, j, v, s.now())
	id := offerIDOf(note.ID)
	if err := tx.SetOfferID(ctx, j.ID, v.Number, id); err != nil {
		return err
	}
	body, err := vocab.MarshalOffer(id, note.AttributedTo, j.Invited, note)
	if err != nil {
		return err
	}
	return s.toMovements(ctx, tx, id, j.Invited, body)
}

// toMovements queues an activity for each movement's own inbox.
func (s *Service) toMovements(ctx context.Context, tx *storage.Tx, activityID string, movements []string, body []byte) error {
	for _, actor := range movements {
		a, err := tx.RemoteActor(ctx, actor)
		if err != nil {
			return err
		}
		if err := s.deliverTo(ctx, tx, activityID, a.Inbox, body); err != nil {
			return err
		}
	}
	return nil
}

// announceSigned tells this movement's followers (on Mastodon too) that it
// signed, with the text and where every movement stands.
func (s *Service) announceSigned(ctx context.Context, tx *storage.Tx, m proposals.Movement, j alliances.JointStatement, v alliances.JointVersion) error {
	note := s.jointNote(m, j, v, s.now())
	id := note.ID + "/activity"
	body, err := vocab.MarshalCreate(id, note.AttributedTo, note)
	if err != nil {
		return err
	}
	if err := tx.SaveOutboxItem(ctx, storage.OutboxItem{ActivityID: id, ObjectID: note.ID, Body: string(body), PublishedAt: s.now()}); err != nil {
		return err
	}
	return s.toFollowers(ctx, tx, id, body)
}

// publishJointRecord sends, from the initiator, the new record of who signed
// what to every invited movement, so that all of them show the same list.
func (s *Service) publishJointRecord(ctx context.Context, tx *storage.Tx, m proposals.Movement, jointID, eventID int64) error {
	j, err := tx.Joint(ctx, jointID)
	if err != nil {
		return err
	}
	return s.sendRecord(ctx, tx, m, j, strconv.FormatInt(eventID, 10))
}

func (s *Service) sendRecord(ctx context.Context, tx *storage.Tx, m proposals.Movement, j alliances.JointStatement, suffix string) error {
	v, ok := j.Current()
	if !ok || !j.Ours() {
		return nil
	}
	note := s.jointNote(m, j, v, v.CreatedAt)
	id := note.ID + "/updates/" + suffix
	body, err := vocab.MarshalUpdateNote(id, note.AttributedTo, j.Invited, note)
	if err != nil {
		return err
	}
	return s.toMovements(ctx, tx, id, j.Invited, body)
}

// onOffer keeps a joint statement an ally offers this movement.
func (s *Service) onOffer(ctx context.Context, act vocab.Activity, me string) error {
	if act.Object == nil {
		return nil // an Offer of something else, by link: not ours to read
	}
	note, err := vocab.ParseNote(act.Object)
	if err != nil || note.Joint == nil {
		return nil // an Offer of something else
	}
	doc := note.Joint
	if note.AttributedTo != act.Actor || doc.Initiator != act.Actor || !sameHost(doc.JointID, act.Actor) {
		return refusal("an offer of a joint statement its sender did not start")
	}
	o := alliances.Offer{IRI: doc.JointID, OfferID: act.ID, Initiator: act.Actor,
		Version: alliances.JointVersion{Number: doc.Version, Hash: doc.Hash, OfferID: act.ID,
			Text: alliances.JointText{Title: doc.Title, Preamble: doc.Statement.Preamble, Items: doc.Statement.Items}}}
	for _, inv := range doc.Invited {
		o.Invited = append(o.Invited, fromIRI(me, inv))
	}
	o.Participants, o.Verdicts = s.recordOf(doc, me)
	return domainRefusal(s.allies.ReceiveOffer(ctx, o))
}

// recordOf converts the participants and verdicts of a joint document.
func (s *Service) recordOf(doc *vocab.JointDoc, me string) ([]alliances.Participant, []alliances.Verdict) {
	var ps []alliances.Participant
	for _, p := range doc.Participants {
		ps = append(ps, alliances.Participant{ID: fromIRI(me, p.Actor), Name: p.Name, Handle: p.Handle, URL: p.URL})
	}
	var vs []alliances.Verdict
	for _, v := range doc.Verdicts {
		vs = append(vs, alliances.Verdict{Movement: fromIRI(me, v.Actor), Version: v.Version, Kind: alliances.VerdictKind(v.Verdict),
			Outcome: v.Outcome, DecidedAt: v.DecidedAt})
	}
	return ps, vs
}

// onVerdict records an invited movement's answer to our offer: Accept
// (signed), Reject (declined) or Undo of its Accept (withdrawn).
func (s *Service) onVerdict(ctx context.Context, act vocab.Activity) error {
	v, err := vocab.ParseVerdict(act)
	if err != nil {
		return err
	}
	jointID, ours := s.localJointID(v.JointID)
	if !ours {
		return refusal("a verdict on a joint statement this movement did not start")
	}
	want := map[string]string{"Accept": "signed", "Reject": "declined", "Undo": "withdrawn"}[act.Type]
	if v.Verdict != want {
		return refusal(fmt.Sprintf("a %s carrying a %s verdict", act.Type, v.Verdict))
	}
	verdict := alliances.Verdict{Movement: act.Actor, Version: v.Version, Kind: alliances.VerdictKind(v.Verdict),
		Outcome: v.Outcome, DecidedAt: v.DecidedAt, ActivityID: act.ID}
	if act.Type == "Undo" {
		inner, err := vocab.ParseActivity(act.Object)
		if err != nil || inner.Type != "Accept" || inner.Actor != act.Actor {
			return refusal("a withdrawal must undo the movement's own Accept")
		}
		return domainRefusal(s.allies.ReceiveWithdrawal(ctx, jointID, verdict, inner.ID))
	}
	if act.ObjectID != offerIDOf(s.jointNoteID(jointID, v.Version)) {
		return refusal("a verdict that answers another offer")
	}
	return domainRefusal(s.allies.ReceiveVerdict(ctx, jointID, verdict))
}

// onJointRecord applies the initiator's new record of verdicts.
func (s *Service) onJointRecord(ctx context.Context, act vocab.Activity, note vocab.ParsedNote, me string) error {
	doc := note.Joint
	if note.AttributedTo != act.Actor {
		return refusal("a joint statement record attributed to another actor")
	}
	r := alliances.JointRecord{IRI: doc.JointID, Initiator: act.Actor}
	for _, inv := range doc.Invited {
		r.Invited = append(r.Invited, fromIRI(me, inv))
	}
	r.Participants, r.Verdicts = s.recordOf(doc, me)
	err := s.allies.ReceiveRecord(ctx, act.Actor, r)
	if errors.Is(err, proposals.ErrNotFound) {
		// Its offer may still be on the way (deliveries can overtake each
		// other): try again later rather than drop the record.
		return fmt.Errorf("a record of joint statement %s, not received yet", doc.JointID)
	}
	return domainRefusal(err)
}

// domainRefusal turns what alliances refuses for good into a refusal, so
// the activity is not tried again.
func domainRefusal(err error) error {
	if errors.Is(err, alliances.ErrNotInvited) || errors.Is(err, proposals.ErrInvalid) {
		return refusal(err.Error())
	}
	return err
}

// jointNoteHandler serves a version of a joint statement as a Note at its
// id (peers refetch it); browsers go to its page.
func (s *Service) jointNoteHandler(w http.ResponseWriter, r *http.Request) {
	id, err1 := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	n, err2 := strconv.Atoi(chi.URLParam(r, "n"))
	if err1 != nil || err2 != nil || id < 1 || n < 1 {
		fail(w, http.StatusNotFound, "no such joint statement")
		return
	}
	if !wantsActivityJSON(r) {
		http.Redirect(w, r, "/joint-statements/"+strconv.FormatInt(id, 10)+"?version="+strconv.Itoa(n), http.StatusSeeOther)
		return
	}
	m, ok := s.ourMovement(r)
	if !ok {
		fail(w, http.StatusNotFound, "no such joint statement")
		return
	}
	var body []byte
	err := s.db.ReadTx(r.Context(), func(tx *storage.Tx) error {
		j, err := tx.Joint(r.Context(), id)
		if err != nil {
			return err
		}
		v, ok := j.Version(n)
		if verdict, signed := j.VerdictOf(alliances.Self, n); !ok || !signed || (j.Ours() && verdict.Kind == alliances.Declined) ||
			(!j.Ours() && verdict.Kind != alliances.Signed) {
			return proposals.ErrNotFound // only what this movement published
		}
		body, err = vocab.MarshalNote(s.jointNote(m, j, v, v.CreatedAt))
		return err
	})
	if errors.Is(err, proposals.ErrNotFound) {
		fail(w, http.StatusNotFound, "no such joint statement")
		return
	}
	if err != nil {
		s.log.Error("joint statement note", "err", err)
		fail(w, http.StatusInternalServerError, "note unavailable")
		return
	}
	writeJSON(w, activityJSON, http.StatusOK, body)
}
