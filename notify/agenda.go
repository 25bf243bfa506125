package notify

import (
	"context"
	"time"

	"github.com/commonground/commonground/proposals"
)

// Agenda is what a member's home page shows them: what waits for them, and
// what happened since their previous visit.
type Agenda struct {
	// Since is the previous visit, nil on the first.
	Since *time.Time
	Now   time.Time
	// OpenVotes are the votes open to the member that they have not cast.
	OpenVotes []OpenVote
	// Drafts are the drafts the member writes, as author or co-author.
	Drafts []Draft
	// Decided are the proposals decided since the previous visit.
	Decided []Decided
	// Versions are the versions of the statement adopted since then.
	Versions []VersionNote
	// Joints are allies' joint statements waiting for our vote to sign.
	Joints []JointWaiting
	// PairsWaiting counts the common ground allies confirmed that we have
	// not decided on.
	PairsWaiting int
	// AllyNews are the statements allies published since then.
	AllyNews []AllyNews
}

// Empty reports whether nothing waits and nothing is new.
func (a Agenda) Empty() bool {
	return len(a.OpenVotes)+len(a.Drafts)+len(a.Decided)+len(a.Versions)+len(a.Joints)+a.PairsWaiting+len(a.AllyNews) == 0
}

// OpenVote is a vote a member has not cast.
type OpenVote struct {
	ProposalID int64
	Title      string
	Joint      bool
	ClosesAt   time.Time
}

// Draft is a proposal still being written.
type Draft struct {
	ProposalID int64
	Title      string
	UpdatedAt  time.Time
}

// Decided is a proposal decided recently.
type Decided struct {
	ProposalID int64
	Title      string
	Status     proposals.ProposalStatus
	DecidedAt  time.Time
}

// VersionNote is a version of the statement adopted recently.
type VersionNote struct {
	Number    int
	AdoptedAt time.Time
}

// JointWaiting is an ally's joint statement our members have not decided on.
type JointWaiting struct {
	JointID   int64
	Title     string
	Initiator string
	Version   int
}

// AllyNews is a statement version an ally published.
type AllyNews struct {
	Name, Handle string
	Version      int
	ReceivedAt   time.Time
}

// visitGap is how long apart two views of the home page must be to count as
// two visits: "since your last visit" must not empty on a reload.
const visitGap = time.Hour

// agendaLookback is how far back "since your last visit" reaches on a first
// visit, or after a long absence.
const agendaLookback = 30 * 24 * time.Hour

// Agenda records the visit and gathers a member's home page. The visit is
// one statement, atomic on its own; the page is read in a read-only transaction, so that
// members looking at their home pages do not hold up each other's writes.
func (s *Service) Agenda(ctx context.Context, m proposals.Member) (Agenda, error) {
	if !m.Active() {
		return Agenda{}, proposals.ErrForbidden
	}
	now := s.now()
	if err := s.store.Single(ctx, func(tx Tx) error { return tx.RecordVisit(ctx, m.ID, now, visitGap) }); err != nil {
		return Agenda{}, err
	}
	var a Agenda
	err := s.store.ReadTx(ctx, func(tx Tx) error {
		prev, err := tx.PreviousVisit(ctx, m.ID)
		if err != nil {
			return err
		}
		since := now.Add(-agendaLookback)
		if prev != nil && prev.After(since) {
			since = *prev
		}
		a, err = tx.Agenda(ctx, m.ID, since, now)
		a.Since, a.Now = prev, now
		return err
	})
	return a, err
}
