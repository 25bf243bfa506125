package match

import (
	"cmp"
	"slices"
	"sort"
	"strings"
)

// Group is a set of items, from different movements, that state the same aim.
type Group struct {
	// Members are item ids, sorted.
	Members []string `json:"members"`
	// Score is the mean score of the member pairs, in (0, 1].
	Score float64 `json:"score"`
	// Why is what the members share.
	Why string `json:"why"`
	// Confidence is Likely when every member pair is likely, else Possible.
	Confidence Confidence `json:"confidence"`
}

// Confidence says how far a group can be trusted.
type Confidence string

const (
	// Likely groups are made of likely pairs only.
	Likely Confidence = "likely"
	// Possible groups share a topic: a person should check them.
	Possible Confidence = "possible"
)

// GroupThreshold is the score two items need to be grouped.
const GroupThreshold = 0.35

// Groups puts the items of several movements that state the same aim
// together: pairs are taken by descending score; an item joins a group when
// its movement is not in it yet and its mean score with the members reaches
// the threshold (average linkage), so one item cannot chain two unrelated
// ones; a pair whose numbers disagree is never grouped. Groups are sorted by
// size, then score, then first member.
func Groups(items []Item, threshold float64) []Group {
	if threshold <= 0 {
		threshold = GroupThreshold
	}
	// In id order, so that the result does not depend on the input's order
	// and ties between edges are broken by position alone.
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b Item) int { return cmp.Compare(a.ID, b.ID) })
	c := newCorpus(items)
	type edge struct {
		i, j int
		p    pairScore
	}
	found := make([][]edge, len(items))
	c.eachItem(func(i int, acc []float32) {
		for _, j := range c.neighbours(i, acc) {
			// In a large set candidates are not mutual: each pair is kept
			// whichever of its items proposed it.
			if j < i && c.ix == nil {
				continue
			}
			if p := c.pair(i, j); p.score >= threshold && !p.veto {
				found[i] = append(found[i], edge{min(i, j), max(i, j), p})
			}
		}
	})
	var edges []edge
	scores := make(map[[2]int]pairScore)
	for _, es := range found {
		for _, e := range es {
			if _, dup := scores[[2]int{e.i, e.j}]; !dup { // in a large set both items may propose a pair
				edges = append(edges, e)
				scores[[2]int{e.i, e.j}] = e.p
			}
		}
	}
	pairOf := func(a, b int) (pairScore, bool) {
		p, ok := scores[[2]int{min(a, b), max(a, b)}]
		return p, ok
	}
	slices.SortFunc(edges, func(a, b edge) int {
		return cmp.Or(-cmp.Compare(a.p.score, b.p.score), cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j))
	})
	groupOf := make([]int, len(items))
	for i := range groupOf {
		groupOf[i] = -1
	}
	var groups [][]int
	fits := func(g []int, i int) bool {
		var sum float64
		for _, m := range g {
			if c.movement[m] == c.movement[i] {
				return false
			}
			p, ok := pairOf(m, i)
			if !ok || p.score < 0.8*threshold {
				return false
			}
			sum += p.score
		}
		return sum/float64(len(g)) >= threshold
	}
	for _, e := range edges {
		gi, gj := groupOf[e.i], groupOf[e.j]
		switch {
		case gi < 0 && gj < 0:
			groups = append(groups, []int{e.i, e.j})
			groupOf[e.i], groupOf[e.j] = len(groups)-1, len(groups)-1
		case gi >= 0 && gj < 0 && fits(groups[gi], e.j):
			groups[gi] = append(groups[gi], e.j)
			groupOf[e.j] = gi
		case gj >= 0 && gi < 0 && fits(groups[gj], e.i):
			groups[gj] = append(groups[gj], e.i)
			groupOf[e.i] = gj
		}
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		out = append(out, c.describe(g, pairOf))
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(-cmp.Compare(len(a.Members), len(b.Members)), -cmp.Compare(a.Score, b.Score), cmp.Compare(a.Members[0], b.Members[0]))
	})
	return out
}

// describe turns a group of item indexes into a Group.
func (c *corpus) describe(g []int, pairOf func(a, b int) (pairScore, bool)) Group {
	var sum float64
	var n int
	likely := true
	var whys []string
	for x := range g {
		for y := x + 1; y < len(g); y++ {
			p, ok := pairOf(g[x], g[y])
			if !ok {
				continue
			}
			sum += p.score
			n++
			likely = likely && p.likely()
			if x == 0 {
				whys = append(whys, c.explain(g[x], g[y], p))
			}
		}
	}
	members := make([]string, len(g))
	for i, m := range g {
		members[i] = c.items[m].ID
	}
	sort.Strings(members)
	gr := Group{Members: members, Score: round3(sum / float64(max(n, 1))), Why: strings.Join(dedupe(whys), " · "), Confidence: Possible}
	if likely {
		gr.Confidence = Likely
	}
	return gr
}

func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
