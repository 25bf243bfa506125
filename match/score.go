package match

import (
	"fmt"
	"slices"
	"strings"
)

// corpus is a set of items prepared for comparing any two of them.
type corpus struct {
	items   []Item
	lex     *lexicon
	numbers [][]number // each item's numbers
	surface []map[int32]string
	posting map[int32][]int32 // items by term, for finding neighbours in large sets
	allVec  bool              // every item has a vector
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
	for i, it := range items {
		c.numbers[i] = numbersIn(it.Text)
		if len(it.Vector) == 0 {
			c.allVec = false
		}
	}
	c.surface = c.lex.surfaces(texts)
	if len(items) > exactUpTo {
		c.posting = c.lex.postings(len(items))
	}
	return c
}

// neighbours are the items of other movements compared with item i.
func (c *corpus) neighbours(i int) []int {
	mine := c.items[i].Movement
	if c.posting == nil {
		out := make([]int, 0, len(c.items))
		for j, it := range c.items {
			if it.Movement != mine {
				out = append(out, j)
			}
		}
		return out
	}
	seen := map[int32]bool{}
	var out []int
	for _, tw := range c.lex.vecs[i] {
		for _, j := range c.posting[tw.id] {
			if !seen[j] && c.items[j].Movement != mine {
				seen[j] = true
				out = append(out, int(j))
			}
		}
	}
	slices.Sort(out)
	return out
}

// pairScore is how alike two items are, and why.
type pairScore struct {
	score float64 // in [0, 1]
	lex   float64 // the words' cosine
	veto  string  // a rule that keeps the pair from being likely
	why   string
}

func (p pairScore) likely() bool { return p.veto == "" && p.score >= LikelyScore }

func (c *corpus) pair(i, j int) pairScore {
	p := pairScore{lex: c.lex.cosine(i, j)}
	p.score = p.lex
	var reasons []string
	if shared := c.sharedWords(i, j, 4); len(shared) > 0 {
		reasons = append(reasons, "shared words: "+strings.Join(shared, ", "))
	}
	if differ := numbersDiffer(c.numbers[i], c.numbers[j]); differ != "" {
		p.veto = differ
		reasons = append(reasons, differ)
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "nothing in common")
	}
	p.why = strings.Join(reasons, "; ")
	return p
}

// sharedWords are up to n words the two texts share, the rarest first, as
// the first text writes them.
func (c *corpus) sharedWords(i, j, n int) []string {
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
		return strings.Compare(c.surface[i][p.id], c.surface[i][q.id])
	})
	var out []string
	for _, s := range common {
		if len(out) == n {
			break
		}
		out = append(out, c.surface[i][s.id])
	}
	return out
}

func (c *corpus) String() string { return fmt.Sprintf("corpus of %d items", len(c.items)) }
