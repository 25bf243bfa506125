package alliances

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

// A joint statement is a text one movement (the initiator) drafts and offers
// to allies it invites. Each movement signs or declines each version by a
// vote of its own members under its own rule for joint statements; the
// initiator votes first, and only a version it signed is offered. A new
// version asks everyone to decide again; verdicts stay recorded against the
// version they were given on. A signatory withdraws by a later vote.

// JointTx is the storage port for joint statements.
type JointTx interface {
	CreateJoint(ctx context.Context, j JointStatement) (int64, error)
	// Joint returns a joint statement with its versions and verdicts.
	Joint(ctx context.Context, id int64) (JointStatement, error)
	// JointForUpdate is Joint, locked until the transaction ends.
	JointForUpdate(ctx context.Context, id int64) (JointStatement, error)
	// JointByIRI finds a joint statement received from its initiator.
	JointByIRI(ctx context.Context, iri string) (JointStatement, error)
	// Joints lists every joint statement, newest change first.
	Joints(ctx context.Context) ([]JointStatement, error)
	// UpdateJoint writes the draft, invited movements and participants.
	UpdateJoint(ctx context.Context, j JointStatement) error
	AddJointVersion(ctx context.Context, jointID int64, v JointVersion) error
	// SaveVerdict adds a movement's verdict on a version to the history;
	// changed is false when that very decision was recorded before.
	SaveVerdict(ctx context.Context, jointID int64, v Verdict) (changed bool, err error)
	// JointProposals lists this movement's votes on a joint statement, newest first.
	JointProposals(ctx context.Context, jointID int64) ([]proposals.Proposal, error)
	// OpenJointVotes are the votes on joint statements not decided yet, by
	// joint statement.
	OpenJointVotes(ctx context.Context) (map[int64]proposals.Proposal, error)
}

// Limits on a joint statement's text.
const (
	MaxJointItems   = 100
	MaxJointInvited = 100
)

// JointText is the words of a joint statement: a title, a preamble and
// ordered items (objectives, values, red lines), each with a stable id.
type JointText struct {
	Title    string
	Preamble string
	Items    []proposals.Item
}

// Statement is the text as a statement, to render and diff it like ours.
func (t JointText) Statement() proposals.Statement {
	return proposals.Statement{Preamble: t.Preamble, Items: t.Items}
}

// Hash is the digest that names a version's text, the same on every
// instance: "sha256:" and the hex SHA-256 of the text's canonical JSON.
func (t JointText) Hash() string {
	type item struct {
		ID      string `json:"id"`
		Section string `json:"section"`
		Text    string `json:"text"`
	}
	canon := struct {
		Title    string `json:"title"`
		Preamble string `json:"preamble"`
		Items    []item `json:"items"`
	}{Title: t.Title, Preamble: t.Preamble, Items: []item{}}
	for _, it := range t.Items {
		canon.Items = append(canon.Items, item{ID: it.ID, Section: string(it.Section), Text: it.Text})
	}
	b, _ := json.Marshal(canon) // strings and slices only: it cannot fail
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Equal reports whether two texts are the same words.
func (t JointText) Equal(u JointText) bool { return t.Hash() == u.Hash() }

// cleanJointText checks a text a facilitator wrote.
func cleanJointText(t JointText) (JointText, error) {
	title, err := proposals.CleanTitle(t.Title)
	if err != nil {
		return t, err
	}
	if len(t.Items) > MaxJointItems {
		return t, proposals.Invalid("items", "a joint statement holds at most %d items", MaxJointItems)
	}
	st, err := proposals.CleanStatement(t.Statement())
	if err != nil {
		return t, err
	}
	return JointText{Title: title, Preamble: st.Preamble, Items: st.Items}, nil
}

// JointVersion is one immutable version of a joint statement.
type JointVersion struct {
	Number    int
	Text      JointText
	Hash      string
	OfferID   string // the Offer that carried it to the invited movements
	CreatedAt time.Time
}

// VerdictKind is what a movement decided about a version.
type VerdictKind string

const (
	Signed    VerdictKind = "signed"
	Declined  VerdictKind = "declined"
	Withdrawn VerdictKind = "withdrawn"
)

// Label is the verdict for people.
func (k VerdictKind) Label() string {
	switch k {
	case Signed:
		return "signed"
	case Declined:
		return "declined"
	case Withdrawn:
		return "withdrew its signature"
	}
	return string(k)
}

// ParseVerdictKind refuses anything but the three verdicts.
func ParseVerdictKind(s string) (VerdictKind, error) {
	switch k := VerdictKind(s); k {
	case Signed, Declined, Withdrawn:
		return k, nil
	}
	return "", fmt.Errorf("unknown verdict %q: %w", s, proposals.ErrInvalid)
}

// Verdict is one movement's decision on one version, with the outcome of the
// vote that decided it: its rule, its tally and every requirement, so that
// anyone can recompute it.
type Verdict struct {
	Movement   string // Self or the movement's actor id
	Version    int
	Kind       VerdictKind
	Outcome    consensus.Outcome
	DecidedAt  time.Time
	ActivityID string // the activity that carried it
	ProposalID int64  // ours: the vote that decided it
}

// Vote is the tally behind the verdict, for people: "2 agree, 1 stand
// aside, 0 disagree, 0 block, of 3 members".
func (v Verdict) Vote() string {
	t := v.Outcome.Tally
	members := "members"
	if t.Eligible == 1 {
		members = "member"
	}
	return fmt.Sprintf("%d agree, %d stand aside, %d disagree, %d block, of %d %s", t.Agree, t.StandAside, t.Disagree, t.Block, t.Eligible, members)
}

// Participant is a movement taking part in a joint statement.
type Participant struct {
	ID     string // Self or the movement's actor id
	Name   string
	Handle string // user@host
	URL    string // its instance's page
}

// Label is the participant's name, or its handle when it has none.
func (p Participant) Label() string { return firstNonEmpty(p.Name, p.Handle, p.ID) }

// JointStatement is a joint statement as this instance knows it.
type JointStatement struct {
	ID        int64
	IRI       string // received ones: the id its initiator gave it
	Initiator string // Self or the initiating movement's actor id
	// Draft is the text being prepared for the next version (ours only).
	Draft JointText
	// Invited are the movements asked to sign, the initiator not included.
	Invited []string
	// Participants name every movement taking part, the initiator included.
	Participants []Participant
	Versions     []JointVersion // oldest first
	Verdicts     []Verdict
	CreatedBy    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Title is the newest version's title, or the draft's before the first.
func (j JointStatement) Title() string {
	if v, ok := j.Latest(); ok {
		return v.Text.Title
	}
	return j.Draft.Title
}

// Ours reports whether this movement started it.
func (j JointStatement) Ours() bool { return j.Initiator == Self }

// Version returns version n.
func (j JointStatement) Version(n int) (JointVersion, bool) {
	for _, v := range j.Versions {
		if v.Number == n {
			return v, true
		}
	}
	return JointVersion{}, false
}

// Latest is the newest version, offered or not.
func (j JointStatement) Latest() (JointVersion, bool) {
	if len(j.Versions) == 0 {
		return JointVersion{}, false
	}
	return j.Versions[len(j.Versions)-1], true
}

// Current is the newest version the initiator's members adopted: the text
// in force, the one offered to the invited movements.
func (j JointStatement) Current() (JointVersion, bool) {
	for i := len(j.Versions) - 1; i >= 0; i-- {
		if v, ok := j.VerdictOf(j.Initiator, j.Versions[i].Number); ok && v.Kind != Declined {
			return j.Versions[i], true
		}
	}
	return JointVersion{}, false
}

// VerdictOf is movement's standing verdict on version n: the newest it gave.
func (j JointStatement) VerdictOf(movement string, n int) (Verdict, bool) {
	return j.newestVerdict(func(v Verdict) bool { return v.Movement == movement && v.Version == n })
}

// latestVerdictOf is movement's standing verdict on the newest version it
// decided on.
func (j JointStatement) latestVerdictOf(movement string) (Verdict, bool) {
	return j.newestVerdict(func(v Verdict) bool { return v.Movement == movement })
}

// newestVerdict is the verdict on the highest version, decided last, among
// those that pass keep.
func (j JointStatement) newestVerdict(keep func(Verdict) bool) (Verdict, bool) {
	var best Verdict
	found := false
	for _, v := range j.Verdicts {
		if keep(v) && (!found || v.Version > best.Version || v.Version == best.Version && v.DecidedAt.After(best.DecidedAt)) {
			best, found = v, true
		}
	}
	return best, found
}

// SignatureOf is movement's newest signature of version n, withdrawn since
// or not: what a withdrawal undoes.
func (j JointStatement) SignatureOf(movement string, n int) (Verdict, bool) {
	return j.newestVerdict(func(v Verdict) bool { return v.Movement == movement && v.Version == n && v.Kind == Signed })
}

// IsInvited reports whether movement was asked to sign.
func (j JointStatement) IsInvited(movement string) bool { return slices.Contains(j.Invited, movement) }

// Participant returns what is known of a participating movement.
func (j JointStatement) Participant(id string) Participant {
	for _, p := range j.Participants {
		if p.ID == id {
			return p
		}
	}
	return Participant{ID: id}
}

// Standing is where one movement stands on the current version.
type Standing struct {
	Participant Participant
	Initiator   bool
	// Verdict is its verdict on the current version, if it gave one.
	Verdict *Verdict
	// Earlier is its newest verdict on an earlier version, when it has not
	// decided on the current one yet (a signature of version 1 while version
	// 2 waits).
	Earlier *Verdict
}

// Signed reports whether the movement's signature stands on the current version.
func (s Standing) Signed() bool { return s.Verdict != nil && s.Verdict.Kind == Signed }

// Standings lists the initiator, then every invited movement, with where
// each stands on the current version.
func (j JointStatement) Standings() []Standing {
	cur, ok := j.Current()
	if !ok {
		return nil
	}
	movements := append([]string{j.Initiator}, j.Invited...)
	out := make([]Standing, 0, len(movements))
	for _, m := range movements {
		s := Standing{Participant: j.Participant(m), Initiator: m == j.Initiator}
		if v, ok := j.VerdictOf(m, cur.Number); ok {
			s.Verdict = &v
		} else if v, ok := j.latestVerdictOf(m); ok && v.Version < cur.Number {
			s.Earlier = &v
		}
		out = append(out, s)
	}
	return out
}

// jointProposalOpen reports whether a vote of ours on the joint statement is
// still to be decided.
func jointProposalOpen(ps []proposals.Proposal) (proposals.Proposal, bool) {
	for _, p := range ps {
		if p.Status == proposals.StatusDraft || p.Status == proposals.StatusOpen {
			return p, true
		}
	}
	return proposals.Proposal{}, false
}

// Allies lists the movements that may be invited to sign: those this
// movement follows and that accepted.
func (s *Service) Allies(ctx context.Context, viewer proposals.Member) ([]Ally, error) {
	if !viewer.Active() {
		return nil, proposals.ErrForbidden
	}
	var out []Ally
	err := s.store.ReadTx(ctx, func(tx Tx) error {
		all, err := tx.Allies(ctx)
		for _, a := range all {
			if a.Status == AllyFollowing || a.Status == AllyAllied {
				out = append(out, a)
			}
		}
		return err
	})
	return out, err
}

// StartJoint drafts a joint statement this movement initiates; facilitators
// only. invited are allies' actor ids.
func (s *Service) StartJoint(ctx context.Context, actor proposals.Member, text JointText, invited []string) (int64, error) {
	if !actor.IsFacilitator() {
		return 0, proposals.Forbidden("only facilitators start joint statements")
	}
	text, err := cleanJointText(text)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.store.InTx(ctx, func(tx Tx) error {
		j := JointStatement{Initiator: Self, Draft: text, CreatedBy: actor.ID, CreatedAt: s.now(), UpdatedAt: s.now()}
		if err := s.invite(ctx, tx, &j, invited); err != nil {
			return err
		}
		id, err = tx.CreateJoint(ctx, j)
		return err
	})
	return id, err
}

// invite sets the movements invited to sign, which must be allies, and the
// participants' names.
func (s *Service) invite(ctx context.Context, tx Tx, j *JointStatement, invited []string) error {
	if len(invited) > MaxJointInvited {
		return proposals.Invalid("invited", "invite at most %d allies", MaxJointInvited)
	}
	allies, err := tx.Allies(ctx)
	if err != nil {
		return err
	}
	m, err := tx.Movement(ctx)
	if err != nil {
		return err
	}
	byID := map[string]Ally{}
	for _, a := range allies {
		byID[a.ID] = a
	}
	j.Invited = nil
	j.Participants = []Participant{{ID: Self, Name: m.Name, Handle: m.Handle + "@" + s.cfg.Host}}
	for _, id := range invited {
		a, ok := byID[id]
		if !ok || (a.Status != AllyFollowing && a.Status != AllyAllied) {
			return proposals.Invalid("invited", "only allies this movement follows can be invited to sign")
		}
		if slices.Contains(j.Invited, id) {
			continue
		}
		j.Invited = append(j.Invited, id)
		j.Participants = append(j.Participants, Participant{ID: a.ID, Name: a.Name, Handle: a.Handle, URL: a.URL})
	}
	return nil
}

// EditJoint replaces the draft of the next version and the invited allies;
// facilitators of the initiating movement only, and not while our vote on a
// version is open.
func (s *Service) EditJoint(ctx context.Context, actor proposals.Member, id int64, text JointText, invited []string) error {
	if !actor.IsFacilitator() {
		return proposals.Forbidden("only facilitators edit joint statements")
	}
	text, err := cleanJointText(text)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		j, err := tx.JointForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !j.Ours() {
			return proposals.Forbidden("only the movement that started a joint statement changes its text; suggest a change to them instead")
		}
		before := j.Invited
		if err := s.invite(ctx, tx, &j, invited); err != nil {
			return err
		}
		for _, m := range before {
			if _, decided := j.latestVerdictOf(m); decided && !j.IsInvited(m) {
				return proposals.Invalid("invited", "%s has already given its verdict and stays invited", j.Participant(m).Label())
			}
		}
		j.Draft = text
		j.UpdatedAt = s.now()
		return tx.UpdateJoint(ctx, j)
	})
}

// ProposeSigning opens this movement's vote on signing a joint statement:
// for the initiator, on its draft, frozen as a new version (or on the newest
// version when the draft has not changed since); for an invited movement, on
// the current version. Facilitators only.
func (s *Service) ProposeSigning(ctx context.Context, actor proposals.Member, id int64) (int64, error) {
	if !actor.IsFacilitator() {
		return 0, proposals.Forbidden("only facilitators put a joint statement to the members' vote")
	}
	return s.openVoteOn(ctx, actor, id, func(tx Tx, j *JointStatement) (jointVote, error) {
		version, err := s.versionToSign(ctx, tx, j)
		return jointVote{version: version.Number, kind: proposals.KindSignJoint, rationale: signRationale(*j),
			title: fmt.Sprintf("Sign the joint statement “%s”, version %d", version.Text.Title, version.Number)}, err
	})
}

// jointVote is the proposal a vote on a joint statement opens.
type jointVote struct {
	version          int
	kind             proposals.ProposalKind
	title, rationale string
}

// openVoteOn opens the vote that what decides (in the transaction, on the
// joint statement locked) asks for, unless our members already vote on it.
func (s *Service) openVoteOn(ctx context.Context, actor proposals.Member, id int64, what func(tx Tx, j *JointStatement) (jointVote, error)) (int64, error) {
	var pid int64
	err := s.store.InTx(ctx, func(tx Tx) error {
		j, err := tx.JointForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := s.noVoteUnderway(ctx, tx, j); err != nil {
			return err
		}
		v, err := what(tx, &j)
		if err != nil {
			return err
		}
		pid, err = s.openJointVote(ctx, tx, actor, j, v)
		return err
	})
	return pid, err
}

func (s *Service) noVoteUnderway(ctx context.Context, tx Tx, j JointStatement) error {
	ps, err := tx.JointProposals(ctx, j.ID)
	if err != nil {
		return err
	}
	if p, open := jointProposalOpen(ps); open {
		return proposals.Conflict("our members are already voting on this joint statement (proposal %d)", p.ID)
	}
	return nil
}

// versionToSign is the version a signing vote decides on, frozen from the
// draft when the initiator changed it.
func (s *Service) versionToSign(ctx context.Context, tx Tx, j *JointStatement) (JointVersion, error) {
	latest, hasLatest := j.Latest()
	if !j.Ours() {
		cur, ok := j.Current()
		if !ok {
			return JointVersion{}, proposals.ErrNotFound
		}
		if !j.IsInvited(Self) {
			return JointVersion{}, proposals.Forbidden("this movement was not invited to sign it")
		}
		if v, ok := j.VerdictOf(Self, cur.Number); ok && v.Kind != Declined {
			return JointVersion{}, proposals.Conflict("this movement has already decided on version %d", cur.Number)
		}
		return cur, nil
	}
	if len(j.Invited) == 0 {
		return JointVersion{}, proposals.Invalid("invited", "invite at least one ally to sign before putting it to the vote")
	}
	if len(j.Draft.Items) == 0 {
		return JointVersion{}, proposals.Invalid("items", "write at least one item before putting it to the vote")
	}
	if hasLatest && latest.Text.Equal(j.Draft) {
		if v, ok := j.VerdictOf(Self, latest.Number); ok && v.Kind == Signed {
			return JointVersion{}, proposals.Conflict("our members already signed version %d; change the text to make a new version", latest.Number)
		}
		return latest, nil
	}
	v := JointVersion{Number: latest.Number + 1, Text: j.Draft, Hash: j.Draft.Hash(), CreatedAt: s.now()}
	if err := tx.AddJointVersion(ctx, j.ID, v); err != nil {
		return JointVersion{}, err
	}
	j.Versions = append(j.Versions, v)
	j.UpdatedAt = s.now()
	return v, tx.UpdateJoint(ctx, *j)
}

func signRationale(j JointStatement) string {
	if j.Ours() {
		return "Adopting this version signs it for our movement; it is then offered to the allies we invited. Rejecting it keeps it from them."
	}
	return fmt.Sprintf("%s invited our movement to sign this joint statement. Adopting signs it in our name; rejecting declines it.",
		j.Participant(j.Initiator).Label())
}

// ProposeWithdrawal opens this movement's vote on withdrawing its signature;
// facilitators only.
func (s *Service) ProposeWithdrawal(ctx context.Context, actor proposals.Member, id int64) (int64, error) {
	if !actor.IsFacilitator() {
		return 0, proposals.Forbidden("only facilitators put a withdrawal to the members' vote")
	}
	return s.openVoteOn(ctx, actor, id, func(tx Tx, j *JointStatement) (jointVote, error) {
		v, ok := j.latestVerdictOf(Self)
		if !ok || v.Kind != Signed {
			return jointVote{}, proposals.Conflict("this movement has no signature on this joint statement to withdraw")
		}
		version, _ := j.Version(v.Version)
		return jointVote{version: v.Version, kind: proposals.KindWithdrawJoint,
			title:     fmt.Sprintf("Withdraw our signature of the joint statement “%s”, version %d", version.Text.Title, v.Version),
			rationale: "Adopting this withdraws our signature: the other movements are told, and the statement no longer lists us as a signatory."}, nil
	})
}

// openJointVote creates a proposal about the joint statement and opens it
// for voting at once, in the caller's transaction.
func (s *Service) openJointVote(ctx context.Context, tx Tx, actor proposals.Member, j JointStatement, v jointVote) (int64, error) {
	title := v.title
	current, err := tx.CurrentVersion(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	if len([]rune(title)) > proposals.MaxTitleLen {
		title = string([]rune(title)[:proposals.MaxTitleLen-1]) + "…"
	}
	id, err := tx.CreateProposal(ctx, proposals.Proposal{Kind: v.kind, JointID: j.ID, JointVersion: v.version, Title: title,
		Rationale: v.rationale, AuthorID: actor.ID, BaseVersion: current.Number, Status: proposals.StatusDraft, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return 0, err
	}
	return id, s.drafting.OpenVotingIn(ctx, tx, actor, id)
}

// JointSummary is a line of the list of joint statements.
type JointSummary struct {
	Joint   JointStatement
	Current *JointVersion
	// Ours is this movement's standing: its verdict on the current version,
	// or its newest one.
	Ours     *Verdict
	OpenVote *proposals.Proposal
}

// JointList is the joint statements page: those we started, those we are
// invited to decide on, those we signed, and the others.
type JointList struct {
	Started, Invited, Signed, Other []JointSummary
}

// Joints lists the joint statements this movement takes part in.
func (s *Service) Joints(ctx context.Context, viewer proposals.Member) (JointList, error) {
	if !viewer.Active() {
		return JointList{}, proposals.ErrForbidden
	}
	var list JointList
	err := s.store.ReadTx(ctx, func(tx Tx) error {
		js, err := tx.Joints(ctx)
		if err != nil {
			return err
		}
		open, err := tx.OpenJointVotes(ctx)
		if err != nil {
			return err
		}
		for _, j := range js {
			sum := summarize(j, open)
			switch {
			case j.Ours():
				list.Started = append(list.Started, sum)
			case sum.Current != nil && (sum.Ours == nil || sum.Ours.Version < sum.Current.Number) && j.IsInvited(Self):
				list.Invited = append(list.Invited, sum)
			case sum.Ours != nil && sum.Ours.Kind == Signed:
				list.Signed = append(list.Signed, sum)
			default:
				list.Other = append(list.Other, sum)
			}
		}
		return nil
	})
	return list, err
}

func summarize(j JointStatement, open map[int64]proposals.Proposal) JointSummary {
	sum := JointSummary{Joint: j}
	if cur, ok := j.Current(); ok {
		sum.Current = &cur
	}
	if v, ok := j.latestVerdictOf(Self); ok {
		sum.Ours = &v
	}
	if p, ok := open[j.ID]; ok {
		sum.OpenVote = &p
	}
	return sum
}

// JointView is what the page of a joint statement shows.
type JointView struct {
	Joint     JointStatement
	Current   *JointVersion
	Standings []Standing
	// For members only:
	Member       bool
	Votes        []proposals.Proposal // our votes about it, newest first
	OpenVote     *proposals.Proposal
	Allies       []Ally // who may be invited (ours)
	MaySign      bool   // a facilitator may open the vote to sign
	MayWithdraw  bool   // a facilitator may open the vote to withdraw our signature
	MayEdit      bool   // a facilitator may change the draft (ours)
	DraftChanged bool   // the draft differs from the newest version (ours)
}

// ViewJoint gathers the page of a joint statement. The public (viewer nil)
// sees it once the initiator adopted a version; members see drafts too.
func (s *Service) ViewJoint(ctx context.Context, viewer *proposals.Member, id int64) (JointView, error) {
	var v JointView
	err := s.store.ReadTx(ctx, func(tx Tx) error {
		j, err := tx.Joint(ctx, id)
		if err != nil {
			return err
		}
		v.Joint, v.Standings = j, j.Standings()
		if cur, ok := j.Current(); ok {
			v.Current = &cur
		}
		member := viewer != nil && viewer.Active()
		if !member {
			if v.Current == nil {
				return proposals.ErrNotFound
			}
			return nil
		}
		return s.memberView(ctx, tx, *viewer, &v)
	})
	return v, err
}

func (s *Service) memberView(ctx context.Context, tx Tx, viewer proposals.Member, v *JointView) (err error) {
	j := v.Joint
	v.Member = true
	if v.Votes, err = tx.JointProposals(ctx, j.ID); err != nil {
		return err
	}
	p, open := jointProposalOpen(v.Votes)
	if open {
		v.OpenVote = &p
	}
	fac := viewer.IsFacilitator() && !open
	latest, hasLatest := j.Latest()
	ours, hasOurs := j.latestVerdictOf(Self)
	v.MayWithdraw = fac && hasOurs && ours.Kind == Signed
	if j.Ours() {
		v.MayEdit = viewer.IsFacilitator() && !open
		v.DraftChanged = !hasLatest || !latest.Text.Equal(j.Draft)
		signedLatest := hasOurs && ours.Version == latest.Number && ours.Kind == Signed
		v.MaySign = fac && len(j.Invited) > 0 && len(j.Draft.Items) > 0 && (v.DraftChanged || !signedLatest)
		if v.MayEdit {
			all, err := tx.Allies(ctx)
			for _, a := range all {
				if a.Status == AllyFollowing || a.Status == AllyAllied {
					v.Allies = append(v.Allies, a)
				}
			}
			return err
		}
		return nil
	}
	if v.Current != nil && j.IsInvited(Self) {
		mine, decided := j.VerdictOf(Self, v.Current.Number)
		v.MaySign = fac && (!decided || mine.Kind == Declined)
	}
	return nil
}

// Errors of what allies send: federation turns them into refusals.
var (
	// ErrNotInvited: a verdict or offer from a movement that has no part in it.
	ErrNotInvited = errors.New("not invited to this joint statement")
)

// Offer is a version of a joint statement as its initiator offers it.
type Offer struct {
	IRI          string // the joint statement's id on the initiator's instance
	OfferID      string // the Offer activity
	Initiator    string // its actor id
	Version      JointVersion
	Invited      []string // Self among them, for an offer to us
	Participants []Participant
	Verdicts     []Verdict // as the initiator records them
}

// ReceiveOffer keeps a version offered by an ally, so that this movement's
// facilitators can put it to the members' vote. Offers from movements this
// movement does not follow, or that do not invite it, are refused; the same
// version offered again changes nothing, and a different text under a number
// already received is refused.
func (s *Service) ReceiveOffer(ctx context.Context, o Offer) error {
	if !slices.Contains(o.Invited, Self) {
		return fmt.Errorf("offer %s: %w", o.OfferID, ErrNotInvited)
	}
	if o.Version.Number < 1 || o.Version.Text.Hash() != o.Version.Hash {
		return fmt.Errorf("offer %s: the text does not match its hash: %w", o.OfferID, proposals.ErrInvalid)
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		if err := s.requireFollowed(ctx, tx, o.Initiator); err != nil {
			return err
		}
		j, err := tx.JointByIRI(ctx, o.IRI)
		if errors.Is(err, proposals.ErrNotFound) {
			j = JointStatement{IRI: o.IRI, Initiator: o.Initiator, CreatedAt: s.now()}
			if j.ID, err = tx.CreateJoint(ctx, j); err != nil {
				return err
			}
		} else if err != nil {
			return err
		} else if j.Initiator != o.Initiator {
			return fmt.Errorf("offer %s names another initiator: %w", o.OfferID, ErrNotInvited)
		}
		if known, ok := j.Version(o.Version.Number); ok {
			if known.Hash != o.Version.Hash {
				return fmt.Errorf("offer %s: version %d was offered before with another text: %w", o.OfferID, o.Version.Number, proposals.ErrInvalid)
			}
		} else {
			o.Version.CreatedAt = s.now()
			if err := tx.AddJointVersion(ctx, j.ID, o.Version); err != nil {
				return err
			}
			j.Versions = append(j.Versions, o.Version)
		}
		return s.applyInitiatorsRecord(ctx, tx, j, o.Invited, o.Participants, o.Verdicts)
	})
}

// requireFollowed refuses what comes from a movement this one does not follow.
func (s *Service) requireFollowed(ctx context.Context, tx Tx, actor string) error {
	allies, err := tx.Allies(ctx)
	if err != nil {
		return err
	}
	for _, a := range allies {
		if a.ID == actor && (a.Status == AllyFollowing || a.Status == AllyAllied) {
			return nil
		}
	}
	return fmt.Errorf("%s is not an ally this movement follows: %w", actor, ErrNotInvited)
}

// applyInitiatorsRecord takes the initiator's list of invited movements,
// participants and verdicts as the shared record. Our own verdicts are ours
// to give: the initiator's copy of them is not applied.
func (s *Service) applyInitiatorsRecord(ctx context.Context, tx Tx, j JointStatement, invited []string, participants []Participant, verdicts []Verdict) error {
	j.Invited = nil
	for _, m := range invited {
		if m != j.Initiator && !slices.Contains(j.Invited, m) {
			j.Invited = append(j.Invited, m)
		}
	}
	j.Participants = participants
	j.UpdatedAt = s.now()
	if err := tx.UpdateJoint(ctx, j); err != nil {
		return err
	}
	for _, v := range verdicts {
		if v.Movement == Self || (v.Movement != j.Initiator && !j.IsInvited(v.Movement)) {
			continue
		}
		if _, ok := j.Version(v.Version); !ok {
			continue // a verdict on a version not received: it comes with that version's offer
		}
		if _, err := tx.SaveVerdict(ctx, j.ID, v); err != nil {
			return err
		}
	}
	return nil
}

// JointRecord is the initiator's record of a joint statement, as it sends
// it to every participant after a change.
type JointRecord struct {
	IRI          string
	Initiator    string
	Invited      []string
	Participants []Participant
	Verdicts     []Verdict
}

// ReceiveRecord applies the initiator's record of who signed what, so that
// every participant shows the same list. Only the initiator may send it.
func (s *Service) ReceiveRecord(ctx context.Context, from string, r JointRecord) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		j, err := tx.JointByIRI(ctx, r.IRI)
		if err != nil {
			return err
		}
		if j.Initiator != from || r.Initiator != from {
			return fmt.Errorf("the record of %s comes from %s, not its initiator: %w", r.IRI, from, ErrNotInvited)
		}
		return s.applyInitiatorsRecord(ctx, tx, j, r.Invited, r.Participants, r.Verdicts)
	})
}

// ReceiveVerdict records, on the initiator's instance, an invited movement's
// verdict (signed or declined) on an offered version, and the event that
// sends the new list of signatories to every participant. The outcome must
// hold: recomputed from its rule and tally, it adopts a signature and rejects
// a declined offer.
func (s *Service) ReceiveVerdict(ctx context.Context, jointID int64, v Verdict) error {
	if v.Kind == Withdrawn {
		return fmt.Errorf("a withdrawal undoes a signature: %w", proposals.ErrInvalid)
	}
	return s.receiveVerdict(ctx, jointID, v, func(JointStatement) error { return nil })
}

// ReceiveWithdrawal records that an invited movement withdrew its signature
// by a vote: undoes must be the activity that carried that signature.
func (s *Service) ReceiveWithdrawal(ctx context.Context, jointID int64, v Verdict, undoes string) error {
	if v.Kind != Withdrawn {
		return fmt.Errorf("a withdrawal with a %s verdict: %w", v.Kind, proposals.ErrInvalid)
	}
	return s.receiveVerdict(ctx, jointID, v, func(j JointStatement) error {
		signed, ok := j.SignatureOf(v.Movement, v.Version)
		if !ok || signed.ActivityID != undoes {
			return fmt.Errorf("withdrawal of a signature that was never given: %w", proposals.ErrInvalid)
		}
		return nil
	})
}

func (s *Service) receiveVerdict(ctx context.Context, jointID int64, v Verdict, check func(JointStatement) error) error {
	if v.Movement == Self || v.Movement == "" {
		return fmt.Errorf("a verdict must come from another movement: %w", ErrNotInvited)
	}
	if err := checkOutcome(v); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		j, err := tx.JointForUpdate(ctx, jointID)
		if err != nil {
			return err
		}
		if !j.Ours() || !j.IsInvited(v.Movement) {
			return fmt.Errorf("verdict of %s on joint statement %d: %w", v.Movement, jointID, ErrNotInvited)
		}
		if ours, ok := j.VerdictOf(Self, v.Version); !ok || ours.Kind == Declined {
			return fmt.Errorf("verdict on version %d, which was never offered: %w", v.Version, proposals.ErrInvalid)
		}
		if err := check(j); err != nil {
			return err
		}
		changed, err := tx.SaveVerdict(ctx, j.ID, v)
		if err != nil || !changed {
			return err
		}
		return tx.RecordEvent(ctx, proposals.EventJointChanged, j.ID, s.now())
	})
}

// checkOutcome refuses a verdict whose outcome does not say what it claims.
func checkOutcome(v Verdict) error {
	if err := consensus.Verify(v.Outcome); err != nil {
		return fmt.Errorf("the outcome does not follow from its rule and tally: %w: %w", err, proposals.ErrInvalid)
	}
	if v.Outcome.Adopted != (v.Kind != Declined) {
		return fmt.Errorf("a %s verdict with an outcome that was %s: %w", v.Kind, map[bool]string{true: "adopted", false: "not adopted"}[v.Outcome.Adopted], proposals.ErrInvalid)
	}
	return nil
}
