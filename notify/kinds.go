// Package notify decides who is told what, and when: which events members
// hear of (voting opened, a reminder before a vote closes, the outcome, a
// new version of the statement, a reply to their comment, a joint statement
// to sign), on which channel (email, a direct message on the fediverse) and
// how (at once or in a daily digest), from each member's choices. It also
// gathers what a member's home page shows them to do.
//
// It is plain Go: storage keeps the queue, a mail sender and federation carry
// the messages, all behind the ports declared here.
package notify

import (
	"fmt"
	"time"

	"github.com/commonground/commonground/proposals"
)

// Kind is a kind of notification a member can turn on or off.
type Kind string

const (
	VoteOpened   Kind = "vote_opened"
	VoteReminder Kind = "vote_reminder"
	Outcome      Kind = "outcome"
	NewVersion   Kind = "new_version"
	CommentReply Kind = "comment_reply"
	JointToSign  Kind = "joint_to_sign"
)

// VerifyEmail is the message that asks a member to confirm their address:
// not a kind anyone chooses, and the only one sent to an address not
// confirmed yet.
const VerifyEmail Kind = "verify_email"

// Kinds in the order the settings page lists them.
var Kinds = []Kind{VoteOpened, VoteReminder, Outcome, NewVersion, CommentReply, JointToSign}

// Label is the kind's name on the settings page.
func (k Kind) Label() string {
	switch k {
	case VoteOpened:
		return "Voting opened on a proposal"
	case VoteReminder:
		return "Reminder a day before a vote closes, if you have not voted"
	case Outcome:
		return "The outcome of a vote"
	case NewVersion:
		return "A new version of our statement"
	case CommentReply:
		return "A reply to your comment"
	case JointToSign:
		return "A vote on a joint statement: to sign it, or to withdraw our signature"
	}
	return string(k)
}

// ParseKind refuses anything but a known kind.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Channel is how a notification reaches a member.
type Channel string

const (
	Email     Channel = "email"
	Fediverse Channel = "fediverse"
)

// Channels in the order the settings page lists them.
var Channels = []Channel{Email, Fediverse}

// Mode is what a member chose for one kind on one channel.
type Mode string

const (
	Off       Mode = "off"
	Immediate Mode = "immediate"
	Digest    Mode = "digest"
)

// Modes in the order the settings page offers them.
var Modes = []Mode{Immediate, Digest, Off}

// Label is the mode's name in the settings form.
func (m Mode) Label() string {
	switch m {
	case Immediate:
		return "At once"
	case Digest:
		return "Daily digest"
	}
	return "Off"
}

// ParseMode refuses anything but the three modes.
func ParseMode(s string) (Mode, bool) {
	for _, m := range Modes {
		if string(m) == s {
			return m, true
		}
	}
	return "", false
}

// DefaultMode is a kind's mode for a member who did not choose: what asks
// something of them (a vote, a reminder, a signature) comes at once; news
// comes in the daily digest.
func DefaultMode(k Kind) Mode {
	switch k {
	case VoteOpened, VoteReminder, JointToSign:
		return Immediate
	}
	return Digest
}

// ReminderBefore is how long before a vote closes the members who have not
// voted are reminded. A vote shorter than that gets no reminder: its opening
// notice is recent enough.
const ReminderBefore = 24 * time.Hour

// Event is something that happened that members may be told of: the facts
// storage found, which Message turns into words.
type Event struct {
	Kind Kind
	// Ref names the event within its kind ("p12r1": proposal 12, round 1),
	// so that it is planned once.
	Ref        string
	ProposalID int64
	Round      int
	Title      string
	OpenedAt   time.Time
	ClosesAt   time.Time
	// Verdict is a decided proposal's status: adopted, rejected, conflicted.
	Verdict string
	Version int
	// To, Author and Excerpt are a reply's: To is the member replied to.
	To      int64
	Author  string
	Excerpt string
	// At is when it happened.
	At time.Time
}

// Message is what one notification says: a subject, a plain-text body and a
// link (a path on the instance).
type Message struct {
	Subject, Body, Link string
}

// Message words the event for members who read times in loc.
func (e Event) Message(loc *time.Location) Message {
	when := func(t time.Time) string { return proposals.DateTime(t, loc) }
	proposal := fmt.Sprintf("/proposals/%d", e.ProposalID)
	switch e.Kind {
	case VoteOpened:
		return Message{"Voting is open: " + e.Title,
			fmt.Sprintf("Voting is open on the proposal %q until %s. Read it and vote.", e.Title, when(e.ClosesAt)), proposal}
	case JointToSign:
		return Message{"Voting is open: " + e.Title,
			fmt.Sprintf("Our members decide on a joint statement with our allies: %s. Voting is open until %s.", e.Title, when(e.ClosesAt)), proposal}
	case VoteReminder:
		return Message{"A day left to vote: " + e.Title,
			fmt.Sprintf("Voting on %q closes at %s and you have not voted yet.", e.Title, when(e.ClosesAt)), proposal}
	case Outcome:
		return Message{"Decided: " + e.Title,
			fmt.Sprintf("The vote on %q is over: the proposal is %s.", e.Title, e.Verdict), proposal}
	case NewVersion:
		return Message{fmt.Sprintf("Version %d of our statement", e.Version),
			fmt.Sprintf("Our statement has a new version (%d), adopted by the vote on %q.", e.Version, e.Title),
			fmt.Sprintf("/statement/diff?from=%d&to=%d", e.Version-1, e.Version)}
	case CommentReply:
		return Message{fmt.Sprintf("%s replied to you on %s", e.Author, e.Title),
			fmt.Sprintf("%s replied to your comment on %q:\n\n%s", e.Author, e.Title, e.Excerpt), proposal}
	}
	return Message{Subject: string(e.Kind), Link: "/"}
}
