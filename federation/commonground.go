package federation

import (
	"context"
	"fmt"
	"strconv"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// publishPairDecision tells the ally a decision of ours is about: which of
// our items and of theirs, with both wordings as we judged them.
func (s *Service) publishPairDecision(ctx context.Context, tx *storage.Tx, m proposals.Movement, decisionID int64) error {
	d, err := tx.PairDecision(ctx, decisionID)
	if err != nil {
		return err
	}
	if d.Side != alliances.OurSide {
		return nil
	}
	ally, err := tx.RemoteActor(ctx, d.Ally)
	if err != nil {
		return err
	}
	doc := vocab.PairDoc{OurItem: d.OurItem, TheirItem: d.TheirItem, Decision: string(d.Decision), DecidedAt: d.DecidedAt}
	if v, err := tx.CurrentVersion(ctx); err == nil {
		if it, _, ok := v.Statement.Item(d.OurItem); ok {
			doc.OurText = it.Text
		}
	}
	if sts, err := tx.AllyStatements(ctx); err == nil {
		for _, st := range sts {
			if it, _, ok := st.Statement.Item(d.TheirItem); ok && st.Actor == d.Ally {
				doc.TheirText = it.Text
			}
		}
	}
	me := s.actorID(m.Handle)
	id := me + "/common-ground/" + strconv.FormatInt(d.ID, 10) + "/" + strconv.FormatInt(d.DecidedAt.UnixMicro(), 10)
	body, err := vocab.MarshalPairDecision(id, me, d.Ally, doc)
	if err != nil {
		return err
	}
	return s.deliverTo(ctx, tx, id, ally.Inbox, body)
}

// onPairDecision records an ally's decision about one of its items and one
// of ours: its "ours" is our "theirs".
func (s *Service) onPairDecision(ctx context.Context, act vocab.Activity) error {
	doc, err := vocab.ParsePairDecision(act)
	if err != nil {
		return err
	}
	d := alliances.PairDecision{Ally: act.Actor, OurItem: doc.TheirItem, TheirItem: doc.OurItem,
		Decision: alliances.Decision(doc.Decision), DecidedAt: doc.DecidedAt, ActivityID: act.ID}
	if err := s.allies.ReceivePairDecision(ctx, d); err != nil {
		return domainRefusal(fmt.Errorf("common ground decision %s: %w", act.ID, err))
	}
	return nil
}
