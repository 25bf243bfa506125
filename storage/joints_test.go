package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// withAlly makes the movement follow an ally that accepted.
func withAlly(t *testing.T, db *storage.DB, id string) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SaveRemoteActor(ctx, storage.RemoteActor{ID: id, Name: "Forest Movement", Inbox: id + "/inbox", FetchedAt: time.Now()}); err != nil {
			return err
		}
		if err := tx.SaveFollowing(ctx, id, id+"/follow", time.Now()); err != nil {
			return err
		}
		return tx.SetFollowingStatus(ctx, id+"/follow", "accepted", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSigningAJointStatementIsAVoteUnderTheRuleForJointStatements(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		svc, clk, admin, members := movementWith(t, db, 2)
		allies := alliances.NewService(db.Alliances(), svc, nil, alliances.Config{Host: "climate.example"}, clk.Now)
		const forest = "https://forest.example/users/forest"
		withAlly(t, db, forest)

		// Signing takes the values' rule at first (consensus), then the one set for it.
		settings, _, err := svc.DecisionSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last := settings[len(settings)-1]; last.Kind != proposals.RuleJoint || last.Preset != "consensus" {
			t.Fatalf("joint statements' rule: %+v, want consensus like values", last)
		}
		if err := svc.SaveDecisionSetting(ctx, admin, proposals.DecisionSetting{Kind: proposals.RuleJoint, Preset: "two_thirds",
			Quorum: consensus.Ratio{Num: 1, Den: 2}, VotingPeriod: 48 * time.Hour}); err != nil {
			t.Fatal(err)
		}

		if _, err := allies.StartJoint(ctx, members[0], alliances.JointText{Title: "x"}, nil); !errors.Is(err, proposals.ErrForbidden) {
			t.Fatalf("a member started a joint statement: %v", err)
		}
		if _, err := allies.StartJoint(ctx, admin, alliances.JointText{Title: "x"}, []string{"https://stranger.example/users/s"}); !errors.Is(err, proposals.ErrInvalid) {
			t.Fatalf("a stranger was invited: %v", err)
		}
		id, err := allies.StartJoint(ctx, admin, alliances.JointText{Title: "Clean rivers", Preamble: "Together.\r\n",
			Items: []proposals.Item{{Section: proposals.Objectives, Text: " No sewage in rivers by 2030 "}}}, []string{forest, forest})
		if err != nil {
			t.Fatal(err)
		}
		pid, err := allies.ProposeSigning(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := allies.ProposeSigning(ctx, admin, id); !errors.Is(err, proposals.ErrConflict) {
			t.Fatalf("a second vote opened while the first runs: %v", err)
		}
		p, err := svc.ViewProposal(ctx, &admin, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.Proposal.Kind != proposals.KindSignJoint || p.Proposal.Rule.Preset != "two_thirds" || p.Proposal.ClosesAt.Sub(clk.Now()) != 48*time.Hour {
			t.Fatalf("the signing vote: kind %s, rule %s, closes in %s", p.Proposal.Kind, p.Proposal.Rule.Preset, p.Proposal.ClosesAt.Sub(clk.Now()))
		}
		// 2 agree, 1 disagrees: two thirds is met.
		for i, m := range []proposals.Member{admin, members[0], members[1]} {
			pos := consensus.Agree
			if i == 2 {
				pos = consensus.Disagree
			}
			if err := svc.CastVote(ctx, m, pid, pos, "because"); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(49 * time.Hour)
		if n, err := svc.CloseDue(ctx); err != nil || n != 1 {
			t.Fatalf("closed %d at the deadline: %v", n, err)
		}
		var j alliances.JointStatement
		db.ReadTx(ctx, func(tx *storage.Tx) (err error) { j, err = tx.Joint(ctx, id); return err })
		v, ok := j.VerdictOf(alliances.Self, 1)
		if !ok || v.Kind != alliances.Signed || v.Outcome.Tally.Agree != 2 || v.Outcome.Rule.Preset != "two_thirds" {
			t.Fatalf("our verdict on version 1: %+v", v)
		}
		if cur, ok := j.Current(); !ok || cur.Text.Preamble != "Together." || cur.Text.Items[0].Text != "No sewage in rivers by 2030" || cur.Hash != cur.Text.Hash() {
			t.Fatalf("version 1 as stored: %+v", cur)
		}
		if len(j.Invited) != 1 {
			t.Fatalf("invited %v, want forest once", j.Invited)
		}
		// The same verdict recorded again is no change.
		err = db.InTx(ctx, func(tx *storage.Tx) error {
			changed, err := tx.SaveVerdict(ctx, id, v)
			if err == nil && changed {
				t.Error("the same verdict was recorded twice")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Our vote was announced: one event for federation.
		var events []storage.OutboxEvent
		db.InTx(ctx, func(tx *storage.Tx) (err error) { events, err = tx.ClaimOutboxEvents(ctx, 10); return err })
		if len(events) != 1 || events[0].Kind != proposals.EventJointDecided || events[0].Ref != pid {
			t.Fatalf("events: %+v", events)
		}
	})
}
