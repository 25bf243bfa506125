package match

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// In a large set (more than exactUpTo items) an item is not compared with
// every other: its candidates are the items closest to it by words (through
// an inverted index of rare terms) and by meaning (through cells of nearby
// vectors), and only those are scored in full.

const (
	// byWords and byMeaning are how many candidates each signal proposes.
	byWords   = 16
	byMeaning = 16
	// projected is the width of the cheap vectors the cells are built on:
	// a fixed random projection of the embeddings (cosines are kept, roughly).
	projected = 32
	// probes is how many cells around an item are read.
	probes = 2
)

// index proposes, for each item of a large set, the items worth scoring.
type index struct {
	c         *corpus
	posting   map[int32][]posting
	proj      [][]float32 // projected, unit-length vectors; nil without embeddings
	centroids [][]float32
	cells     [][]int32 // items by nearest centroid
	near      [][]int32 // each item's nearest centroids
}

func newIndex(c *corpus) *index {
	ix := &index{c: c, posting: c.lex.postings(len(c.items))}
	if c.allVec && len(c.items) > 0 {
		ix.buildCells()
	}
	return ix
}

// buildCells projects the vectors and files each item under its nearest
// cells; the centroids are a fixed sample of the items (no training), which
// is enough to keep close items together.
func (ix *index) buildCells() {
	items := ix.c.items
	dim := len(items[0].Vector)
	rng := rand.New(rand.NewPCG(1, 2)) // fixed: the result must not vary between runs
	basis := make([][]float32, projected)
	for k := range basis {
		basis[k] = make([]float32, dim)
		for d := range basis[k] {
			basis[k][d] = float32(rng.NormFloat64())
		}
	}
	ix.proj = make([][]float32, len(items))
	parallel(len(items), func(i int) {
		v := make([]float32, projected)
		for k := range basis {
			v[k] = dot(items[i].Vector, basis[k])
		}
		ix.proj[i] = unit(v)
	})
	n := int(math.Sqrt(float64(len(items))))
	perm := rng.Perm(len(items))[:n]
	slices.Sort(perm)
	ix.centroids = make([][]float32, n)
	for k, i := range perm {
		ix.centroids[k] = ix.proj[i]
	}
	ix.near = make([][]int32, len(items))
	parallel(len(items), func(i int) { ix.near[i] = nearest(ix.proj[i], ix.centroids, probes) })
	ix.cells = make([][]int32, n)
	for i, ns := range ix.near {
		ix.cells[ns[0]] = append(ix.cells[ns[0]], int32(i))
	}
}

// nearest are the indexes of the k rows of m closest to v.
func nearest(v []float32, m [][]float32, k int) []int32 {
	type scored struct {
		i int32
		s float32
	}
	best := make([]scored, 0, k+1)
	for i, row := range m {
		s := dot(v, row)
		if len(best) == k && s <= best[k-1].s {
			continue
		}
		at, _ := slices.BinarySearchFunc(best, s, func(e scored, t float32) int { return cmp.Compare(t, e.s) })
		best = slices.Insert(best, at, scored{int32(i), s})
		if len(best) > k {
			best = best[:k]
		}
	}
	out := make([]int32, len(best))
	for i, b := range best {
		out[i] = b.i
	}
	return out
}

func unit(v []float32) []float32 {
	n := float32(math.Sqrt(float64(dot(v, v))))
	if n > 0 {
		for i := range v {
			v[i] /= n
		}
	}
	return v
}

// candidates are the items of other movements item i should be scored with:
// the closest by words and by meaning, in ascending order.
func (ix *index) candidates(i int, acc []float32) []int {
	c := ix.c
	mine := c.movement[i]
	// By words: the TF-IDF dot product, accumulated over the rare terms.
	var touched []int32
	for _, tw := range c.lex.vecs[i] {
		for _, p := range ix.posting[tw.id] {
			if acc[p.item] == 0 {
				touched = append(touched, p.item)
			}
			acc[p.item] += tw.w * p.w
		}
	}
	words := newTop(byWords)
	for _, j := range touched {
		if c.movement[j] != mine {
			words.offer(int(j), acc[j])
		}
		acc[j] = 0
	}
	out := words.items(make([]int, 0, byWords+byMeaning))
	// By meaning: the items filed in the cells nearest this one.
	if ix.proj != nil {
		byWord := len(out)
		meaning := newTop(byMeaning)
		for _, cell := range ix.near[i] {
			for _, j := range ix.cells[cell] {
				if c.movement[j] != mine && !slices.Contains(out[:byWord], int(j)) {
					meaning.offer(int(j), dot(ix.proj[i], ix.proj[j]))
				}
			}
		}
		out = meaning.items(out)
	}
	slices.Sort(out)
	return out
}

// top keeps the k best-scored items offered, cheaply: most offers lose to
// the worst kept and cost one comparison.
type top struct {
	k  int
	js []int
	ss []float32
}

func newTop(k int) *top { return &top{k: k} }

func (t *top) offer(j int, s float32) {
	if len(t.js) == t.k {
		if s <= t.ss[t.k-1] {
			return
		}
		t.js, t.ss = t.js[:t.k-1], t.ss[:t.k-1]
	}
	at := len(t.ss)
	for at > 0 && t.ss[at-1] < s {
		at--
	}
	t.js = slices.Insert(t.js, at, j)
	t.ss = slices.Insert(t.ss, at, s)
}

// items appends the kept items to out.
func (t *top) items(out []int) []int { return append(out, t.js...) }

// parallel runs fn(0..n-1) on every core.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}
