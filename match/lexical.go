package match

import (
	"math"
	"slices"
	"strings"
	"unicode"
)

// The lexical signal: the words two texts share, weighted by how rare they
// are among all the texts compared (TF-IDF), as a cosine in [0, 1].

// stopWords are words that say nothing about an aim, and the boilerplate of
// demands ("we demand", "must", "ensure").
var stopWords = wordSet(`a an the and or but nor of in on at to for from by with without into onto over under about
	as than then so such that this these those there their theirs they them we us our ours you your it its is are was were be been
	being am do does did doing have has had having will would shall should can could may might must not no all any each every some
	more most other own same too very just also only both either neither which who whom whose what when where why how
	demand demands call calls urge urges ensure ensuring make making need needs want wants government governments
	new i me my he she his her him`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// words splits a text into lower-case words and numbers: letters and digits
// run together, everything else separates ("net-zero" is "net" "zero",
// "£15" is "15", "don't" is "dont").
func words(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
			// elided: "workers'" and "don't" keep one word
		default:
			flush()
		}
	}
	flush()
	return out
}

// Switches for measuring what each step of reading a text is worth (see
// the ablation in quality_test.go).
var (
	dropStopWords = true
	stemWords     = true
)

// terms are the words of a text that count, stemmed.
func terms(text string) []string {
	var out []string
	for _, w := range words(text) {
		if dropStopWords && stopWords[w] {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

func stem(w string) string {
	if stemWords {
		return matchStem(w)
	}
	return w
}

// termWeight is one term of a sparse vector.
type termWeight struct {
	id int32
	w  float32
}

// lexicon holds the TF-IDF vectors of a set of texts, unit length, terms
// sorted by id.
type lexicon struct {
	vecs [][]termWeight
	df   []int32 // documents per term id
	ids  map[string]int32
}

func newLexicon(texts []string) *lexicon {
	ids := map[string]int32{}
	lx := &lexicon{vecs: make([][]termWeight, len(texts)), ids: ids}
	counts := make([]map[int32]int, len(texts))
	for i, text := range texts {
		c := map[int32]int{}
		for _, t := range terms(text) {
			id, ok := ids[t]
			if !ok {
				id = int32(len(ids))
				ids[t] = id
				lx.df = append(lx.df, 0)
			}
			if c[id] == 0 {
				lx.df[id]++
			}
			c[id]++
		}
		counts[i] = c
	}
	n := float64(len(texts))
	for i, c := range counts {
		v := make([]termWeight, 0, len(c))
		var norm float64
		for id, tf := range c {
			w := (1 + math.Log(float64(tf))) * math.Log(1+n/float64(lx.df[id]))
			v = append(v, termWeight{id, float32(w)})
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for k := range v {
			v[k].w = float32(float64(v[k].w) / norm)
		}
		slices.SortFunc(v, func(a, b termWeight) int { return int(a.id - b.id) })
		lx.vecs[i] = v
	}
	return lx
}

// cosine of texts i and j.
func (lx *lexicon) cosine(i, j int) float64 {
	a, b := lx.vecs[i], lx.vecs[j]
	var s float32
	for x, y := 0, 0; x < len(a) && y < len(b); {
		switch {
		case a[x].id == b[y].id:
			s += a[x].w * b[y].w
			x++
			y++
		case a[x].id < b[y].id:
			x++
		default:
			y++
		}
	}
	return float64(s)
}

// surface maps a text's terms to the first word that gave them: what a
// person reads in an explanation ("evictions", not "evict").
func (lx *lexicon) surface(text string) map[int32]string {
	m := map[int32]string{}
	for _, w := range words(text) {
		if dropStopWords && stopWords[w] {
			continue
		}
		if id, ok := lx.ids[stem(w)]; ok {
			if _, seen := m[id]; !seen {
				m[id] = w
			}
		}
	}
	return m
}

// posting is one text that uses a term, with the term's weight there.
type posting struct {
	item int32
	w    float32
}

// postings lists, for each term used by few texts, the texts that use it:
// sharing a rare term makes two texts worth comparing; a term used by more
// than 1 text in 25 (and at least 64) proposes none.
func (lx *lexicon) postings(n int) map[int32][]posting {
	limit := int32(max(64, n/25))
	p := map[int32][]posting{}
	for i, v := range lx.vecs {
		for _, tw := range v {
			if lx.df[tw.id] <= limit {
				p[tw.id] = append(p[tw.id], posting{int32(i), tw.w})
			}
		}
	}
	return p
}
