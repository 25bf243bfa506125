package alliances

import (
	"fmt"
	"testing"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

func TestHashNamesTheWords(t *testing.T) {
	text := JointText{Title: "Clean rivers", Preamble: "Together.", Items: []proposals.Item{{ID: "a", Section: proposals.Objectives, Text: "No sewage"}}}
	same := text
	if text.Hash() != same.Hash() || len(text.Hash()) != len("sha256:")+64 {
		t.Fatalf("hash %q", text.Hash())
	}
	for name, change := range map[string]func(*JointText){
		"title":    func(t *JointText) { t.Title += "!" },
		"preamble": func(t *JointText) { t.Preamble = "" },
		"item": func(t *JointText) {
			t.Items = []proposals.Item{{ID: "a", Section: proposals.Objectives, Text: "No sewage."}}
		},
		"section": func(t *JointText) {
			t.Items = []proposals.Item{{ID: "a", Section: proposals.Values, Text: "No sewage"}}
		},
		"id": func(t *JointText) {
			t.Items = []proposals.Item{{ID: "b", Section: proposals.Objectives, Text: "No sewage"}}
		},
	} {
		other := text
		change(&other)
		if other.Hash() == text.Hash() {
			t.Errorf("changing the %s keeps the hash", name)
		}
	}
}

func verdict(movement string, version int, kind VerdictKind, minute int) Verdict {
	return Verdict{Movement: movement, Version: version, Kind: kind, DecidedAt: time.Date(2026, 1, 1, 0, minute, 0, 0, time.UTC)}
}

func TestStandingsOnTheCurrentVersion(t *testing.T) {
	j := JointStatement{Initiator: Self, Invited: []string{"b", "c", "d"},
		Versions: []JointVersion{{Number: 1}, {Number: 2}, {Number: 3}},
		Verdicts: []Verdict{
			verdict(Self, 1, Signed, 1), verdict(Self, 2, Signed, 5), verdict(Self, 3, Declined, 9), // version 3 was never offered
			verdict("b", 1, Signed, 2),                                                              // signed version 1 only
			verdict("c", 1, Declined, 3), verdict("c", 2, Signed, 6), verdict("c", 2, Withdrawn, 8), // signed, then withdrew
			verdict("d", 2, Declined, 6), verdict("d", 2, Signed, 7), // a later vote signed it
		}}
	cur, ok := j.Current()
	if !ok || cur.Number != 2 {
		t.Fatalf("current version %d, want 2: version 3 was declined by the initiator", cur.Number)
	}
	var got []string
	for _, s := range j.Standings() {
		line := s.Participant.ID + ":"
		if s.Verdict != nil {
			line += fmt.Sprintf(" %s v%d", s.Verdict.Kind, s.Verdict.Version)
		}
		if s.Earlier != nil {
			line += fmt.Sprintf(" earlier %s v%d", s.Earlier.Kind, s.Earlier.Version)
		}
		got = append(got, line)
	}
	want := []string{"self: signed v2", "b: earlier signed v1", "c: withdrawn v2", "d: signed v2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("standings %q, want %q", got, want)
	}
	if v, ok := j.SignatureOf("c", 2); !ok || v.DecidedAt.Minute() != 6 {
		t.Errorf("c's withdrawn signature of version 2: %+v", v)
	}
}

func TestAVerdictsOutcomeMustHold(t *testing.T) {
	rule, _ := consensus.Preset("consensus")
	adopted := consensus.Decide(rule, consensus.Tally{Eligible: 2, Agree: 2})
	rejected := consensus.Decide(rule, consensus.Tally{Eligible: 2, Agree: 1, Block: 1})
	forged := adopted
	forged.Tally.Block = 1 // the published tally no longer gives the published verdict
	cases := []struct {
		kind    VerdictKind
		outcome consensus.Outcome
		ok      bool
	}{
		{Signed, adopted, true}, {Withdrawn, adopted, true}, {Declined, rejected, true},
		{Signed, rejected, false}, {Declined, adopted, false}, {Signed, forged, false},
	}
	for _, c := range cases {
		err := checkOutcome(Verdict{Kind: c.kind, Outcome: c.outcome})
		if (err == nil) != c.ok {
			t.Errorf("%s with adopted=%v: %v", c.kind, c.outcome.Adopted, err)
		}
	}
}
