package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// deliverTo queues an activity for one inbox, inside the caller's transaction.
func (s *Service) deliverTo(ctx context.Context, tx *storage.Tx, activityID, inbox string, body []byte) error {
	host, err := hostOf(inbox)
	if err != nil {
		return err
	}
	return tx.EnqueueDelivery(ctx, activityID, inbox, host, string(body), s.now())
}

// Follow follows a remote actor by handle: WebFinger, fetch the actor, queue a
// Follow. The actor shows as pending until its Accept arrives.
func (s *Service) Follow(ctx context.Context, actor proposals.Member, handle string) (storage.RemoteActor, error) {
	if !actor.IsFacilitator() {
		return storage.RemoteActor{}, proposals.Forbidden("only facilitators and admins follow other movements")
	}
	m, err := s.movement(ctx)
	if err != nil {
		return storage.RemoteActor{}, err
	}
	remote, err := s.lookupHandle(ctx, handle, "follow", s.actorID(m.Handle))
	if err != nil {
		return storage.RemoteActor{}, err
	}
	followID := s.base() + "/follows/" + proposals.NewToken()[:16]
	body, err := vocab.MarshalFollow(followID, s.actorID(m.Handle), remote.ID)
	if err != nil {
		return remote, err
	}
	err = s.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SaveFollowing(ctx, remote.ID, followID, s.now()); err != nil {
			return err
		}
		return s.deliverTo(ctx, tx, followID, remote.Inbox, body)
	})
	if err != nil {
		return remote, err
	}
	notify(s.kick)
	return remote, nil // its pinned statement is fetched when it accepts
}

// lookupHandle finds an actor by @user@host: WebFinger, then the actor
// (stored), both through the client that refuses private addresses. The
// actor self (when not "") is refused: the movement itself. what names the
// step in the log. Its Handle is user@host.
func (s *Service) lookupHandle(ctx context.Context, handle, what, self string) (storage.RemoteActor, error) {
	user, host, err := ParseHandle(handle)
	if err != nil {
		return storage.RemoteActor{}, err
	}
	id, err := s.webfingerLookup(ctx, user, host)
	if err != nil {
		s.log.Info("federation: "+what+": webfinger failed", "handle", handle, "err", err)
		return storage.RemoteActor{}, proposals.Invalid("handle", "could not find @%s@%s: %s", user, host, unreachable(err))
	}
	if self != "" && id == self {
		return storage.RemoteActor{}, proposals.Invalid("handle", "that is this movement itself")
	}
	remote, err := s.fetchActor(ctx, id, user+"@"+host)
	if err != nil {
		s.log.Info("federation: "+what+": actor fetch failed", "actor", id, "err", err)
		return storage.RemoteActor{}, proposals.Invalid("handle", "found @%s@%s but could not read its profile: %s", user, host, unreachable(err))
	}
	remote.Handle = user + "@" + host
	return remote, nil
}

// Unfollow sends Undo{Follow} and forgets the actor.
func (s *Service) Unfollow(ctx context.Context, actor proposals.Member, actorID string) error {
	if !actor.IsFacilitator() {
		return proposals.Forbidden("only facilitators and admins unfollow")
	}
	if err := checkFormID(actorID); err != nil {
		return err
	}
	m, err := s.movement(ctx)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *storage.Tx) error {
		f, err := tx.FollowedActor(ctx, actorID)
		if err != nil {
			return err
		}
		follow, err := vocab.MarshalFollow(f.FollowID, s.actorID(m.Handle), f.ID)
		if err != nil {
			return err
		}
		undoID := f.FollowID + "/undo"
		undo, err := vocab.MarshalUndo(undoID, s.actorID(m.Handle), follow)
		if err != nil {
			return err
		}
		if err := s.deliverTo(ctx, tx, undoID, f.Inbox, undo); err != nil {
			return err
		}
		return tx.DeleteFollowing(ctx, actorID)
	})
	if err == nil {
		notify(s.kick) // after commit, so the worker finds the Undo
	}
	return err
}

// answer is the Accept (or Reject) of f's Follow from me, the movement's
// actor, carrying the Follow as received, for f's inbox.
func (s *Service) answer(me string, f storage.Follower, accept bool) (storage.Outgoing, error) {
	marshal, kind := vocab.MarshalAccept, "accept"
	if !accept {
		marshal, kind = vocab.MarshalReject, "reject"
	}
	id := s.base() + "/" + kind + "s/" + proposals.TokenHash(f.FollowID)[:24]
	body, err := marshal(id, me, []byte(f.FollowJSON))
	if err != nil {
		return storage.Outgoing{}, err
	}
	host, err := hostOf(f.Inbox)
	if err != nil {
		return storage.Outgoing{}, err
	}
	return storage.Outgoing{ActivityID: id, Inbox: f.Inbox, Host: host, Body: string(body)}, nil
}

// answerFollow queues the answer to f's Follow. The caller wakes the
// delivery workers once it has committed.
func (s *Service) answerFollow(ctx context.Context, tx *storage.Tx, me string, f storage.Follower, accept bool) error {
	out, err := s.answer(me, f, accept)
	if err != nil {
		return err
	}
	return tx.EnqueueDelivery(ctx, out.ActivityID, out.Inbox, out.Host, out.Body, s.now())
}

// ApproveFollower accepts a follower held for approval.
func (s *Service) ApproveFollower(ctx context.Context, actor proposals.Member, actorID string) error {
	if !actor.IsAdmin() {
		return proposals.Forbidden("only admins approve followers")
	}
	if err := checkFormID(actorID); err != nil {
		return err
	}
	handle, err := s.movementHandle(ctx)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *storage.Tx) error {
		f, err := tx.Follower(ctx, actorID)
		if err != nil {
			return err
		}
		if err := tx.SetFollowerStatus(ctx, actorID, "accepted"); err != nil {
			return err
		}
		return s.answerFollow(ctx, tx, s.actorID(handle), f, true)
	})
	if err == nil {
		notify(s.kick) // after commit, so the worker finds the Accept
	}
	return err
}

// RemoveFollower rejects a pending follower or removes an accepted one.
func (s *Service) RemoveFollower(ctx context.Context, actor proposals.Member, actorID string) error {
	if !actor.IsAdmin() {
		return proposals.Forbidden("only admins remove followers")
	}
	if err := checkFormID(actorID); err != nil {
		return err
	}
	handle, err := s.movementHandle(ctx)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *storage.Tx) error {
		f, err := tx.Follower(ctx, actorID)
		if err != nil {
			return err
		}
		if err := s.answerFollow(ctx, tx, s.actorID(handle), f, false); err != nil {
			return err
		}
		return tx.DeleteFollower(ctx, actorID)
	})
	if err == nil {
		notify(s.kick) // after commit, so the worker finds the Reject
	}
	return err
}

// SetManualApproval chooses whether followers wait for an admin.
func (s *Service) SetManualApproval(ctx context.Context, actor proposals.Member, manual bool) error {
	if !actor.IsAdmin() {
		return proposals.Forbidden("only admins change this setting")
	}
	return s.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SetManuallyApprovesFollowers(ctx, manual); err != nil {
			return err
		}
		return tx.RecordEvent(ctx, proposals.EventProfileUpdated, 0, s.now())
	})
}

// Overview is what the federation pages show admins and facilitators.
type Overview struct {
	Handle     string
	Followers  []storage.Follower
	Following  []storage.Followed
	Status     map[string]alliances.AllyStatus // by actor id
	Statements map[string]vocab.StatementDoc   // latest received, by actor id
	Queue      storage.QueueStats
	Stuck      []storage.Delivery
	Hosts      []storage.HostHealth
	Published  []storage.OutboxItem
	Manual     bool
}

// Overview gathers followers, following, received statements and the queue.
func (s *Service) Overview(ctx context.Context, viewer proposals.Member) (Overview, error) {
	if !viewer.Active() {
		return Overview{}, proposals.ErrForbidden
	}
	o := Overview{Statements: map[string]vocab.StatementDoc{}}
	m, err := s.movement(ctx)
	if err != nil {
		return o, err
	}
	o.Handle = m.Handle + "@" + s.cfg.BaseURL.Host
	err = s.db.ReadTx(ctx, func(tx *storage.Tx) error {
		var err error
		if o.Followers, err = tx.Followers(ctx, ""); err != nil {
			return err
		}
		if o.Following, err = tx.Following(ctx); err != nil {
			return err
		}
		followers := map[string]string{}
		for _, f := range o.Followers {
			followers[f.ID] = f.Status
		}
		o.Status = map[string]alliances.AllyStatus{}
		for _, f := range o.Following {
			o.Status[f.ID] = alliances.StatusOf(f.Status, followers[f.ID])
		}
		stmts, err := tx.LatestRemoteStatements(ctx)
		if err != nil {
			return err
		}
		for _, st := range stmts {
			if doc, err := decodeStatement(st); err == nil {
				o.Statements[st.ActorID] = doc
			}
		}
		if o.Manual, err = tx.ManuallyApprovesFollowers(ctx); err != nil {
			return err
		}
		if !viewer.IsAdmin() {
			return nil
		}
		if o.Queue, err = tx.DeliveryStats(ctx); err != nil {
			return err
		}
		if o.Stuck, err = tx.RecentDeliveries(ctx, 20); err != nil {
			return err
		}
		if o.Published, err = tx.OutboxItems(ctx, 20); err != nil {
			return err
		}
		o.Hosts, err = tx.FailingHosts(ctx)
		return err
	})
	return o, err
}

// WithdrawPublication sends Delete{Tombstone} for a published object and
// removes it from the outbox; its URL answers 410 from then on. When it is
// the pinned statement, it is unpinned too (Remove, and an Update of the
// actor for servers that only read pins from the actor), or a peer refetching
// the featured collection would bring it back.
func (s *Service) WithdrawPublication(ctx context.Context, actor proposals.Member, objectID string) error {
	if !actor.IsAdmin() {
		return proposals.Forbidden("only admins withdraw publications")
	}
	if err := checkFormID(objectID); err != nil {
		return err
	}
	m, err := s.movement(ctx)
	if err != nil {
		return err
	}
	id := objectID + "/delete"
	body, err := vocab.MarshalDelete(id, s.actorID(m.Handle), objectID, []string{vocab.PublicAddress})
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.MarkOutboxItemDeleted(ctx, objectID, s.now()); err != nil {
			if errors.Is(err, proposals.ErrNotFound) {
				return fmt.Errorf("no publication %s: %w", objectID, proposals.ErrNotFound)
			}
			return err
		}
		defer notify(s.kick)
		if err := s.toFollowers(ctx, tx, id, body); err != nil {
			return err
		}
		current, err := tx.CurrentVersion(ctx)
		if err != nil || objectID != s.noteID(current.Number) {
			return err
		}
		return s.repin(ctx, tx, m, objectID+"/withdrawal", "", objectID)
	})
}

// checkFormID refuses, as not found, an id that no stored actor or object can
// have. Such ids come from hidden form fields: a malformed one is a garbled or
// forged form, and the database must not be asked for it.
func checkFormID(id string) error {
	if clean, err := proposals.CleanText("id", id, proposals.OneLine); err != nil || clean == "" || clean != id {
		return proposals.ErrNotFound
	}
	return nil
}

// toFollowers queues an activity for every follower's server, once per inbox.
func (s *Service) toFollowers(ctx context.Context, tx *storage.Tx, activityID string, body []byte) error {
	inboxes, err := tx.FollowerInboxes(ctx)
	if err != nil {
		return err
	}
	to := make([]storage.Destination, 0, len(inboxes))
	for _, inbox := range inboxes {
		host, err := hostOf(inbox)
		if err != nil {
			return err
		}
		to = append(to, storage.Destination{Inbox: inbox, Host: host})
	}
	return tx.EnqueueDeliveries(ctx, activityID, string(body), to, s.now())
}
