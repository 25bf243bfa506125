package proposals

import (
	"strconv"
	"strings"
)

// NoticeTopic names what a Notice is about.
type NoticeTopic string

const (
	// NoticeVotes: the votes, the status or the round of proposal ID changed,
	// so its live tally must be read again.
	NoticeVotes NoticeTopic = "votes"
	// NoticeProposal: proposal ID, its changes, its co-authors or its
	// comments changed, so what its page shows must be read again.
	NoticeProposal NoticeTopic = "proposal"
	// NoticeSessions: a session ended, or member ID's role or status changed,
	// so every session read before may be stale.
	NoticeSessions NoticeTopic = "sessions"
	// NoticeStatement: the movement's profile or its statement changed, so
	// what every page shows of them must be read again.
	NoticeStatement NoticeTopic = "statement"
	// NoticeEverything: notices may have been missed (the connection that
	// receives them was lost), so everything cached must be read again.
	NoticeEverything NoticeTopic = "everything"
)

// Notice tells every process sharing the database that something it may hold
// in memory changed. A service method records it in its transaction (Tx.Notify);
// storage hands it on only once the transaction committed, so no process acts
// on a change that was rolled back.
type Notice struct {
	Topic NoticeTopic
	ID    int64
}

// String is the notice as it travels between processes: "votes:12".
func (n Notice) String() string { return string(n.Topic) + ":" + strconv.FormatInt(n.ID, 10) }

// ParseNotice reads a notice written by String; ok is false for anything else.
func ParseNotice(s string) (Notice, bool) {
	topic, id, found := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !found || err != nil {
		return Notice{}, false
	}
	switch t := NoticeTopic(topic); t {
	case NoticeVotes, NoticeProposal, NoticeSessions, NoticeStatement, NoticeEverything:
		return Notice{Topic: t, ID: n}, true
	}
	return Notice{}, false
}

// NoticeTx is the storage port for notices.
type NoticeTx interface {
	// Notify hands n to every process (this one included) once the
	// transaction commits.
	Notify(n Notice)
}
