package consensus

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParsePosition(t *testing.T) {
	for _, p := range Positions() {
		got, err := ParsePosition(string(p))
		if err != nil || got != p {
			t.Errorf("ParsePosition(%q) = %q, %v", p, got, err)
		}
	}
	for _, forged := range []string{"", "Agree", " agree", "agree ", "stand-aside", "stand aside", "not_voted", "abstain", "yes", strings.Repeat("x", 10000)} {
		_, err := ParsePosition(forged)
		if err == nil {
			t.Errorf("ParsePosition(%q) accepted", forged)
			continue
		}
		if !strings.Contains(err.Error(), "not a position") || len(err.Error()) > 200 {
			t.Errorf("unclear error for %.20q: %v", forged, err)
		}
	}
}

func TestPositionJSON(t *testing.T) {
	var v struct {
		P Position `json:"p"`
	}
	if err := json.Unmarshal([]byte(`{"p":"stand_aside"}`), &v); err != nil || v.P != StandAside {
		t.Errorf("got %q, %v", v.P, err)
	}
	if err := json.Unmarshal([]byte(`{"p":"veto"}`), &v); err == nil {
		t.Error("forged position accepted from JSON")
	}
}

func TestNewTally(t *testing.T) {
	positions := []Position{Agree, Agree, StandAside, Disagree, Block, NotVoted, Agree}
	got, err := NewTally(10, positions)
	if err != nil {
		t.Fatal(err)
	}
	if want := votes(10, 3, 1, 1, 1); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got.Cast() != 6 || got.NotVoted() != 4 || got.Count(NotVoted) != 4 || got.Count(Block) != 1 || got.Count("veto") != 0 {
		t.Errorf("cast %d, not voted %d", got.Cast(), got.NotVoted())
	}

	if _, err := NewTally(2, []Position{Agree, Agree, Block}); err == nil || !strings.Contains(err.Error(), "3 votes cast but only 2 eligible") {
		t.Errorf("more cast than eligible: %v", err)
	}
	if _, err := NewTally(5, []Position{Agree, "veto"}); err == nil || !strings.Contains(err.Error(), "vote 1") {
		t.Errorf("forged position: %v", err)
	}
	if _, err := NewTally(5, []Position{""}); err == nil {
		t.Error("empty position accepted")
	}
	if _, err := NewTally(-1, nil); err == nil {
		t.Error("negative eligible accepted")
	}
	if _, err := NewTally(MaxEligible+1, nil); err == nil {
		t.Error("too many eligible accepted")
	}
	if tally, err := NewTally(0, nil); err != nil || tally.Cast() != 0 {
		t.Errorf("empty tally: %+v, %v", tally, err)
	}
	if tally, err := NewTally(2, []Position{NotVoted, NotVoted, NotVoted}); err != nil || tally.Cast() != 0 {
		t.Errorf("only not-voted entries: %+v, %v", tally, err)
	}
}

func TestTallyValidate(t *testing.T) {
	bad := []Tally{
		votes(-1, 0, 0, 0, 0),
		votes(3, -1, 0, 0, 0),
		votes(3, 0, 0, 0, -2),
		votes(3, 1, 1, 1, 1),
		votes(3, 4, 0, 0, 0),
		votes(MaxEligible, MaxEligible, MaxEligible, MaxEligible, MaxEligible),
		{Eligible: 1 << 40, Agree: 1},
	}
	for _, tally := range bad {
		if tally.Validate() == nil {
			t.Errorf("%+v accepted", tally)
		}
	}
}

func TestTallyJSON(t *testing.T) {
	tally := votes(20, 9, 3, 2, 1)
	data, err := json.Marshal(tally)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"eligible":20,"cast":15,"agree":9,"stand_aside":3,"disagree":2,"block":1,"not_voted":5}`
	if string(data) != want {
		t.Errorf("\n got %s\nwant %s", data, want)
	}
	var back Tally
	if err := json.Unmarshal(data, &back); err != nil || back != tally {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	// cast and not_voted are optional, but checked when present.
	if err := json.Unmarshal([]byte(`{"eligible":5,"agree":2,"stand_aside":0,"disagree":1,"block":0}`), &back); err != nil || back.Cast() != 3 {
		t.Errorf("without derived counts: %+v, %v", back, err)
	}
	for _, bad := range []string{
		`{"eligible":5,"cast":4,"agree":2,"stand_aside":0,"disagree":1,"block":0}`,
		`{"eligible":5,"agree":2,"stand_aside":0,"disagree":1,"block":0,"not_voted":1}`,
		`{"eligible":2,"agree":2,"stand_aside":0,"disagree":1,"block":0}`,
		`{"eligible":5,"agree":-2}`,
	} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
