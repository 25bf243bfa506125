package proposals

import (
	"context"

	"github.com/commonground/commonground/consensus"
)

// LiveState is what every open live view of a proposal is made from: read
// once per change by each process, then shown to each viewer as they may see
// it (For). It holds no viewer's secret: it is never shown except through For.
type LiveState struct {
	Proposal            Proposal
	Tally               consensus.Tally
	Votes               []Vote
	Changes             int // entries in the audit trail
	ResultsBeforeVoting bool
	// voters holds the members who voted, built once per read so that
	// checking each of many viewers (Shown) does not scan the votes.
	voters map[int64]struct{}
}

// LiveState reads the state of a proposal's live views. It checks no viewer:
// callers show it only to viewers WatchLive admitted, through For.
func (s *Service) LiveState(ctx context.Context, id int64) (st LiveState, err error) {
	err = s.read(ctx, func(tx Tx) error {
		if st.Proposal, err = tx.Proposal(ctx, id); err != nil {
			return err
		}
		p := st.Proposal
		if p.OpenedAt == nil || p.Rule == nil {
			return ErrNotFound
		}
		if st.Votes, err = tx.Votes(ctx, p.ID, p.Round); err != nil {
			return err
		}
		if st.Changes, err = tx.CountVoteEvents(ctx, p.ID); err != nil {
			return err
		}
		st.ResultsBeforeVoting, err = tx.ResultsBeforeVoting(ctx)
		return err
	})
	if err != nil {
		return LiveState{}, err
	}
	st.voters = make(map[int64]struct{}, len(st.Votes))
	for _, v := range st.Votes {
		st.voters[v.MemberID] = struct{}{}
	}
	st.Tally, err = tallyOfVotes(st.Proposal.Eligible, st.Votes)
	return st, err
}

// tallyOfVotes counts a round's votes (consensus.NewTally): the same numbers
// TallyCounts gives, without asking the database again for what the votes
// just read already say.
func tallyOfVotes(eligible int, votes []Vote) (consensus.Tally, error) {
	positions := make([]consensus.Position, len(votes))
	for i, v := range votes {
		positions[i] = v.Position
	}
	return consensus.NewTally(eligible, positions)
}

// LiveWatcher is a viewer admitted to a proposal's live view, with what
// decides what they see: whether they are on its list of voters.
type LiveWatcher struct {
	Member Member
	Voter  bool
}

// WatchLive admits viewer to the live view of proposal id: an active member,
// on a proposal whose voting has opened.
func (s *Service) WatchLive(ctx context.Context, viewer Member, id int64) (w LiveWatcher, err error) {
	if !viewer.Active() {
		return LiveWatcher{}, ErrNotFound
	}
	err = s.read(ctx, func(tx Tx) error {
		p, err := tx.Proposal(ctx, id)
		if err != nil {
			return err
		}
		if p.OpenedAt == nil || p.Rule == nil {
			return ErrNotFound
		}
		w.Voter, err = tx.IsVoter(ctx, p.ID, viewer.ID)
		return err
	})
	return LiveWatcher{Member: viewer, Voter: w.Voter}, err
}

// Shown reports whether w may see the results in st: the same rule as the
// proposal page (see resultsVisibleTo).
func (st LiveState) Shown(w LiveWatcher) bool {
	return resultsShown(st.Proposal, st.ResultsBeforeVoting, w.Voter, st.voted(w.Member.ID))
}

// voted reports whether member voted: from the set LiveState built, in
// constant time, else (a state built by hand) by scanning the votes.
func (st LiveState) voted(member int64) bool {
	if st.voters != nil {
		_, ok := st.voters[member]
		return ok
	}
	for _, v := range st.Votes {
		if v.MemberID == member {
			return true
		}
	}
	return false
}

// View is the live tally as shown with results (visible) or without them.
func (st LiveState) View(visible bool) LiveTally {
	lt := LiveTally{Visible: visible, Cast: st.Tally.Cast(), Eligible: st.Proposal.Eligible, Status: st.Proposal.Status}
	if visible {
		lt.Tally, lt.Preview, lt.Votes, lt.Changes = st.Tally, consensus.Decide(*st.Proposal.Rule, st.Tally), st.Votes, st.Changes
	}
	return lt
}
