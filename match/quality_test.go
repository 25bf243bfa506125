package match

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/commonground/commonground/match/embed"
)

type evalText struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type matchEvalMovement struct {
	Movement   string     `json:"movement"`
	Source     string     `json:"source"`
	Objectives []evalText `json:"objectives"`
	Values     []evalText `json:"values"`
	RedLines   []evalText `json:"red_lines"`
}

type matchEvalLabels struct {
	Match       [][2]string `json:"match"`
	NearMiss    [][2]string `json:"near_miss"`
	Related     [][2]string `json:"related"`
	Contradicts [][2]string `json:"contradicts"`
	NoConflict  [][2]string `json:"same_topic_no_conflict"`
}

// Objective is an item of a labelled set.
type Objective struct {
	ID, Movement, Text string
}

func loadMatchEval(t *testing.T, data, labels string) ([]Objective, matchEvalLabels, int) {
	t.Helper()
	return loadSection(t, data, labels, "objectives")
}

// loadSection reads one section (objectives or values) of a labelled set.
func loadSection(t *testing.T, data, labels, section string) ([]Objective, matchEvalLabels, int) {
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
		list := m.Objectives
		if section == "values" {
			list = m.Values
		}
		for _, o := range list {
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

// The labelled sets (testdata/) are real published statements of movements,
// each with its source, labelled by hand by readers who did not run the
// matcher being measured:
//
//   - eval and heldout to heldout6: development sets. The hand-written
//     matcher that came before this one was written against them, and the
//     parameters of this one (how words and meaning combine, the likely
//     threshold, the floor of candidates shown) were chosen on them.
//   - heldout7: measured by the old matcher once, and left unstudied; here,
//     the set each part of this matcher had to gain on to stay
//     (TestQualityAblation): stop words, stems, the number rule and the
//     meaning all did.
//   - devvalues: values and red lines, a development set.
//   - heldout8 and heldout9: blind. Built and labelled by two readers who
//     never saw either matcher, from sources no other set used, with values
//     and red lines; measured once, after the matcher was frozen
//     (TestQualityBlind). Their figures are the honest ones; nothing was
//     changed after.
//   - heldout6_second_reader: a second reader's labels for 74 pairs of
//     heldout6, to see how far two careful readers agree (about F1 0.75).
//
// The figures the product is judged on (issue 14): the matcher ranks, people
// agree. For each labelled set:
//
//   - recall@5: of the objectives that have a true match, how many find one
//     among their 5 best candidates in other movements;
//   - precision of the likely tier: of the candidate pairs scored at least
//     LikelyScore, the share labelled the same aim ("related" pairs, neither
//     right nor wrong, are left out);
//   - near misses in the likely tier: labelled near-miss pairs scored likely.

// showFrom is the lowest score a candidate is shown with (MinScore, as the
// product does; a test may lower it to see what a lower floor would gain).
var showFrom = MinScore

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
	counted := map[string]int{}
	mark := func(pairs [][2]string, kind string) {
		for _, p := range pairs {
			a, okA := idx[p[0]]
			b, okB := idx[p[1]]
			if okA && okB { // pairs of another section (values, red lines) are not this one's
				truth[[2]int{a, b}], truth[[2]int{b, a}] = kind, kind
				counted[kind]++
			}
		}
	}
	mark(l.Related, "related")
	mark(l.NearMiss, "near")
	mark(l.Match, "match")
	q := quality{matchPairs: counted["match"], nearMisses: counted["near"]}
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
			if cands[k].s >= showFrom && truth[[2]int{i, cands[k].j}] == "match" {
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

// add pools o into q.
func (q *quality) add(o quality) {
	q.withMatch, q.found5 = q.withMatch+o.withMatch, q.found5+o.found5
	q.likely, q.likelyTrue = q.likely+o.likely, q.likelyTrue+o.likelyTrue
	q.matchPairs, q.nearMisses = q.matchPairs+o.matchPairs, q.nearMisses+o.nearMisses
	q.nearMissesLikely = append(q.nearMissesLikely, o.nearMissesLikely...)
	q.falseLikely = append(q.falseLikely, o.falseLikely...)
	q.missed = append(q.missed, o.missed...)
	q.recall5 = float64(q.found5) / float64(max(q.withMatch, 1))
	q.likelyPrecision = 1
	if q.likely > 0 {
		q.likelyPrecision = float64(q.likelyTrue) / float64(q.likely)
	}
}

// labelled is one section of a labelled set.
type labelled struct {
	name string
	objs []Objective
	l    matchEvalLabels
}

// loadLabelled reads the objectives of the named sets, embeddings computed.
func loadLabelled(t *testing.T, names ...string) []labelled {
	out := make([]labelled, len(names))
	for i, name := range names {
		objs, l, _ := loadMatchEval(t, name+".json", labelsFile(name))
		vectorsOf(t, objs)
		out[i] = labelled{name, objs, l}
	}
	return out
}

// pooled is the matcher's figures on sets taken together, likely from at,
// with the matcher's parameters as they are now.
func pooled(t *testing.T, sets []labelled, at float64) quality {
	var q quality
	for _, s := range sets {
		q.add(measure(s.objs, s.l, matcherScorer(corpusOf(t, s.objs)), at))
	}
	return q
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

// TestQualityHolds fails when the matcher gets worse on the development
// sets (pooled): recall@5 under 0.9, or a likely tier under 0.85 precise.
func TestQualityHolds(t *testing.T) {
	q := pooled(t, loadLabelled(t, devSets...), LikelyScore)
	t.Logf("development sets: %s", q)
	if q.recall5 < 0.9 || q.likelyPrecision < 0.85 {
		t.Errorf("the matcher got worse: recall@5 %.3f (at least 0.9), likely precision %.3f (at least 0.85)", q.recall5, q.likelyPrecision)
	}
}

func TestQualityBaselines(t *testing.T) {
	if os.Getenv("MATCH_QUALITY") == "" {
		t.Skip("set MATCH_QUALITY=1 to compare the scorers on every labelled set")
	}
	for _, name := range evalSets {
		objs, l, _ := loadMatchEval(t, name+".json", labelsFile(name))
		var lines []string
		for _, s := range []struct {
			name string
			sc   scorer
			at   float64
		}{
			{"tfidf", tfidfScorer(objs), 0.5},
			{"sem", semScorer(t, objs), 0.75},
			{"avg", avgScorer(tfidfScorer(objs), semScorer(t, objs)), 0.6},
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

var vectorCache = map[string][]float32{}

// vectorsOf embeds texts once per test process.
func vectorsOf(t testing.TB, objs []Objective) [][]float32 {
	m, err := embed.Load()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, o := range objs {
		if _, ok := vectorCache[o.Text]; !ok {
			missing = append(missing, o.Text)
		}
	}
	for i, v := range m.EmbedAll(missing) {
		vectorCache[missing[i]] = v
	}
	out := make([][]float32, len(objs))
	for i, o := range objs {
		out[i] = vectorCache[o.Text]
	}
	return out
}

func semScorer(t testing.TB, objs []Objective) scorer {
	vs := vectorsOf(t, objs)
	return func(i, j int) float64 { return float64(dot(vs[i], vs[j])) }
}

func avgScorer(a, b scorer) scorer {
	return func(i, j int) float64 { return (a(i, j) + b(i, j)) / 2 }
}

// corpusOf is the matcher's corpus of a labelled set, with embeddings.
func corpusOf(t testing.TB, objs []Objective) *corpus {
	vs := vectorsOf(t, objs)
	items := make([]Item, len(objs))
	for i, o := range objs {
		items[i] = Item{ID: o.ID, Movement: o.Movement, Text: o.Text, Vector: vs[i]}
	}
	return newCorpus(items)
}

// matcherScorer is the matcher's own pair score; a vetoed pair scores
// just under the likely threshold (so it ranks, but never as likely).
func matcherScorer(c *corpus) scorer {
	return func(i, j int) float64 {
		p := c.pair(i, j)
		if p.veto {
			return min(p.score, LikelyScore-0.001)
		}
		return p.score
	}
}

var devSets = []string{"eval", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6"}

// TestQualityGrid searches the combination's parameters on the development
// sets (MATCH_GRID=1): recall@5 pooled, and the likely tier's precision.
func TestQualityGrid(t *testing.T) {
	if os.Getenv("MATCH_GRID") == "" {
		t.Skip("set MATCH_GRID=1")
	}
	sets := loadLabelled(t, devSets...)
	defer func(w, f float64) { semWeight, semFloor = w, f }(semWeight, semFloor)
	for _, w := range []float64{0.3, 0.4, 0.5, 0.6, 0.7} {
		for _, f := range []float64{0, 0.2, 0.3, 0.4, 0.5} {
			semWeight, semFloor = w, f
			t.Logf("w %.1f floor %.1f: %s", w, f, pooled(t, sets, LikelyScore))
		}
	}
}

// TestQualityNearMisses prints the near misses and false pairs of the
// likely tier on the development sets (MATCH_NEAR=1).
func TestQualityNearMisses(t *testing.T) {
	if os.Getenv("MATCH_NEAR") == "" {
		t.Skip("set MATCH_NEAR=1")
	}
	for _, name := range devSets {
		objs, l, _ := loadMatchEval(t, name+".json", labelsFile(name))
		c := corpusOf(t, objs)
		q := measure(objs, l, matcherScorer(c), LikelyScore)
		idx := map[string]int{}
		for i, o := range objs {
			idx[o.ID] = i
		}
		show := func(kind string, p [2]string) {
			i, j := idx[p[0]], idx[p[1]]
			ps := c.pair(i, j)
			t.Logf("%s %s %.3f (lex %.2f sem %.2f) %s\n   %q\n   %q", name, kind, ps.score, ps.lex, ps.sem, c.explain(i, j, ps), objs[i].Text, objs[j].Text)
		}
		for _, p := range q.nearMissesLikely {
			show("NEAR", p)
		}
		if os.Getenv("MATCH_NEAR") == "all" {
			for _, p := range q.falseLikely {
				show("FALSE", p)
			}
		}
	}
}

// TestQualityThresholds shows the likely tier's precision and near misses
// at several thresholds on the development sets (MATCH_THRESHOLDS=1).
func TestQualityThresholds(t *testing.T) {
	if os.Getenv("MATCH_THRESHOLDS") == "" {
		t.Skip("set MATCH_THRESHOLDS=1")
	}
	names := devSets
	if only := os.Getenv("MATCH_SETS"); only != "" {
		names = strings.Split(only, ",")
	}
	sets := loadLabelled(t, names...)
	for _, at := range []float64{0.45, 0.5, 0.55, 0.6, 0.65} {
		t.Logf("likely from %.2f: %s", at, pooled(t, sets, at))
	}
}

// TestQualityAblation measures what each part of the matcher is worth
// (MATCH_ABLATION=1): each switched off alone, on the development sets
// pooled and on heldout7, which no rule was written against.
func TestQualityAblation(t *testing.T) {
	if os.Getenv("MATCH_ABLATION") == "" {
		t.Skip("set MATCH_ABLATION=1")
	}
	dev, held := loadLabelled(t, devSets...), loadLabelled(t, "heldout7")
	variants := []struct {
		name string
		set  func() func()
	}{
		{"all parts", func() func() { return func() {} }},
		{"no stop words", func() func() { dropStopWords = false; return func() { dropStopWords = true } }},
		{"no stemming", func() func() { stemWords = false; return func() { stemWords = true } }},
		{"no number veto", func() func() { vetoNumbers = false; return func() { vetoNumbers = true } }},
		{"words only", func() func() { w := semWeight; semWeight = 0; return func() { semWeight = w } }},
		{"meaning only", func() func() { w := semWeight; semWeight = 1; return func() { semWeight = w } }},
	}
	for _, v := range variants {
		undo := v.set()
		t.Logf("%-15s dev: %s | heldout7: %s", v.name, pooled(t, dev, LikelyScore), pooled(t, held, LikelyScore))
		undo()
	}
}

// TestQualitySharedWords counts the true pairs that share no word at all:
// those only the meaning can find (MATCH_SHARED=1).
func TestQualitySharedWords(t *testing.T) {
	if os.Getenv("MATCH_SHARED") == "" {
		t.Skip("set MATCH_SHARED=1")
	}
	for _, name := range evalSets {
		objs, l, _ := loadMatchEval(t, name+".json", labelsFile(name))
		idx := map[string]int{}
		texts := make([]string, len(objs))
		for i, o := range objs {
			idx[o.ID], texts[i] = i, o.Text
		}
		lx := newLexicon(texts)
		none := 0
		for _, p := range l.Match {
			if lx.cosine(idx[p[0]], idx[p[1]]) == 0 {
				none++
			}
		}
		t.Logf("%s: %d of %d true pairs share no word", name, none, len(l.Match))
	}
}

// TestQualityGroups measures the grouped output (MATCH_GROUPS=1): pairwise
// precision and recall of the groups at several thresholds, development
// sets pooled.
func TestQualityGroups(t *testing.T) {
	if os.Getenv("MATCH_GROUPS") == "" {
		t.Skip("set MATCH_GROUPS=1")
	}
	for _, th := range []float64{0.25, 0.3, 0.35, 0.4} {
		var predicted, truePos, counted, labelled, near int
		for _, name := range devSets {
			objs, l, _ := loadMatchEval(t, name+".json", labelsFile(name))
			vs := vectorsOf(t, objs)
			items := make([]Item, len(objs))
			for i, o := range objs {
				items[i] = Item{ID: o.ID, Movement: o.Movement, Text: o.Text, Vector: vs[i]}
			}
			kind := map[[2]string]string{}
			for k, list := range map[string][][2]string{"match": l.Match, "near": l.NearMiss, "related": l.Related} {
				for _, p := range list {
					kind[[2]string{p[0], p[1]}], kind[[2]string{p[1], p[0]}] = k, k
				}
			}
			labelled += len(l.Match)
			for _, g := range Groups(items, th) {
				for a := range g.Members {
					for b := a + 1; b < len(g.Members); b++ {
						predicted++
						switch kind[[2]string{g.Members[a], g.Members[b]}] {
						case "match":
							truePos++
							counted++
						case "related":
						case "near":
							near++
							counted++
						default:
							counted++
						}
					}
				}
			}
		}
		t.Logf("threshold %.2f: %d pairs grouped, precision %.3f, recall %.3f, near misses %d", th, predicted,
			float64(truePos)/float64(max(counted, 1)), float64(truePos)/float64(labelled), near)
	}
}

// TestQualityValues measures values matched like objectives (MATCH_VALUES=1)
// on the development set of values.
func TestQualityValues(t *testing.T) {
	if os.Getenv("MATCH_VALUES") == "" {
		t.Skip("set MATCH_VALUES=1")
	}
	objs, l, _ := loadSection(t, "devvalues.json", "devvalues_labels.json", "values")
	c := corpusOf(t, objs)
	for _, at := range []float64{0.3, 0.4, 0.5} {
		t.Logf("values, likely from %.1f: %s", at, measure(objs, l, matcherScorer(c), at))
	}
	t.Logf("values, words only: %s", measure(objs, l, tfidfScorer(objs), 0.5))
	t.Logf("values, meaning only: %s", measure(objs, l, semScorer(t, objs), 0.75))
}

// TestQualityValuesGrid is TestQualityGrid on the values (MATCH_VALUES=1).
func TestQualityValuesGrid(t *testing.T) {
	if os.Getenv("MATCH_VALUES") == "" {
		t.Skip("set MATCH_VALUES=1")
	}
	objs, l, _ := loadSection(t, "devvalues.json", "devvalues_labels.json", "values")
	defer func(w, f float64) { semWeight, semFloor = w, f }(semWeight, semFloor)
	for _, w := range []float64{0.3, 0.4, 0.5, 0.6} {
		for _, f := range []float64{0, 0.2, 0.3, 0.4} {
			semWeight, semFloor = w, f
			q := measure(objs, l, matcherScorer(corpusOf(t, objs)), LikelyScore)
			t.Logf("w %.1f f %.1f: %s", w, f, q)
		}
	}
}

// TestQualityFloor shows what the floor under which candidates are not shown
// costs in recall (MATCH_FLOOR=1).
func TestQualityFloor(t *testing.T) {
	if os.Getenv("MATCH_FLOOR") == "" {
		t.Skip("set MATCH_FLOOR=1")
	}
	defer func(f float64) { showFrom = f }(showFrom)
	sets := loadLabelled(t, devSets...)
	vobjs, vl, _ := loadSection(t, "devvalues.json", "devvalues_labels.json", "values")
	for _, f := range []float64{0.01, 0.05, 0.1, 0.15, 0.2} {
		showFrom = f
		vq := measure(vobjs, vl, matcherScorer(corpusOf(t, vobjs)), LikelyScore)
		t.Logf("floor %.2f: objectives %s; values recall@5 %.3f", f, pooled(t, sets, LikelyScore), vq.recall5)
	}
}

// conflictSet is a labelled set's red lines and objectives, with embeddings.
type conflictSet struct {
	redLines, objectives []Item
	text                 map[string]string
	vec                  map[string][]float32
	l                    matchEvalLabels
}

func loadConflicts(t *testing.T, name string) conflictSet {
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var movements []matchEvalMovement
	if err := json.Unmarshal(raw, &movements); err != nil {
		t.Fatal(err)
	}
	_, l, _ := loadSection(t, name+".json", name+"_labels.json", "objectives")
	cs := conflictSet{text: map[string]string{}, vec: map[string][]float32{}, l: l}
	var all []Objective
	for _, m := range movements {
		for _, r := range m.RedLines {
			cs.redLines = append(cs.redLines, Item{ID: r.ID, Movement: m.Movement, Text: r.Text})
			all = append(all, Objective{ID: r.ID, Movement: m.Movement, Text: r.Text})
		}
		for _, o := range m.Objectives {
			cs.objectives = append(cs.objectives, Item{ID: o.ID, Movement: m.Movement, Text: o.Text})
			all = append(all, Objective{ID: o.ID, Movement: m.Movement, Text: o.Text})
		}
	}
	for i, v := range vectorsOf(t, all) {
		cs.vec[all[i].ID], cs.text[all[i].ID] = v, all[i].Text
	}
	for i := range cs.redLines {
		cs.redLines[i].Vector = cs.vec[cs.redLines[i].ID]
	}
	for i := range cs.objectives {
		cs.objectives[i].Vector = cs.vec[cs.objectives[i].ID]
	}
	return cs
}

// conflictFigures flags a set's red lines against its objectives: the
// contradictions found, the same-topic pairs and other pairs flagged wrongly.
func conflictFigures(t *testing.T, name string) (right, sameTopic, other, total int) {
	cs := loadConflicts(t, name)
	contra, same := map[[2]string]bool{}, map[[2]string]bool{}
	for _, p := range cs.l.Contradicts {
		contra[p] = true
	}
	for _, p := range cs.l.NoConflict {
		same[p] = true
	}
	for _, c := range Conflicts(cs.redLines, cs.objectives) {
		switch p := [2]string{c.RedLine, c.Objective}; {
		case contra[p]:
			right++
		case same[p]:
			sameTopic++
			if os.Getenv("MATCH_CONFLICTS") == "all" {
				t.Logf("WRONG %q / %q (%s)", cs.text[p[0]], cs.text[p[1]], c.Why)
			}
		default:
			other++
		}
	}
	return right, sameTopic, other, len(contra)
}

// TestQualityConflicts measures the red lines flagged against objectives
// (MATCH_CONFLICTS=1, or =auc for what simple signals tell apart) on the
// development set.
func TestQualityConflicts(t *testing.T) {
	switch os.Getenv("MATCH_CONFLICTS") {
	case "":
		t.Skip("set MATCH_CONFLICTS=1")
	case "auc":
		cs := loadConflicts(t, "devvalues")
		conflictAUC(t, cs.l, cs.text, cs.vec)
		return
	}
	right, sameTopic, other, total := conflictFigures(t, "devvalues")
	t.Logf("red lines: %d of %d contradictions flagged; %d same-topic pairs and %d other pairs flagged wrongly", right, total, sameTopic, other)
}

// conflictAUC: how well do simple signals tell contradictions from
// same-topic pairs? The share of (contradiction, same-topic) pairs of the
// same red line that each signal orders right (0.5 is chance).
func conflictAUC(t *testing.T, l matchEvalLabels, text map[string]string, vec map[string][]float32) {
	signals := map[string]func(r, o string) float64{
		"meaning, whole red line": func(r, o string) float64 { return float64(dot(vec[r], vec[o])) },
		"words, whole red line": func(r, o string) float64 {
			return newLexicon([]string{text[r], text[o]}).cosine(0, 1)
		},
	}
	m, _ := embed.Load()
	refusedVec := map[string][]float32{}
	for _, p := range append(append([][2]string(nil), l.Contradicts...), l.NoConflict...) {
		if _, ok := refusedVec[p[0]]; !ok {
			refusedVec[p[0]] = m.Embed(refusedPart(text[p[0]]))
		}
	}
	signals["meaning, refused part"] = func(r, o string) float64 { return float64(dot(refusedVec[r], vec[o])) }
	signals["objective refuses (negated)"] = func(r, o string) float64 {
		if refusedPart(text[o]) != "" {
			return 0
		}
		return 1
	}
	for name, sig := range signals {
		var right, total float64
		for _, c := range l.Contradicts {
			for _, s := range l.NoConflict {
				if s[0] != c[0] {
					continue
				}
				a, b := sig(c[0], c[1]), sig(s[0], s[1])
				total++
				switch {
				case a > b:
					right++
				case a == b:
					right += 0.5
				}
			}
		}
		t.Logf("%-30s orders %.3f of %d pairs right", name, right/total, int(total))
	}
}

// blindSets were built and labelled by readers who never saw the matcher,
// from sources no other set used, and measured once, after the matcher was
// frozen (see eval_test.go): the honest figures.
var blindSets = []string{"heldout8", "heldout9"}

// TestQualityBlind reports the figures on the blind sets (MATCH_BLIND=1):
// objectives, values, red lines; the words alone and the old hand-written
// matcher beside, for comparison.
func TestQualityBlind(t *testing.T) {
	if os.Getenv("MATCH_BLIND") == "" {
		t.Skip("set MATCH_BLIND=1")
	}
	for _, name := range blindSets {
		for _, section := range []string{"objectives", "values"} {
			objs, l, _ := loadSection(t, name+".json", name+"_labels.json", section)
			if len(objs) == 0 {
				continue
			}
			c := corpusOf(t, objs)
			t.Logf("%s %s (%d): matcher %s", name, section, len(objs), measure(objs, l, matcherScorer(c), LikelyScore))
			t.Logf("%s %s: words only %s", name, section, measure(objs, l, tfidfScorer(objs), LikelyScore))
		}
		right, sameTopic, other, total := conflictFigures(t, name)
		t.Logf("%s red lines: %d of %d contradictions flagged; %d same-topic pairs and %d other pairs flagged wrongly", name, right, total, sameTopic, other)
	}
}
