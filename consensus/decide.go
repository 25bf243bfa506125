package consensus

import (
	"errors"
	"fmt"
	"strings"
)

// RequirementKey names a requirement in a verdict.
type RequirementKey string

// The requirements, in the order every outcome lists them.
const (
	KeyQuorum      RequirementKey = "quorum"
	KeyAgreement   RequirementKey = "agreement"
	KeyBlocks      RequirementKey = "blocks"
	KeyStandAsides RequirementKey = "stand_asides"

	// KeyInput is listed alone when the rule or tally is invalid, since
	// nothing else can be counted then.
	KeyInput RequirementKey = "input"
)

// Comparison says how Got relates to Needed in a requirement.
type Comparison string

// The comparisons.
const (
	CompareAtLeast  Comparison = "at_least"
	CompareMoreThan Comparison = "more_than"
	CompareAtMost   Comparison = "at_most"
)

// RequirementResult is one line of a verdict with the numbers behind it.
type RequirementResult struct {
	Key RequirementKey `json:"key"`
	// Got is what was counted: votes cast (quorum), agree votes (agreement),
	// blocks, stand-asides.
	Got int `json:"got"`
	// Of is what Got is measured against: eligible voters (quorum), the
	// agreement base, votes cast (blocks and stand-asides).
	Of int `json:"of"`
	// Needed is the ratio or limit in canonical form: "3/5", "0", "1/4",
	// "unlimited".
	Needed   string     `json:"needed"`
	Compare  Comparison `json:"compare"`
	Met      bool       `json:"met"`
	Sentence string     `json:"sentence"`
}

// Outcome is a verdict. It embeds the rule and tally it was computed from, so
// that anyone holding it can recompute it (see Verify).
type Outcome struct {
	Adopted bool `json:"adopted"`
	// FallbackAvailable is true when the round failed only because of blocks
	// and the rule has a fallback: a second round may be opened.
	FallbackAvailable bool                `json:"fallback_available"`
	Requirements      []RequirementResult `json:"requirements"`
	Rule              Rule                `json:"rule"`
	Tally             Tally               `json:"tally"`
}

// Decide computes the verdict of rule on tally. It never fails: an invalid
// rule or tally gives a rejection whose single "input" requirement says what
// is wrong.
func Decide(rule Rule, tally Tally) Outcome {
	outcome := Outcome{Rule: rule, Tally: tally}
	if err := validInput(rule, tally); err != nil {
		outcome.Requirements = []RequirementResult{{
			Key:      KeyInput,
			Sentence: "input: " + err.Error() + " — missed",
		}}
		return outcome
	}
	outcome.Requirements = []RequirementResult{
		quorumResult(rule, tally),
		agreementResult(rule, tally),
		limitResult(KeyBlocks, "blocks", rule.MaxBlocks, tally.Block, tally),
		limitResult(KeyStandAsides, "stand-asides", rule.MaxStandAsides, tally.StandAside, tally),
	}
	outcome.Adopted = allMet(outcome.Requirements)
	outcome.FallbackAvailable = !outcome.Adopted && rule.Fallback != nil && onlyBlocksStopped(rule, tally)
	return outcome
}

// onlyBlocksStopped reports whether the blocks alone stopped a round: it fails
// the block limit, and with the blocks left out of the agreement count it meets
// everything else. A block also counts as a "no" when agreement is measured, so
// without this a single block among few voters would always miss agreement
// too, and the fallback round (the whole point of modified consensus) could
// never be opened: 2 agree and 1 block is a round stopped by its block, not by
// too little agreement. Quorum and stand-asides are counted with the blocks,
// which were cast.
func onlyBlocksStopped(rule Rule, tally Tally) bool {
	if limitResult(KeyBlocks, "blocks", rule.MaxBlocks, tally.Block, tally).Met {
		return false
	}
	withoutBlocks := tally
	withoutBlocks.Block = 0
	return quorumResult(rule, tally).Met &&
		agreementResult(rule, withoutBlocks).Met &&
		limitResult(KeyStandAsides, "stand-asides", rule.MaxStandAsides, tally.StandAside, tally).Met
}

func validInput(rule Rule, tally Tally) error {
	if err := rule.Validate(); err != nil {
		return err
	}
	return tally.Validate()
}

// quorumResult: cast / eligible ≥ quorum, and at least one vote, so that
// nothing is ever adopted by nobody (zero eligible voters included).
func quorumResult(rule Rule, t Tally) RequirementResult {
	cast, eligible := t.Cast(), t.Eligible
	met := cast > 0 && rule.Quorum.reachedBy(int64(cast), int64(eligible))
	needed := rule.Quorum.Human() + " needed"
	if rule.Quorum.IsZero() {
		needed = "at least one vote needed"
	}
	sentence := fmt.Sprintf("quorum: %d of %d voted, %s", cast, eligible, needed)
	if eligible == 0 {
		sentence += " (no eligible voters)"
	}
	return RequirementResult{
		Key: KeyQuorum, Got: cast, Of: eligible,
		Needed: rule.Quorum.String(), Compare: CompareAtLeast,
		Met: met, Sentence: withVerdict(sentence, met),
	}
}

// agreementResult: agree / base ≥ threshold (or > with MoreThan). An empty
// base meets only "at least 0", the threshold of a rule that does not measure
// agreement: otherwise nobody agreed, and 0/0 must not pass for 2/3.
func agreementResult(rule Rule, t Tally) RequirementResult {
	agree, base := int64(t.Agree), rule.Base.of(t)
	noMinimum := rule.Threshold.IsZero() && !rule.MoreThan
	var met bool
	switch {
	case noMinimum:
		met = true
	case base == 0:
		met = false
	case rule.MoreThan:
		met = rule.Threshold.exceededBy(agree, base)
	default:
		met = rule.Threshold.reachedBy(agree, base)
	}
	compare, needed := CompareAtLeast, rule.Threshold.Human()+" needed"
	if rule.MoreThan {
		compare, needed = CompareMoreThan, "more than "+needed
	}
	if noMinimum {
		needed = "no minimum"
	}
	sentence := fmt.Sprintf("agreement: %d of %d agree (%s), %s", agree, base, rule.Base.label(), needed)
	if base == 0 && !noMinimum {
		sentence += " (nobody to count)"
	}
	return RequirementResult{
		Key: KeyAgreement, Got: int(agree), Of: int(base),
		Needed: rule.Threshold.String(), Compare: compare,
		Met: met, Sentence: withVerdict(sentence, met),
	}
}

// limitResult: blocks or stand-asides within their limit, a share limit being
// a share of votes cast.
func limitResult(key RequirementKey, name string, limit Limit, n int, t Tally) RequirementResult {
	cast := t.Cast()
	met := limit.allows(int64(n), int64(cast))
	var sentence string
	switch {
	case limit.IsUnlimited() && key == KeyBlocks:
		sentence = fmt.Sprintf("%s: %d, no limit (a block counts as disagree)", name, n)
	case limit.IsUnlimited():
		sentence = fmt.Sprintf("%s: %d, no limit", name, n)
	case limit.kind == limitShare:
		sentence = fmt.Sprintf("%s: %d of %d votes cast, at most %s allowed", name, n, cast, limit.share.Human())
	default:
		sentence = fmt.Sprintf("%s: %d, at most %d allowed", name, n, limit.count)
	}
	return RequirementResult{
		Key: key, Got: n, Of: cast,
		Needed: limit.String(), Compare: CompareAtMost,
		Met: met, Sentence: withVerdict(sentence, met),
	}
}

func withVerdict(sentence string, met bool) string {
	if met {
		return sentence + " — met"
	}
	return sentence + " — missed"
}

func allMet(results []RequirementResult) bool {
	for _, r := range results {
		if !r.Met {
			return false
		}
	}
	return true
}

// Requirement returns the result for key, if listed.
func (o Outcome) Requirement(key RequirementKey) (RequirementResult, bool) {
	for _, r := range o.Requirements {
		if r.Key == key {
			return r, true
		}
	}
	return RequirementResult{}, false
}

// Summary is the verdict in one or two sentences: adopted, or what was
// missed and whether a second round may follow.
func (o Outcome) Summary() string {
	if o.Adopted {
		return "Adopted: every requirement met (quorum, agreement, blocks, stand-asides)."
	}
	var missed []string
	for _, r := range o.Requirements {
		if !r.Met {
			missed = append(missed, r.Sentence)
		}
	}
	summary := "Not adopted: " + strings.Join(missed, "; ") + "."
	switch {
	case o.FallbackAvailable:
		summary += " Only blocks stopped it: a second round may be opened under the fallback rule."
	case o.Rule.Fallback != nil && o.missed(KeyBlocks):
		summary += " No second round is offered: even leaving the blocks aside, it did not meet every other requirement."
	}
	return summary
}

// missed reports whether the requirement named key was missed.
func (o Outcome) missed(key RequirementKey) bool {
	for _, r := range o.Requirements {
		if r.Key == key {
			return !r.Met
		}
	}
	return false
}

// ErrNoFallbackRound is wrapped by FallbackRound when no second round may
// be opened.
var ErrNoFallbackRound = errors.New("consensus: no second round")

// FallbackRound says whether a second round may follow this one and returns
// the rule it runs under. It recomputes the verdict from the embedded rule and
// tally rather than trusting FallbackAvailable, which may have been read
// from JSON. The second round is a new vote with a new tally.
func (o Outcome) FallbackRound() (Rule, error) {
	first := Decide(o.Rule, o.Tally)
	switch {
	case first.Adopted:
		return Rule{}, fmt.Errorf("%w: the proposal was adopted", ErrNoFallbackRound)
	case o.Rule.Fallback == nil:
		return Rule{}, fmt.Errorf("%w: the rule has no fallback", ErrNoFallbackRound)
	case !first.FallbackAvailable:
		return Rule{}, fmt.Errorf("%w: the round failed for more than blocks", ErrNoFallbackRound)
	}
	return *o.Rule.Fallback, nil
}

// Verify recomputes o from its rule and tally and reports any difference, so
// an ally can check a published verdict.
func Verify(o Outcome) error {
	want := Decide(o.Rule, o.Tally)
	if o.Adopted != want.Adopted || o.FallbackAvailable != want.FallbackAvailable {
		return fmt.Errorf("consensus: verdict does not match: published adopted=%t fallback_available=%t, recomputed adopted=%t fallback_available=%t",
			o.Adopted, o.FallbackAvailable, want.Adopted, want.FallbackAvailable)
	}
	if len(o.Requirements) != len(want.Requirements) {
		return fmt.Errorf("consensus: verdict does not match: %d requirements published, %d recomputed", len(o.Requirements), len(want.Requirements))
	}
	for i, got := range o.Requirements {
		if got != want.Requirements[i] {
			return fmt.Errorf("consensus: verdict does not match on %s: published %q, recomputed %q", want.Requirements[i].Key, got.Sentence, want.Requirements[i].Sentence)
		}
	}
	return nil
}
