package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/commonground/commonground/federation/signing"
	"github.com/commonground/commonground/federation/vocab"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
)

// Run starts the background work (the publisher, the inbox processor and its
// workers, the delivery workers, the purge of finished work) and returns when
// ctx ends and they have stopped. Work left in the database when it stops is
// picked up at the next start.
func (s *Service) Run(ctx context.Context) {
	defer s.lanes.wait() // after the loops: no lane starts any more
	var wg sync.WaitGroup
	loop := func(ch chan struct{}, every time.Duration, step func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ticker := time.NewTicker(every)
			defer ticker.Stop()
			for {
				step(ctx)
				select {
				case <-ctx.Done():
					return
				case <-ch:
				case <-ticker.C:
				}
			}
		}()
	}
	loop(s.pubCh, 2*time.Second, s.publishEvents)
	loop(s.inboxCh, 2*time.Second, s.processInbox)
	for range s.cfg.DeliveryWorkers {
		loop(s.kick, s.deliveryPoll, s.deliverDue)
	}
	loop(nil, purgeEvery, s.purgeFinished)
	wg.Wait()
}

// purgeFinished deletes processed inbox activities and finished deliveries
// older than the retention period, so that storage does not grow without
// bound. Pending work is kept however old.
func (s *Service) purgeFinished(ctx context.Context) {
	var p storage.Purged
	err := s.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		p, err = tx.PurgeFinished(ctx, s.now().Add(-s.cfg.Retention))
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("federation: purge finished work", "err", err)
		}
		return
	}
	if p.Inbox+p.Deliveries > 0 {
		s.log.Info("federation: purged finished work", "inbox_activities", p.Inbox, "deliveries", p.Deliveries, "retention", s.cfg.Retention)
	}
}

// Kick wakes the publisher; callers use it after recording an event.
func (s *Service) Kick() { notify(s.pubCh) }

// publishEvents turns the domain's recorded events into activities queued for
// every follower, event and deliveries in one transaction: an event is either
// announced to all followers or still waiting, never half-announced.
func (s *Service) publishEvents(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.publishBatch(ctx)
		if err != nil {
			if !errors.Is(err, proposals.ErrNotFound) && ctx.Err() == nil {
				s.log.Error("federation: publish", "err", err)
			}
			return
		}
		if n == 0 {
			return
		}
		notify(s.kick)
	}
}

// publishBatch publishes the oldest waiting events, each in a transaction of
// its own. An event that cannot be published for good (what it names is
// gone) is logged and set aside, its half-done work rolled back, so that it
// never holds up the events after it.
func (s *Service) publishBatch(ctx context.Context) (int, error) {
	n := 0
	for range 16 {
		var e *storage.OutboxEvent
		var failed error
		err := s.db.InTx(ctx, func(tx *storage.Tx) error {
			events, err := tx.ClaimOutboxEvents(ctx, 1)
			if err != nil || len(events) == 0 {
				return err
			}
			e = &events[0]
			m, err := tx.Movement(ctx)
			if err != nil {
				return err
			}
			if err := s.publishEvent(ctx, tx, m, *e); err != nil {
				if refusedForGood(err) {
					failed = err
				}
				return fmt.Errorf("event %d (%s): %w", e.ID, e.Kind, err)
			}
			return tx.MarkEventProcessed(ctx, e.ID, s.now())
		})
		if failed != nil {
			s.log.Error("federation: event set aside: it cannot be published", "id", e.ID, "kind", e.Kind, "err", failed)
			err = s.db.InTx(ctx, func(tx *storage.Tx) error { return tx.MarkEventProcessed(ctx, e.ID, s.now()) })
		}
		if err != nil || e == nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Service) publishEvent(ctx context.Context, tx *storage.Tx, m proposals.Movement, e storage.OutboxEvent) error {
	actor := s.actorID(m.Handle)
	switch e.Kind {
	case proposals.EventVersionAdopted:
		v, err := tx.VersionByNumber(ctx, int(e.Ref))
		if err != nil {
			return err
		}
		note, err := s.statementNoteDoc(ctx, tx, m, v)
		if err != nil {
			return err
		}
		id := note.ID + "/activity"
		body, err := vocab.MarshalCreate(id, actor, note)
		if err != nil {
			return err
		}
		if err := tx.SaveOutboxItem(ctx, storage.OutboxItem{ActivityID: id, ObjectID: note.ID, Body: string(body), PublishedAt: s.now()}); err != nil {
			return err
		}
		if err := s.toFollowers(ctx, tx, id, body); err != nil {
			return err
		}
		s.kickAllies() // embed the new version's texts
		unpin := s.noteID(v.Number - 1)
		if _, err := tx.Withdrawal(ctx, unpin); err == nil {
			unpin = "" // unpinned when it was withdrawn
		} else if !errors.Is(err, proposals.ErrNotFound) {
			return err
		}
		return s.repin(ctx, tx, m, fmt.Sprintf("%s#updates/%d", actor, e.ID), note.ID, unpin)
	case proposals.EventProfileUpdated:
		doc, err := s.actorDoc(ctx, tx, m)
		if err != nil {
			return err
		}
		id := fmt.Sprintf("%s#updates/%d", actor, e.ID)
		body, err := vocab.MarshalUpdateActor(id, doc)
		if err != nil {
			return err
		}
		return s.toFollowers(ctx, tx, id, body)
	case proposals.EventJointDecided:
		return s.publishJointDecision(ctx, tx, m, e.Ref)
	case proposals.EventJointChanged:
		return s.publishJointRecord(ctx, tx, m, e.Ref, e.ID)
	case proposals.EventPairDecided:
		return s.publishPairDecision(ctx, tx, m, e.Ref)
	}
	s.log.Warn("federation: unknown event kind, skipped", "kind", e.Kind)
	return nil
}

// repin tells followers' servers that the pinned statement changed, in the
// caller's transaction: Remove of the note unpinned and Add of the one pinned
// (either may be ""), for servers that read those (Mastodon), and an Update of
// the actor (its id updateID), because others (GoToSocial) read the featured
// collection only when they fetch the actor, every 6 hours otherwise.
func (s *Service) repin(ctx context.Context, tx *storage.Tx, m proposals.Movement, updateID, pinned, unpinned string) error {
	actor := s.actorID(m.Handle)
	featured := actor + "/featured"
	if unpinned != "" {
		body, err := vocab.MarshalRemove(unpinned+"/unpin", actor, unpinned, featured)
		if err != nil {
			return err
		}
		if err := s.toFollowers(ctx, tx, unpinned+"/unpin", body); err != nil {
			return err
		}
	}
	if pinned != "" {
		body, err := vocab.MarshalAdd(pinned+"/pin", actor, pinned, featured)
		if err != nil {
			return err
		}
		if err := s.toFollowers(ctx, tx, pinned+"/pin", body); err != nil {
			return err
		}
	}
	doc, err := s.actorDoc(ctx, tx, m)
	if err != nil {
		return err
	}
	body, err := vocab.MarshalUpdateActor(updateID, doc)
	if err != nil {
		return err
	}
	return s.toFollowers(ctx, tx, updateID, body)
}

// processInbox hands due activities to workers in lanes: a sender's
// activities are handled in order, one at a time, while different senders'
// run side by side. Lanes are bounded in number, and in number per host, so
// that one host with many actors cannot take them all; a round takes at most
// inboxPerHost activities of one host, so its backlog cannot crowd out the
// others'. A host's senders are shared out between the lanes it may start,
// so that a lane works through a batch (recorded in one statement) even when
// the host's senders interleave, as a busy server's do. So one slow sender
// (its server slow to answer the fetches its activities cause) holds up only
// senders of its own host that share its lane, never another host's. A lane
// that ends wakes this dispatcher for what is left.
//
// Work is claimed (storage.ClaimInbox): several processes share the inbox
// without handling an activity twice, and a sender's activities stay in order
// across them. Handlers are idempotent all the same (upserts, deliveries
// unique per activity and inbox), so an activity handled again after a crash
// before its batch was marked changes nothing the second time.
func (s *Service) processInbox(ctx context.Context) {
	if s.lanes.full() {
		return
	}
	me, err := s.movementHandle(ctx)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, proposals.ErrNotFound) {
			s.log.Error("federation: read the movement", "err", err)
		}
		return
	}
	me = s.actorID(me)
	free, full := s.lanes.room()
	now := s.now()
	batch, err := s.db.ClaimInbox(ctx, storage.InboxClaim{Now: now, Until: now.Add(s.inboxLease()),
		Hosts: free, PerHost: inboxPerHost, Skip: full})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("federation: claim inbox work", "err", err)
		}
		return
	}
	var notStarted []storage.InboxActivity
	for _, h := range byHost(batch) {
		started := map[string]bool{}
		for _, lane := range s.lanes.startLanes(h.host, h.senders) {
			for _, sender := range lane {
				started[sender] = true
			}
			go func() {
				defer notify(s.inboxCh)
				defer s.lanes.done(lane, h.host)
				s.handleLane(ctx, me, h.activitiesOf(lane))
			}()
		}
		for _, a := range h.acts {
			if !started[a.Actor] {
				notStarted = append(notStarted, a)
			}
		}
	}
	// No lane was free for these: give them back rather than let them wait
	// for their lease to lapse.
	if len(notStarted) > 0 {
		rctx := context.WithoutCancel(ctx)
		if err := s.db.Single(rctx, func(tx *storage.Tx) error { return tx.ReleaseInbox(rctx, inboxKeys(notStarted)) }); err != nil {
			s.log.Error("federation: give back inbox work", "err", err)
		}
	}
}

// inboxLease is how long a claimed batch is this process's alone: long
// enough for a lane to handle all it may take (inboxPerHost activities, each
// of which may wait on two fetches from slow servers), since a lease that
// lapsed mid-batch would let another process take the same sender's work. A
// process that dies holding a batch leaves it to the others (or to itself,
// restarted) when the lease lapses; one that stops gives it back at once.
func (s *Service) inboxLease() time.Duration {
	return time.Duration(inboxPerHost)*2*s.cfg.FetchTimeout + time.Minute
}

// handleLane handles activities in order (each sender's in the order
// received) and records them: those handled in one statement at the end,
// each failure on its own.
func (s *Service) handleLane(ctx context.Context, me string, acts []storage.InboxActivity) {
	var handled []storage.InboxActivity
	for i, a := range acts {
		err := s.handleActivity(ctx, me, a)
		if ctx.Err() != nil {
			// Stopped: what is not recorded stays due, given back for the
			// other processes (or the next start) to handle.
			rctx := context.WithoutCancel(ctx)
			if err := s.db.Single(rctx, func(tx *storage.Tx) error { return tx.ReleaseInbox(rctx, inboxKeys(acts[i:])) }); err != nil {
				s.log.Error("federation: give back inbox work", "err", err)
			}
			break
		}
		if err == nil {
			handled = append(handled, a)
			continue
		}
		if err := s.db.InTx(ctx, func(tx *storage.Tx) error { return s.recordFailure(ctx, tx, a, err) }); err != nil {
			// The rest stays claimed until the lease lapses, then is
			// handled again; what was handled already is recorded below.
			s.log.Error("federation: record a failed activity", "err", err)
			break
		}
	}
	if len(handled) == 0 {
		return
	}
	// Recorded even when shutdown starts meanwhile: the work is done.
	rctx := context.WithoutCancel(ctx)
	if err := s.db.Single(rctx, func(tx *storage.Tx) error { return tx.MarkInboxHandled(rctx, inboxKeys(handled), s.now()) }); err != nil {
		s.log.Error("federation: record handled activities", "err", err)
		return
	}
	// What was handled may have recorded events to announce (a verdict on
	// our joint statement): the publisher looks now, not at its tick.
	if slices.ContainsFunc(handled, func(a storage.InboxActivity) bool { return mayRecordEvents(a.Type) }) {
		notify(s.pubCh)
	}
}

// mayRecordEvents reports whether handling an activity of type typ may
// record an event to announce: offers, verdicts (in an Accept, Reject or
// Undo), pair decisions and joint records (in an Update). A status, a
// follow, a deletion record none, and do not wake the publisher.
func mayRecordEvents(typ string) bool {
	switch typ {
	case "Offer", "Accept", "Reject", "Undo", "Update", vocab.PairDecisionType:
		return true
	}
	return false
}

func inboxKeys(acts []storage.InboxActivity) []storage.InboxKey {
	keys := make([]storage.InboxKey, len(acts))
	for i, a := range acts {
		keys[i] = storage.InboxKey{Actor: a.Actor, ID: a.ID}
	}
	return keys
}

// hostBatch is one host's part of a round: its activities in order, and its
// senders in the order each first appears.
type hostBatch struct {
	host    string
	acts    []storage.InboxActivity
	senders []string
}

// activitiesOf is the part of the batch sent by the lane's senders, in order.
func (h hostBatch) activitiesOf(senders []string) []storage.InboxActivity {
	var out []storage.InboxActivity
	for _, a := range h.acts {
		if slices.Contains(senders, a.Actor) {
			out = append(out, a)
		}
	}
	return out
}

// byHost groups a batch by the senders' hosts, in the order each host first
// appears (oldest first), keeping the activities in order.
func byHost(batch []storage.InboxActivity) []hostBatch {
	var out []hostBatch
	at := map[string]int{}
	seen := map[string]bool{}
	for _, a := range batch {
		host, _ := hostOf(a.Actor)
		i, ok := at[host]
		if !ok {
			i = len(out)
			at[host] = i
			out = append(out, hostBatch{host: host})
		}
		out[i].acts = append(out[i].acts, a)
		if !seen[a.Actor] {
			seen[a.Actor] = true
			out[i].senders = append(out[i].senders, a.Actor)
		}
	}
	return out
}

// inboxLanes are the lanes this process runs, and the senders in them.
type inboxLanes struct {
	mu        sync.Mutex
	max       int             // lanes at once
	hostShare int             // lanes at once for one host
	lanes     int             // running
	busy      map[string]bool // senders in a running lane
	byHost    map[string]int  // running lanes by host
	running   sync.WaitGroup
}

func newInboxLanes(workers int) *inboxLanes {
	return &inboxLanes{max: workers, hostShare: max(1, workers/4), busy: map[string]bool{}, byHost: map[string]int{}}
}

func (l *inboxLanes) full() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lanes >= l.max
}

// startLanes takes as many lanes for host as it may still have, and shares
// its senders that are in no lane yet between them (each sender in one
// lane). It returns each lane's senders; none when no lane is free.
func (l *inboxLanes) startLanes(host string, senders []string) [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var idle []string
	for _, a := range senders {
		if !l.busy[a] {
			idle = append(idle, a)
		}
	}
	n := min(len(idle), l.max-l.lanes, l.hostShare-l.byHost[host])
	if n <= 0 {
		return nil
	}
	lanes := make([][]string, n)
	for i, a := range idle {
		lanes[i%n] = append(lanes[i%n], a)
		l.busy[a] = true
	}
	l.lanes += n
	l.byHost[host] += n
	l.running.Add(n)
	return lanes
}

// room is how many more lanes may start now, and the hosts that may start
// none (their share is running).
func (l *inboxLanes) room() (free int, full []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for host, n := range l.byHost {
		if n >= l.hostShare {
			full = append(full, host)
		}
	}
	return l.max - l.lanes, full
}

func (l *inboxLanes) done(senders []string, host string) {
	l.mu.Lock()
	for _, a := range senders {
		delete(l.busy, a)
	}
	l.lanes--
	if l.byHost[host]--; l.byHost[host] == 0 {
		delete(l.byHost, host)
	}
	l.mu.Unlock()
	l.running.Done()
}

// wait returns when every lane has ended.
func (l *inboxLanes) wait() { l.running.Wait() }

// inboxAttempts is how many times an activity is handled before a passing
// failure counts as final; the waits between them double from a minute.
const inboxAttempts = 6

// recordFailure marks an activity whose handling failed due again later,
// when it failed for a reason that may pass (the database, a remote server
// down): the sender was told it was received, so it must not be dropped.
// Otherwise it is marked processed, with the error kept for an admin.
func (s *Service) recordFailure(ctx context.Context, tx *storage.Tx, a storage.InboxActivity, err error) error {
	if !refusedForGood(err) && a.Attempts+1 < inboxAttempts {
		s.log.Warn("federation: activity not handled, will retry", "id", a.ID, "type", a.Type, "err", err)
		return tx.RetryInbox(ctx, a.Actor, a.ID, err.Error(), s.now().Add(time.Minute<<a.Attempts))
	}
	s.log.Info("federation: activity not handled", "id", a.ID, "type", a.Type, "err", err)
	return tx.MarkInboxProcessed(ctx, a.Actor, a.ID, err.Error(), s.now())
}

// refusal is an activity this movement will never accept as it is.
type refusal string

func (r refusal) Error() string { return string(r) }

// refusedForGood reports whether something failed in a way a retry cannot
// change: a refusal, a malformed document, something that does not exist, a
// remote server's 4xx answer, a forbidden address. The rest (the network, a
// server error, the database) may pass.
func refusedForGood(err error) bool {
	var r refusal
	var status statusError
	switch {
	case errors.As(err, &r):
		return true
	case errors.As(err, &status):
		return status < 500 && status != http.StatusTooManyRequests
	}
	return errors.Is(err, vocab.ErrInvalid) || errors.Is(err, proposals.ErrNotFound) ||
		errors.Is(err, signing.ErrForbiddenAddress) || errors.Is(err, signing.ErrTooLarge)
}

// handleActivity handles one stored activity; me is the movement's actor.
// The inbox checked the activity (go-fed included) before storing it, so it
// is read here without checking it again.
func (s *Service) handleActivity(ctx context.Context, me string, stored storage.InboxActivity) error {
	act, err := vocab.ParseReceived([]byte(stored.Body))
	if err != nil {
		return err
	}
	switch act.Type {
	case "Follow":
		return s.onFollow(ctx, act, me)
	case "Offer":
		return s.onOffer(ctx, act, me)
	case vocab.PairDecisionType:
		return s.onPairDecision(ctx, act)
	case "Undo", "Accept", "Reject":
		switch {
		case vocab.CarriesVerdict(act):
			return s.onVerdict(ctx, act)
		case act.Type == "Undo":
			return s.onUndo(ctx, act)
		}
		return s.onAnswer(ctx, act)
	case "Create", "Update":
		return s.onCreateOrUpdate(ctx, act, me)
	case "Delete":
		if act.ObjectID == act.Actor {
			return s.db.InTx(ctx, func(tx *storage.Tx) error { return tx.DeleteFollower(ctx, act.Actor) })
		}
	}
	return nil // other types are ignored, harmlessly
}

func (s *Service) onFollow(ctx context.Context, act vocab.Activity, me string) error {
	if act.ObjectID != me {
		return refusal("Follow of " + act.ObjectID + ", not of this movement")
	}
	remote, err := s.knownActor(ctx, act.Actor)
	if err != nil {
		return err
	}
	// The follower saved and, if accepted, its Accept queued: one statement
	// on PostgreSQL, so a hundred Follows at once are a hundred round trips
	// and not two hundred. (Held for an admin, it is answered when decided.)
	f := storage.Follower{RemoteActor: remote, FollowID: act.ID, FollowJSON: string(act.Raw)}
	accept, err := s.answer(me, f, true)
	if err != nil {
		return err
	}
	err = s.db.Atomic(ctx, func(tx *storage.Tx) (err error) {
		f.Status, err = tx.SaveFollowerAccepting(ctx, remote.ID, f.FollowID, f.FollowJSON, s.now(), accept)
		return err
	})
	if err == nil && f.Status == "accepted" {
		notify(s.kick)
	}
	return err
}

// onUndo ends a follow. The Undo embeds the Follow, or only names it: then
// the name must be the Follow kept, so that undoing a like is not an unfollow.
func (s *Service) onUndo(ctx context.Context, act vocab.Activity) error {
	if act.ObjectType != "" && act.ObjectType != "Follow" {
		return nil
	}
	if act.Object != nil {
		inner, err := vocab.ParseActivity(act.Object)
		if err != nil {
			return err
		}
		if inner.Actor != act.Actor {
			return refusal("Undo of another actor's Follow")
		}
	}
	return s.db.InTx(ctx, func(tx *storage.Tx) error {
		if act.Object == nil {
			f, err := tx.Follower(ctx, act.Actor)
			if err != nil || f.FollowID != act.ObjectID {
				return err // not a follower, or the Undo of something else
			}
		}
		return tx.DeleteFollower(ctx, act.Actor)
	})
}

// onAnswer records an Accept or Reject of our Follow. Some servers send the
// Follow's id, some embed it, some only name us: the actor is what counts.
func (s *Service) onAnswer(ctx context.Context, act vocab.Activity) error {
	status := "accepted"
	if act.Type == "Reject" {
		status = "rejected"
	}
	var followed storage.Followed
	err := s.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		if followed, err = tx.FollowedActor(ctx, act.Actor); err != nil {
			return err // an answer to a Follow we never sent
		}
		return tx.SetFollowingStatus(ctx, followed.FollowID, status, s.now())
	})
	if err == nil && status == "accepted" {
		s.fetchFeatured(ctx, followed.RemoteActor) // in case it was not readable before
	}
	return err
}

// onCreateOrUpdate keeps statement versions from followed movements, and
// refreshes an actor that announced a profile change.
func (s *Service) onCreateOrUpdate(ctx context.Context, act vocab.Activity, me string) error {
	if act.Type == "Update" && act.ObjectID == act.Actor {
		_, err := s.fetchActor(ctx, act.Actor, "")
		return err
	}
	if !act.Documents {
		return nil // a status or another object: nothing to keep, and no need to read it as a Note
	}
	objects := act.Objects
	if act.Object != nil {
		objects = append(objects, act.Object)
	}
	for _, obj := range objects {
		note, err := vocab.ParseNote(obj)
		if err == nil && note.Joint != nil && act.Type == "Update" {
			if err := s.onJointRecord(ctx, act, note, me); err != nil {
				return err
			}
			continue
		}
		if err != nil || note.Statement == nil {
			continue // a status or another object: nothing to keep
		}
		if note.AttributedTo != act.Actor {
			return refusal("a statement attributed to another actor")
		}
		if !sameHost(note.ID, act.Actor) {
			return refusal("a statement whose id is on another host than its author's")
		}
		if err := s.keepStatement(ctx, act.Actor, note); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) keepStatement(ctx context.Context, actor string, note vocab.ParsedNote) error {
	content, err := json.Marshal(note.Statement)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.FollowedActor(ctx, actor); err != nil {
			return err // only the statements of movements we follow are kept
		}
		return tx.SaveRemoteStatement(ctx, storage.RemoteStatement{ActorID: actor, Version: note.Statement.Version,
			NoteID: note.ID, Content: string(content), ReceivedAt: s.now()})
	})
	if err == nil {
		s.kickAllies() // embed the ally's texts
	}
	return err
}

// kickAllies wakes the alliances worker that embeds new texts.
func (s *Service) kickAllies() {
	if s.allies != nil {
		s.allies.Kick()
	}
}

// deliverDue sends the deliveries that are due, one batch at a time, and
// wakes another worker when there may be more than one batch.
func (s *Service) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		var batch []storage.Delivery
		now := s.now()
		err := s.db.Atomic(ctx, func(tx *storage.Tx) (err error) {
			batch, err = tx.ClaimDeliveries(ctx, now, now.Add(s.deliveryLease()), claimBatch)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("federation: claim deliveries", "err", err)
			}
			return
		}
		if len(batch) == 0 {
			return
		}
		if len(batch) == claimBatch {
			// There may be more: wake another worker to claim the next
			// batch, and that one the next. A kick wakes one worker, so a
			// fan-out to hundreds of inboxes went out through one worker
			// while the others slept until their poll.
			notify(s.kick)
		}
		s.deliverBatch(ctx, batch)
	}
}

// deliveredFlushAfter bounds how long a delivery sent waits to be recorded
// with those sent after it.
const deliveredFlushAfter = 500 * time.Millisecond

// deliverBatch sends a claimed batch in order. The deliveries sent are
// recorded together, in one statement on PostgreSQL, at the end of the
// batch, before a failure is recorded (so that a host's health is counted
// in the order its deliveries went), and at least every
// deliveredFlushAfter: a fan-out recorded them one statement each. A
// process killed mid-batch sends again, when the lease lapses, those it sent
// and had not recorded; receivers keep an activity once by its id.
func (s *Service) deliverBatch(ctx context.Context, batch []storage.Delivery) {
	var sent []storage.Delivery
	var since time.Time
	// Recorded even when shutdown starts meanwhile: they were sent.
	rctx := context.WithoutCancel(ctx)
	record := func() {
		if len(sent) == 0 {
			return
		}
		if err := s.db.Atomic(rctx, func(tx *storage.Tx) error { return tx.DeliveriesSucceeded(rctx, sent, s.now()) }); err != nil {
			s.log.Error("federation: record deliveries", "deliveries", len(sent), "err", err)
		}
		sent = nil
	}
	defer record()
	for _, d := range batch {
		status, wait, err := s.post(ctx, d)
		if err != nil && ctx.Err() != nil {
			return // stopped mid-post: the lease expires and the delivery is tried again, not counted as failed
		}
		if err == nil {
			if len(sent) == 0 {
				since = s.now()
			}
			sent = append(sent, d)
			if s.now().Sub(since) >= deliveredFlushAfter {
				record()
			}
			continue
		}
		record()
		s.deliveryFailed(rctx, d, status, wait, err)
	}
}

// deliveryLease is how long a claimed batch of deliveries is this worker's
// alone: long enough to send the whole batch one by one, each up to the
// fetch timeout, since a lease that lapsed mid-batch would let another
// worker (here or in another process) send the rest a second time. A
// process that dies holding a batch leaves it to the others when the lease
// lapses.
func (s *Service) deliveryLease() time.Duration {
	return time.Duration(claimBatch)*s.cfg.FetchTimeout + time.Minute
}

// deliveryFailed records a failed delivery: to be tried again, or given up.
func (s *Service) deliveryFailed(ctx context.Context, d storage.Delivery, status int, wait time.Duration, err error) {
	now := s.now()
	retryAt := s.nextAttempt(d, status, wait, now)
	if errors.Is(err, signing.ErrForbiddenAddress) {
		retryAt = nil // the address will not stop being private: final at once
	}
	if retryAt == nil {
		s.log.Warn("federation: delivery given up", "inbox", d.Inbox, "activity", d.ActivityID, "attempts", d.Attempts+1, "err", err)
	} else {
		s.log.Debug("federation: delivery failed, will retry", "inbox", d.Inbox, "activity", d.ActivityID, "err", err)
	}
	// What is kept is what the Allies page shows to facilitators: why, in
	// words ("it refused the connection"), not Go's "dial tcp …"; the log has
	// the error itself.
	err = s.db.InTx(ctx, func(tx *storage.Tx) error {
		return tx.DeliveryFailed(ctx, d, deliveryProblem(err), retryAt, now, pauseAfter, now.Add(pauseFor))
	})
	if err != nil {
		s.log.Error("federation: record delivery", "id", d.ID, "err", err)
	}
}

// deliveryProblem says why a delivery failed, for people: "their server
// refused the connection".
func deliveryProblem(err error) string {
	why := unreachable(err)
	if rest, ok := strings.CutPrefix(why, "it "); ok {
		return "their server " + rest
	}
	return why
}

func (s *Service) post(ctx context.Context, d storage.Delivery) (int, time.Duration, error) {
	keyID, key, err := s.signingIdentity(ctx)
	if err != nil {
		return 0, 0, err
	}
	body := []byte(d.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Inbox, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", `application/activity+json`)
	if err := signing.Sign(req, keyID, key, body, s.now()); err != nil {
		return 0, 0, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	signing.ReadBody(resp, 64<<10)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, 0, nil
	}
	wait, _ := retryAfter(resp.Header.Get("Retry-After"), s.now())
	return resp.StatusCode, wait, fmt.Errorf("%s answered %d", d.Inbox, resp.StatusCode)
}

// nextAttempt is when to retry, or nil to give up: exponential backoff with
// jitter from RetryBase, Retry-After honoured, bounded in attempts and age. A
// 4xx other than 408 and 429 is the peer refusing for good.
func (s *Service) nextAttempt(d storage.Delivery, status int, wait time.Duration, now time.Time) *time.Time {
	permanent := status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
	if permanent || d.Attempts+1 >= maxAttempts || now.Sub(d.CreatedAt) > giveUpAfter {
		return nil
	}
	delay := s.cfg.RetryBase << d.Attempts
	if delay > maxRetryDelay || delay <= 0 {
		delay = maxRetryDelay
	}
	delay += time.Duration(rand.Int64N(int64(s.cfg.RetryBase)/2 + 1))
	if wait > delay {
		delay = min(wait, maxRetryDelay)
	}
	at := now.Add(delay)
	return &at
}

func hostOf(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("not an inbox URL: %q", rawURL)
	}
	return strings.ToLower(u.Host), nil
}
