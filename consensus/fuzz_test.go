package consensus

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseRule: ParseRule never panics; whatever it accepts validates, and
// its canonical JSON parses back to the same rule and the same bytes.
func FuzzParseRule(f *testing.F) {
	for _, info := range Presets() {
		r, _ := Preset(info.Name)
		data, _ := json.Marshal(r)
		f.Add(data)
	}
	for _, seed := range []string{
		`{"quorum":"60%","threshold":"0.75","base":"cast","max_blocks":"1/10","max_stand_asides":3}`,
		`{"quorum":"1/2","threshold":"140%","base":"cast","max_blocks":0,"max_stand_asides":"unlimited"}`,
		`{"quorum":"1/2","threshold":"1","more_than":true,"base":"eligible","max_blocks":0,"max_stand_asides":"0"}`,
		`{"quorum":"0","threshold":"0/1","base":"agree_disagree","max_blocks":1,"max_stand_asides":"25%","fallback":{"quorum":"1/2","threshold":"9/10","base":"cast","max_blocks":"unlimited","max_stand_asides":"unlimited","fallback":null}}`,
		`{"quorum":"1/2","threshold":"1/2","base":"cast","max_blocks":-1,"max_stand_asides":"unlimited"}`,
		`null`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rule, err := ParseRule(data)
		if err != nil {
			return
		}
		if err := rule.Validate(); err != nil {
			t.Fatalf("parsed rule does not validate: %v", err)
		}
		canonical, err := json.Marshal(rule)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseRule(canonical)
		if err != nil {
			t.Fatalf("canonical form refused: %v\n%s", err, canonical)
		}
		if !reflect.DeepEqual(again, rule) {
			t.Fatalf("round trip changed the rule:\n%+v\n%+v", rule, again)
		}
		if twice, _ := json.Marshal(again); !bytes.Equal(twice, canonical) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", canonical, twice)
		}
	})
}

// FuzzDecide: Decide never panics on any rule or tally, valid or not, and
// the verdict invariants hold; an adopted proposal stays adopted with one
// more agree.
func FuzzDecide(f *testing.F) {
	f.Add(20, 9, 3, 3, 1, int64(1), int64(2), int64(2), int64(3), byte(0), false, byte(0), 0, byte(1), 0, true)
	f.Add(0, 0, 0, 0, 0, int64(0), int64(1), int64(0), int64(1), byte(1), true, byte(2), 1, byte(3), 2, false)
	f.Add(3, 2, 0, 1, 0, int64(2), int64(3), int64(2), int64(3), byte(2), false, byte(1), 1, byte(2), 1, false)
	f.Add(-1, 5, 0, 0, 0, int64(7), int64(5), int64(1), int64(0), byte(9), true, byte(0), -3, byte(0), 0, true)
	f.Fuzz(func(t *testing.T, eligible, agree, standAside, disagree, block int,
		quorumNum, quorumDen, thresholdNum, thresholdDen int64, base byte, moreThan bool,
		blocksKind byte, blocksMax int, standAsidesKind byte, standAsidesMax int, withFallback bool,
	) {
		rule := Rule{
			Quorum:         Ratio{quorumNum, quorumDen},
			Threshold:      Ratio{thresholdNum, thresholdDen},
			MoreThan:       moreThan,
			Base:           []AgreementBase{BaseAgreeDisagree, BaseCast, BaseEligible, "", "other"}[int(base)%5],
			MaxBlocks:      fuzzLimit(blocksKind, blocksMax),
			MaxStandAsides: fuzzLimit(standAsidesKind, standAsidesMax),
		}
		if withFallback {
			fallback, _ := Preset("three_quarters")
			rule.Fallback = &fallback
		}
		tally := votes(eligible, agree, standAside, disagree, block)

		o := Decide(rule, tally)
		if !outcomeInvariantsHold(t, rule, tally, o) {
			t.Fatalf("invariants broken\nrule %+v\ntally %+v\n%s", rule, tally, o.Summary())
		}
		if err := Verify(o); err != nil {
			t.Fatal(err)
		}
		if o.Adopted && tally.Cast() < tally.Eligible {
			more := tally
			more.Agree++
			if !Decide(rule, more).Adopted {
				t.Fatalf("one more agree rejected an adopted proposal\nrule %+v\ntally %+v", rule, tally)
			}
		}
		if o.Adopted {
			data, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			var back Outcome
			if err := json.Unmarshal(data, &back); err != nil || Verify(back) != nil {
				t.Fatalf("published outcome does not read back: %v\n%s", err, data)
			}
		}
	})
}

func fuzzLimit(kind byte, n int) Limit {
	switch kind % 4 {
	case 0:
		return Unlimited()
	case 1:
		return AtMost(n)
	case 2:
		return AtMostShare(Ratio{int64(n), int64(n%7 + 1)})
	}
	return Limit{}
}
