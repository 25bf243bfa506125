package match

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// corpus is a set of items prepared for comparing any two of them.
type corpus struct {
	items    []Item
	lex      *lexicon
	numbers  [][]number // each item's numbers
	movement []int32    // each item's movement, numbered
	ix       *index     // candidates in large sets; nil when every pair is scored
	allVec   bool       // every item has a vector
}

// exactUpTo is the size up to which every item is compared with every item
// of other movements; above it, candidates come from an index.
const exactUpTo = 4000

func newCorpus(items []Item) *corpus {
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = it.Text
	}
	c := &corpus{items: items, lex: newLexicon(texts), numbers: make([][]number, len(items)), allVec: true}
	movements := map[string]int32{}
	c.movement = make([]int32, len(items))
	for i, it := range items {
		c.numbers[i] = numbersIn(it.Text)
		if len(it.Vector) == 0 {
			c.allVec = false
		}
		m, ok := movements[it.Movement]
		if !ok {
			m = int32(len(movements))
			movements[it.Movement] = m
		}
		c.movement[i] = m
	}
	if len(items) > exactUpTo {
		c.ix = newIndex(c)
	}
	return c
}

// neighbours are the items of other movements compared with item i; acc
// is a scratch buffer of len(items) zeros (see eachItem), left zeroed.
func (c *corpus) neighbours(i int, acc []float32) []int {
	if c.ix != nil {
		return c.ix.candidates(i, acc)
	}
	mine := c.items[i].Movement
	out := make([]int, 0, len(c.items))
	for j, it := range c.items {
		if it.Movement != mine {
			out = append(out, j)
		}
	}
	return out
}

// eachItem runs fn for every item, on every core, each worker with its own
// scratch buffer for neighbours.
func (c *corpus) eachItem(fn func(i int, acc []float32)) {
	var pool = sync.Pool{New: func() any { return make([]float32, len(c.items)) }}
	parallel(len(c.items), func(i int) {
		acc := pool.Get().([]float32)
		fn(i, acc)
		pool.Put(acc)
	})
}

// pairScore is how alike two items are.
type pairScore struct {
	score float64 // in [0, 1]
	lex   float64 // the words' cosine
	sem   float64 // the meanings' similarity, rescaled; 0 without vectors
	veto  bool    // a rule keeps the pair from being likely (see explain)
}

func (p pairScore) likely() bool { return !p.veto && p.score >= LikelyScore }

// How the two signals combine: the words' cosine, and the meaning's
// (embeddings) rescaled so that unrelated sentences, which embeddings put
// near semFloor, count for nothing. Chosen on the development sets (see
// quality_test.go); the meaning alone ranks worse than the words.
var (
	semWeight = 0.4
	semFloor  = 0.4
	// vetoNumbers: numbers of a kind that differ keep a pair from being likely.
	vetoNumbers = true
)

// pair scores items i and j. It allocates nothing: it runs for every pair
// compared; explain says why for the few that are shown.
func (c *corpus) pair(i, j int) pairScore {
	p := pairScore{lex: c.lex.cosine(i, j)}
	p.score = p.lex
	if a, b := c.items[i].Vector, c.items[j].Vector; len(a) > 0 && len(a) == len(b) {
		p.sem = max(0, (float64(dot(a, b))-semFloor)/(1-semFloor))
		p.score = semWeight*p.sem + (1-semWeight)*p.lex
	}
	p.veto = vetoNumbers && numbersDisagree(c.numbers[i], c.numbers[j])
	return p
}

// explain says, for people, why items i and j scored p.
func (c *corpus) explain(i, j int, p pairScore) string {
	return c.explainWith(c.lex.surface(c.items[i].Text), i, j, p)
}

// explainWith is explain with the words of item i already read (surface).
func (c *corpus) explainWith(surface map[int32]string, i, j int, p pairScore) string {
	var reasons []string
	if p.sem > 0 {
		reasons = append(reasons, fmt.Sprintf("similar meaning %.2f", p.sem))
	}
	if shared := c.sharedWords(surface, i, j, 4); len(shared) > 0 {
		reasons = append(reasons, "shared words: "+strings.Join(shared, ", "))
	}
	if differ := numbersDiffer(c.numbers[i], c.numbers[j]); differ != "" && vetoNumbers {
		reasons = append(reasons, differ)
	}
	if len(reasons) == 0 {
		return "nothing in common"
	}
	return strings.Join(reasons, "; ")
}

// sharedWords are up to n words the two texts share, the rarest first, as
// the first text writes them.
func (c *corpus) sharedWords(surface map[int32]string, i, j, n int) []string {
	a, b := c.lex.vecs[i], c.lex.vecs[j]
	type shared struct {
		id int32
		df int32
	}
	var common []shared
	for x, y := 0, 0; x < len(a) && y < len(b); {
		switch {
		case a[x].id == b[y].id:
			common = append(common, shared{a[x].id, c.lex.df[a[x].id]})
			x++
			y++
		case a[x].id < b[y].id:
			x++
		default:
			y++
		}
	}
	slices.SortFunc(common, func(p, q shared) int {
		if p.df != q.df {
			return int(p.df - q.df)
		}
		return strings.Compare(surface[p.id], surface[q.id])
	})
	var out []string
	for _, s := range common {
		if len(out) == n {
			break
		}
		out = append(out, surface[s.id])
	}
	return out
}

func (c *corpus) String() string { return fmt.Sprintf("corpus of %d items", len(c.items)) }

// dot is the dot product of two vectors of the same length: their cosine
// when both are unit length. Unrolled, without bounds checks in the loop:
// it is where matching large sets spends its time.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		s4 += x[4] * y[4]
		s5 += x[5] * y[5]
		s6 += x[6] * y[6]
		s7 += x[7] * y[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}
