package consensus

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"slices"
	"testing"
	"testing/quick"
)

// The properties draw a seed from testing/quick and build a random valid rule
// and tally from it. Counts are kept small so boundaries (ties, exact quorum,
// empty bases) come up often.

var quickConfig = &quick.Config{MaxCount: 5000}

func randomRatio(rng *rand.Rand) Ratio {
	den := int64(1 + rng.Intn(12))
	r, _ := NewRatio(rng.Int63n(den+1), den)
	return r
}

func randomLimit(rng *rand.Rand) Limit {
	switch rng.Intn(3) {
	case 0:
		return Unlimited()
	case 1:
		return AtMost(rng.Intn(4))
	default:
		return AtMostShare(randomRatio(rng))
	}
}

func randomBase(rng *rand.Rand) AgreementBase {
	return []AgreementBase{BaseAgreeDisagree, BaseCast, BaseEligible}[rng.Intn(3)]
}

// randomSimpleRule is a valid rule without a fallback.
func randomSimpleRule(rng *rand.Rand) Rule {
	r := Rule{
		Quorum:              randomRatio(rng),
		Threshold:           randomRatio(rng),
		MoreThan:            rng.Intn(2) == 0,
		Base:                randomBase(rng),
		MaxBlocks:           randomLimit(rng),
		MaxStandAsides:      randomLimit(rng),
		BlockNeedsReason:    rng.Intn(2) == 0,
		DisagreeNeedsReason: rng.Intn(2) == 0,
	}
	if r.MoreThan && r.Threshold.IsOne() {
		r.MoreThan = false
	}
	return r
}

// randomRule is a valid rule; sometimes a preset, sometimes with a fallback.
func randomRule(rng *rand.Rand) Rule {
	if rng.Intn(4) == 0 {
		infos := Presets()
		r, _ := Preset(infos[rng.Intn(len(infos))].Name)
		return r.WithQuorum(randomRatio(rng))
	}
	r := randomSimpleRule(rng)
	if rng.Intn(3) == 0 {
		if r.MaxBlocks.IsUnlimited() {
			r.MaxBlocks = AtMost(rng.Intn(2))
		}
		fallback := randomSimpleRule(rng)
		r.Fallback = &fallback
	}
	return r
}

// randomTally is a valid tally; when room is set it leaves at least one
// eligible member who has not voted.
func randomTally(rng *rand.Rand, room bool) Tally {
	eligible := rng.Intn(16)
	if rng.Intn(10) == 0 {
		eligible = rng.Intn(1000)
	}
	if room {
		eligible++
	}
	left := eligible
	if room {
		left--
	}
	take := func() int {
		n := rng.Intn(left + 1)
		left -= n
		return n
	}
	counts := []int{take(), take(), take(), take()}
	rng.Shuffle(len(counts), func(i, j int) { counts[i], counts[j] = counts[j], counts[i] })
	return votes(eligible, counts[0], counts[1], counts[2], counts[3])
}

func check(t *testing.T, property func(seed int64) bool) {
	t.Helper()
	if err := quick.Check(property, quickConfig); err != nil {
		t.Error(err)
	}
}

// Adding an agree vote (a member who had not voted now agrees) never turns
// adoption into rejection: cast and agree both grow, every base grows by at
// most one while agree grows by one, and share limits only loosen.
func TestPropertyAddingAgreeNeverRejects(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, before := randomRule(rng), randomTally(rng, true)
		after := before
		after.Agree++
		if Decide(rule, before).Adopted && !Decide(rule, after).Adopted {
			t.Logf("rule %+v\nbefore %+v\nafter %+v", rule, before, after)
			return false
		}
		return true
	})
}

// Changing a vote to agree never turns adoption into rejection either.
func TestPropertyChangingToAgreeNeverRejects(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, before := randomRule(rng), randomTally(rng, false)
		after := before
		switch from := Positions()[1+rng.Intn(3)]; {
		case from == StandAside && after.StandAside > 0:
			after.StandAside--
		case from == Disagree && after.Disagree > 0:
			after.Disagree--
		case from == Block && after.Block > 0:
			after.Block--
		default:
			return true
		}
		after.Agree++
		return !Decide(rule, before).Adopted || Decide(rule, after).Adopted
	})
}

// Adding a block never turns rejection into adoption — with one exception
// that follows from "any position counts as cast": the extra vote can bring
// the round to quorum, or raise the votes cast enough to fit the stand-asides
// under a share limit. So: the agreement and blocks requirements never go
// from missed to met, and if the round was rejected for any reason other than
// quorum or stand-asides it stays rejected.
func TestPropertyAddingBlockNeverAdopts(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, before := randomRule(rng), randomTally(rng, true)
		after := before
		after.Block++
		b, a := Decide(rule, before), Decide(rule, after)
		for _, key := range []RequirementKey{KeyAgreement, KeyBlocks} {
			rb, _ := b.Requirement(key)
			ra, _ := a.Requirement(key)
			if !rb.Met && ra.Met {
				t.Logf("%s went from missed to met\nrule %+v\nbefore %+v", key, rule, before)
				return false
			}
		}
		if !b.Adopted && a.Adopted {
			for _, key := range missedKeys(b) {
				if key != KeyQuorum && key != KeyStandAsides {
					return false
				}
			}
		}
		return true
	})
}

// Once quorum is met and stand-asides are capped by a count (or not at all),
// adding a block never turns rejection into adoption, without exception.
func TestPropertyAddingBlockAtQuorumNeverAdopts(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, before := randomRule(rng), randomTally(rng, true)
		if _, isShare := rule.MaxStandAsides.Share(); isShare {
			rule.MaxStandAsides = AtMost(rng.Intn(3))
		}
		if q, _ := Decide(rule, before).Requirement(KeyQuorum); !q.Met {
			return true
		}
		after := before
		after.Block++
		return Decide(rule, before).Adopted || !Decide(rule, after).Adopted
	})
}

// Changing any vote to a block never turns rejection into adoption when the
// stand-asides are not what held it back.
func TestPropertyChangingAgreeToBlockNeverAdopts(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, before := randomRule(rng), randomTally(rng, false)
		if before.Agree == 0 {
			return true
		}
		after := before
		after.Agree--
		after.Block++
		return Decide(rule, before).Adopted || !Decide(rule, after).Adopted
	})
}

// The verdict depends on the counts only, never on the order of the votes.
func TestPropertyOrderDoesNotMatter(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, tally := randomRule(rng), randomTally(rng, false)
		var positions []Position
		for _, p := range []Position{Agree, StandAside, Disagree, Block, NotVoted} {
			for range tally.Count(p) {
				positions = append(positions, p)
			}
		}
		first, err := NewTally(tally.Eligible, positions)
		if err != nil {
			return false
		}
		rng.Shuffle(len(positions), func(i, j int) { positions[i], positions[j] = positions[j], positions[i] })
		shuffled, err := NewTally(tally.Eligible, positions)
		if err != nil {
			return false
		}
		return first == tally && reflect.DeepEqual(Decide(rule, first), Decide(rule, shuffled))
	})
}

// Publishing and reading back a rule, a tally and an outcome keeps the
// verdict, and the published outcome verifies.
func TestPropertyJSONRoundTripKeepsVerdict(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, tally := randomRule(rng), randomTally(rng, false)
		want := Decide(rule, tally)

		ruleJSON, _ := json.Marshal(rule)
		tallyJSON, _ := json.Marshal(tally)
		parsedRule, err := ParseRule(ruleJSON)
		if err != nil {
			t.Logf("%s: %v", ruleJSON, err)
			return false
		}
		var parsedTally Tally
		if err := json.Unmarshal(tallyJSON, &parsedTally); err != nil {
			return false
		}
		if !reflect.DeepEqual(Decide(parsedRule, parsedTally), want) {
			return false
		}

		outcomeJSON, _ := json.Marshal(want)
		var published Outcome
		if err := json.Unmarshal(outcomeJSON, &published); err != nil {
			return false
		}
		again, _ := json.Marshal(published)
		return Verify(published) == nil && reflect.DeepEqual(published, want) && string(again) == string(outcomeJSON)
	})
}

// Adoption is exactly "every requirement met", and a second round is offered
// exactly when blocks alone stopped a rule that has a fallback.
func TestPropertyVerdictIsExplained(t *testing.T) {
	check(t, func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		rule, tally := randomRule(rng), randomTally(rng, false)
		return outcomeInvariantsHold(t, rule, tally, Decide(rule, tally))
	})
}

// outcomeInvariantsHold is shared with FuzzDecide.
func outcomeInvariantsHold(t testing.TB, rule Rule, tally Tally, o Outcome) bool {
	if rule.Validate() != nil || tally.Validate() != nil {
		return !o.Adopted && !o.FallbackAvailable && len(o.Requirements) == 1 && o.Requirements[0].Key == KeyInput
	}
	keys := []RequirementKey{KeyQuorum, KeyAgreement, KeyBlocks, KeyStandAsides}
	if len(o.Requirements) != len(keys) {
		return false
	}
	allMet := true
	for i, r := range o.Requirements {
		if r.Key != keys[i] || r.Sentence == "" {
			return false
		}
		allMet = allMet && r.Met
	}
	missed := missedKeys(o)
	onlyBlocks := slices.Contains(missed, KeyBlocks) && !slices.Contains(missed, KeyQuorum) &&
		!slices.Contains(missed, KeyStandAsides) && agreementMetWithoutBlocks(rule, tally)
	switch {
	case o.Adopted != allMet:
		t.Logf("adopted=%t but all met=%t", o.Adopted, allMet)
		return false
	case o.FallbackAvailable != (onlyBlocks && rule.Fallback != nil):
		t.Logf("fallback_available=%t, missed %v", o.FallbackAvailable, missed)
		return false
	case o.Adopted && tally.Cast() == 0:
		t.Log("adopted with no votes")
		return false
	case o.Adopted && tally.Block > 0 && !rule.MaxBlocks.allows(int64(tally.Block), int64(tally.Cast())):
		return false
	}
	if _, err := o.FallbackRound(); (err == nil) != o.FallbackAvailable {
		return false
	}
	return true
}

// agreementMetWithoutBlocks: would agreement be met had the blockers not voted?
// Blocks also weigh as "no" in agreement, so a round with blocks can miss
// agreement only because of them; it is still stopped by blocks alone.
func agreementMetWithoutBlocks(rule Rule, tally Tally) bool {
	tally.Block = 0
	r, _ := Decide(rule, tally).Requirement(KeyAgreement)
	return r.Met
}
