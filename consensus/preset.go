package consensus

import "fmt"

// PresetInfo describes a named rule for a select box.
type PresetInfo struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Description string `json:"description"`
}

// preset pairs a description with a constructor, so every call to Preset
// returns a fresh rule the caller may change (its fallback included).
type preset struct {
	info PresetInfo
	rule func() Rule
}

// defaultQuorum is the quorum every preset starts with: half of the eligible
// voters. Movements change it with Rule.WithQuorum.
var defaultQuorum = Ratio{1, 2}

var presets = []preset{
	{
		PresetInfo{"consensus", "Consensus",
			"Adopted when nobody blocks and at least 3/4 of those taking a side agree; a block needs a reason."},
		consensusRule,
	},
	{
		PresetInfo{"modified_consensus", "Modified consensus",
			"Consensus; if only blocks stop it, a second round can adopt it with 9/10 of the votes cast."},
		func() Rule {
			r := consensusRule()
			r.Preset = "modified_consensus"
			r.Fallback = &Rule{
				Quorum:         defaultQuorum,
				Threshold:      Ratio{9, 10},
				Base:           BaseCast,
				MaxBlocks:      Unlimited(),
				MaxStandAsides: Unlimited(),
			}
			return r
		},
	},
	{
		PresetInfo{"consent", "Consent",
			"Adopted when nobody objects: only a block, with its reason, stops it; disagreeing records a concern."},
		func() Rule {
			return Rule{
				Preset:           "consent",
				Quorum:           defaultQuorum,
				Threshold:        Ratio{0, 1}, // agreement is not measured
				Base:             BaseAgreeDisagree,
				MaxBlocks:        AtMost(0),
				MaxStandAsides:   Unlimited(),
				BlockNeedsReason: true,
			}
		},
	},
	{
		PresetInfo{"simple_majority", "Simple majority",
			"Adopted when more agree than disagree or block; stand-asides are left out and a tie fails."},
		func() Rule { return majorityRule("simple_majority", Ratio{1, 2}, true) },
	},
	{
		PresetInfo{"two_thirds", "Two-thirds majority",
			"Adopted when at least 2/3 of those who agree, disagree or block agree; stand-asides are left out."},
		func() Rule { return majorityRule("two_thirds", Ratio{2, 3}, false) },
	},
	{
		PresetInfo{"three_quarters", "Three-quarters majority",
			"Adopted when at least 3/4 of those who agree, disagree or block agree; stand-asides are left out."},
		func() Rule { return majorityRule("three_quarters", Ratio{3, 4}, false) },
	},
}

// consensusRule needs broad agreement as well as no block, so that a
// proposal half the group disagrees with is not "consensus".
func consensusRule() Rule {
	return Rule{
		Preset:           "consensus",
		Quorum:           defaultQuorum,
		Threshold:        Ratio{3, 4},
		Base:             BaseAgreeDisagree,
		MaxBlocks:        AtMost(0),
		MaxStandAsides:   Unlimited(),
		BlockNeedsReason: true,
	}
}

// majorityRule is a vote: no block limit, a block counts as disagreement.
func majorityRule(name string, threshold Ratio, moreThan bool) Rule {
	return Rule{
		Preset:         name,
		Quorum:         defaultQuorum,
		Threshold:      threshold,
		MoreThan:       moreThan,
		Base:           BaseAgreeDisagree,
		MaxBlocks:      Unlimited(),
		MaxStandAsides: Unlimited(),
	}
}

// Presets lists the named rules in a stable order.
func Presets() []PresetInfo {
	infos := make([]PresetInfo, len(presets))
	for i, p := range presets {
		infos[i] = p.info
	}
	return infos
}

// Preset returns the named rule with its default quorum.
func Preset(name string) (Rule, error) {
	for _, p := range presets {
		if p.info.Name == name {
			return p.rule(), nil
		}
	}
	return Rule{}, fmt.Errorf("consensus: no preset named %s", quoteInput(name))
}
