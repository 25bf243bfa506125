package consensus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// AgreementBase is what the agreement threshold is a share of.
type AgreementBase string

// The agreement bases.
const (
	// BaseAgreeDisagree measures agree / (agree + disagree + block):
	// stand-asides are left out, blocks count as disagreement.
	BaseAgreeDisagree AgreementBase = "agree_disagree"
	// BaseCast measures agree / votes cast: a stand-aside weighs like a "no".
	BaseCast AgreementBase = "cast"
	// BaseEligible measures agree / eligible voters: not voting weighs like a "no".
	BaseEligible AgreementBase = "eligible"
)

// of returns the size of the base in t.
func (b AgreementBase) of(t Tally) int64 {
	switch b {
	case BaseAgreeDisagree:
		return int64(t.Agree) + int64(t.Disagree) + int64(t.Block)
	case BaseCast:
		return int64(t.Cast())
	case BaseEligible:
		return int64(t.Eligible)
	}
	return 0
}

// label names the base in sentences.
func (b AgreementBase) label() string {
	switch b {
	case BaseAgreeDisagree:
		return "agree + disagree + block"
	case BaseCast:
		return "votes cast"
	case BaseEligible:
		return "eligible voters"
	}
	return string(b)
}

// Rule is a decision rule, frozen when voting opens. See the package
// documentation for how each field is counted.
type Rule struct {
	// Preset names the preset this rule started from; informational only,
	// Decide never reads it.
	Preset string `json:"preset,omitempty"`
	// Quorum is the share of eligible voters who must vote (any position).
	Quorum Ratio `json:"quorum"`
	// Threshold is the share of Base that must agree: at least Threshold, or
	// more than Threshold when MoreThan is set (simple majority).
	Threshold Ratio         `json:"threshold"`
	MoreThan  bool          `json:"more_than"`
	Base      AgreementBase `json:"base"`
	// MaxBlocks is how many blocks the proposal survives: AtMost(0) is
	// classic consensus, Unlimited() means a block is only a disagreement.
	MaxBlocks Limit `json:"max_blocks"`
	// MaxStandAsides caps stand-asides, as a count or a share of votes cast.
	MaxStandAsides Limit `json:"max_stand_asides"`
	// BlockNeedsReason and DisagreeNeedsReason are enforced where votes are
	// recorded; the tally carries no reasons.
	BlockNeedsReason    bool `json:"block_needs_reason"`
	DisagreeNeedsReason bool `json:"disagree_needs_reason"`
	// Fallback is the rule of a second round, opened when a round fails only
	// because of blocks (modified consensus). It has no fallback itself.
	Fallback *Rule `json:"fallback,omitempty"`
}

// MayNeedReason reports whether some rule may ask a reason for position p:
// whether NeedsReason may be true for it.
func (p Position) MayNeedReason() bool { return p == Block || p == Disagree }

// NeedsReason reports whether a vote for p must come with a reason.
func (r Rule) NeedsReason(p Position) bool {
	switch p {
	case Block:
		return r.BlockNeedsReason
	case Disagree:
		return r.DisagreeNeedsReason
	}
	return false
}

// WithQuorum returns a copy of r with quorum q, in the fallback round too:
// the quorum is a movement's setting, the same in both rounds.
func (r Rule) WithQuorum(q Ratio) Rule {
	r.Quorum = q.reduced()
	if r.Fallback != nil {
		fallback := r.Fallback.WithQuorum(q)
		r.Fallback = &fallback
	}
	return r
}

// Validate explains everything wrong with r, one line per problem.
func (r Rule) Validate() error {
	if err := r.validate(true); err != nil {
		return fmt.Errorf("consensus: invalid rule: %w", err)
	}
	return nil
}

func (r Rule) validate(mayHaveFallback bool) error {
	var problems []error
	add := func(field string, err error) {
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", field, err))
		}
	}
	add("preset", validPresetName(r.Preset))
	add("quorum", r.Quorum.validShare())
	add("threshold", r.Threshold.validShare())
	if r.MoreThan && r.Threshold.IsOne() {
		add("threshold", errors.New("more than 100% can never be reached"))
	}
	switch r.Base {
	case BaseAgreeDisagree, BaseCast, BaseEligible:
	case "":
		add("base", errors.New("missing (want agree_disagree, cast or eligible)"))
	default:
		add("base", fmt.Errorf("%s is not a base (want agree_disagree, cast or eligible)", quoteInput(string(r.Base))))
	}
	add("max_blocks", r.MaxBlocks.validate())
	add("max_stand_asides", r.MaxStandAsides.validate())
	if r.Fallback != nil {
		add("fallback", r.validateFallback(mayHaveFallback))
	}
	return errors.Join(problems...)
}

func (r Rule) validateFallback(mayHaveFallback bool) error {
	if !mayHaveFallback {
		return errors.New("a fallback rule cannot have a fallback of its own")
	}
	if r.MaxBlocks.IsUnlimited() {
		// With no block limit a round can never fail because of blocks.
		return errors.New("a fallback needs a block limit in the first round")
	}
	return r.Fallback.validate(false)
}

func validPresetName(name string) error {
	if len(name) > 64 {
		return errors.New("longer than 64 characters")
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return fmt.Errorf("%s: only a-z, 0-9 and _ are allowed", quoteInput(name))
		}
	}
	return nil
}

// ParseRule reads a rule from its JSON form and validates it. Unknown fields
// and trailing data are refused, so a typo cannot silently drop a setting.
func ParseRule(data []byte) (Rule, error) {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	var r Rule
	if err := decoder.Decode(&r); err != nil {
		return Rule{}, fmt.Errorf("consensus: reading rule: %w", err)
	}
	if _, err := decoder.Token(); err != io.EOF {
		return Rule{}, errors.New("consensus: reading rule: unexpected data after the rule")
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}
