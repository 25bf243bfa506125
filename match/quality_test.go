package match

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/commonground/commonground/match/legacy"
)

type matchEvalMovement struct {
	Movement   string `json:"movement"`
	Source     string `json:"source"`
	Objectives []struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	} `json:"objectives"`
}

type matchEvalLabels struct {
	Match    [][2]string `json:"match"`
	NearMiss [][2]string `json:"near_miss"`
	Related  [][2]string `json:"related"`
}

// Objective is an item of a labelled set.
type Objective struct {
	ID, Movement, Text string
}

func loadMatchEval(t *testing.T, data, labels string) ([]Objective, matchEvalLabels, int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", data))
	if err != nil {
		t.Fatal(err)
	}
	var movements []matchEvalMovement
	if err := json.Unmarshal(raw, &movements); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	var objs []Objective
	for _, m := range movements {
		for _, o := range m.Objectives {
			objs = append(objs, Objective{ID: o.ID, Movement: m.Movement, Text: o.Text})
		}
	}
	raw, err = os.ReadFile(filepath.Join("testdata", labels))
	if err != nil {
		t.Fatal(err)
	}
	var l matchEvalLabels
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatalf("%s: %v", labels, err)
	}
	return objs, l, len(movements)
}

// The figures the product is judged on (issue 14): the matcher ranks, people
// agree. For each labelled set:
//
//   - recall@5: of the objectives that have a true match, how many find one
//     among their 5 best candidates in other movements;
//   - precision of the likely tier: of the candidate pairs scored at least
//     LikelyScore, the share labelled the same aim ("related" pairs, neither
//     right nor wrong, are left out);
//   - near misses in the likely tier: labelled near-miss pairs scored likely.

// scorer scores the pair (i, j) of a set's objectives.
type scorer func(i, j int) float64

type quality struct {
	withMatch, found5      int     // objectives with a true match; those that find one in their top 5
	recall5                float64 // found5 / withMatch
	likely, likelyTrue     int     // counted likely pairs, and true ones
	likelyPrecision        float64
	nearMissesLikely       [][2]string
	missed                 []string // objectives whose matches are not in their top 5
	falseLikely            [][2]string
	matchPairs, nearMisses int
}

func measure(objs []Objective, l matchEvalLabels, score scorer, likelyAt float64) quality {
	idx := map[string]int{}
	for i, o := range objs {
		idx[o.ID] = i
	}
	truth := map[[2]int]string{}
	mark := func(pairs [][2]string, kind string) {
		for _, p := range pairs {
			a, b := idx[p[0]], idx[p[1]]
			truth[[2]int{a, b}], truth[[2]int{b, a}] = kind, kind
		}
	}
	mark(l.Related, "related")
	mark(l.NearMiss, "near")
	mark(l.Match, "match")
	q := quality{matchPairs: len(l.Match), nearMisses: len(l.NearMiss)}
	type cand struct {
		j int
		s float64
	}
	for i := range objs {
		hasMatch := false
		var cands []cand
		for j := range objs {
			if objs[j].Movement == objs[i].Movement {
				continue
			}
			if truth[[2]int{i, j}] == "match" {
				hasMatch = true
			}
			s := score(i, j)
			cands = append(cands, cand{j, s})
			if j > i && s >= likelyAt {
				switch truth[[2]int{i, j}] {
				case "match":
					q.likely++
					q.likelyTrue++
				case "related":
				case "near":
					q.likely++
					q.nearMissesLikely = append(q.nearMissesLikely, [2]string{objs[i].ID, objs[j].ID})
				default:
					q.likely++
					q.falseLikely = append(q.falseLikely, [2]string{objs[i].ID, objs[j].ID})
				}
			}
		}
		if !hasMatch {
			continue
		}
		q.withMatch++
		sort.SliceStable(cands, func(a, b int) bool {
			if cands[a].s != cands[b].s {
				return cands[a].s > cands[b].s
			}
			return cands[a].j < cands[b].j
		})
		found := false
		for k := 0; k < 5 && k < len(cands); k++ {
			if cands[k].s > 0 && truth[[2]int{i, cands[k].j}] == "match" {
				found = true
			}
		}
		if found {
			q.found5++
		} else {
			q.missed = append(q.missed, objs[i].ID)
		}
	}
	if q.withMatch > 0 {
		q.recall5 = float64(q.found5) / float64(q.withMatch)
	}
	q.likelyPrecision = 1
	if q.likely > 0 {
		q.likelyPrecision = float64(q.likelyTrue) / float64(q.likely)
	}
	return q
}

func (q quality) String() string {
	return fmt.Sprintf("recall@5 %.3f (%d/%d), likely precision %.3f (%d/%d), near misses likely %d/%d",
		q.recall5, q.found5, q.withMatch, q.likelyPrecision, q.likelyTrue, q.likely, len(q.nearMissesLikely), q.nearMisses)
}

// evalSets are the labelled sets, the development ones first (see eval_test.go
// for how each was used).
var evalSets = []string{"eval", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7"}

func labelsFile(name string) string {
	if name == "eval" {
		return "labels.json"
	}
	return name + "_labels.json"
}

// oldScorer is the hand-written matcher's pair score.
func oldScorer(objs []Objective) scorer {
	old := make([]legacy.Objective, len(objs))
	for i, o := range objs {
		old[i] = legacy.Objective{ID: o.ID, Movement: o.Movement, Text: o.Text}
	}
	return legacy.PairScorer(old)
}

func TestQualityBaselines(t *testing.T) {
	if os.Getenv("MATCH_QUALITY") == "" {
		t.Skip("set MATCH_QUALITY=1 to compare the scorers on every labelled set")
	}
	for _, name := range evalSets {
		objs, l, _ := loadMatchEval(t, name+".json", labelsFile(name))
		if name == "eval" {
			objs, l, _ = loadMatchEval(t, "eval.json", "labels.json")
		}
		var lines []string
		for _, s := range []struct {
			name string
			sc   scorer
			at   float64
		}{
			{"old", oldScorer(objs), 0.5},
			{"tfidf", tfidfScorer(objs), 0.5},
		} {
			lines = append(lines, fmt.Sprintf("%-6s %s", s.name, measure(objs, l, s.sc, s.at)))
		}
		t.Logf("%s (%d objectives):\n  %s", name, len(objs), strings.Join(lines, "\n  "))
	}
}

func tfidfScorer(objs []Objective) scorer {
	texts := make([]string, len(objs))
	for i, o := range objs {
		texts[i] = o.Text
	}
	lx := newLexicon(texts)
	return lx.cosine
}

// TestQualityShow prints one scorer's near misses and false likely pairs on
// one set (MATCH_SET), for studying a development set.
func TestQualityShow(t *testing.T) {
	name := os.Getenv("MATCH_SET")
	if name == "" {
		t.Skip("set MATCH_SET to a development set's name")
	}
	objs, l, _ := loadMatchEval(t, name+".json", labelsFile(name))
	sc := tfidfScorer(objs)
	q := measure(objs, l, sc, 0.5)
	byID := map[string]int{}
	for i, o := range objs {
		byID[o.ID] = i
	}
	show := func(kind string, p [2]string) {
		i, j := byID[p[0]], byID[p[1]]
		t.Logf("%s %.3f\n   %q\n   %q", kind, sc(i, j), objs[i].Text, objs[j].Text)
	}
	for _, p := range q.nearMissesLikely {
		show("near miss", p)
	}
	for _, p := range q.falseLikely {
		show("false likely", p)
	}
}
