package consensus

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestPresets(t *testing.T) {
	wantNames := []string{"consensus", "modified_consensus", "consent", "simple_majority", "two_thirds", "three_quarters"}
	infos := Presets()
	if len(infos) != len(wantNames) {
		t.Fatalf("%d presets, want %d", len(infos), len(wantNames))
	}
	for i, info := range infos {
		if info.Name != wantNames[i] {
			t.Errorf("preset %d is %q, want %q", i, info.Name, wantNames[i])
		}
		if info.Label == "" || info.Description == "" || !strings.HasSuffix(info.Description, ".") {
			t.Errorf("preset %q needs a label and a one-sentence description", info.Name)
		}
		rule, err := Preset(info.Name)
		if err != nil {
			t.Fatalf("Preset(%q): %v", info.Name, err)
		}
		if err := rule.Validate(); err != nil {
			t.Errorf("preset %q does not validate: %v", info.Name, err)
		}
		if rule.Preset != info.Name {
			t.Errorf("preset %q records its name as %q", info.Name, rule.Preset)
		}
		if rule.Quorum != (Ratio{1, 2}) {
			t.Errorf("preset %q has default quorum %v", info.Name, rule.Quorum)
		}
	}
	if _, err := Preset("unanimity"); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestPresetSemantics(t *testing.T) {
	consensus := mustPreset(t, "consensus")
	if n, ok := consensus.MaxBlocks.Count(); !ok || n != 0 || !consensus.NeedsReason(Block) || consensus.Fallback != nil {
		t.Errorf("consensus: %+v", consensus)
	}
	modified := mustPreset(t, "modified_consensus")
	if modified.Fallback == nil || modified.Fallback.Threshold != (Ratio{9, 10}) || modified.Fallback.Base != BaseCast {
		t.Errorf("modified consensus fallback: %+v", modified.Fallback)
	}
	consent := mustPreset(t, "consent")
	if !consent.Threshold.IsZero() || consent.NeedsReason(Disagree) || !consent.NeedsReason(Block) {
		t.Errorf("consent: %+v", consent)
	}
	majority := mustPreset(t, "simple_majority")
	if !majority.MoreThan || !majority.MaxBlocks.IsUnlimited() || majority.NeedsReason(Block) {
		t.Errorf("simple majority: %+v", majority)
	}
}

func TestPresetReturnsFreshRules(t *testing.T) {
	a := mustPreset(t, "modified_consensus")
	a.Fallback.Threshold = Ratio{1, 2}
	b := mustPreset(t, "modified_consensus")
	if b.Fallback.Threshold != (Ratio{9, 10}) {
		t.Error("changing one preset's fallback changed the next")
	}
}

func TestWithQuorum(t *testing.T) {
	base := mustPreset(t, "modified_consensus")
	r := base.WithQuorum(Ratio{2, 6})
	if r.Quorum != (Ratio{1, 3}) || r.Fallback.Quorum != (Ratio{1, 3}) {
		t.Errorf("quorum %v, fallback quorum %v", r.Quorum, r.Fallback.Quorum)
	}
	if base.Quorum != (Ratio{1, 2}) || base.Fallback.Quorum != (Ratio{1, 2}) {
		t.Error("WithQuorum changed the original rule")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		rule Rule
		want string // in the error
	}{
		{"zero rule", Rule{}, "quorum: missing"},
		{"threshold 140%", custom(func(r *Rule) { r.Threshold = Ratio{7, 5} }), "threshold: 7/5 (140%) is more than 100%"},
		{"quorum over 100%", custom(func(r *Rule) { r.Quorum = Ratio{3, 2} }), "quorum: 3/2 (150%) is more than 100%"},
		{"negative threshold", custom(func(r *Rule) { r.Threshold = Ratio{-1, 2} }), "threshold: -1/2: must not be negative"},
		{"zero denominator", custom(func(r *Rule) { r.Quorum = Ratio{1, 0} }), "quorum: 1/0: denominator must be positive"},
		{"huge terms", custom(func(r *Rule) { r.Quorum = Ratio{1, MaxRatioTerm + 1} }), "terms above"},
		{"more than 100%", custom(func(r *Rule) { r.Threshold = Ratio{1, 1}; r.MoreThan = true }), "never be reached"},
		{"missing base", custom(func(r *Rule) { r.Base = "" }), "base: missing"},
		{"unknown base", custom(func(r *Rule) { r.Base = "present" }), `base: "present" is not a base`},
		{"missing block limit", custom(func(r *Rule) { r.MaxBlocks = Limit{} }), "max_blocks: missing"},
		{"negative block limit", custom(func(r *Rule) { r.MaxBlocks = AtMost(-1) }), "max_blocks: -1: must not be negative"},
		{"stand-aside share over 100%", custom(func(r *Rule) { r.MaxStandAsides = AtMostShare(Ratio{5, 4}) }), "max_stand_asides: 5/4 (125%) is more than 100%"},
		{"bad preset name", custom(func(r *Rule) { r.Preset = "Consensus!" }), "preset:"},
		{"fallback of a fallback", func() Rule {
			r := mustPreset(t, "modified_consensus")
			inner := mustPreset(t, "consensus")
			inner.Fallback = &Rule{Quorum: Ratio{1, 2}, Threshold: Ratio{1, 2}, Base: BaseCast, MaxBlocks: Unlimited(), MaxStandAsides: Unlimited()}
			r.Fallback = &inner
			return r
		}(), "fallback: a fallback rule cannot have a fallback of its own"},
		{"fallback without a block limit", func() Rule {
			r := mustPreset(t, "simple_majority")
			r.Fallback = &Rule{Quorum: Ratio{1, 2}, Threshold: Ratio{9, 10}, Base: BaseCast, MaxBlocks: Unlimited(), MaxStandAsides: Unlimited()}
			return r
		}(), "fallback: a fallback needs a block limit"},
		{"invalid fallback", func() Rule {
			r := mustPreset(t, "modified_consensus")
			r.Fallback.Threshold = Ratio{11, 10}
			return r
		}(), "fallback: threshold: 11/10 (110%) is more than 100%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.rule.Validate()
			if err == nil {
				t.Fatal("rule accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestParseRule(t *testing.T) {
	for _, info := range Presets() {
		rule := mustPreset(t, info.Name)
		data, err := json.Marshal(rule)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseRule(data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", info.Name, err, data)
		}
		if !reflect.DeepEqual(back, rule) {
			t.Errorf("%s: round trip changed the rule:\n%+v\n%+v", info.Name, rule, back)
		}
	}

	written := `{
		"quorum": "60%",
		"threshold": "0.75",
		"more_than": false,
		"base": "agree_disagree",
		"max_blocks": 0,
		"max_stand_asides": "1/4",
		"block_needs_reason": true,
		"disagree_needs_reason": true,
		"fallback": {"quorum": "3/5", "threshold": "9/10", "base": "cast", "max_blocks": "unlimited", "max_stand_asides": "unlimited"}
	}`
	r, err := ParseRule([]byte(written))
	if err != nil {
		t.Fatal(err)
	}
	if r.Quorum != (Ratio{3, 5}) || r.Threshold != (Ratio{3, 4}) || !r.NeedsReason(Disagree) || r.Fallback == nil {
		t.Errorf("parsed %+v", r)
	}
	canonical, _ := json.Marshal(r)
	want := `{"quorum":"3/5","threshold":"3/4","more_than":false,"base":"agree_disagree","max_blocks":0,"max_stand_asides":"1/4","block_needs_reason":true,"disagree_needs_reason":true,` +
		`"fallback":{"quorum":"3/5","threshold":"9/10","more_than":false,"base":"cast","max_blocks":"unlimited","max_stand_asides":"unlimited","block_needs_reason":false,"disagree_needs_reason":false}}`
	if string(canonical) != want {
		t.Errorf("canonical form\n got %s\nwant %s", canonical, want)
	}

	bad := map[string]string{
		"threshold 140%":  `{"quorum":"1/2","threshold":"140%","base":"cast","max_blocks":0,"max_stand_asides":"unlimited"}`,
		"unknown field":   `{"quorum":"1/2","threshold":"1/2","base":"cast","max_blocks":0,"max_stand_asides":"unlimited","max_block":1}`,
		"missing limit":   `{"quorum":"1/2","threshold":"1/2","base":"cast","max_blocks":0}`,
		"float ratio":     `{"quorum":0.5,"threshold":"1/2","base":"cast","max_blocks":0,"max_stand_asides":"unlimited"}`,
		"trailing data":   `{"quorum":"1/2","threshold":"1/2","base":"cast","max_blocks":0,"max_stand_asides":"unlimited"} {}`,
		"null":            `null`,
		"empty":           ``,
		"not an object":   `[1,2]`,
		"forged position": `{"quorum":"1/2","threshold":"1/2","base":"stand_aside","max_blocks":0,"max_stand_asides":"unlimited"}`,
	}
	for name, data := range bad {
		if _, err := ParseRule([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNeedsReason(t *testing.T) {
	r := custom(func(r *Rule) { r.BlockNeedsReason = true })
	if !r.NeedsReason(Block) || r.NeedsReason(Disagree) || r.NeedsReason(Agree) || r.NeedsReason(StandAside) {
		t.Error("only a block needs a reason")
	}
}

// A position that some rule asks a reason for says so: votes for the others
// are saved without reading the rule first.
func TestMayNeedReasonCoversEveryRule(t *testing.T) {
	demanding := Rule{BlockNeedsReason: true, DisagreeNeedsReason: true}
	for _, p := range Positions() {
		if demanding.NeedsReason(p) && !p.MayNeedReason() {
			t.Errorf("%s needs a reason under some rule, but MayNeedReason says no", p)
		}
		if !demanding.NeedsReason(p) && p.MayNeedReason() {
			t.Errorf("%s never needs a reason, but MayNeedReason says it may", p)
		}
	}
}
