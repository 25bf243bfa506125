package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commonground/commonground/proposals"
)

const (
	// liveReadGap is the least time between two reads of one proposal's live
	// state: changes that arrive meanwhile are read together, so a burst of
	// votes costs each process a few reads, not one per vote.
	liveReadGap = 150 * time.Millisecond
	// liveBackstop re-reads a watched proposal even without a notice, in case
	// one was lost.
	liveBackstop = 30 * time.Second
	// liveReadTimeout bounds one read of the live state.
	liveReadTimeout = 10 * time.Second
)

// liveTallies keeps one reader per watched proposal in this process, and fans
// what it reads out to every open stream of that proposal. A reader reads
// when a notice says the proposal's votes changed (from any process sharing
// the database), so open pages cost nothing while nothing changes.
type liveTallies struct {
	svc *proposals.Service
	log *slog.Logger

	mu    sync.Mutex
	feeds map[int64]*liveFeed
	// members holds each member's open streams, so that a notice about one
	// member's sessions wakes only theirs.
	members map[int64]map[*liveStream]struct{}
}

func newLiveTallies(svc *proposals.Service, log *slog.Logger) *liveTallies {
	return &liveTallies{svc: svc, log: log, feeds: map[int64]*liveFeed{}, members: map[int64]map[*liveStream]struct{}{}}
}

// liveFeed is one proposal's reader and the streams it feeds.
type liveFeed struct {
	id      int64
	changed chan struct{} // a notice arrived; capacity 1, so notices coalesce

	mu       sync.Mutex
	watchers map[*liveStream]struct{}
	state    *proposals.LiveState
	rendered map[bool][]byte // the state as sent, with and without results
}

// liveStream is one open stream of member's: its wake channel (capacity 1)
// is signalled when the feed read a new state or the member's sessions may
// have ended, which recheck then says.
type liveStream struct {
	member  int64
	wake    chan struct{}
	recheck atomic.Bool
}

// sessionMayHaveEnded wakes the stream to check its session again.
func (st *liveStream) sessionMayHaveEnded() {
	st.recheck.Store(true)
	signal(st.wake)
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// noticed routes a notice: a change of votes to that proposal's reader, a
// change to a member's sessions to that member's streams (every stream if
// the notice names no member), a possible loss to everything.
func (l *liveTallies) noticed(n proposals.Notice) {
	switch n.Topic {
	case proposals.NoticeVotes:
		l.mu.Lock()
		if f := l.feeds[n.ID]; f != nil {
			signal(f.changed)
		}
		l.mu.Unlock()
	case proposals.NoticeSessions:
		if n.ID == 0 {
			l.wakeAll(false)
			return
		}
		l.mu.Lock()
		for st := range l.members[n.ID] {
			st.sessionMayHaveEnded()
		}
		l.mu.Unlock()
	case proposals.NoticeEverything:
		l.wakeAll(true)
	}
}

func (l *liveTallies) wakeAll(reread bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.feeds {
		if reread {
			signal(f.changed)
		}
	}
	for _, streams := range l.members {
		for st := range streams {
			st.sessionMayHaveEnded()
		}
	}
}

// watch adds member's stream to proposal id's feed, starting its reader if
// it is the first; the returned function takes the stream off again.
func (l *liveTallies) watch(id, member int64) (*liveFeed, *liveStream, func()) {
	st := &liveStream{member: member, wake: make(chan struct{}, 1)}
	// The session may have ended between its check and now: check it again
	// on the first wake (from the session cache, usually).
	st.recheck.Store(true)
	l.mu.Lock()
	if l.members[member] == nil {
		l.members[member] = map[*liveStream]struct{}{}
	}
	l.members[member][st] = struct{}{}
	f := l.feeds[id]
	if f == nil {
		f = &liveFeed{id: id, changed: make(chan struct{}, 1), watchers: map[*liveStream]struct{}{}}
		l.feeds[id] = f
		signal(f.changed) // the first read
		go l.read(f)
	}
	f.mu.Lock()
	f.watchers[st] = struct{}{}
	if f.state != nil {
		signal(st.wake) // what the feed holds already
	}
	f.mu.Unlock()
	l.mu.Unlock()
	return f, st, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		f.mu.Lock()
		delete(f.watchers, st)
		f.mu.Unlock()
		delete(l.members[member], st)
		if len(l.members[member]) == 0 {
			delete(l.members, member)
		}
	}
}

// read is a feed's reader: it reads the proposal's live state whenever a
// notice says it changed (and now and then without one), and wakes the
// streams. It stops once no stream watches, removing the feed under the
// same lock that watch takes, so no stream joins a stopped feed.
func (l *liveTallies) read(f *liveFeed) {
	backstop := time.NewTicker(liveBackstop)
	defer backstop.Stop()
	check := time.NewTicker(time.Second)
	defer check.Stop()
	for {
		select {
		case <-f.changed:
		case <-backstop.C:
		case <-check.C:
			if l.stopIfUnwatched(f) {
				return
			}
			continue
		}
		if l.stopIfUnwatched(f) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), liveReadTimeout)
		state, err := l.svc.LiveState(ctx, f.id)
		cancel()
		if err != nil {
			l.log.Warn("live tally: read", "proposal", f.id, "err", err)
		} else {
			f.publish(state)
		}
		time.Sleep(liveReadGap)
	}
}

func (l *liveTallies) stopIfUnwatched(f *liveFeed) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.watchers) > 0 {
		return false
	}
	delete(l.feeds, f.id)
	return true
}

func (f *liveFeed) publish(state proposals.LiveState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state, f.rendered = &state, map[bool][]byte{}
	for st := range f.watchers {
		signal(st.wake)
	}
}

// current returns the latest state as w may see it, encoded once per state
// for all who see it the same way (with results, or without).
func (f *liveFeed) current(w proposals.LiveWatcher) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state == nil {
		return nil, false
	}
	visible := f.state.Shown(w)
	data, ok := f.rendered[visible]
	if !ok {
		data, _ = json.Marshal(tallyJSONOf(f.state.View(visible)))
		f.rendered[visible] = data
	}
	return data, true
}

// tallyJSON is the live tally as the page's script reads it.
type tallyJSON struct {
	Visible      bool              `json:"visible"`
	Status       string            `json:"status"`
	Cast         int               `json:"cast"`
	Eligible     int               `json:"eligible"`
	Agree        int               `json:"agree"`
	StandAside   int               `json:"stand_aside"`
	Disagree     int               `json:"disagree"`
	Block        int               `json:"block"`
	Summary      string            `json:"summary,omitempty"`
	Requirements []requirementJSON `json:"requirements,omitempty"`
	Votes        []voteJSON        `json:"votes,omitempty"`
	Changes      int               `json:"changes,omitempty"`
}

// requirementJSON is one requirement of the rule: the sentence shown, and
// whether the tally meets it (the page marks it met or missed).
type requirementJSON struct {
	Sentence string `json:"sentence"`
	Met      bool   `json:"met"`
}

// voteJSON is one row of the table of votes: who, where they stand, and why.
type voteJSON struct {
	Member   string `json:"member"`
	Position string `json:"position"`
	Label    string `json:"label"`
	Reason   string `json:"reason"`
}

func tallyJSONOf(lt proposals.LiveTally) tallyJSON {
	out := tallyJSON{Visible: lt.Visible, Status: string(lt.Status), Cast: lt.Cast, Eligible: lt.Eligible}
	if !lt.Visible {
		return out
	}
	out.Agree, out.StandAside, out.Disagree, out.Block = lt.Tally.Agree, lt.Tally.StandAside, lt.Tally.Disagree, lt.Tally.Block
	out.Summary = "If voting closed now: " + lt.Preview.Summary()
	if lt.Status != proposals.StatusOpen {
		out.Summary = "Voting has closed: " + lt.Preview.Summary() + " Reload the page for the outcome."
	}
	for _, req := range lt.Preview.Requirements {
		out.Requirements = append(out.Requirements, requirementJSON{Sentence: req.Sentence, Met: req.Met})
	}
	out.Changes = lt.Changes
	out.Votes = make([]voteJSON, len(lt.Votes))
	for i, v := range lt.Votes {
		out.Votes[i] = voteJSON{Member: v.MemberName, Position: string(v.Position), Label: v.Position.Label(), Reason: v.Reason}
	}
	return out
}
