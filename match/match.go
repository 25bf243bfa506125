// Package match finds the common ground between movements: which objectives
// (or values) of different movements state the same aim in other words. The
// machine ranks; people agree. For each item it ranks the items of other
// movements, with the reason for each, and marks the candidates it is
// confident of as likely; facilitators confirm or reject them.
//
// It is plain Go: the only data it needs besides the texts are their
// sentence embeddings, computed once elsewhere (see match/embed) and passed
// in with the items.
package match

import (
	"cmp"
	"math"
	"slices"
)

// Item is one text of a movement: an objective, a value or a red line.
type Item struct {
	ID       string `json:"id"`
	Movement string `json:"movement"`
	Text     string `json:"text"`
	// Vector is the text's sentence embedding, unit length, when it is
	// known; without it the item is compared by its words alone.
	Vector []float32 `json:"-"`
}

// Candidate is an item of another movement that may state the same aim.
type Candidate struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
	Why   string  `json:"why"`
	// Likely: the score reaches LikelyScore and no rule vetoes the pair.
	Likely bool `json:"likely"`
}

// LikelyScore is the score from which a candidate is likely the same aim.
const LikelyScore = 0.55

// MinScore is the smallest score worth showing a person as a candidate.
const MinScore = 0.1

// Candidates ranks, for every item that of accepts (every item when of is
// nil), its k best candidates among the items of other movements, best
// first, each scoring at least MinScore. The result is deterministic.
func Candidates(items []Item, k int, of func(Item) bool) map[string][]Candidate {
	c := newCorpus(items)
	ranked := make([][]Candidate, len(items))
	c.eachItem(func(i int, acc []float32) {
		if of != nil && !of(items[i]) {
			return
		}
		type scored struct {
			j int
			p pairScore
		}
		var best []scored
		for _, j := range c.neighbours(i, acc) {
			if p := c.pair(i, j); p.score >= MinScore {
				best = append(best, scored{j, p})
			}
		}
		slices.SortFunc(best, func(a, b scored) int {
			return cmp.Or(-cmp.Compare(round3(a.p.score), round3(b.p.score)), cmp.Compare(items[a.j].ID, items[b.j].ID))
		})
		cands := make([]Candidate, 0, min(k, len(best)))
		var surface map[int32]string
		for _, b := range best[:min(k, len(best))] {
			if surface == nil {
				surface = c.lex.surface(items[i].Text)
			}
			cands = append(cands, Candidate{ID: items[b.j].ID, Score: round3(b.p.score), Why: c.explainWith(surface, i, b.j, b.p), Likely: b.p.likely()})
		}
		ranked[i] = cands
	})
	out := make(map[string][]Candidate)
	for i, cands := range ranked {
		if cands != nil {
			out[items[i].ID] = cands
		}
	}
	return out
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
