package alliances

import (
	"fmt"
	"strings"
	"testing"

	"github.com/commonground/commonground/match"
)

func TestDecisionsWinOverTheMatcher(t *testing.T) {
	known := map[string]Wording{}
	for _, k := range []string{"self|a", "x|a", "y|a", "self|b", "x|b", "y|b", "z|c"} {
		known[k] = Wording{Key: k}
	}
	matched := []match.Group{
		{Members: []string{"self|a", "x|a", "y|a"}, Score: 0.8, Why: "shared terms"},
		{Members: []string{"x|b", "y|b"}, Score: 0.7, Why: "shared terms"},
	}
	cases := []struct {
		name      string
		decisions []MatchDecision
		want      string
	}{
		{"no decisions", nil, "[self|a x|a y|a] [x|b y|b]"},
		{"rejected: the ally's objective leaves the group", []MatchDecision{{A: "self|a", B: "y|a", Decision: "rejected"}}, "[self|a x|a] [x|b y|b]"},
		{"rejected: our own objective is the one to leave when the pair is ours", []MatchDecision{{A: "self|a", B: "x|a", Decision: "rejected"}}, "[self|a y|a] [x|b y|b]"},
		{"rejecting the last pair leaves a group of one, dropped", []MatchDecision{{A: "x|b", B: "y|b", Decision: "rejected"}}, "[self|a x|a y|a]"},
		{"linked: a free objective joins a group", []MatchDecision{{A: "self|b", B: "x|b", Decision: "linked"}}, "[self|a x|a y|a] [x|b y|b self|b]*"},
		{"linked: two free objectives make a group", []MatchDecision{{A: "self|b", B: "z|c", Decision: "linked"}}, "[self|a x|a y|a] [x|b y|b] [self|b z|c]*"},
		{"linked: two groups merge", []MatchDecision{{A: "self|a", B: "x|b", Decision: "linked"}}, "[self|a x|a y|a x|b y|b]*"},
		{"a decision about an objective that left its statement is ignored", []MatchDecision{{A: "self|a", B: "gone|z", Decision: "rejected"}}, "[self|a x|a y|a] [x|b y|b]"},
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

func TestClustersOfPutsLikelyFirstAndMarksTheRestForChecking(t *testing.T) {
	byKey := map[string]Wording{}
	for _, k := range []string{"self|a", "x|a", "y|a", "x|b", "y|b", "self|c", "x|c", "x|d", "y|d", "z|d"} {
		byKey[k] = Wording{Key: k, Source: Source{Key: k[:len(k)-2], Self: strings.HasPrefix(k, "self|")}}
	}
	groups := []group{
		{Group: match.Group{Members: []string{"x|d", "y|d", "z|d"}, Score: 0.3, Confidence: match.Possible}},
		{Group: match.Group{Members: []string{"x|b", "y|b"}, Score: 0.7, Confidence: match.Likely}},
		{Group: match.Group{Members: []string{"self|c", "x|c"}, Score: 0.3, Confidence: match.Possible}, confirmed: true},
		{Group: match.Group{Members: []string{"x|a", "self|a", "y|a"}, Score: 0.6, Confidence: match.Likely}},
		{Group: match.Group{Members: []string{"gone|e", "x|e"}, Score: 0.9, Confidence: match.Likely}},
	}
	var got []string
	for _, c := range clustersOf(groups, byKey) {
		var keys []string
		for _, w := range c.Wordings {
			keys = append(keys, w.Key)
		}
		got = append(got, fmt.Sprintf("%v likely=%v allies=%d self=%v", keys, c.Likely, c.Allies, c.WithSelf))
	}
	want := []string{
		"[self|a x|a y|a] likely=true allies=2 self=true", // likely, biggest, ours first
		"[self|c x|c] likely=true allies=1 self=true",     // confirmed by a person: likely whatever its score
		"[x|b y|b] likely=true allies=2 self=false",
		"[x|d y|d z|d] likely=false allies=3 self=false", // bigger, but only possible
	} // the group with an objective gone from its statement keeps one wording: dropped
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("clusters:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	cg := CommonGround{Clusters: clustersOf(groups, byKey)}
	if len(cg.Likely()) != 3 || len(cg.Possible()) != 1 {
		t.Errorf("Likely %d, Possible %d; want 3 and 1", len(cg.Likely()), len(cg.Possible()))
	}
}
