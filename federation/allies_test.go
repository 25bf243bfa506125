package federation

import (
	"fmt"
	"testing"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/storage"
)

func TestDecisionsWinOverTheMatcher(t *testing.T) {
	known := map[string]Wording{}
	for _, k := range []string{"self|a", "x|a", "y|a", "self|b", "x|b", "y|b", "z|c"} {
		known[k] = Wording{Key: k}
	}
	matched := []consensus.MatchGroup{
		{Members: []string{"self|a", "x|a", "y|a"}, Score: 0.8, Why: "shared terms"},
		{Members: []string{"x|b", "y|b"}, Score: 0.7, Why: "shared terms"},
	}
	cases := []struct {
		name      string
		decisions []storage.MatchDecision
		want      string
	}{
		{"no decisions", nil, "[self|a x|a y|a] [x|b y|b]"},
		{"rejected: the ally's objective leaves the group", []storage.MatchDecision{{A: "self|a", B: "y|a", Decision: "rejected"}}, "[self|a x|a] [x|b y|b]"},
		{"rejected: our own objective is the one to leave when the pair is ours", []storage.MatchDecision{{A: "self|a", B: "x|a", Decision: "rejected"}}, "[self|a y|a] [x|b y|b]"},
		{"rejecting the last pair leaves a group of one, dropped", []storage.MatchDecision{{A: "x|b", B: "y|b", Decision: "rejected"}}, "[self|a x|a y|a]"},
		{"linked: a free objective joins a group", []storage.MatchDecision{{A: "self|b", B: "x|b", Decision: "linked"}}, "[self|a x|a y|a] [x|b y|b self|b]*"},
		{"linked: two free objectives make a group", []storage.MatchDecision{{A: "self|b", B: "z|c", Decision: "linked"}}, "[self|a x|a y|a] [x|b y|b] [self|b z|c]*"},
		{"linked: two groups merge", []storage.MatchDecision{{A: "self|a", B: "x|b", Decision: "linked"}}, "[self|a x|a y|a x|b y|b]*"},
		{"a decision about an objective that left its statement is ignored", []storage.MatchDecision{{A: "self|a", B: "gone|z", Decision: "rejected"}}, "[self|a x|a y|a] [x|b y|b]"},
	}
	for _, c := range cases {
		var got string
		for _, g := range applyDecisions(matched, c.decisions, known) {
			if len(g.Members) < 2 {
				continue
			}
			if got != "" {
				got += " "
			}
			got += fmt.Sprint(g.Members)
			if g.byHand {
				got += "*"
			}
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
