package consensus

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// votes builds a tally: eligible, then agree, stand aside, disagree, block.
func votes(eligible, agree, standAside, disagree, block int) Tally {
	return Tally{Eligible: eligible, Agree: agree, StandAside: standAside, Disagree: disagree, Block: block}
}

func mustPreset(t testing.TB, name string) Rule {
	t.Helper()
	r, err := Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// custom returns a simple valid rule to be adjusted by a test case.
func custom(change func(*Rule)) Rule {
	r := Rule{
		Quorum:         Ratio{1, 2},
		Threshold:      Ratio{1, 2},
		Base:           BaseAgreeDisagree,
		MaxBlocks:      Unlimited(),
		MaxStandAsides: Unlimited(),
	}
	change(&r)
	return r
}

func TestDecide(t *testing.T) {
	type want struct {
		adopted  bool
		fallback bool
		missed   []RequirementKey
	}
	cases := []struct {
		name  string
		rule  Rule
		tally Tally
		want  want
	}{
		// Every preset, adopted and not.
		{"consensus: all agree", mustPreset(t, "consensus"), votes(10, 10, 0, 0, 0), want{adopted: true}},
		{"consensus: 3 of 4 agree, stand-asides left out", mustPreset(t, "consensus"), votes(10, 6, 2, 2, 0), want{adopted: true}},
		{"consensus: below 3/4", mustPreset(t, "consensus"), votes(10, 5, 2, 2, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"consensus: one block", mustPreset(t, "consensus"), votes(10, 9, 0, 0, 1), want{missed: []RequirementKey{KeyBlocks}}},
		{"modified consensus: all agree", mustPreset(t, "modified_consensus"), votes(10, 8, 2, 0, 0), want{adopted: true}},
		{"modified consensus: only blocks stop it", mustPreset(t, "modified_consensus"), votes(10, 9, 0, 0, 1), want{fallback: true, missed: []RequirementKey{KeyBlocks}}},
		{"modified consensus: blocks and quorum", mustPreset(t, "modified_consensus"), votes(10, 3, 0, 0, 1), want{missed: []RequirementKey{KeyQuorum, KeyBlocks}}},
		{"modified consensus: blocks and agreement", mustPreset(t, "modified_consensus"), votes(10, 2, 0, 6, 1), want{missed: []RequirementKey{KeyAgreement, KeyBlocks}}},
		{"consent: nobody objects", mustPreset(t, "consent"), votes(10, 3, 3, 0, 0), want{adopted: true}},
		{"consent: disagreeing is a concern, not an objection", mustPreset(t, "consent"), votes(10, 1, 0, 5, 0), want{adopted: true}},
		{"consent: one objection", mustPreset(t, "consent"), votes(10, 9, 0, 0, 1), want{missed: []RequirementKey{KeyBlocks}}},
		{"simple majority: 6 to 5", mustPreset(t, "simple_majority"), votes(20, 6, 0, 5, 0), want{adopted: true}},
		{"simple majority: tie fails", mustPreset(t, "simple_majority"), votes(20, 5, 1, 5, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"two-thirds: 2 of 3 meets it", mustPreset(t, "two_thirds"), votes(3, 2, 0, 1, 0), want{adopted: true}},
		{"two-thirds: 666 of 1000 misses it", mustPreset(t, "two_thirds"), votes(1000, 666, 0, 334, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"two-thirds: 667 of 1000 meets it", mustPreset(t, "two_thirds"), votes(1000, 667, 0, 333, 0), want{adopted: true}},
		{"two-thirds: tie fails", mustPreset(t, "two_thirds"), votes(10, 4, 0, 4, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"three-quarters: 3 of 4 meets it", mustPreset(t, "three_quarters"), votes(4, 3, 0, 1, 0), want{adopted: true}},
		{"three-quarters: 74 of 100 misses it", mustPreset(t, "three_quarters"), votes(100, 74, 0, 26, 0), want{missed: []RequirementKey{KeyAgreement}}},

		// A block under a majority rule is a "no".
		{"majority: block counted as disagree, still a majority", mustPreset(t, "simple_majority"), votes(20, 6, 0, 4, 1), want{adopted: true}},
		{"majority: block counted as disagree makes a tie", mustPreset(t, "simple_majority"), votes(20, 5, 0, 4, 1), want{missed: []RequirementKey{KeyAgreement}}},

		// Quorum boundaries.
		{"quorum 3/5: exactly 12 of 20", custom(func(r *Rule) { r.Quorum = Ratio{3, 5} }), votes(20, 12, 0, 0, 0), want{adopted: true}},
		{"quorum 3/5: 11 of 20", custom(func(r *Rule) { r.Quorum = Ratio{3, 5} }), votes(20, 11, 0, 0, 0), want{missed: []RequirementKey{KeyQuorum}}},
		{"quorum 1/2: exactly 10 of 20", mustPreset(t, "simple_majority"), votes(20, 10, 0, 0, 0), want{adopted: true}},
		{"quorum 1/2: 9 of 20", mustPreset(t, "simple_majority"), votes(20, 9, 0, 0, 0), want{missed: []RequirementKey{KeyQuorum}}},
		{"quorum 1/2: 3 of 5", mustPreset(t, "simple_majority"), votes(5, 3, 0, 0, 0), want{adopted: true}},
		{"quorum 1/2: 2 of 5", mustPreset(t, "simple_majority"), votes(5, 2, 0, 0, 0), want{missed: []RequirementKey{KeyQuorum}}},
		{"quorum 0: one vote is enough", custom(func(r *Rule) { r.Quorum = Ratio{0, 1} }), votes(100, 1, 0, 0, 0), want{adopted: true}},
		{"quorum 0: no vote is not enough", custom(func(r *Rule) { r.Quorum = Ratio{0, 1}; r.Threshold = Ratio{0, 1} }), votes(100, 0, 0, 0, 0), want{missed: []RequirementKey{KeyQuorum}}},
		{"quorum: stand-asides and blocks count as cast", custom(func(r *Rule) { r.Quorum = Ratio{1, 1} }), votes(4, 1, 1, 1, 1), want{missed: []RequirementKey{KeyAgreement}}},

		// Zero eligible voters.
		{"zero eligible: consensus", mustPreset(t, "consensus"), votes(0, 0, 0, 0, 0), want{missed: []RequirementKey{KeyQuorum, KeyAgreement}}},
		{"zero eligible: consent", mustPreset(t, "consent"), votes(0, 0, 0, 0, 0), want{missed: []RequirementKey{KeyQuorum}}},
		{"zero eligible: agree over eligible", custom(func(r *Rule) { r.Base = BaseEligible; r.Quorum = Ratio{0, 1} }), votes(0, 0, 0, 0, 0), want{missed: []RequirementKey{KeyQuorum, KeyAgreement}}},

		// Everyone stands aside.
		{"all stand aside: consensus", mustPreset(t, "consensus"), votes(5, 0, 5, 0, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"all stand aside: consent", mustPreset(t, "consent"), votes(5, 0, 5, 0, 0), want{adopted: true}},
		{"all stand aside: simple majority", mustPreset(t, "simple_majority"), votes(5, 0, 5, 0, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"all stand aside: agree over votes cast", custom(func(r *Rule) { r.Base = BaseCast }), votes(5, 0, 5, 0, 0), want{missed: []RequirementKey{KeyAgreement}}},

		// Each agreement base on the same tally: 9 agree, 3 aside, 3 disagree, 20 eligible; 3/5 needed.
		{"base agree_disagree: 9 of 12", custom(func(r *Rule) { r.Threshold = Ratio{3, 5} }), votes(20, 9, 3, 3, 0), want{adopted: true}},
		{"base cast: exactly 9 of 15", custom(func(r *Rule) { r.Threshold = Ratio{3, 5}; r.Base = BaseCast }), votes(20, 9, 3, 3, 0), want{adopted: true}},
		{"base cast, more than: 9 of 15 is not more", custom(func(r *Rule) { r.Threshold = Ratio{3, 5}; r.Base = BaseCast; r.MoreThan = true }), votes(20, 9, 3, 3, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"base eligible: 9 of 20", custom(func(r *Rule) { r.Threshold = Ratio{3, 5}; r.Base = BaseEligible }), votes(20, 9, 3, 3, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"base eligible: exactly 12 of 20", custom(func(r *Rule) { r.Threshold = Ratio{3, 5}; r.Base = BaseEligible }), votes(20, 12, 0, 0, 0), want{adopted: true}},

		// Threshold 0: "at least 0" does not measure, "more than 0" needs one agree.
		{"more than 0: nobody agrees", custom(func(r *Rule) { r.Threshold = Ratio{0, 1}; r.MoreThan = true }), votes(10, 0, 2, 4, 0), want{missed: []RequirementKey{KeyAgreement}}},
		{"more than 0: one agrees", custom(func(r *Rule) { r.Threshold = Ratio{0, 1}; r.MoreThan = true }), votes(10, 1, 0, 5, 0), want{adopted: true}},

		// Stand-aside limits, as a count and as a share of votes cast.
		{"stand-asides at most 2: 2", custom(func(r *Rule) { r.MaxStandAsides = AtMost(2) }), votes(10, 6, 2, 0, 0), want{adopted: true}},
		{"stand-asides at most 2: 3", custom(func(r *Rule) { r.MaxStandAsides = AtMost(2) }), votes(10, 6, 3, 0, 0), want{missed: []RequirementKey{KeyStandAsides}}},
		{"stand-asides at most 1/4: 3 of 12", custom(func(r *Rule) { r.MaxStandAsides = AtMostShare(Ratio{1, 4}) }), votes(20, 9, 3, 0, 0), want{adopted: true}},
		{"stand-asides at most 1/4: 4 of 12", custom(func(r *Rule) { r.MaxStandAsides = AtMostShare(Ratio{1, 4}) }), votes(20, 8, 4, 0, 0), want{missed: []RequirementKey{KeyStandAsides}}},
		{"stand-asides at most 0", custom(func(r *Rule) { r.MaxStandAsides = AtMost(0) }), votes(10, 9, 1, 0, 0), want{missed: []RequirementKey{KeyStandAsides}}},

		// Modified consensus: a block also weighs as "no" in agreement, yet a
		// round that only its blocks stopped may go to the fallback round.
		{"modified consensus: 2 agree, 1 block", mustPreset(t, "modified_consensus"), votes(3, 2, 0, 0, 1), want{missed: []RequirementKey{KeyAgreement, KeyBlocks}, fallback: true}},
		{"modified consensus: 1 agree, 1 disagree, 1 block", mustPreset(t, "modified_consensus"), votes(3, 1, 0, 1, 1), want{missed: []RequirementKey{KeyAgreement, KeyBlocks}}},
		{"modified consensus: 2 agree, 1 block of 10 (no quorum)", mustPreset(t, "modified_consensus"), votes(10, 2, 0, 0, 1), want{missed: []RequirementKey{KeyQuorum, KeyAgreement, KeyBlocks}}},
		{"consensus (no fallback): 2 agree, 1 block", mustPreset(t, "consensus"), votes(3, 2, 0, 0, 1), want{missed: []RequirementKey{KeyAgreement, KeyBlocks}}},

		// Block limits.
		{"blocks at most 1: 1", custom(func(r *Rule) { r.MaxBlocks = AtMost(1) }), votes(10, 8, 0, 0, 1), want{adopted: true}},
		{"blocks at most 1: 2", custom(func(r *Rule) { r.MaxBlocks = AtMost(1) }), votes(10, 8, 0, 0, 2), want{missed: []RequirementKey{KeyBlocks}}},
		{"blocks at most 1/10 of cast: 1 of 10", custom(func(r *Rule) { r.MaxBlocks = AtMostShare(Ratio{1, 10}) }), votes(10, 9, 0, 0, 1), want{adopted: true}},
		{"blocks at most 1/10 of cast: 1 of 9", custom(func(r *Rule) { r.MaxBlocks = AtMostShare(Ratio{1, 10}) }), votes(10, 8, 0, 0, 1), want{missed: []RequirementKey{KeyBlocks}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Decide(c.rule, c.tally)
			if o.Adopted != c.want.adopted || o.FallbackAvailable != c.want.fallback {
				t.Errorf("adopted=%t fallback=%t, want adopted=%t fallback=%t\n%s", o.Adopted, o.FallbackAvailable, c.want.adopted, c.want.fallback, o.Summary())
			}
			if got := missedKeys(o); strings.Join(keyStrings(got), ",") != strings.Join(keyStrings(c.want.missed), ",") {
				t.Errorf("missed %v, want %v\n%s", got, c.want.missed, o.Summary())
			}
			assertFourRequirements(t, o)
		})
	}
}

func missedKeys(o Outcome) []RequirementKey {
	var keys []RequirementKey
	for _, r := range o.Requirements {
		if !r.Met {
			keys = append(keys, r.Key)
		}
	}
	return keys
}

func keyStrings(keys []RequirementKey) []string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = string(k)
	}
	return s
}

func assertFourRequirements(t testing.TB, o Outcome) {
	t.Helper()
	want := []RequirementKey{KeyQuorum, KeyAgreement, KeyBlocks, KeyStandAsides}
	if len(o.Requirements) != len(want) {
		t.Fatalf("%d requirements, want %d: %+v", len(o.Requirements), len(want), o.Requirements)
	}
	for i, k := range want {
		if o.Requirements[i].Key != k {
			t.Errorf("requirement %d is %q, want %q", i, o.Requirements[i].Key, k)
		}
	}
}

func TestDecideSentences(t *testing.T) {
	rule := custom(func(r *Rule) {
		r.Quorum = Ratio{3, 5}
		r.Threshold = Ratio{2, 3}
		r.MaxBlocks = AtMost(0)
		r.MaxStandAsides = AtMostShare(Ratio{1, 4})
	})
	o := Decide(rule, votes(20, 9, 1, 3, 1))
	want := []string{
		"quorum: 14 of 20 voted, 60% needed — met",
		"agreement: 9 of 13 agree (agree + disagree + block), 2/3 needed — met",
		"blocks: 1, at most 0 allowed — missed",
		"stand-asides: 1 of 14 votes cast, at most 25% allowed — met",
	}
	for i, w := range want {
		if got := o.Requirements[i].Sentence; got != w {
			t.Errorf("sentence %d:\n got %q\nwant %q", i, got, w)
		}
	}
	if got, want := o.Summary(), "Not adopted: blocks: 1, at most 0 allowed — missed."; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}

	more := []struct {
		rule  Rule
		tally Tally
		key   RequirementKey
		want  string
	}{
		{mustPreset(t, "simple_majority"), votes(20, 5, 0, 4, 1), KeyAgreement, "agreement: 5 of 10 agree (agree + disagree + block), more than 50% needed — missed"},
		{mustPreset(t, "simple_majority"), votes(20, 5, 0, 4, 1), KeyBlocks, "blocks: 1, no limit (a block counts as disagree) — met"},
		{mustPreset(t, "simple_majority"), votes(20, 5, 2, 4, 1), KeyStandAsides, "stand-asides: 2, no limit — met"},
		{mustPreset(t, "consent"), votes(20, 5, 0, 4, 0), KeyAgreement, "agreement: 5 of 9 agree (agree + disagree + block), no minimum — met"},
		{mustPreset(t, "consensus"), votes(0, 0, 0, 0, 0), KeyQuorum, "quorum: 0 of 0 voted, 50% needed (no eligible voters) — missed"},
		{mustPreset(t, "consensus"), votes(4, 0, 4, 0, 0), KeyAgreement, "agreement: 0 of 0 agree (agree + disagree + block), 75% needed (nobody to count) — missed"},
		{custom(func(r *Rule) { r.Quorum = Ratio{0, 1} }), votes(4, 0, 0, 0, 0), KeyQuorum, "quorum: 0 of 4 voted, at least one vote needed — missed"},
		{custom(func(r *Rule) { r.Base = BaseCast; r.Threshold = Ratio{9, 10} }), votes(20, 9, 1, 0, 0), KeyAgreement, "agreement: 9 of 10 agree (votes cast), 90% needed — met"},
		{custom(func(r *Rule) { r.Base = BaseEligible }), votes(20, 9, 1, 0, 0), KeyAgreement, "agreement: 9 of 20 agree (eligible voters), 50% needed — missed"},
	}
	for _, m := range more {
		r, _ := Decide(m.rule, m.tally).Requirement(m.key)
		if r.Sentence != m.want {
			t.Errorf("\n got %q\nwant %q", r.Sentence, m.want)
		}
	}
}

func TestDecideRequirementNumbers(t *testing.T) {
	o := Decide(mustPreset(t, "modified_consensus"), votes(20, 12, 2, 1, 1))
	want := []RequirementResult{
		{Key: KeyQuorum, Got: 16, Of: 20, Needed: "1/2", Compare: CompareAtLeast, Met: true},
		{Key: KeyAgreement, Got: 12, Of: 14, Needed: "3/4", Compare: CompareAtLeast, Met: true},
		{Key: KeyBlocks, Got: 1, Of: 16, Needed: "0", Compare: CompareAtMost, Met: false},
		{Key: KeyStandAsides, Got: 2, Of: 16, Needed: "unlimited", Compare: CompareAtMost, Met: true},
	}
	for i, w := range want {
		got := o.Requirements[i]
		got.Sentence = ""
		if got != w {
			t.Errorf("requirement %d: got %+v, want %+v", i, got, w)
		}
	}
	if !o.FallbackAvailable {
		t.Error("fallback should be available")
	}
	if !strings.Contains(o.Summary(), "second round") {
		t.Errorf("summary does not mention the second round: %q", o.Summary())
	}
}

func TestDecideInvalidInput(t *testing.T) {
	cases := []struct {
		name  string
		rule  Rule
		tally Tally
	}{
		{"zero rule", Rule{}, votes(10, 5, 0, 0, 0)},
		{"threshold 140%", custom(func(r *Rule) { r.Threshold = Ratio{7, 5} }), votes(10, 5, 0, 0, 0)},
		{"more cast than eligible", mustPreset(t, "consensus"), votes(3, 4, 0, 0, 0)},
		{"negative count", mustPreset(t, "consensus"), votes(3, -1, 0, 0, 0)},
		{"huge ratio terms", custom(func(r *Rule) { r.Quorum = Ratio{1 << 62, 1 << 62} }), votes(10, 5, 0, 0, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Decide(c.rule, c.tally)
			if o.Adopted || o.FallbackAvailable {
				t.Fatal("invalid input adopted")
			}
			if len(o.Requirements) != 1 || o.Requirements[0].Key != KeyInput || o.Requirements[0].Met {
				t.Fatalf("want one missed input requirement, got %+v", o.Requirements)
			}
		})
	}
}

func TestFallbackRound(t *testing.T) {
	rule := mustPreset(t, "modified_consensus")
	first := Decide(rule, votes(10, 9, 0, 0, 1))
	second, err := first.FallbackRound()
	if err != nil {
		t.Fatal(err)
	}
	if second.Threshold != (Ratio{9, 10}) || second.Base != BaseCast || !second.MaxBlocks.IsUnlimited() || second.Fallback != nil {
		t.Fatalf("unexpected fallback rule %+v", second)
	}
	// The second round: the blocker still blocks, but 9 of 10 votes cast agree.
	if o := Decide(second, votes(10, 9, 0, 0, 1)); !o.Adopted {
		t.Errorf("second round should adopt: %s", o.Summary())
	}
	if o := Decide(second, votes(10, 8, 0, 0, 2)); o.Adopted {
		t.Errorf("second round should reject 8 of 10: %s", o.Summary())
	}

	noRound := []struct {
		name    string
		outcome Outcome
	}{
		{"adopted", Decide(rule, votes(10, 10, 0, 0, 0))},
		{"no fallback in the rule", Decide(mustPreset(t, "consensus"), votes(10, 9, 0, 0, 1))},
		{"quorum missed too", Decide(rule, votes(10, 3, 0, 0, 1))},
	}
	for _, c := range noRound {
		if _, err := c.outcome.FallbackRound(); !errors.Is(err, ErrNoFallbackRound) {
			t.Errorf("%s: err = %v, want ErrNoFallbackRound", c.name, err)
		}
	}

	// A forged flag does not open a second round.
	forged := Decide(rule, votes(10, 3, 0, 0, 1))
	forged.FallbackAvailable = true
	if _, err := forged.FallbackRound(); err == nil {
		t.Error("forged FallbackAvailable opened a second round")
	}
}

func TestVerify(t *testing.T) {
	o := Decide(mustPreset(t, "two_thirds"), votes(30, 14, 2, 7, 0))
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var published Outcome
	if err := json.Unmarshal(data, &published); err != nil {
		t.Fatal(err)
	}
	if err := Verify(published); err != nil {
		t.Fatalf("honest outcome: %v", err)
	}

	tampered := published
	tampered.Adopted = !tampered.Adopted
	if Verify(tampered) == nil {
		t.Error("flipped verdict verified")
	}
	tampered = published
	tampered.Requirements = append([]RequirementResult(nil), published.Requirements...)
	tampered.Requirements[1].Sentence = "agreement: 20 of 21 agree — met"
	if Verify(tampered) == nil {
		t.Error("altered sentence verified")
	}
	tampered = published
	tampered.Tally.Agree = 16
	if Verify(tampered) == nil {
		t.Error("altered tally verified")
	}
}

func TestOutcomeJSONShape(t *testing.T) {
	o := Decide(mustPreset(t, "consensus"), votes(4, 3, 0, 0, 1))
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"adopted":false,"fallback_available":false,"requirements":[` +
		`{"key":"quorum","got":4,"of":4,"needed":"1/2","compare":"at_least","met":true,"sentence":"quorum: 4 of 4 voted, 50% needed — met"},` +
		`{"key":"agreement","got":3,"of":4,"needed":"3/4","compare":"at_least","met":true,"sentence":"agreement: 3 of 4 agree (agree + disagree + block), 75% needed — met"},` +
		`{"key":"blocks","got":1,"of":4,"needed":"0","compare":"at_most","met":false,"sentence":"blocks: 1, at most 0 allowed — missed"},` +
		`{"key":"stand_asides","got":0,"of":4,"needed":"unlimited","compare":"at_most","met":true,"sentence":"stand-asides: 0, no limit — met"}],` +
		`"rule":{"preset":"consensus","quorum":"1/2","threshold":"3/4","more_than":false,"base":"agree_disagree","max_blocks":0,"max_stand_asides":"unlimited","block_needs_reason":true,"disagree_needs_reason":false},` +
		`"tally":{"eligible":4,"cast":4,"agree":3,"stand_aside":0,"disagree":0,"block":1,"not_voted":0}}`
	if string(data) != want {
		t.Errorf("\n got %s\nwant %s", data, want)
	}
}

// Because any position counts as cast, a block can be the vote that brings a
// majority round to quorum (the "no-show paradox" every quorum has). This
// pins the documented behaviour; the block still counts as a "no".
func TestBlockCanCompleteQuorumUnderMajority(t *testing.T) {
	rule := mustPreset(t, "simple_majority")
	if o := Decide(rule, votes(5, 2, 0, 0, 0)); o.Adopted {
		t.Fatalf("2 of 5 should miss quorum: %s", o.Summary())
	}
	if o := Decide(rule, votes(5, 2, 0, 0, 1)); !o.Adopted {
		t.Fatalf("2 agree to 1 block with 3 of 5 voting should pass: %s", o.Summary())
	}
	// Under consensus the same block stops it.
	if o := Decide(mustPreset(t, "consensus"), votes(5, 2, 0, 0, 1)); o.Adopted {
		t.Fatalf("a block must stop consensus: %s", o.Summary())
	}
}

// A rule with a fallback says why no second round is offered when blocks were
// cast but were not all that stopped the round.
func TestSummarySaysWhyNoFallback(t *testing.T) {
	o := Decide(mustPreset(t, "modified_consensus"), votes(3, 1, 0, 1, 1))
	if o.FallbackAvailable || !strings.Contains(o.Summary(), "No second round is offered") {
		t.Errorf("summary = %q", o.Summary())
	}
	o = Decide(mustPreset(t, "modified_consensus"), votes(3, 2, 0, 0, 1))
	if !o.FallbackAvailable || strings.Contains(o.Summary(), "No second round") {
		t.Errorf("summary = %q", o.Summary())
	}
	// A block within the rule's limit did not stop the round: the summary
	// does not talk of leaving blocks aside.
	tolerant := mustPreset(t, "modified_consensus")
	tolerant.MaxBlocks = AtMost(1)
	o = Decide(tolerant, votes(3, 1, 0, 1, 1))
	if o.Adopted || o.FallbackAvailable || strings.Contains(o.Summary(), "blocks aside") {
		t.Errorf("summary = %q", o.Summary())
	}
}
