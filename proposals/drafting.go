package proposals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/commonground/commonground/consensus"
)

// DraftingTx is the storage port for statements, proposals, votes and comments.
type DraftingTx interface {
	CurrentVersion(ctx context.Context) (Version, error)
	VersionByNumber(ctx context.Context, n int) (Version, error)
	Versions(ctx context.Context) ([]Version, error)
	CreateVersion(ctx context.Context, v Version) error
	// LockStatement serialises the making of versions across processes.
	LockStatement(ctx context.Context) error

	DecisionSettings(ctx context.Context) ([]DecisionSetting, error)
	SaveDecisionSetting(ctx context.Context, d DecisionSetting) error
	ResultsBeforeVoting(ctx context.Context) (bool, error)
	SetResultsBeforeVoting(ctx context.Context, show bool) error

	CreateProposal(ctx context.Context, p Proposal) (int64, error)
	Proposal(ctx context.Context, id int64) (Proposal, error)
	// ProposalForUpdate locks the proposal against concurrent votes and closes.
	ProposalForUpdate(ctx context.Context, id int64) (Proposal, error)
	// ProposalForVote locks the proposal so that it cannot close under a vote,
	// without stopping other votes. It fills only ID, Status, Round, ClosesAt
	// and Rule, and tells whether voterID is one of its voters: a vote reads
	// what it needs in one query.
	ProposalForVote(ctx context.Context, id, voterID int64) (p Proposal, eligible bool, err error)
	UpdateProposal(ctx context.Context, p Proposal) error
	// Proposals lists proposals with the given statuses (all when none) that
	// viewerID may see: opened ones, their own, and every draft when allDrafts.
	Proposals(ctx context.Context, status []ProposalStatus, viewerID int64, allDrafts bool, limit int) ([]ProposalSummary, error)
	DueProposals(ctx context.Context, now time.Time) ([]int64, error)
	// OpenStatementProposals lists the proposals open for voting that change
	// the statement, with their changes.
	OpenStatementProposals(ctx context.Context) ([]Proposal, error)

	FreezeVoters(ctx context.Context, proposalID int64) (int, error)
	IsVoter(ctx context.Context, proposalID, memberID int64) (bool, error)
	Voters(ctx context.Context, proposalID int64) ([]int64, error)
	// SaveVoteIfOpen saves v, with its audit row, in the proposal's current
	// round if voting is open at v.UpdatedAt and the member is one of its
	// voters, checked under the lock ProposalForVote takes; it reports
	// whether it saved.
	SaveVoteIfOpen(ctx context.Context, proposalID int64, v Vote) (bool, error)
	Votes(ctx context.Context, proposalID int64, round int) ([]Vote, error)
	VoteOf(ctx context.Context, proposalID int64, round int, memberID int64) (Vote, error)
	VoteEvents(ctx context.Context, proposalID int64) ([]VoteEvent, error)
	CountVoteEvents(ctx context.Context, proposalID int64) (int, error)
	TallyCounts(ctx context.Context, proposalID int64, round int) (map[consensus.Position]int, error)

	// RecordEvent notes, in the same transaction, something that federation
	// must announce (EventVersionAdopted, EventProfileUpdated, ...).
	RecordEvent(ctx context.Context, kind string, ref int64, at time.Time) error
	// RecordJointVerdict records this movement's verdict (signed, declined,
	// withdrawn) on the version of the joint statement that p, decided,
	// voted on, with its outcome.
	RecordJointVerdict(ctx context.Context, p Proposal, verdict string, at time.Time) error

	CreateComment(ctx context.Context, c Comment) (int64, error)
	Comment(ctx context.Context, id int64) (Comment, error)
	Comments(ctx context.Context, proposalID int64) ([]Comment, error)
	UpdateCommentBody(ctx context.Context, id int64, body string, at time.Time) error
	HideComment(ctx context.Context, id, by int64, reason string, at time.Time) error

	Coauthors(ctx context.Context, proposalID int64) ([]Member, error)
	AddCoauthor(ctx context.Context, proposalID, memberID int64, at time.Time) error
	RemoveCoauthor(ctx context.Context, proposalID, memberID int64) error
}

// Limits on a proposal's own text.
const (
	MaxTitleLen     = 200
	MaxRationaleLen = 20000
	MaxChanges      = 50
)

// read runs fn in a read-only transaction.
func (s *Service) read(ctx context.Context, fn func(Tx) error) error { return s.store.ReadTx(ctx, fn) }

// Version returns version n of the statement. One statement, consistent on
// its own: no transaction.
func (s *Service) Version(ctx context.Context, n int) (v Version, err error) {
	err = s.store.Single(ctx, func(tx Tx) (err error) { v, err = tx.VersionByNumber(ctx, n); return err })
	return v, err
}

// Versions lists every version, newest first.
func (s *Service) Versions(ctx context.Context) (vs []Version, err error) {
	err = s.read(ctx, func(tx Tx) (err error) { vs, err = tx.Versions(ctx); return err })
	return vs, err
}

func checkProposalText(title, rationale string) (string, string, error) {
	title, err := CleanText("title", title, Paragraphs)
	if err != nil {
		return title, rationale, err
	}
	if rationale, err = CleanText("rationale", rationale, Paragraphs); err != nil {
		return title, rationale, err
	}
	switch {
	case title == "":
		return title, rationale, Invalid("title", "give the proposal a title")
	case utf8.RuneCountInString(title) > MaxTitleLen:
		return title, rationale, Invalid("title", "a title can be at most %d characters", MaxTitleLen)
	case utf8.RuneCountInString(rationale) > MaxRationaleLen:
		return title, rationale, Invalid("rationale", "the reasons can be at most %d characters", MaxRationaleLen)
	}
	return title, rationale, nil
}

// CreateProposal starts a draft against the current version.
func (s *Service) CreateProposal(ctx context.Context, actor Member, title, rationale string) (Proposal, error) {
	if !actor.Active() {
		return Proposal{}, Forbidden("suspended members cannot propose")
	}
	title, rationale, err := checkProposalText(title, rationale)
	if err != nil {
		return Proposal{}, err
	}
	now := s.now()
	p := Proposal{Kind: KindStatement, Title: title, Rationale: rationale, AuthorID: actor.ID, AuthorName: actor.Name(),
		Status: StatusDraft, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx Tx) error {
		v, err := tx.CurrentVersion(ctx)
		if err != nil {
			return err
		}
		p.BaseVersion = v.Number
		p.ID, err = tx.CreateProposal(ctx, p)
		return err
	})
	return p, err
}

// editDraft runs change on a draft the actor wrote, and stores the result.
func (s *Service) editDraft(ctx context.Context, actor Member, id int64, change func(tx Tx, p *Proposal) error) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.ProposalForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := withCoauthors(ctx, tx, &p); err != nil {
			return err
		}
		if !actor.Active() || !p.WrittenBy(actor) {
			return Forbidden("only the draft's authors edit it")
		}
		if p.Status != StatusDraft {
			return Conflict("this proposal is %s: its changes are frozen", p.Status)
		}
		if p.Kind.AboutJoint() {
			return Conflict("this proposal decides on a joint statement: its text is the joint statement's")
		}
		if err := change(tx, &p); err != nil {
			return err
		}
		p.UpdatedAt = s.now()
		tx.Notify(Notice{Topic: NoticeProposal, ID: p.ID})
		return tx.UpdateProposal(ctx, p)
	})
}

// UpdateDraft changes a draft's title and rationale.
func (s *Service) UpdateDraft(ctx context.Context, actor Member, id int64, title, rationale string) error {
	title, rationale, err := checkProposalText(title, rationale)
	if err != nil {
		return err
	}
	return s.editDraft(ctx, actor, id, func(_ Tx, p *Proposal) error {
		p.Title, p.Rationale = title, rationale
		return nil
	})
}

// AddChange adds one change to a draft, after checking that all the draft's
// changes still apply to its base version.
func (s *Service) AddChange(ctx context.Context, actor Member, id int64, c Change) error {
	c, err := CheckChange(c)
	if err != nil {
		return err
	}
	if c.Kind == AddItem {
		c.ItemID = NewItemID()
	}
	return s.editDraft(ctx, actor, id, func(tx Tx, p *Proposal) error {
		if len(p.Changes) >= MaxChanges {
			return Invalid("kind", "a proposal holds at most %d changes; split it", MaxChanges)
		}
		base, err := tx.VersionByNumber(ctx, p.BaseVersion)
		if err != nil {
			return err
		}
		changes := append(append([]Change(nil), p.Changes...), c)
		if _, err := Apply(base.Statement, changes); err != nil {
			return err
		}
		p.Changes = changes
		return nil
	})
}

// RemoveChange drops the change at index from a draft.
func (s *Service) RemoveChange(ctx context.Context, actor Member, id int64, index int) error {
	return s.editDraft(ctx, actor, id, func(tx Tx, p *Proposal) error {
		if index < 0 || index >= len(p.Changes) {
			return ErrNotFound
		}
		changes := append(append([]Change(nil), p.Changes[:index]...), p.Changes[index+1:]...)
		base, err := tx.VersionByNumber(ctx, p.BaseVersion)
		if err != nil {
			return err
		}
		if _, err := Apply(base.Statement, changes); err != nil {
			return Conflict("a later change depends on this one; remove that first")
		}
		p.Changes = changes
		return nil
	})
}

// OpenVoting freezes a draft's changes, its decision rule and the list of
// eligible voters (the active members now), and starts the voting period.
func (s *Service) OpenVoting(ctx context.Context, actor Member, id int64) error {
	return s.store.InTx(ctx, func(tx Tx) error { return s.OpenVotingIn(ctx, tx, actor, id) })
}

// OpenVotingIn is OpenVoting inside the caller's transaction, for a service
// that creates the proposal and opens it at once (signing a joint statement).
func (s *Service) OpenVotingIn(ctx context.Context, tx Tx, actor Member, id int64) error {
	if !actor.IsFacilitator() {
		return Forbidden("only facilitators open proposals for voting")
	}
	p, err := tx.ProposalForUpdate(ctx, id)
	if err != nil {
		return err
	}
	if p.Status != StatusDraft {
		return Conflict("this proposal is %s, not a draft", p.Status)
	}
	kind := RuleJoint
	if !p.Kind.AboutJoint() {
		if kind, err = checkChangesStillApply(ctx, tx, p); err != nil {
			return err
		}
	}
	setting, err := settingFor(ctx, tx, kind)
	if err != nil {
		return err
	}
	rule, err := setting.Rule()
	if err != nil {
		return err
	}
	voters, err := tx.FreezeVoters(ctx, p.ID)
	if err != nil {
		return err
	}
	now := s.now()
	closes := now.Add(setting.VotingPeriod)
	p.Status, p.RuleKind, p.Rule, p.Round, p.Eligible = StatusOpen, setting.Kind, &rule, 1, voters
	p.OpenedAt, p.ClosesAt, p.UpdatedAt = &now, &closes, now
	tx.Notify(Notice{Topic: NoticeProposal, ID: p.ID})
	return tx.UpdateProposal(ctx, p)
}

// checkChangesStillApply checks that a statement proposal has changes that
// apply to the current statement, and returns the part whose rule decides it.
func checkChangesStillApply(ctx context.Context, tx Tx, p Proposal) (RuleKind, error) {
	if len(p.Changes) == 0 {
		return "", Invalid("changes", "add at least one change before voting opens")
	}
	base, err := tx.VersionByNumber(ctx, p.BaseVersion)
	if err != nil {
		return "", err
	}
	current, err := tx.CurrentVersion(ctx)
	if err != nil {
		return "", err
	}
	if _, err := Rebase(base.Statement, current.Statement, p.Changes); err != nil {
		return "", err
	}
	return ruleKindFor(base.Statement, p.Changes), nil
}

func settingFor(ctx context.Context, tx Tx, kind RuleKind) (DecisionSetting, error) {
	settings, err := tx.DecisionSettings(ctx)
	if err != nil {
		return DecisionSetting{}, err
	}
	for _, d := range settings {
		if d.Kind == kind {
			return d, nil
		}
	}
	return DecisionSetting{}, fmt.Errorf("no decision rule for %s: %w", kind, ErrNotFound)
}

// Withdraw ends a proposal without a decision: its author may withdraw a draft;
// facilitators may withdraw a draft or an open proposal.
func (s *Service) Withdraw(ctx context.Context, actor Member, id int64) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.ProposalForUpdate(ctx, id)
		if err != nil {
			return err
		}
		author := actor.Active() && actor.ID == p.AuthorID && p.Status == StatusDraft
		if !author && !actor.IsFacilitator() {
			return Forbidden("only facilitators withdraw proposals (authors may withdraw their drafts)")
		}
		if p.Status != StatusDraft && p.Status != StatusOpen {
			return Conflict("this proposal is %s and can no longer be withdrawn", p.Status)
		}
		now := s.now()
		p.Status, p.UpdatedAt, p.DecidedAt = StatusWithdrawn, now, &now
		tx.Notify(Notice{Topic: NoticeVotes, ID: p.ID})
		return tx.UpdateProposal(ctx, p)
	})
}

// CastVote records the actor's position on an open proposal, replacing their
// previous one and adding to the audit trail, all in one transaction.
func (s *Service) CastVote(ctx context.Context, actor Member, id int64, position consensus.Position, reason string) error {
	if !actor.Active() {
		return Forbidden("suspended members cannot vote")
	}
	if !position.Valid() {
		return Invalid("position", "choose agree, stand aside, disagree or block")
	}
	reason, err := CleanText("reason", reason, Paragraphs)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(reason) > MaxReasonLen {
		return Invalid("reason", "a reason can be at most %d characters", MaxReasonLen)
	}
	now := s.now()
	vote := Vote{MemberID: actor.ID, Position: position, Reason: reason, UpdatedAt: now}
	// Most votes are saved by one statement that checks what the
	// transaction below checks, under the same lock: one round trip on
	// PostgreSQL instead of four. A vote that its rule might refuse for want
	// of a reason, and a vote refused, go through the transaction, which
	// says why.
	if reason != "" || !position.MayNeedReason() {
		var saved bool
		err := s.store.Atomic(ctx, func(tx Tx) (err error) {
			if saved, err = tx.SaveVoteIfOpen(ctx, id, vote); saved {
				tx.Notify(Notice{Topic: NoticeVotes, ID: id})
			}
			return err
		})
		if err != nil || saved {
			return err
		}
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		p, eligible, err := tx.ProposalForVote(ctx, id, actor.ID)
		if err != nil {
			return err
		}
		if !p.VotingOpen(now) {
			return Conflict("voting on this proposal is closed")
		}
		if p.Rule.NeedsReason(position) && reason == "" {
			return Invalid("reason", "a %s needs a reason under this proposal's rule", position.Label())
		}
		if !eligible {
			return Forbidden("only members who were active when voting opened may vote on this proposal")
		}
		saved, err := tx.SaveVoteIfOpen(ctx, p.ID, vote)
		if err != nil {
			return err
		}
		if !saved { // checked above under the same lock: cannot happen, but never a silent loss
			return Conflict("voting on this proposal is closed")
		}
		tx.Notify(Notice{Topic: NoticeVotes, ID: p.ID})
		return nil
	})
}

// Tally counts the current round's votes.
func (s *Service) Tally(ctx context.Context, id int64) (t consensus.Tally, err error) {
	err = s.read(ctx, func(tx Tx) error {
		p, err := tx.Proposal(ctx, id)
		if err != nil {
			return err
		}
		t, err = tallyOf(ctx, tx, p)
		return err
	})
	return t, err
}

func tallyOf(ctx context.Context, tx Tx, p Proposal) (consensus.Tally, error) {
	counts, err := tx.TallyCounts(ctx, p.ID, p.Round)
	if err != nil {
		return consensus.Tally{}, err
	}
	return consensus.Tally{Eligible: p.Eligible, Agree: counts[consensus.Agree], StandAside: counts[consensus.StandAside],
		Disagree: counts[consensus.Disagree], Block: counts[consensus.Block]}, nil
}

// CloseEarly ends voting now and decides; facilitators only.
func (s *Service) CloseEarly(ctx context.Context, actor Member, id int64) (Proposal, error) {
	if !actor.IsFacilitator() {
		return Proposal{}, Forbidden("only facilitators close voting early")
	}
	return s.close(ctx, id, true)
}

// CloseDue decides every open proposal whose voting period has ended, also
// those that fell due while the instance was down. It returns how many it closed.
func (s *Service) CloseDue(ctx context.Context) (int, error) {
	var due []int64
	err := s.read(ctx, func(tx Tx) (err error) { due, err = tx.DueProposals(ctx, s.now()); return err })
	if err != nil {
		return 0, err
	}
	closed := 0
	var failures []error
	for _, id := range due {
		_, err := s.close(ctx, id, false)
		switch {
		case err == nil:
			closed++
		case errors.Is(err, ErrConflict):
			// Another worker closed it first.
		default:
			// One failing proposal must not hold back the others' deadlines.
			failures = append(failures, fmt.Errorf("close proposal %d: %w", id, err))
		}
	}
	return closed, errors.Join(failures...)
}

// close computes the outcome from the frozen rule and the tally and, for an
// adopted proposal, makes the next statement version — or marks the proposal
// conflicted when another adopted proposal changed what this one changes.
// The proposal's lock keeps votes out while it closes; the statement lock keeps
// two closes from making the same version number.
func (s *Service) close(ctx context.Context, id int64, early bool) (p Proposal, err error) {
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.LockStatement(ctx); err != nil {
			return err
		}
		p, err = tx.ProposalForUpdate(ctx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if p.Status != StatusOpen {
			return Conflict("this proposal is %s, not open", p.Status)
		}
		if !early && now.Before(*p.ClosesAt) {
			return Conflict("voting on this proposal is still open")
		}
		tally, err := tallyOf(ctx, tx, p)
		if err != nil {
			return err
		}
		outcome := consensus.Decide(*p.Rule, tally)
		p.Outcome, p.DecidedAt, p.UpdatedAt = &outcome, &now, now
		if early && now.Before(*p.ClosesAt) {
			p.ClosesAt = &now // voting really ended now, not at the planned deadline
		}
		p.Status = StatusRejected
		tx.Notify(Notice{Topic: NoticeVotes, ID: p.ID}) // the live tallies show the outcome
		switch {
		case p.Kind.AboutJoint():
			if err := s.recordJointVerdict(ctx, tx, &p, now); err != nil {
				return err
			}
		case outcome.Adopted:
			if err := s.adopt(ctx, tx, &p, now); err != nil {
				return err
			}
		}
		return tx.UpdateProposal(ctx, p)
	})
	return p, err
}

func (s *Service) adopt(ctx context.Context, tx Tx, p *Proposal, now time.Time) error {
	base, err := tx.VersionByNumber(ctx, p.BaseVersion)
	if err != nil {
		return err
	}
	current, err := tx.CurrentVersion(ctx)
	if err != nil {
		return err
	}
	next, err := Rebase(base.Statement, current.Statement, p.Changes)
	if errors.Is(err, ErrConflict) {
		p.Status, p.Conflict = StatusConflicted, err.Error()
		return nil
	}
	if err != nil {
		return err
	}
	v := Version{Number: current.Number + 1, Statement: next, AdoptedAt: now, ProposalID: p.ID}
	tx.Notify(Notice{Topic: NoticeStatement})
	if err := tx.CreateVersion(ctx, v); err != nil {
		return err
	}
	p.Status, p.ResultVersion = StatusAdopted, v.Number
	return tx.RecordEvent(ctx, EventVersionAdopted, int64(v.Number), now)
}

// recordJointVerdict records, in the closing transaction, what a decided
// proposal about a joint statement means for the movement's signature, and
// the event that tells the allies.
func (s *Service) recordJointVerdict(ctx context.Context, tx Tx, p *Proposal, now time.Time) error {
	if p.Outcome.Adopted {
		p.Status = StatusAdopted
	}
	verdict, ok := p.JointVerdict()
	if !ok {
		return nil
	}
	if err := tx.RecordJointVerdict(ctx, *p, verdict, now); err != nil {
		return err
	}
	return tx.RecordEvent(ctx, EventJointDecided, p.ID, now)
}

// OpenFallbackRound opens a second round under the rule's fallback, for a
// proposal whose first round failed only because of blocks (modified consensus).
func (s *Service) OpenFallbackRound(ctx context.Context, actor Member, id int64) error {
	if !actor.IsFacilitator() {
		return Forbidden("only facilitators open a fallback round")
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.ProposalForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !p.FallbackAvailable() {
			return Conflict("a fallback round is open only to a proposal whose first round failed only because of blocks")
		}
		rule, err := p.Outcome.FallbackRound()
		if err != nil {
			return Conflict("%v", err)
		}
		setting, err := settingFor(ctx, tx, p.RuleKind)
		if err != nil {
			return err
		}
		now := s.now()
		closes := now.Add(setting.VotingPeriod)
		p.Status, p.Rule, p.Round = StatusOpen, &rule, 2
		p.OpenedAt, p.ClosesAt, p.DecidedAt, p.UpdatedAt = &now, &closes, nil, now
		tx.Notify(Notice{Topic: NoticeVotes, ID: p.ID})
		return tx.UpdateProposal(ctx, p)
	})
}

// ProposalView is everything the proposal page shows.
type ProposalView struct {
	Proposal Proposal
	Base     Version
	// Before and Proposed are what the proposal's diff compares: for a draft or
	// an open proposal, the current statement and the statement as it would read
	// if adopted now; for an adopted one, the versions before and after it; for
	// the others, the base version and the base with the changes applied.
	// ProposedErr says why the proposed statement cannot be shown.
	Before      Statement
	Proposed    Statement
	ProposedErr error
	Tally       consensus.Tally
	Votes       []Vote
	Changes     int // entries in the audit trail (see VoteTrail)
	Comments    []Comment
	MyVote      *Vote
	Voter       bool // on the list of eligible voters frozen at opening
	MayVote     bool // a voter, and voting is open now
	ShowResults bool
	// Overlaps lists the other open proposals that change what this draft or
	// open proposal changes.
	Overlaps []Overlap
	// Edition names what every member sees alike (the proposal, its votes,
	// its comments) as read at one moment: two views of one edition show
	// the same, so what a page renders from it alone may be rendered once.
	Edition uint64
}

// ViewProposal gathers the proposal page for viewer, an active member; for
// anyone else (nil: the public) there is no such proposal: the public reads
// the adopted statement, not the proposals.
//
// What every member sees alike (the proposal, the statement it changes, the
// votes, the comments) is read once and kept in memory until a notice says it
// changed (a vote, an edit, a comment, a new statement: in every process on
// PostgreSQL) or for at most 5 seconds; a page read by many costs no read at
// all. A viewer's own vote is in the votes kept: a vote empties what was kept
// before the voter is sent back to the page.
func (s *Service) ViewProposal(ctx context.Context, viewer *Member, id int64) (ProposalView, error) {
	if viewer == nil || !viewer.Active() {
		return ProposalView{}, ErrNotFound
	}
	page, err := s.pages.Remember(id, s.now(), func() (proposalPage, error) { return s.readProposalPage(ctx, id) })
	if err != nil {
		return ProposalView{}, err
	}
	v := page.view
	p := v.Proposal
	if !p.VisibleTo(*viewer) {
		return ProposalView{}, Forbidden("this draft is visible to its authors and the facilitators until they share it or voting opens")
	}
	if p.Status == StatusDraft || p.OpenedAt == nil {
		return v, nil // before voting opens there is only the discussion
	}
	for i := range v.Votes {
		if v.Votes[i].MemberID == viewer.ID {
			v.MyVote = &v.Votes[i]
		}
	}
	_, v.Voter = slices.BinarySearch(page.voters, viewer.ID)
	v.MayVote = v.Voter && p.VotingOpen(s.now())
	if v.ShowResults = resultsShown(p, page.resultsBeforeVoting, v.Voter, v.MyVote != nil); !v.ShowResults {
		v.Votes, v.Changes, v.Tally = nil, 0, consensus.Tally{Eligible: p.Eligible}
	}
	return v, nil
}

// proposalPage is what every member sees alike of a proposal's page: its
// view without the viewer's part, who may vote (frozen when voting opened,
// in order) and the movement's setting of who sees results while voting is
// open. It is shared by every request that reads it, so nothing may change
// it.
type proposalPage struct {
	view                ProposalView
	voters              []int64
	resultsBeforeVoting bool
}

// readProposalPage reads a proposal's page, in one snapshot.
func (s *Service) readProposalPage(ctx context.Context, id int64) (page proposalPage, err error) {
	v := &page.view
	v.Edition = s.editions.Add(1)
	err = s.read(ctx, func(tx Tx) (err error) {
		if v.Proposal, err = tx.Proposal(ctx, id); err != nil {
			return err
		}
		if err := withCoauthors(ctx, tx, &v.Proposal); err != nil {
			return err
		}
		if err := s.proposedStatement(ctx, tx, v); err != nil {
			return err
		}
		if err := s.findOverlaps(ctx, tx, v); err != nil {
			return err
		}
		if v.Comments, err = tx.Comments(ctx, id); err != nil {
			return err
		}
		if v.Proposal.Status == StatusDraft || v.Proposal.OpenedAt == nil {
			return nil
		}
		p := v.Proposal
		if v.Votes, err = tx.Votes(ctx, p.ID, p.Round); err != nil {
			return err
		}
		if v.Changes, err = tx.CountVoteEvents(ctx, p.ID); err != nil {
			return err
		}
		// The tally is counted from the votes just read: the same round, the same snapshot.
		if v.Tally, err = tallyOfVotes(p.Eligible, v.Votes); err != nil {
			return err
		}
		if page.voters, err = tx.Voters(ctx, p.ID); err != nil {
			return err
		}
		page.resultsBeforeVoting, err = tx.ResultsBeforeVoting(ctx)
		return err
	})
	return page, err
}

// proposedStatement reads the proposal's base version and what it does to
// the statement. An open proposal is shown against the current version,
// which often is its base: then that is read once.
func (s *Service) proposedStatement(ctx context.Context, tx Tx, v *ProposalView) (err error) {
	p := v.Proposal
	var current Version
	if !p.Kind.AboutJoint() && (p.Status == StatusDraft || p.Status == StatusOpen) {
		if current, err = tx.CurrentVersion(ctx); err != nil {
			return err
		}
	}
	if current.Number == p.BaseVersion && current.Number != 0 {
		v.Base = current
	} else if v.Base, err = tx.VersionByNumber(ctx, p.BaseVersion); err != nil {
		return err
	}
	if p.Kind.AboutJoint() {
		return nil // it changes no statement of ours: the page shows the joint statement
	}
	switch p.Status {
	case StatusAdopted:
		before, err := tx.VersionByNumber(ctx, p.ResultVersion-1)
		if err != nil {
			return err
		}
		after, err := tx.VersionByNumber(ctx, p.ResultVersion)
		v.Before, v.Proposed = before.Statement, after.Statement
		return err
	case StatusDraft, StatusOpen:
		v.Before = current.Statement
		v.Proposed, v.ProposedErr = Rebase(v.Base.Statement, current.Statement, p.Changes)
	default:
		v.Before = v.Base.Statement
		v.Proposed, v.ProposedErr = Apply(v.Base.Statement, p.Changes)
	}
	return nil
}

// findOverlaps fills v.Overlaps for a draft or open proposal of our statement.
func (s *Service) findOverlaps(ctx context.Context, tx Tx, v *ProposalView) error {
	p := v.Proposal
	if p.Kind.AboutJoint() || (p.Status != StatusDraft && p.Status != StatusOpen) || len(p.Changes) == 0 {
		return nil
	}
	open, err := tx.OpenStatementProposals(ctx)
	if err != nil {
		return err
	}
	v.Overlaps = overlaps(p, open, v.Before)
	return nil
}

// ListProposals lists proposals with the given statuses (all when empty).
func (s *Service) ListProposals(ctx context.Context, viewer Member, statuses ...ProposalStatus) (ps []ProposalSummary, err error) {
	if !viewer.Active() {
		return nil, ErrForbidden
	}
	err = s.read(ctx, func(tx Tx) (err error) {
		ps, err = tx.Proposals(ctx, statuses, viewer.ID, viewer.IsFacilitator(), 500)
		return err
	})
	return ps, err
}

// Comment on a proposal (a reply when parentID is not 0).
func (s *Service) AddComment(ctx context.Context, actor Member, proposalID, parentID int64, body string) (int64, error) {
	if !actor.Active() {
		return 0, Forbidden("suspended members cannot comment")
	}
	body, err := CheckComment(body)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.Proposal(ctx, proposalID)
		if err != nil {
			return err
		}
		if err := withCoauthors(ctx, tx, &p); err != nil {
			return err
		}
		if !p.VisibleTo(actor) {
			return ErrNotFound
		}
		if parentID != 0 {
			parent, err := tx.Comment(ctx, parentID)
			if errors.Is(err, ErrNotFound) || err == nil && parent.ProposalID != proposalID {
				return Invalid("parent", "the comment you reply to is not on this proposal")
			}
			if err != nil {
				return err
			}
			if parent.ParentID != 0 {
				parentID = parent.ParentID // replies stay one level deep
			}
		}
		tx.Notify(Notice{Topic: NoticeProposal, ID: proposalID})
		id, err = tx.CreateComment(ctx, Comment{ProposalID: proposalID, ParentID: parentID, AuthorID: actor.ID, Body: body, CreatedAt: s.now()})
		return err
	})
	return id, err
}

// changeComment runs change on one comment in a transaction and returns the
// comment's proposal, for the caller to go back to.
func (s *Service) changeComment(ctx context.Context, commentID int64, change func(tx Tx, c Comment) error) (int64, error) {
	var proposalID int64
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := tx.Comment(ctx, commentID)
		if err != nil {
			return err
		}
		proposalID = c.ProposalID
		tx.Notify(Notice{Topic: NoticeProposal, ID: proposalID})
		return change(tx, c)
	})
	return proposalID, err
}

// EditComment lets an author correct a comment within CommentEditWindow.
func (s *Service) EditComment(ctx context.Context, actor Member, commentID int64, body string) (int64, error) {
	body, err := CheckComment(body)
	if err != nil {
		return 0, err
	}
	return s.changeComment(ctx, commentID, func(tx Tx, c Comment) error {
		if !c.Editable(&actor, s.now()) {
			return Forbidden("comments can be edited by their author for %d minutes", int(CommentEditWindow.Minutes()))
		}
		return tx.UpdateCommentBody(ctx, commentID, body, s.now())
	})
}

// HideComment hides a comment from the discussion, leaving a visible trace of
// who hid it and why; facilitators only.
func (s *Service) HideComment(ctx context.Context, actor Member, commentID int64, reason string) (int64, error) {
	if !actor.IsFacilitator() {
		return 0, Forbidden("only facilitators hide comments")
	}
	reason, err := CleanText("reason", reason, OneLine)
	if err != nil {
		return 0, err
	}
	if reason == "" || utf8.RuneCountInString(reason) > 300 {
		return 0, Invalid("reason", "say briefly why the comment is hidden (at most 300 characters)")
	}
	return s.changeComment(ctx, commentID, func(tx Tx, c Comment) error {
		if c.HiddenAt != nil {
			return Conflict("this comment is already hidden")
		}
		return tx.HideComment(ctx, commentID, actor.ID, reason, s.now())
	})
}

// DecisionSettings returns the rule for each part of the statement and whether
// results show before a member votes.
func (s *Service) DecisionSettings(ctx context.Context) (ds []DecisionSetting, before bool, err error) {
	err = s.read(ctx, func(tx Tx) error {
		if ds, err = tx.DecisionSettings(ctx); err != nil {
			return err
		}
		before, err = tx.ResultsBeforeVoting(ctx)
		return err
	})
	return ds, before, err
}

// SaveDecisionSetting changes the rule of one part of the statement; admins
// only. Proposals already open keep the rule frozen into them.
func (s *Service) SaveDecisionSetting(ctx context.Context, actor Member, d DecisionSetting) error {
	if !actor.IsAdmin() {
		return Forbidden("only admins choose decision rules")
	}
	if !slices.Contains(DecisionParts, d.Kind) {
		return Invalid("kind", "choose a part: preamble, objectives, values, red lines or joint statements")
	}
	if _, err := d.Rule(); err != nil {
		return err
	}
	if d.VotingPeriod < MinVotingPeriod || d.VotingPeriod > MaxVotingPeriod {
		return Invalid("voting_days", "the time to vote can be between 1 hour and 60 days")
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		if _, err := settingFor(ctx, tx, d.Kind); errors.Is(err, ErrNotFound) {
			return Invalid("kind", "that is not a part of the statement")
		} else if err != nil {
			return err
		}
		return tx.SaveDecisionSetting(ctx, d)
	})
}

// SetResultsBeforeVoting chooses whether members see the tally before voting.
func (s *Service) SetResultsBeforeVoting(ctx context.Context, actor Member, show bool) error {
	if !actor.IsAdmin() {
		return Forbidden("only admins change this setting")
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		// Who may see results changes on every open page, in every process.
		tx.Notify(Notice{Topic: NoticeEverything})
		return tx.SetResultsBeforeVoting(ctx, show)
	})
}

// LiveTally is what the live view of a proposal shows: the tally and the
// verdict if voting closed now, when the viewer may see results.
type LiveTally struct {
	Visible  bool
	Cast     int
	Eligible int
	Status   ProposalStatus
	Tally    consensus.Tally
	Preview  consensus.Outcome
	// Votes are who voted how and why, and Changes the entries in the audit
	// trail, when Visible.
	Votes   []Vote
	Changes int
}

// resultsVisible: results show once voting ended, when the movement shows them
// before voting, to those who voted, and to those who cannot vote anyway.
func (s *Service) resultsVisible(ctx context.Context, tx Tx, p Proposal, viewer Member) (bool, error) {
	if p.Status != StatusOpen {
		return true, nil
	}
	voter, err := tx.IsVoter(ctx, p.ID, viewer.ID)
	if err != nil {
		return false, err
	}
	_, err = tx.VoteOf(ctx, p.ID, p.Round, viewer.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	return resultsVisibleTo(ctx, tx, p, voter, err == nil)
}

// resultsVisibleTo: a decided proposal's results are public; an open one's
// are seen by those who do not vote on it, by voters once they voted, or by
// all when the movement shows results before voting.
func resultsVisibleTo(ctx context.Context, tx Tx, p Proposal, voter, voted bool) (bool, error) {
	if p.Status != StatusOpen {
		return true, nil
	}
	before, err := tx.ResultsBeforeVoting(ctx)
	if err != nil {
		return false, err
	}
	return resultsShown(p, before, voter, voted), nil
}

// resultsShown is the rule of resultsVisibleTo, given the movement's setting.
func resultsShown(p Proposal, before, voter, voted bool) bool {
	return p.Status != StatusOpen || before || !voter || voted
}

// VoteTrail returns the audit trail of a proposal: every position every member
// took, in order. Members see it once they may see the results.
func (s *Service) VoteTrail(ctx context.Context, viewer Member, id int64) (p Proposal, events []VoteEvent, err error) {
	err = s.read(ctx, func(tx Tx) error {
		if p, err = tx.Proposal(ctx, id); err != nil {
			return err
		}
		if !viewer.Active() || p.OpenedAt == nil {
			return ErrNotFound
		}
		visible, err := s.resultsVisible(ctx, tx, p, viewer)
		if err != nil {
			return err
		}
		if !visible {
			return Forbidden("the audit trail shows once you have voted")
		}
		events, err = tx.VoteEvents(ctx, id)
		return err
	})
	return p, events, err
}

// withCoauthors fills p.Coauthors for a proposal not yet opened, where they
// decide who may see and edit it; once voting opens nobody edits it and
// every member sees it.
func withCoauthors(ctx context.Context, tx Tx, p *Proposal) (err error) {
	if p.OpenedAt != nil {
		return nil
	}
	p.Coauthors, err = tx.Coauthors(ctx, p.ID)
	return err
}

// AddCoauthor lets another active member edit a draft with its authors.
func (s *Service) AddCoauthor(ctx context.Context, actor Member, id int64, username string) error {
	typed := strings.TrimPrefix(strings.TrimSpace(username), "@") // as people write a handle
	username, err := usernameOf(typed)
	if err != nil || username == "" {
		return Invalid("username", "give the username of the member who writes with you")
	}
	return s.editDraft(ctx, actor, id, func(tx Tx, p *Proposal) error {
		m, _, err := tx.MemberByUsername(ctx, username)
		if errors.Is(err, ErrNotFound) || err == nil && !m.Active() {
			return Invalid("username", "no active member has the username %s", quote(username, 40))
		}
		if err != nil {
			return err
		}
		if p.WrittenBy(m) {
			return Invalid("username", "%s already writes this draft", m.Name())
		}
		if len(p.Coauthors) >= MaxCoauthors {
			return Invalid("username", "a draft can have at most %d co-authors", MaxCoauthors)
		}
		return tx.AddCoauthor(ctx, p.ID, m.ID, s.now())
	})
}

// MaxCoauthors bounds a draft's co-authors.
const MaxCoauthors = 20

// RemoveCoauthor takes a co-author off a draft: the author may remove anyone,
// a co-author only themself.
func (s *Service) RemoveCoauthor(ctx context.Context, actor Member, id, memberID int64) error {
	return s.editDraft(ctx, actor, id, func(tx Tx, p *Proposal) error {
		if actor.ID != p.AuthorID && actor.ID != memberID {
			return Forbidden("only the draft's author removes other co-authors")
		}
		return tx.RemoveCoauthor(ctx, p.ID, memberID)
	})
}

// ShareDraft lets every member read and comment on a draft before voting
// opens. Sharing cannot be taken back: what members wrote stays readable.
func (s *Service) ShareDraft(ctx context.Context, actor Member, id int64) error {
	return s.editDraft(ctx, actor, id, func(tx Tx, p *Proposal) error {
		if p.SharedAt == nil {
			now := s.now()
			p.SharedAt = &now
		}
		return nil
	})
}
