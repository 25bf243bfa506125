package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/internal/testclock"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// movementWith sets up an instance whose founding statement has two objectives,
// an admin (who facilitates) and n members.
func movementWith(t *testing.T, db *storage.DB, n int) (*proposals.Service, *testclock.Clock, proposals.Member, []proposals.Member) {
	t.Helper()
	ctx := context.Background()
	svc, clk := newService(db)
	f := founding
	f.Statement = proposals.Statement{Preamble: "We are the climate assembly.", Items: []proposals.Item{
		{ID: "truth", Section: proposals.Objectives, Text: "Tell the truth about the climate emergency"},
		{ID: "zero", Section: proposals.Objectives, Text: "Net zero emissions by 2030"},
		{ID: "peace", Section: proposals.Values, Text: "Nonviolence in everything we do"},
	}}
	admin, err := svc.Initialize(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	members := make([]proposals.Member, n)
	for i := range members {
		members[i], err = svc.CreateMember(ctx, proposals.NewAccount{Username: fmt.Sprintf("m%03d", i), Password: "long enough pass"}, proposals.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
	}
	return svc, clk, admin, members
}

// draft makes a proposal with the given changes and opens voting.
func openProposal(t *testing.T, svc *proposals.Service, author, facilitator proposals.Member, changes ...proposals.Change) int64 {
	t.Helper()
	ctx := context.Background()
	p, err := svc.CreateProposal(ctx, author, "A proposal", "Because.")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if err := svc.AddChange(ctx, author, p.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.OpenVoting(ctx, facilitator, p.ID); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func vote(t *testing.T, svc *proposals.Service, m proposals.Member, id int64, pos consensus.Position) {
	t.Helper()
	if err := svc.CastVote(context.Background(), m, id, pos, "my reason"); err != nil {
		t.Fatalf("%s votes %s: %v", m.Username, pos, err)
	}
}

func TestProposalLifeCycleMakesTheNextVersion(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk, admin, ms := movementWith(t, db, 3)
		p, err := svc.CreateProposal(ctx, ms[0], "Protect the commons", "Water is life.")
		if err != nil {
			t.Fatal(err)
		}
		add := proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Position: 0, Text: "Keep water in public hands"}
		if err := svc.AddChange(ctx, ms[0], p.ID, add); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddChange(ctx, ms[1], p.ID, add); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("another member edited the draft: %v", err)
		}
		if err := svc.AddChange(ctx, ms[0], p.ID, proposals.Change{Kind: proposals.AmendItem, ItemID: "gone", Text: "x"}); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("amending a missing item: %v", err)
		}
		if err := svc.OpenVoting(ctx, ms[0], p.ID); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a member opened voting: %v", err)
		}
		if err := svc.CastVote(ctx, ms[0], p.ID, consensus.Agree, ""); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("a vote on a draft: %v", err)
		}
		if err := svc.OpenVoting(ctx, admin, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddChange(ctx, ms[0], p.ID, add); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("changes are not frozen once voting opened: %v", err)
		}
		view, err := svc.ViewProposal(ctx, &ms[1], p.ID)
		if err != nil || view.Proposal.Rule == nil || view.Proposal.Rule.Preset != "modified_consensus" || view.Proposal.Eligible != 4 {
			t.Fatalf("opened proposal: %+v %v", view.Proposal, err)
		}
		if err := svc.CastVote(ctx, ms[1], p.ID, consensus.Block, ""); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("a block without a reason: %v", err)
		}
		late, _ := svc.CreateMember(ctx, proposals.NewAccount{Username: "latecomer", Password: "long enough pass"}, proposals.RoleMember)
		if err := svc.CastVote(ctx, late, p.ID, consensus.Agree, ""); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a member who joined after opening voted: %v", err)
		}
		vote(t, svc, ms[0], p.ID, consensus.Agree)
		vote(t, svc, ms[1], p.ID, consensus.Disagree)
		vote(t, svc, ms[1], p.ID, consensus.Agree) // changed their mind
		vote(t, svc, ms[2], p.ID, consensus.StandAside)
		if tally, _ := svc.Tally(ctx, p.ID); tally.Agree != 2 || tally.StandAside != 1 || tally.Cast() != 3 {
			t.Fatalf("tally %+v", tally)
		}
		if n, err := svc.CloseDue(ctx); n != 0 || err != nil {
			t.Fatalf("closed %d before the deadline (%v)", n, err)
		}
		clk.Advance(7*24*time.Hour + time.Second)
		if err := svc.CastVote(ctx, ms[2], p.ID, consensus.Agree, ""); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("a vote after the deadline: %v", err)
		}
		if n, err := svc.CloseDue(ctx); n != 1 || err != nil {
			t.Fatalf("closed %d (%v), want 1", n, err)
		}
		view, _ = svc.ViewProposal(ctx, &ms[1], p.ID)
		if view.Proposal.Status != proposals.StatusAdopted || view.Proposal.ResultVersion != 2 {
			t.Fatalf("after closing: %s, version %d; outcome %s", view.Proposal.Status, view.Proposal.ResultVersion, view.Proposal.Outcome.Summary())
		}
		if q, _ := view.Proposal.Outcome.Requirement(consensus.KeyQuorum); !strings.Contains(q.Sentence, "3 of 4") {
			t.Fatalf("quorum sentence %q", q.Sentence)
		}
		if _, events, _ := svc.VoteTrail(ctx, ms[1], p.ID); len(events) != 4 || view.Changes != 4 {
			t.Fatalf("audit trail has %d entries (%d counted), want 4: a changed vote is kept", len(events), view.Changes)
		}
		v2, _ := svc.CurrentVersion(ctx)
		objs := v2.Statement.InSection(proposals.Objectives)
		if v2.Number != 2 || len(objs) != 3 || objs[0].Text != "Keep water in public hands" || v2.ProposalID != p.ID {
			t.Fatalf("version 2: %+v", v2)
		}
		if v1, _ := svc.Version(ctx, 1); len(v1.Statement.InSection(proposals.Objectives)) != 2 {
			t.Fatal("version 1 changed: versions must be immutable")
		}
	})
}

func TestConcurrentVotesAreNeitherLostNorDoubled(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 40)
		id := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.AddItem, Section: proposals.Values, Position: 9, Text: "Care"})
		positions := []consensus.Position{consensus.Disagree, consensus.StandAside, consensus.Agree}
		var wg sync.WaitGroup
		errs := make(chan error, len(ms)*len(positions))
		for _, m := range ms {
			for _, pos := range positions { // each member sends three votes at once
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := svc.CastVote(ctx, m, id, pos, ""); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent vote failed: %v", err)
		}
		tally, _ := svc.Tally(ctx, id)
		if tally.Cast() != len(ms) {
			t.Fatalf("%d votes counted for %d members", tally.Cast(), len(ms))
		}
		view, _ := svc.ViewProposal(ctx, &ms[0], id) // a voter sees the results
		_, events, _ := svc.VoteTrail(ctx, ms[0], id)
		if len(view.Votes) != len(ms) || len(events) != len(ms)*len(positions) || view.Changes != len(events) {
			t.Fatalf("%d current votes and %d audit entries, want %d and %d", len(view.Votes), len(events), len(ms), len(ms)*len(positions))
		}
	})
}

func TestSchedulerCatchesUpAfterARestart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk, admin, ms := movementWith(t, db, 2)
		id := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.EditPreamble, Text: "We are the climate assembly of the river valley."})
		vote(t, svc, ms[0], id, consensus.Agree)
		vote(t, svc, ms[1], id, consensus.Agree)

		// The instance is down while the deadline passes; a new process starts.
		later := clk.Now().Add(30 * 24 * time.Hour)
		restarted := proposals.NewService(db.Store(), func() time.Time { return later })
		var wg sync.WaitGroup
		closed := make([]int, 3)
		errs := make([]error, 3)
		for i := range closed { // several workers, as several processes would
			wg.Add(1)
			go func() { defer wg.Done(); closed[i], errs[i] = restarted.CloseDue(ctx) }()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if total := closed[0] + closed[1] + closed[2]; total != 1 {
			t.Fatalf("the workers closed %v proposals, want 1 in all", closed)
		}
		v, _ := restarted.CurrentVersion(ctx)
		if v.Number != 2 || !strings.Contains(v.Statement.Preamble, "river valley") {
			t.Fatalf("after catching up, the statement is version %d: %q", v.Number, v.Statement.Preamble)
		}
		if vs, _ := restarted.Versions(ctx); len(vs) != 2 {
			t.Fatalf("%d versions after concurrent closing, want 2: a proposal was applied twice", len(vs))
		}
	})
}

func TestConflictingProposalsAreMarkedAndOthersApplyCleanly(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 2)
		amendTruth := func(text string) proposals.Change {
			return proposals.Change{Kind: proposals.AmendItem, ItemID: "truth", Text: text}
		}
		first := openProposal(t, svc, ms[0], admin, amendTruth("Tell the whole truth about the climate emergency"))
		second := openProposal(t, svc, ms[1], admin, amendTruth("Governments must tell the truth about the climate crisis"))
		third := openProposal(t, svc, ms[1], admin, proposals.Change{Kind: proposals.AmendItem, ItemID: "zero", Text: "Net zero emissions by 2030, fairly shared"})
		for _, id := range []int64{first, second, third} {
			for _, m := range append(ms, admin) {
				vote(t, svc, m, id, consensus.Agree)
			}
		}
		for _, id := range []int64{first, second, third} {
			if _, err := svc.CloseEarly(ctx, admin, id); err != nil {
				t.Fatal(err)
			}
		}
		v, _ := svc.CurrentVersion(ctx)
		if v.Number != 3 {
			t.Fatalf("current version %d, want 3 (first and third adopted)", v.Number)
		}
		truth, _, _ := v.Statement.Item("truth")
		zero, _, _ := v.Statement.Item("zero")
		if truth.Text != "Tell the whole truth about the climate emergency" || zero.Text != "Net zero emissions by 2030, fairly shared" {
			t.Fatalf("version 3: %q / %q", truth.Text, zero.Text)
		}
		view, _ := svc.ViewProposal(ctx, &admin, second)
		if view.Proposal.Status != proposals.StatusConflicted || !strings.Contains(view.Proposal.Conflict, "truth") {
			t.Fatalf("second proposal: %s, %q", view.Proposal.Status, view.Proposal.Conflict)
		}
	})
}

func TestModifiedConsensusFallbackRound(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 9)
		id := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Position: 5, Text: "Free public transport"})
		for _, m := range ms[1:] {
			vote(t, svc, m, id, consensus.Agree)
		}
		if err := svc.CastVote(ctx, ms[0], id, consensus.Block, "It would bankrupt the city"); err != nil {
			t.Fatal(err)
		}
		vote(t, svc, admin, id, consensus.Agree)
		if err := svc.OpenFallbackRound(ctx, admin, id); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("fallback before a decision: %v", err)
		}
		p, err := svc.CloseEarly(ctx, admin, id)
		if err != nil || p.Status != proposals.StatusRejected || !p.FallbackAvailable() {
			t.Fatalf("first round: %s, fallback %v, %v", p.Status, p.FallbackAvailable(), err)
		}
		if err := svc.OpenFallbackRound(ctx, ms[1], id); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a member opened the fallback round: %v", err)
		}
		if err := svc.OpenFallbackRound(ctx, admin, id); err != nil {
			t.Fatal(err)
		}
		if tally, _ := svc.Tally(ctx, id); tally.Cast() != 0 {
			t.Fatalf("the fallback round starts with %d votes", tally.Cast())
		}
		for _, m := range ms[1:] {
			vote(t, svc, m, id, consensus.Agree)
		}
		vote(t, svc, admin, id, consensus.Agree)
		if err := svc.CastVote(ctx, ms[0], id, consensus.Block, "Still no"); err != nil {
			t.Fatal(err)
		}
		p, err = svc.CloseEarly(ctx, admin, id)
		if err != nil || p.Status != proposals.StatusAdopted || p.Round != 2 {
			t.Fatalf("fallback round: %s round %d: %s (%v)", p.Status, p.Round, p.Outcome.Summary(), err)
		}
	})
}

// A vote racing a close is counted in the outcome or refused: none is saved
// after the count, whether it takes one statement or a transaction.
func TestVotesRacingACloseAreCountedOrRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 16)
		id := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.AddItem, Section: proposals.Values, Position: 9, Text: "Care"})
		var wg sync.WaitGroup
		var accepted atomic.Int32
		for n, m := range ms {
			// Agree and stand aside take one statement; a disagreement
			// without a reason takes the transaction.
			positions := []consensus.Position{consensus.Agree, consensus.StandAside}
			if n%4 == 0 {
				positions = []consensus.Position{consensus.Disagree, consensus.Agree}
			}
			wg.Go(func() {
				for i := 0; ; i++ {
					err := svc.CastVote(ctx, m, id, positions[i%2], "")
					if errors.Is(err, proposals.ErrConflict) {
						return // closed
					}
					if err != nil {
						t.Error(err)
						return
					}
					accepted.Add(1)
				}
			})
		}
		for accepted.Load() < 50 {
			time.Sleep(time.Millisecond)
		}
		closed, err := svc.CloseEarly(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		view, err := svc.ViewProposal(ctx, &ms[0], id)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[consensus.Position]int{}
		for _, v := range view.Votes {
			stored[v.Position]++
		}
		counted := closed.Outcome.Tally
		if counted.Cast() != len(view.Votes) || counted.Agree != stored[consensus.Agree] || counted.StandAside != stored[consensus.StandAside] || counted.Disagree != stored[consensus.Disagree] {
			t.Fatalf("the outcome counted %+v, but the votes stored are %v: a vote was saved after the count", counted, stored)
		}
		t.Logf("%d votes taken before the close", accepted.Load())
	})
}

func TestWithdrawnAndSuspendedCannotVote(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 3)
		id := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.RemoveItem, ItemID: "zero"})
		if err := svc.Suspend(ctx, admin, ms[2].ID, "asked to pause"); err != nil {
			t.Fatal(err)
		}
		// The member as stored now: the suspension must be what refuses the vote.
		suspended := ms[2]
		if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) { suspended, err = tx.MemberByID(ctx, ms[2].ID); return err }); err != nil {
			t.Fatal(err)
		}
		if suspended.Status != proposals.StatusSuspended {
			t.Fatalf("after Suspend the member is %s", suspended.Status)
		}
		if err := svc.CastVote(ctx, suspended, id, consensus.Agree, ""); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a suspended member voted: %v", err)
		}
		if err := svc.CastVote(ctx, ms[1], id, "maybe", ""); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("a forged position: %v", err)
		}
		if err := svc.Withdraw(ctx, ms[0], id); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("the author withdrew an open proposal: %v", err)
		}
		if err := svc.Withdraw(ctx, admin, id); err != nil {
			t.Fatal(err)
		}
		if err := svc.CastVote(ctx, ms[1], id, consensus.Agree, ""); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("a vote on a withdrawn proposal: %v", err)
		}
	})
}

func TestDiscussion(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk, admin, ms := movementWith(t, db, 2)
		id := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.RemoveItem, ItemID: "zero"})
		top, err := svc.AddComment(ctx, ms[0], id, 0, "Why remove it?\n\nSee https://example.org/a?b=1&c=2.")
		if err != nil {
			t.Fatal(err)
		}
		reply, err := svc.AddComment(ctx, ms[1], id, top, "Because <script>alert(1)</script> it is unreachable.")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddComment(ctx, ms[1], id, 0, strings.Repeat("x", 5<<20)); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("a 5 MB comment: %v", err)
		}
		if _, err := svc.EditComment(ctx, ms[0], reply, "not mine"); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("edited another's comment: %v", err)
		}
		if _, err := svc.EditComment(ctx, ms[1], reply, "Because it is unreachable."); err != nil {
			t.Fatal(err)
		}
		clk.Advance(proposals.CommentEditWindow + time.Second)
		if _, err := svc.EditComment(ctx, ms[1], reply, "too late"); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("edited after the window: %v", err)
		}
		if _, err := svc.HideComment(ctx, ms[0], reply, "off topic"); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a member hid a comment: %v", err)
		}
		if _, err := svc.HideComment(ctx, admin, reply, "personal attack"); err != nil {
			t.Fatal(err)
		}
		view, _ := svc.ViewProposal(ctx, &ms[0], id)
		if len(view.Comments) != 2 || view.Comments[1].ParentID != top || view.Comments[1].HiddenAt == nil || view.Comments[1].HiddenReason != "personal attack" || view.Comments[1].EditedAt == nil {
			t.Fatalf("comments: %+v", view.Comments)
		}
	})
}

func TestProposalDiffShowsOnlyItsOwnChanges(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 2)
		a := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.AmendItem, ItemID: "truth", Text: "Tell the whole truth"})
		b := openProposal(t, svc, ms[1], admin, proposals.Change{Kind: proposals.AmendItem, ItemID: "zero", Text: "Net zero by 2030, fairly"})
		for _, m := range append(ms, admin) {
			vote(t, svc, m, a, consensus.Agree)
		}
		if _, err := svc.CloseEarly(ctx, admin, a); err != nil {
			t.Fatal(err)
		}
		changed := func(id int64) []string {
			view, err := svc.ViewProposal(ctx, &admin, id)
			if err != nil || view.ProposedErr != nil {
				t.Fatalf("view %d: %v %v", id, err, view.ProposedErr)
			}
			var ids []string
			for _, sec := range proposals.DiffStatements(view.Before, view.Proposed).Sections {
				for _, it := range sec.Items {
					if it.Status != proposals.ItemUnchanged {
						ids = append(ids, it.ItemID)
					}
				}
			}
			return ids
		}
		if got := changed(b); len(got) != 1 || got[0] != "zero" {
			t.Fatalf("open proposal B's diff shows %v, want only [zero]", got)
		}
		if got := changed(a); len(got) != 1 || got[0] != "truth" {
			t.Fatalf("adopted proposal A's diff shows %v, want only [truth]", got)
		}
	})
}

func TestHidingTwiceKeepsTheFirstTrace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 1)
		id := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.RemoveItem, ItemID: "zero"})
		c, _ := svc.AddComment(ctx, ms[0], id, 0, "rude words")
		if _, err := svc.HideComment(ctx, admin, c, "first reason"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.HideComment(ctx, admin, c, "second reason"); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("hiding twice: %v", err)
		}
		v, err := svc.ViewProposal(ctx, &admin, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Comments) != 1 || v.Comments[0].HiddenAt == nil || v.Comments[0].HiddenReason != "first reason" {
			t.Fatalf("comments after hiding twice: %+v, want hidden for the first reason", v.Comments)
		}
	})
}

func TestProposalListShowsDraftsOnlyToAuthorAndFacilitators(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, admin, ms := movementWith(t, db, 2)
		opened := openProposal(t, svc, ms[0], admin, proposals.Change{Kind: proposals.RemoveItem, ItemID: "zero"})
		mine, _ := svc.CreateProposal(ctx, ms[1], "My draft", "")
		theirs, _ := svc.CreateProposal(ctx, ms[0], "Their draft", "")
		ids := func(viewer proposals.Member) []int64 {
			list, err := svc.ListProposals(ctx, viewer)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, p := range list {
				out = append(out, p.ID)
			}
			return out
		}
		if got := fmt.Sprint(ids(ms[1])); got != fmt.Sprint([]int64{opened, mine.ID}) {
			t.Fatalf("member sees %s, want the opened proposal and their own draft", got)
		}
		if got := ids(admin); len(got) != 3 || !slices.Contains(got, theirs.ID) {
			t.Fatalf("facilitator sees %v, want all three", got)
		}
	})
}

// A draft written together: co-authors edit it, it stays between its authors
// and the facilitators until shared, and once shared every member reads and
// comments on it; the author may remove a co-author, a co-author only themself.
func TestDraftsWrittenTogether(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, _, _, ms := movementWith(t, db, 3)
		author, coauthor, other := ms[0], ms[1], ms[2]
		p, err := svc.CreateProposal(ctx, author, "A repairs log", "So that everyone sees what is pending.")
		if err != nil {
			t.Fatal(err)
		}
		add := proposals.Change{Kind: proposals.AddItem, Section: proposals.Objectives, Text: "A public repairs log"}
		if err := svc.AddCoauthor(ctx, author, p.ID, "nobody"); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("an unknown co-author: %v", err)
		}
		if err := svc.AddCoauthor(ctx, other, p.ID, coauthor.Username); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a member added a co-author to another's draft: %v", err)
		}
		// Named as people type a handle: "@", any case, spaces around.
		if err := svc.AddCoauthor(ctx, author, p.ID, " @"+strings.ToUpper(coauthor.Username)+" "); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddChange(ctx, coauthor, p.ID, add); err != nil {
			t.Fatalf("the co-author could not edit: %v", err)
		}
		listed := func(m proposals.Member) bool {
			ps, err := svc.ListProposals(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range ps {
				if s.ID == p.ID {
					return true
				}
			}
			return false
		}
		if !listed(coauthor) || listed(other) {
			t.Fatalf("before sharing: listed for the co-author %t, for another member %t", listed(coauthor), listed(other))
		}
		if _, err := svc.ViewProposal(ctx, &other, p.ID); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("another member read the draft before it was shared: %v", err)
		}
		if _, err := svc.AddComment(ctx, other, p.ID, 0, "peek"); !errors.Is(err, proposals.ErrNotFound) {
			t.Fatalf("another member commented before it was shared: %v", err)
		}
		if err := svc.ShareDraft(ctx, other, p.ID); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("another member shared the draft: %v", err)
		}
		if err := svc.ShareDraft(ctx, coauthor, p.ID); err != nil {
			t.Fatal(err)
		}
		if !listed(other) {
			t.Fatal("a shared draft is not listed for the members")
		}
		if _, err := svc.AddComment(ctx, other, p.ID, 0, "Name the contractor too?"); err != nil {
			t.Fatalf("a member could not comment on a shared draft: %v", err)
		}
		v, err := svc.ViewProposal(ctx, &other, p.ID)
		if err != nil || len(v.Comments) != 1 || len(v.Proposal.Coauthors) != 1 || v.Proposal.Coauthors[0].ID != coauthor.ID {
			t.Fatalf("the shared draft's page: %v, %d comments, co-authors %+v", err, len(v.Comments), v.Proposal.Coauthors)
		}
		if err := svc.AddChange(ctx, other, p.ID, add); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a reader edited the shared draft: %v", err)
		}
		if err := svc.RemoveCoauthor(ctx, coauthor, p.ID, author.ID); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a co-author removed the author: %v", err)
		}
		if err := svc.RemoveCoauthor(ctx, coauthor, p.ID, coauthor.ID); err != nil {
			t.Fatalf("a co-author could not leave: %v", err)
		}
		if err := svc.AddChange(ctx, coauthor, p.ID, add); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a former co-author still edits: %v", err)
		}
	})
}
