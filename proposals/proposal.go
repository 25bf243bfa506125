package proposals

import (
	"fmt"
	"strings"
	"time"

	"github.com/commonground/commonground/consensus"
)

// ProposalStatus is where a proposal is in its life cycle:
// draft → open → adopted | rejected | conflicted, or withdrawn at any point
// before a decision. A rejected proposal whose round failed only on blocks may
// be opened again for a fallback round.
type ProposalStatus string

const (
	StatusDraft      ProposalStatus = "draft"
	StatusOpen       ProposalStatus = "open"
	StatusAdopted    ProposalStatus = "adopted"
	StatusRejected   ProposalStatus = "rejected"
	StatusConflicted ProposalStatus = "conflicted"
	StatusWithdrawn  ProposalStatus = "withdrawn"
)

// Decided reports whether the proposal has a final verdict.
func (s ProposalStatus) Decided() bool {
	return s == StatusAdopted || s == StatusRejected || s == StatusConflicted
}

// ProposalKind is what a proposal decides.
type ProposalKind string

const (
	// KindStatement changes the movement's core statement.
	KindStatement ProposalKind = "statement"
	// KindSignJoint signs one version of a joint statement (or, rejected,
	// declines it).
	KindSignJoint ProposalKind = "sign"
	// KindWithdrawJoint withdraws the movement's signature of a joint
	// statement.
	KindWithdrawJoint ProposalKind = "withdraw"
)

// AboutJoint reports whether the kind decides on a joint statement.
func (k ProposalKind) AboutJoint() bool { return k == KindSignJoint || k == KindWithdrawJoint }

// Proposal is a set of changes to the statement, with its reasons, its frozen
// decision rule once voting opens, and its outcome once decided. A proposal
// of a joint kind has no changes: it decides on version JointVersion of the
// joint statement JointID.
type Proposal struct {
	ID           int64
	Kind         ProposalKind
	JointID      int64
	JointVersion int
	Title        string
	Rationale    string
	AuthorID     int64
	AuthorName   string
	BaseVersion  int
	Changes      []Change
	Status       ProposalStatus
	// RuleKind is the part of the statement whose decision rule applies.
	RuleKind RuleKind
	// Rule is frozen when voting opens (and replaced by the fallback rule when
	// a fallback round opens); nil for a draft.
	Rule          *consensus.Rule
	Round         int
	Eligible      int
	OpenedAt      *time.Time
	ClosesAt      *time.Time
	DecidedAt     *time.Time
	Outcome       *consensus.Outcome
	ResultVersion int
	Conflict      string
	// SharedAt is when the authors shared a draft with every member, for
	// comments before voting opens; nil while it stays between its authors
	// and the facilitators.
	SharedAt *time.Time
	// Coauthors are the members who edit the draft with its author. Storage
	// leaves it empty; the service fills it where it matters (drafts).
	Coauthors []Member
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DateTime shows t in loc with the zone's name, so nobody has to guess
// which clock it is: "5 Dec 2026, 14:30 CET". Pages and messages to members
// both write times with it.
func DateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return t.Format("2 Jan 2006, 15:04 ") + zoneLabel(t)
}

// zoneLabel is the zone's abbreviation, or its name where the time zone
// database has only an offset ("+03") for it.
func zoneLabel(t time.Time) string {
	abbr, _ := t.Zone()
	if strings.HasPrefix(abbr, "+") || strings.HasPrefix(abbr, "-") {
		return t.Location().String() + " (UTC" + abbr + ")"
	}
	return abbr
}

// TimeLeft says how long from now until closes, for people: "7 days left",
// "5 hours left", "closing now". Days are rounded to the nearest, so a week's
// vote just opened has 7 days left.
func TimeLeft(now, closes time.Time) string {
	d := closes.Sub(now)
	switch {
	case d <= 0:
		return "closing now"
	case d < time.Hour:
		return plural(int(d.Minutes())+1, "minute") + " left"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " left"
	}
	return plural(int((d+12*time.Hour)/(24*time.Hour)), "day") + " left"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// VotingOpen reports whether votes are accepted at now.
func (p Proposal) VotingOpen(now time.Time) bool {
	return p.Status == StatusOpen && p.ClosesAt != nil && now.Before(*p.ClosesAt)
}

// VisibleTo reports whether a member may see the proposal: a proposal that was
// never opened for voting (a draft, or a draft withdrawn) stays between its
// authors and the facilitators, unless they shared it with the members.
func (p Proposal) VisibleTo(m Member) bool {
	return m.Active() && (p.OpenedAt != nil || p.SharedAt != nil || p.WrittenBy(m) || m.IsFacilitator())
}

// WrittenBy reports whether m is the proposal's author or a co-author.
func (p Proposal) WrittenBy(m Member) bool {
	if p.AuthorID == m.ID {
		return true
	}
	for _, c := range p.Coauthors {
		if c.ID == m.ID {
			return true
		}
	}
	return false
}

// JointVerdict is what a decided proposal about a joint statement says of
// the movement's signature: signed or declined for a signing vote, withdrawn
// for an adopted withdrawal. ok is false when there is nothing to record (a
// withdrawal the members did not adopt leaves the signature standing).
func (p Proposal) JointVerdict() (verdict string, ok bool) {
	adopted := p.Outcome != nil && p.Outcome.Adopted
	switch {
	case p.Kind == KindSignJoint && adopted:
		return "signed", true
	case p.Kind == KindSignJoint:
		return "declined", true
	case p.Kind == KindWithdrawJoint && adopted:
		return "withdrawn", true
	}
	return "", false
}

// FallbackAvailable reports whether a facilitator may open a fallback round.
func (p Proposal) FallbackAvailable() bool {
	return p.Status == StatusRejected && p.Outcome != nil && p.Outcome.FallbackAvailable && p.Round == 1
}

// ProposalSummary is a line in the list of proposals.
type ProposalSummary struct {
	ID         int64
	Kind       ProposalKind
	Title      string
	AuthorName string
	Status     ProposalStatus
	ClosesAt   *time.Time
	Votes      int
	Comments   int
	UpdatedAt  time.Time
}

// RuleKind is a part of the statement that has its own decision rule.
type RuleKind string

const (
	RulePreamble   RuleKind = "preamble"
	RuleObjectives RuleKind = RuleKind(Objectives)
	RuleValues     RuleKind = RuleKind(Values)
	RuleRedLines   RuleKind = RuleKind(RedLines)
	// RuleJoint decides on signing joint statements with allies.
	RuleJoint RuleKind = "joint_statements"
)

// RuleKinds from the most protected to the least: a proposal that touches several
// parts is decided under the rule of the most protected part it touches.
var RuleKinds = []RuleKind{RuleRedLines, RuleValues, RuleObjectives, RulePreamble}

// DecisionParts are every part with a rule of its own, in the order the
// settings show them: the statement's parts, then joint statements.
var DecisionParts = append(append([]RuleKind(nil), RuleKinds...), RuleJoint)

// Label is the part's name for people.
func (k RuleKind) Label() string {
	switch k {
	case RulePreamble:
		return "Preamble"
	case RuleJoint:
		return "Joint statements"
	}
	return Section(k).Label()
}

// DecisionSetting is the rule a movement chose for one part of its statement.
type DecisionSetting struct {
	Kind         RuleKind
	Preset       string
	Quorum       consensus.Ratio
	VotingPeriod time.Duration
}

// Rule builds the consensus rule this setting stands for.
func (d DecisionSetting) Rule() (consensus.Rule, error) {
	r, err := consensus.Preset(d.Preset)
	if err != nil {
		return consensus.Rule{}, Invalid("preset", "unknown decision rule %q", d.Preset)
	}
	q := d.Quorum
	switch {
	case q.Den > 0 && q.Num > q.Den:
		return consensus.Rule{}, Invalid("quorum", "a quorum can be at most 100%% of the members, not %d%%", q.Num*100/q.Den)
	case q.Den <= 0 || q.Num < 0:
		return consensus.Rule{}, Invalid("quorum", "write the quorum as a share of the members, such as 50%% or 2/3")
	}
	r = r.WithQuorum(q)
	if err := r.Validate(); err != nil {
		return consensus.Rule{}, Invalid("quorum", "write the quorum as a share of the members, such as 50%% or 2/3")
	}
	return r, nil
}

// Voting periods a movement may choose.
const (
	MinVotingPeriod = time.Hour
	MaxVotingPeriod = 60 * 24 * time.Hour
)

// DefaultDecisionSettings are what a new movement starts with: consensus for
// values and red lines, modified consensus elsewhere, half the members as quorum,
// a week to vote. Signing a joint statement takes the rule of values: a movement
// puts its name to what allies say together.
func DefaultDecisionSettings() []DecisionSetting {
	half := consensus.Ratio{Num: 1, Den: 2}
	week := 7 * 24 * time.Hour
	return []DecisionSetting{
		{Kind: RuleRedLines, Preset: "consensus", Quorum: half, VotingPeriod: week},
		{Kind: RuleValues, Preset: "consensus", Quorum: half, VotingPeriod: week},
		{Kind: RuleObjectives, Preset: "modified_consensus", Quorum: half, VotingPeriod: week},
		{Kind: RulePreamble, Preset: "modified_consensus", Quorum: half, VotingPeriod: week},
		{Kind: RuleJoint, Preset: "consensus", Quorum: half, VotingPeriod: week},
	}
}

// ruleKindFor is the most protected part of the statement the changes touch.
func ruleKindFor(base Statement, changes []Change) RuleKind {
	touched := map[RuleKind]bool{}
	for _, c := range changes {
		switch c.Kind {
		case EditPreamble:
			touched[RulePreamble] = true
		case AddItem:
			touched[RuleKind(c.Section)] = true
		case MoveItem:
			touched[RuleKind(c.Section)] = true
			fallthrough
		default:
			if it, _, ok := base.Item(c.ItemID); ok {
				touched[RuleKind(it.Section)] = true
			}
		}
	}
	for _, k := range RuleKinds {
		if touched[k] {
			return k
		}
	}
	return RulePreamble
}

// Vote is a member's current position on a proposal in the current round.
type Vote struct {
	MemberID   int64
	MemberName string
	Position   consensus.Position
	Reason     string
	UpdatedAt  time.Time
}

// VoteEvent is one entry of the audit trail: every position a member took.
type VoteEvent struct {
	Round      int
	MemberID   int64
	MemberName string
	Position   consensus.Position
	Reason     string
	At         time.Time
}

// MaxReasonLen bounds the reason given with a vote.
const MaxReasonLen = 2000

// Comment is a message in a proposal's discussion.
type Comment struct {
	ID           int64
	ProposalID   int64
	ParentID     int64 // 0 for a top-level comment
	AuthorID     int64
	AuthorName   string
	Body         string
	CreatedAt    time.Time
	EditedAt     *time.Time
	HiddenAt     *time.Time
	HiddenByName string
	HiddenReason string
}

// CommentEditWindow is how long an author may edit a comment after posting it.
const CommentEditWindow = 15 * time.Minute

// Editable reports whether member may still edit the comment at now.
func (c Comment) Editable(member *Member, now time.Time) bool {
	return member != nil && member.Active() && member.ID == c.AuthorID && c.HiddenAt == nil && now.Before(c.CreatedAt.Add(CommentEditWindow))
}

// Events the domain records for federation to announce.
const (
	// EventVersionAdopted: a statement version was adopted (ref: its number).
	EventVersionAdopted = "version_adopted"
	// EventProfileUpdated: the movement's name or description changed.
	EventProfileUpdated = "profile_updated"
	// EventJointDecided: the movement decided on a joint statement (ref: the
	// proposal): the verdict goes to the initiator, or, ours, to the allies.
	EventJointDecided = "joint_decided"
	// EventJointChanged: the signatories of a joint statement this movement
	// started changed (ref: the joint statement): every participant is told.
	EventJointChanged = "joint_changed"
	// EventPairDecided: facilitators confirmed, rejected or cleared a pair
	// of common ground (ref: the decision): the ally it concerns is told.
	EventPairDecided = "pair_decided"
)
