package legacy

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// This file is the objective matcher: it finds the common ground between
// movements, groups of objectives of different movements that state the same
// aim in different words. It is deterministic and explainable, and needs no
// model: every step is a rule a person can read, and every word list is in
// match_lexicon.go.
//
// Reading a text (match_text.go):
//
//   - the text is lower-cased and split into words; stop words and the
//     boilerplate of demands ("we demand", "must", "ensure") are dropped;
//   - British spellings are written the American way ("organise" is
//     "organize", "labour" is "labor") and irregular forms brought together
//     ("sale", "sold" and "selling");
//   - words are stemmed (Porter, match_stem.go): "evictions" and "evicting"
//     agree;
//   - a hand-written table of concepts maps synonyms and phrases to one name:
//     "climate crisis", "climate emergency" and "climate breakdown" are
//     climate-crisis, "homes" and "housing" are housing, "oil and gas" is
//     fossil-fuel;
//   - numbers are read with their kind: years, percentages, money, °C,
//     fractions and durations ("two decades");
//   - action words are grouped in classes (end, limit, reduce, fund, expand,
//     build, support, ...), and the object of each action is found: the head
//     of the noun phrase it governs ("an end to fossil fuel subsidies" and
//     "cease all subsidies of fossil fuels" both end subsidies; "rent
//     freeze" and "rent controls" limit rent, "rent cancellation" ends it);
//   - every word gets the direction of the action on it: "end fossil fuel
//     subsidies" is against fossil fuels, "fund fossil fuel workers" is for;
//     negations turn it around ("no new coal", "should not go ahead"), as do
//     harms ("end voter suppression" is for voters);
//   - details after "especially", "including", "such as" count half;
//   - an objective that lists several aims ("medical debt relief and
//     universal health care") is also split into its parts.
//
// Comparing two texts (Similarity): each concept, term, action, action on an
// object, pair of adjacent words and number is a feature with a weight
// (concepts and actions on objects 1, the wording of a concept 0.6, actions
// 0.5, weak words such as "new" or "people" 0.35, word pairs 0.3). Match also
// weighs features by their rarity in its input: a feature used by more than
// 2% of the objectives counts less and less (capped inverse document
// frequency). The score is the cosine of the two weighted feature sets, in
// [0, 1]; when one text lists several aims, a part that matches the other
// text (or one of its parts) counts too, discounted by 0.9. Two texts must
// share a concept, the same action on the same object, two words, or a
// temperature or an amount of money to be compared at all (sharing "war" or
// "profit" is not common ground). A broad concept, an actor or a topic
// rather than an aim ("government", "emergency", "war"), counts only as one
// word. Three
// rules veto a match whatever the score: numbers of the same kind that both
// texts give and that differ (net zero by 2030 is not net zero by 2050);
// opposite directions on what the texts share (ending fracking is not
// expanding it), unless both texts do the same thing to it ("support rent
// control" and "cap rents" both limit rent); actions of different kinds on
// the same object (cancelling rent is not controlling it).
//
// Finding pairs (Match): an inverted index maps features to the objectives
// that have them. Only features that can make two texts comparable are
// indexed (concepts, plain words, temperatures and amounts), and only those
// used by at most 1 objective in 25 (and never fewer than 64): a more common
// feature still counts in the score but does not propose candidates. The features that are not
// indexed give an upper bound of what a candidate can gain from them, so
// candidates are examined by descending upper bound and the search stops as
// soon as no candidate left can beat the best matches kept. Each objective
// keeps its 8 best matches above the threshold, in objectives of other
// movements.
//
// Grouping: pairs are taken by descending score. Two free objectives start a
// group; a free objective joins a group only if its movement is not in it
// yet, its mean similarity to the members reaches the threshold (average
// linkage) and no member is below 0.8 of the threshold, so one objective
// cannot chain two unrelated ones together and a vetoed pair never ends up
// in one group. Two groups that formed apart merge when a pair across them
// matched, their movements differ and the members across them match by the
// same rule. Each objective is in
// at most one group; objectives of the same movement are never grouped. A
// group's score is the mean of the pair scores that made it; its
// explanation lists what most of its members share.

// Objective is one objective of a movement's core statement.
type Objective struct {
	ID       string `json:"id"`
	Movement string `json:"movement"`
	Text     string `json:"text"`
}

// Group is a set of objectives, from different movements, that state
// the same aim.
type Group struct {
	// Members are objective ids, sorted.
	Members []string `json:"members"`
	// Score is the mean similarity of the member pairs that matched, in (0, 1].
	Score float64 `json:"score"`
	// Why names what the members share, e.g. "shared concepts:
	// climate-crisis, truth, government".
	Why string `json:"why"`
	// Confidence says how far a person can trust the suggestion: Likely
	// or Possible.
	Confidence Confidence `json:"confidence"`
}

// Confidence is how far a group's suggestion can be trusted, as
// measured on labelled sets of real statements the matcher was not tuned on.
type Confidence string

const (
	// Likely groups (score at least LikelyScore) mostly state one
	// aim. Of their pairs, a careful reader labelled the same aim 43 of 53
	// on the five held-out sets studied first (pooled; 2 of 4 to 22 of 22
	// set by set), 6 of 8 on heldout6 and 6 of 11 on heldout7.
	Likely Confidence = "likely"
	// Possible groups share a topic and less often an aim: 47 of 97
	// pairs pooled on the first five held-out sets (heldout2 alone: 20 of
	// 26), 11 of 38 on heldout6, 4 of 28 on heldout7. A person should check
	// them.
	Possible Confidence = "possible"
)

// LikelyScore is the group score from which a group is Likely.
// Chosen on the held-out sets (see eval_test.go): below it, wrong
// pairs outnumber right ones on statements the matcher has not seen.
const LikelyScore = 0.5

func matchConfidenceOf(score float64) Confidence {
	if score >= LikelyScore {
		return Likely
	}
	return Possible
}

// Options tune Match.
type Options struct {
	// Threshold is the similarity two objectives need to be matched, in
	// (0, 1]. Zero means DefaultThreshold.
	Threshold float64
}

// DefaultThreshold is the similarity two objectives need to be matched
// when Options.Threshold is zero.
const DefaultThreshold = 0.25

// matchConflictShare is the share of what two texts have in common on which
// they must take opposite directions for the match to be vetoed.
const matchConflictShare = 0.25

// A feature used by at most matchRareShare of the objectives (and at least
// matchRareMin) keeps its full weight in Match.
var (
	matchRareShare = 0.02
	matchRareMin   = 3.0
)

// matchTopK is how many best matches each objective keeps for grouping.
const matchTopK = 8

// Match groups the objectives of several movements that state the same aim.
// The result is deterministic: it does not depend on the order of objs, and
// groups are sorted by size (largest first), then score (highest first), then
// first member id.
func Groups(objs []Objective, opts Options) []Group {
	threshold := opts.Threshold
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if len(objs) < 2 {
		return []Group{}
	}
	sorted := slices.Clone(objs)
	slices.SortStableFunc(sorted, func(a, b Objective) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Movement, b.Movement), cmp.Compare(a.Text, b.Text))
	})
	c := newMatchCorpus(sorted, true)
	edges := c.edges(threshold)
	groups := c.group(edges, threshold)
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		members := make([]string, len(g.members))
		for i, m := range g.members {
			members[i] = sorted[m].ID
		}
		sort.Strings(members)
		score := math.Round(g.scoreSum/float64(g.scoreN)*1000) / 1000
		out = append(out, Group{
			Members:    members,
			Score:      score,
			Why:        c.groupWhy(g.members),
			Confidence: matchConfidenceOf(score),
		})
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		return cmp.Or(-cmp.Compare(len(a.Members), len(b.Members)), -cmp.Compare(a.Score, b.Score), cmp.Compare(a.Members[0], b.Members[0]))
	})
	return out
}

// Similarity is the measure Match uses for one pair of texts, with every
// feature at its base weight (Match also weighs features by their rarity in
// its input, so scores there differ a little). why explains the score: what
// the texts share, or which rule vetoed the match.
func Similarity(a, b string) (score float64, why string) {
	c := newMatchCorpus([]Objective{{ID: "a", Movement: "a", Text: a}, {ID: "b", Movement: "b", Text: b}}, false)
	v := c.compare(0, 1, true)
	return math.Round(v.score*1000) / 1000, v.why
}

// Contradiction is a red line of one movement that an objective of another
// movement goes against: same topic, opposite direction. It is for a person
// to look at, not a verdict.
type Contradiction struct {
	RedLine   string `json:"red_line"`
	Objective string `json:"objective"`
	Why       string `json:"why"`
}

// matchConflictMinSimilarity is how close in topic a red line and an
// objective must be to be checked for opposite directions.
const matchConflictMinSimilarity = 0.15

// Conflicts flags the objectives that go against a red line of another
// movement: they share a topic ("nuclear power") and take opposite
// directions on it (the red line "We will never accept nuclear power", the
// objective "Expand nuclear power to cut emissions"). The result is sorted by
// red line id, then objective id.
func Conflicts(redLines, objectives []Objective) []Contradiction {
	all := make([]Objective, 0, len(redLines)+len(objectives))
	rl := slices.Clone(redLines)
	ob := slices.Clone(objectives)
	byID := func(a, b Objective) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Movement, b.Movement), cmp.Compare(a.Text, b.Text))
	}
	slices.SortStableFunc(rl, byID)
	slices.SortStableFunc(ob, byID)
	all = append(append(all, rl...), ob...)
	c := newMatchCorpus(all, true)
	// Objectives by feature, for candidates.
	post := map[int32][]int32{}
	for o := len(rl); o < len(all); o++ {
		for _, f := range c.docs[o].feats {
			if c.evid[f.id] != matchEvidenceNone { // sharing only "support" proves nothing
				post[f.id] = append(post[f.id], int32(o))
			}
		}
	}
	out := []Contradiction{}
	for r := range rl {
		seen := map[int32]bool{}
		var cands []int32
		for _, f := range c.docs[r].feats {
			for _, o := range post[f.id] {
				if !seen[o] {
					seen[o] = true
					cands = append(cands, o)
				}
			}
		}
		slices.Sort(cands)
		for _, o := range cands {
			if all[o].Movement == rl[r].Movement || all[o].ID == rl[r].ID {
				continue
			}
			v := c.compare(r, int(o), true)
			if v.cosine < matchConflictMinSimilarity || v.conflictW == 0 || v.conflictW < v.agreeW {
				continue
			}
			out = append(out, Contradiction{RedLine: rl[r].ID, Objective: all[o].ID, Why: v.conflictWhy})
		}
	}
	return out
}

// matchCorpus is a set of texts read and weighted together.
type matchCorpus struct {
	docs     []matchDoc
	movement []int32
	keys     []string  // by feature id
	surface  []string  // by feature id, for explanations
	weight   []float32 // by feature id, base weight × rarity
	base     []float32 // by feature id, base weight
	action   []bool    // by feature id: an action class
	kind     []byte    // by feature id: c concept, t term, a action, n number, x decisive number, f frame
	indexed  []bool    // by feature id: used to find candidates
	anchor   []int32   // by feature id: the indexed feature it always comes with, or -1
	anchorOf []string  // by feature id: the key of the feature it always comes with, or ""
	frameObj []string  // by feature id, for frames: the object
	frameFam []string  // by feature id, for frames: the action family
	df       []int32   // by feature id
	evid     []uint8   // by feature id: what sharing it proves (matchEvidence*)
	object   []string  // by feature id: the concept or word it names, as frames name their object
	maxDF    int32     // features in more documents are not used to find candidates
}

type matchDoc struct {
	feats      []matchFeat // sorted by id
	facts      []matchFact
	norm       float64 // Euclidean norm of the weights
	rootCommon float64 // square root of the sum of squared weights of the free features (not indexed, not attached)
	segs       []matchSeg
	minNorm    float64          // the smallest norm of the document and its parts
	frames     []matchFeat      // the action-object features, for actionConflict
	cues       map[int32]string // the words that gave a direction, by feature id
}

// matchSeg is a part of a document that states one of its aims.
type matchSeg struct {
	feats []matchFeat
	norm  float64
}

type matchFeat struct {
	id  int32
	w   float32 // weight in this document: base weight × rarity
	att float32 // for an indexed feature: the norm of the features attached to it here
	pol int8
}

func newMatchCorpus(objs []Objective, rarity bool) *matchCorpus {
	n := len(objs)
	analyses := make([]matchAnalysis, n)
	matchParallel(n, func() func(int) {
		return func(i int) { analyses[i] = matchAnalyze(objs[i].Text) }
	})

	c := &matchCorpus{docs: make([]matchDoc, n), movement: make([]int32, n)}
	movements := map[string]int32{}
	for i, o := range objs {
		m, ok := movements[o.Movement]
		if !ok {
			m = int32(len(movements))
			movements[o.Movement] = m
		}
		c.movement[i] = m
	}
	dict := map[string]int32{}
	var base []float32
	var anchors []string
	for i := range analyses {
		for _, o := range analyses[i].occs {
			id, ok := dict[o.key]
			if !ok {
				id = int32(len(c.keys))
				dict[o.key] = id
				c.keys = append(c.keys, o.key)
				c.surface = append(c.surface, o.surface)
				base = append(base, o.weight)
				anchors = append(anchors, o.anchor)
				c.df = append(c.df, 0)
			} else if o.weight > base[id] {
				base[id] = o.weight
			}
			c.df[id]++
		}
	}
	// Two words written as one word another text uses ("choke holds",
	// "chokeholds") also count as that word.
	for i := range analyses {
		a := &analyses[i]
	joins:
		for _, j := range a.joins {
			id, ok := dict[j.key]
			if !ok {
				continue
			}
			for _, o := range a.occs {
				if o.key == j.key {
					continue joins
				}
			}
			a.occs = append(a.occs, j)
			c.df[id]++
		}
	}
	c.base = base
	c.maxDF = int32(max(64, n/25))
	c.action = make([]bool, len(base))
	c.kind = make([]byte, len(base))
	c.frameObj = make([]string, len(base))
	c.indexed = make([]bool, len(base))
	c.frameFam = make([]string, len(base))
	for id, k := range c.keys {
		c.action[id] = strings.HasPrefix(k, "a:") || strings.HasPrefix(k, "f:") || strings.HasPrefix(k, "b:")
		c.kind[id] = k[0]
		if k[0] == 'w' {
			c.kind[id] = 't'
		}
		if strings.HasPrefix(k, "n:temperature:") || strings.HasPrefix(k, "n:money:") {
			c.kind[id] = 'x'
		}
		if k[0] == 'f' {
			parts := strings.SplitN(k, ":", 3)
			c.frameFam[id], c.frameObj[id] = matchActionFamilies[parts[1]], parts[2]
		}
		if k[0] == 't' && strings.Contains(k, " ") {
			// The wording of a multi-word concept.
			c.kind[id] = 'c'
		}
		// Only features that can make two texts comparable (see evidence)
		// and that do not always come with another indexed one are indexed:
		// concepts, plain words that name no concept, decisive numbers.
		switch {
		case strings.HasPrefix(k, "c:"), c.kind[id] == 'x':
			c.indexed[id] = true
		case k[0] == 't':
			c.indexed[id] = base[id] >= 0.5
		}
		c.indexed[id] = c.indexed[id] && c.df[id] > 1 && c.df[id] <= c.maxDF
	}
	// The object a concept or word names, to compare with frame objects.
	c.object = make([]string, len(base))
	for id, k := range c.keys {
		switch {
		case strings.HasPrefix(k, "c:"):
			c.object[id] = k[2:]
		case strings.HasPrefix(anchors[id], "c:"):
			c.object[id] = anchors[id][2:]
		case strings.HasPrefix(k, "t:"):
			c.object[id] = k[2:]
		default:
			c.object[id] = "\x00"
		}
	}
	c.evid = make([]uint8, len(base))
	for id := range c.evid {
		c.evid[id] = matchEvidenceOf(c.kind[id], base[id])
	}
	c.anchorOf = anchors
	c.anchor = make([]int32, len(base))
	for id := range c.anchor {
		c.anchor[id] = -1
		if a, ok := dict[anchors[id]]; ok && anchors[id] != "" && c.indexed[a] && !c.indexed[id] {
			c.anchor[id] = a
		}
	}
	c.weight = make([]float32, len(base))
	// Rarity: a feature in at most dfFull objectives keeps its weight; a more
	// common one counts less and less (inverse document frequency, capped so
	// that a word only one objective uses does not outweigh shared concepts).
	dfFull := math.Max(matchRareMin, float64(n)*matchRareShare)
	logFull := math.Log1p(float64(n) / dfFull)
	for id := range base {
		f := 1.0
		if rarity && n > 1 {
			f = math.Min(1, math.Log1p(float64(n)/float64(c.df[id]))/logFull)
		}
		c.weight[id] = base[id] * float32(f)
	}
	for i := range analyses {
		a := &analyses[i]
		d := &c.docs[i]
		d.feats = make([]matchFeat, len(a.occs))
		for k, o := range a.occs {
			id := dict[o.key]
			d.feats[k] = matchFeat{id: id, w: o.weight * c.weight[id] / base[id], pol: o.pol}
			if o.pol != 0 {
				if d.cues == nil {
					d.cues = map[int32]string{}
				}
				d.cues[id] = o.cue
			}
		}
		slices.SortFunc(d.feats, func(x, y matchFeat) int { return cmp.Compare(x.id, y.id) })
		d.facts = a.facts
		// The weight of the features that are not indexed: attached to an
		// indexed feature of this document (they can only be shared with a
		// document sharing that one), or free.
		var sum, common float64
		var attached map[int32]float64
		for _, f := range d.feats {
			w := float64(f.w)
			sum += w * w
			if c.indexed[f.id] {
				continue
			}
			if a := c.anchor[f.id]; a >= 0 {
				if attached == nil {
					attached = map[int32]float64{}
				}
				attached[a] += w * w
				continue
			}
			common += w * w
		}
		for k := range d.feats {
			f := &d.feats[k]
			if m, ok := attached[f.id]; ok {
				f.att = float32(math.Sqrt(m))
				delete(attached, f.id)
			}
		}
		for _, m := range attached {
			// An anchor absent from this document (cannot happen by
			// construction, but the bound must hold whatever the input).
			common += m
		}
		d.norm = math.Sqrt(sum)
		d.rootCommon = math.Sqrt(common)
		d.minNorm = d.norm
		for _, f := range d.feats {
			if c.kind[f.id] == 'f' {
				d.frames = append(d.frames, f)
			}
		}
		for _, seg := range a.segs {
			var sg matchSeg
			sum := 0.0
			for _, o := range seg {
				id := dict[o.key]
				f := matchFeat{id: id, w: o.weight * c.weight[id] / base[id], pol: o.pol}
				sg.feats = append(sg.feats, f)
				sum += float64(f.w) * float64(f.w)
			}
			slices.SortFunc(sg.feats, func(x, y matchFeat) int { return cmp.Compare(x.id, y.id) })
			sg.norm = math.Sqrt(sum)
			if sg.norm == 0 {
				continue
			}
			d.segs = append(d.segs, sg)
			d.minNorm = math.Min(d.minNorm, sg.norm)
		}
	}
	return c
}

// matchSegmentFactor discounts a match found between parts of objectives
// rather than between whole objectives.
const matchSegmentFactor = 0.9

// eachShared calls fn with the index in a and in b of every feature both
// sorted lists hold, until fn returns false.
func eachShared(a, b []matchFeat, fn func(i, j int) bool) {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].id < b[j].id:
			i++
		case a[i].id > b[j].id:
			j++
		default:
			if !fn(i, j) {
				return
			}
			i++
			j++
		}
	}
}

// segDot is the shared weight of two feature lists (0 if they share only
// actions), and the shared features when asked.
func (c *matchCorpus) segDot(a, b []matchFeat, shared *[]int32) float64 {
	var dot, actions float64
	eachShared(a, b, func(i, j int) bool {
		ww := float64(a[i].w) * float64(b[j].w)
		if c.action[a[i].id] {
			actions += ww
			return true
		}
		dot += ww
		if shared != nil {
			*shared = append(*shared, a[i].id)
		}
		return true
	})
	if dot == 0 {
		return 0
	}
	return dot + actions
}

// sharedFrameObjects lists the objects both texts apply the same action to
// ("support rent control" and "cap rents" both limit rent): on these their
// directions agree by definition, whatever the words around say.
func (c *matchCorpus) sharedFrameObjects(a, b []matchFeat, objs []string) []string {
	eachShared(a, b, func(i, _ int) bool {
		objs = append(objs, c.frameObj[a[i].id])
		return true
	})
	return objs
}

// actionConflict reports whether two texts act on a common object with
// actions of different families (stop, restrain, promote) and share no
// action on any object: then they want different things for it. a and b are
// the frames of the two texts.
func (c *matchCorpus) actionConflict(a, b []matchFeat) (object, actA, actB string, conflict bool) {
	for _, fa := range a {
		if c.frameFam[fa.id] == "" {
			continue
		}
		for _, fb := range b {
			if c.frameFam[fb.id] == "" {
				continue
			}
			if fa.id == fb.id {
				return "", "", "", false
			}
			if !conflict && c.frameObj[fa.id] == c.frameObj[fb.id] && c.frameFam[fa.id] != c.frameFam[fb.id] {
				object, conflict = c.frameObj[fa.id], true
				actA = strings.SplitN(c.keys[fa.id], ":", 3)[1]
				actB = strings.SplitN(c.keys[fb.id], ":", 3)[1]
			}
		}
	}
	return object, actA, actB, conflict
}

// What sharing a feature proves: nothing on its own, a little (two such are
// enough to compare two texts), or enough.
const (
	matchEvidenceNone uint8 = iota
	matchEvidenceTerm
	matchEvidenceDecisive
)

// matchBroadWeight: a concept weighing less than this names a broad topic
// or an actor ("government", "emergency") rather than an aim; sharing it
// counts like sharing one word.
const matchBroadWeight = 0.6

func matchEvidenceOf(kind byte, base float32) uint8 {
	switch {
	case base < 0.5:
		return matchEvidenceNone
	case kind == 'x', kind == 'f':
		return matchEvidenceDecisive
	case kind == 'c' && base >= matchBroadWeight:
		return matchEvidenceDecisive
	case kind == 'c', kind == 't':
		return matchEvidenceTerm
	}
	return matchEvidenceNone
}

// evidence reports whether two feature lists share enough to be compared at
// all: a concept, two words, or a temperature or an amount of money. One
// shared ordinary word ("war", "profit") is not common ground.
func (c *matchCorpus) evidence(a, b []matchFeat) bool {
	terms, enough := 0, false
	eachShared(a, b, func(i, _ int) bool {
		enough = c.proves(a[i].id, &terms)
		return !enough
	})
	return enough
}

// proves reports whether sharing feature id, after the terms already shared
// (counted in terms), is enough to compare two texts.
func (c *matchCorpus) proves(id int32, terms *int) bool {
	switch c.evid[id] {
	case matchEvidenceDecisive:
		return true
	case matchEvidenceTerm:
		*terms++
		return *terms >= 2
	}
	return false
}

// bestParts compares the parts of two documents (each part with the other
// document and with the other's parts) and returns the best discounted
// similarity.
func (c *matchCorpus) bestParts(da, db *matchDoc) (float64, []matchFeat, []matchFeat) {
	best := 0.0
	var ba, bb []matchFeat
	try := func(fa []matchFeat, na float64, fb []matchFeat, nb float64) {
		if !c.evidence(fa, fb) {
			return
		}
		s := matchSegmentFactor * math.Min(1, c.segDot(fa, fb, nil)/(na*nb))
		if s > best {
			best, ba, bb = s, fa, fb
		}
	}
	for _, sa := range da.segs {
		try(sa.feats, sa.norm, db.feats, db.norm)
		for _, sb := range db.segs {
			try(sa.feats, sa.norm, sb.feats, sb.norm)
		}
	}
	for _, sb := range db.segs {
		try(da.feats, da.norm, sb.feats, sb.norm)
	}
	return best, ba, bb
}

// matchVerdict is the comparison of two documents.
type matchVerdict struct {
	cosine      float64 // the similarity of the features, whatever the vetoes
	score       float64 // cosine, or 0 when a veto applies
	agreeW      float64 // weight of shared features with the same direction
	conflictW   float64 // weight of shared features with opposite directions
	why         string  // when explaining
	conflictWhy string  // when explaining and directions conflict
}

// compare measures two documents of the corpus.
func (c *matchCorpus) compare(a, b int, explain bool) matchVerdict {
	da, db := &c.docs[a], &c.docs[b]
	var v matchVerdict
	if da.norm == 0 || db.norm == 0 {
		if explain {
			v.why = "nothing in common"
		}
		return v
	}
	var dot, actions float64
	var shared []int32
	var conflicts []int
	evidence, terms := false, 0
	// The objects both texts do the same thing to, looked up at the first
	// opposite direction (rare): directions on them agree.
	var agreedBuf [4]string
	var agreed []string
	agreedKnown := false
	i, j := 0, 0
	for i < len(da.feats) && j < len(db.feats) {
		fa, fb := &da.feats[i], &db.feats[j]
		switch {
		case fa.id < fb.id:
			i++
		case fa.id > fb.id:
			j++
		default:
			ww := float64(fa.w) * float64(fb.w)
			if c.action[fa.id] {
				// Sharing only an action ("end") is no common ground; the
				// same action on the same object is.
				actions += ww
				evidence = c.proves(fa.id, &terms) || evidence
				i++
				j++
				continue
			}
			dot += ww
			evidence = c.proves(fa.id, &terms) || evidence
			if fa.pol != 0 && fb.pol != 0 && c.base[fa.id] >= 0.5 {
				if fa.pol != fb.pol && !agreedKnown {
					agreed, agreedKnown = c.sharedFrameObjects(da.frames, db.frames, agreedBuf[:0]), true
				}
				switch {
				case fa.pol == fb.pol:
					v.agreeW += ww
				case slices.Contains(agreed, c.object[fa.id]):
				default:
					v.conflictW += ww
					if explain {
						conflicts = append(conflicts, i, j)
					}
				}
			}
			if explain {
				shared = append(shared, fa.id)
			}
			i++
			j++
		}
	}
	if dot > 0 {
		dot += actions
	}
	if !evidence {
		dot = 0
	}
	v.cosine = math.Min(1, dot/(da.norm*db.norm))
	if (len(da.segs) > 0 || len(db.segs) > 0) && evidence &&
		matchSegmentFactor*math.Min(1, dot/(da.minNorm*db.minNorm)) > v.cosine {
		// A part can do better than the whole only if the whole's shared
		// weight, over the smallest parts, could beat it.
		if s, fa, fb := c.bestParts(da, db); s > v.cosine {
			v.cosine = s
			if explain {
				shared = shared[:0]
				c.segDot(fa, fb, &shared)
			}
		}
	}
	v.score = v.cosine
	numA, numB, numConflict := matchFactsConflict(da.facts, db.facts)
	dirConflict := v.conflictW > 0 && v.conflictW >= v.agreeW && v.conflictW >= matchConflictShare*dot
	actObj, actA, actB, actConflict := c.actionConflict(da.frames, db.frames)
	if numConflict || dirConflict || actConflict {
		v.score = 0
	}
	if !explain {
		return v
	}
	if len(conflicts) > 0 {
		var concepts, terms []string
		for k := 0; k < len(conflicts); k += 2 {
			id := da.feats[conflicts[k]].id
			if c.kind[id] == 'c' && strings.HasPrefix(c.keys[id], "c:") {
				concepts = append(concepts, c.featureName(id))
			} else {
				terms = append(terms, c.featureName(id))
			}
		}
		names := concepts
		if len(names) == 0 {
			names = terms
		}
		fa, fb := da.feats[conflicts[0]], db.feats[conflicts[1]]
		v.conflictWhy = fmt.Sprintf("opposite directions on %s: %q (%s) vs %q (%s)",
			strings.Join(matchFirst(matchUnique(names), 4), ", "), da.cues[fa.id], matchDirWord(fa.pol), db.cues[fb.id], matchDirWord(fb.pol))
	}
	switch {
	case numConflict:
		v.why = fmt.Sprintf("numbers differ: %s vs %s", numA, numB)
	case dirConflict:
		v.why = v.conflictWhy
	case actConflict:
		v.why = fmt.Sprintf("different actions on %s: %s vs %s", actObj, actA, actB)
	case len(shared) == 0:
		v.why = "nothing in common"
	default:
		v.why = c.explainShared(shared)
	}
	return v
}

func matchDirWord(p int8) string {
	if p < 0 {
		return "against"
	}
	return "for"
}

// matchFactsConflict reports whether two texts give numbers of the same kind
// that differ (no value in common), and which.
func matchFactsConflict(a, b []matchFact) (string, string, bool) {
	if len(a) == 0 || len(b) == 0 {
		return "", "", false
	}
	for _, fa := range a {
		sameKind, common := false, false
		var other string
		for _, fb := range b {
			if fb.kind != fa.kind {
				continue
			}
			if !sameKind {
				other = fb.text
			}
			sameKind = true
			for _, fa2 := range a {
				if fa2.kind == fa.kind && fa2.value == fb.value {
					common = true
				}
			}
		}
		if sameKind && !common {
			return fa.text, other, true
		}
	}
	return "", "", false
}

// featureName is how a feature is shown: the concept name, the word, or the
// number as written.
func (c *matchCorpus) featureName(id int32) string {
	return c.surface[id]
}

// explainShared lists shared features: concepts, then terms not already said
// by a concept, then numbers, heaviest first.
func (c *matchCorpus) explainShared(ids []int32) string {
	counts := make(map[int32]int, len(ids))
	for _, id := range ids {
		counts[id] = 1
	}
	return c.explainCounts(counts)
}

func (c *matchCorpus) explainCounts(counts map[int32]int) string {
	ids := make([]int32, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y int32) int {
		return cmp.Or(-cmp.Compare(counts[x], counts[y]), -cmp.Compare(c.weight[x], c.weight[y]), cmp.Compare(c.keys[x], c.keys[y]))
	})
	var concepts, actions, terms, numbers []string
	said := map[string]bool{}
	for _, id := range ids {
		if strings.HasPrefix(c.keys[id], "c:") {
			said[c.surface[id]] = true
		}
	}
	for _, id := range ids {
		key := c.keys[id]
		switch {
		case strings.HasPrefix(key, "c:"):
			concepts = append(concepts, c.surface[id])
		case strings.HasPrefix(key, "t:"):
			if a := c.anchorOf[id]; strings.HasPrefix(a, "c:") && said[a[2:]] {
				// The wording of a concept already named.
				continue
			}
			terms = append(terms, c.surface[id])
		case strings.HasPrefix(key, "w:"):
			if ci, ok := matchLex().wordStems[key[2:]]; ok && said[matchLex().names[ci]] {
				continue
			}
			terms = append(terms, c.surface[id])
		case strings.HasPrefix(key, "n:"):
			numbers = append(numbers, c.surface[id])
		case strings.HasPrefix(key, "f:") && c.base[id] >= 0.5:
			actions = append(actions, c.surface[id])
		}
	}
	var parts []string
	if len(concepts) > 0 {
		parts = append(parts, "shared concepts: "+strings.Join(matchFirst(concepts, 5), ", "))
	}
	if len(actions) > 0 {
		parts = append(parts, "shared actions: "+strings.Join(matchFirst(actions, 3), ", "))
	}
	if len(terms) > 0 {
		parts = append(parts, "shared terms: "+strings.Join(matchFirst(matchUnique(terms), 5), ", "))
	}
	if len(numbers) > 0 {
		parts = append(parts, "same numbers: "+strings.Join(matchFirst(numbers, 3), ", "))
	}
	if len(parts) == 0 {
		return "nothing in common"
	}
	return strings.Join(parts, "; ")
}

func matchFirst(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func matchUnique(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// matchEdge is a pair of documents that match, a < b.
type matchEdge struct {
	a, b  int32
	score float64
}

type matchPosting struct {
	doc int32
	mov int32
	w   float32
	att float32
}

type matchNeighbour struct {
	j     int32
	score float64
}

// edges finds, for every document, its best matches (at most matchTopK)
// among documents of other movements, and returns the union of these pairs
// sorted by descending score.
//
// Candidates come from an inverted index over the features that are neither
// unique nor too common (df in [2, maxDF]); for each candidate the shared
// weight accumulated from the index gives an upper bound of its score
// (adding, for the skipped common features, the most they could add).
// Candidates are examined by descending bound and the search stops when the
// bound falls below the worst of the best matches found so far.
func (c *matchCorpus) edges(threshold float64) []matchEdge {
	n := len(c.docs)
	ix := &matchIndex{c: c, threshold: threshold, post: make([][]matchPosting, len(c.keys))}
	for i := range c.docs {
		for _, f := range c.docs[i].feats {
			if c.indexed[f.id] {
				ix.post[f.id] = append(ix.post[f.id], matchPosting{doc: int32(i), mov: c.movement[i], w: f.w, att: f.att})
			}
		}
	}
	// The per-document numbers the candidate loop needs, packed for locality.
	ix.norms, ix.minNorms, ix.rootCommon = make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range c.docs {
		ix.norms[i], ix.minNorms[i], ix.rootCommon[i] = c.docs[i].norm, c.docs[i].minNorm, c.docs[i].rootCommon
	}
	best := make([][]matchNeighbour, n)
	matchParallel(n, func() func(i int) {
		s := &matchSearch{ix: ix, acc: make([]float32, n)}
		return func(i int) { best[i] = s.neighbours(i) }
	})
	var edges []matchEdge
	for i, list := range best {
		for _, nb := range list {
			a, b := int32(i), nb.j
			if a > b {
				a, b = b, a
			}
			edges = append(edges, matchEdge{a: a, b: b, score: nb.score})
		}
	}
	slices.SortFunc(edges, func(x, y matchEdge) int {
		return cmp.Or(-cmp.Compare(x.score, y.score), cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
	})
	return slices.CompactFunc(edges, func(x, y matchEdge) bool { return x.a == y.a && x.b == y.b })
}

// matchIndex is the inverted index edges searches, shared by its workers.
type matchIndex struct {
	c                           *matchCorpus
	threshold                   float64
	post                        [][]matchPosting // by feature id
	norms, minNorms, rootCommon []float64        // by document
}

// matchSearch is one worker's buffers for finding best matches.
type matchSearch struct {
	ix           *matchIndex
	acc          []float32 // shared weight from the index, by candidate document
	touched      []int32   // the candidates with acc > 0
	cands, first []uint64
	top          matchTop
}

// neighbours returns the best matches of document i (at most matchTopK).
func (s *matchSearch) neighbours(i int) []matchNeighbour {
	ix, c := s.ix, s.ix.c
	di := &c.docs[i]
	if di.norm == 0 {
		return nil
	}
	s.accumulate(i)
	defer func() {
		for _, j := range s.touched {
			s.acc[j] = 0
		}
	}()
	// The matchBlock candidates with the highest bounds are kept in a heap
	// while scanning; usually they are all that needs an exact comparison
	// before the bound falls below the worst of the best kept.
	threshold := ix.threshold
	s.first = s.first[:0]
	more := false
	floor := threshold // the lowest bound that can enter the first block
	for _, j := range s.touched {
		bound := s.bound(di, j)
		if bound < floor {
			more = more || bound >= threshold
			continue
		}
		key := matchKey(bound, j)
		switch {
		case len(s.first) < matchBlock:
			s.first = append(s.first, key)
			if len(s.first) == matchBlock {
				matchHeapifyMax(s.first)
				floor = math.Max(threshold, matchKeyBound(s.first[0]))
			}
		case key < s.first[0]:
			s.first[0] = key
			matchSiftDownMax(s.first, 0)
			floor = math.Max(threshold, matchKeyBound(s.first[0]))
			more = true
		default:
			more = true
		}
	}
	s.top.reset()
	if len(s.first) == 0 {
		return nil
	}
	slices.Sort(s.first)
	done := c.examine(i, s.first, &s.top, threshold)
	if !done && more {
		// Rare: the first block was not enough. Take the others (all keys
		// above the first block's), a block at a time.
		last := s.first[len(s.first)-1]
		s.cands = s.cands[:0]
		for _, j := range s.touched {
			if bound := s.bound(di, j); bound >= threshold {
				if key := matchKey(bound, j); key > last {
					s.cands = append(s.cands, key)
				}
			}
		}
		for len(s.cands) > 0 && !done {
			m := min(matchBlock, len(s.cands))
			matchSelect(s.cands, m)
			block := s.cands[:m]
			slices.Sort(block)
			s.cands = s.cands[m:]
			done = c.examine(i, block, &s.top, threshold)
		}
	}
	return s.top.sorted()
}

// accumulate adds up, for every document of another movement sharing an
// indexed feature with document i, the weight they share.
func (s *matchSearch) accumulate(i int) {
	c := s.ix.c
	mi := c.movement[i]
	s.touched = s.touched[:0]
	for _, f := range c.docs[i].feats {
		if !c.indexed[f.id] {
			continue
		}
		for _, p := range s.ix.post[f.id] {
			if p.mov == mi {
				continue
			}
			if s.acc[p.doc] == 0 {
				s.touched = append(s.touched, p.doc)
			}
			s.acc[p.doc] += f.w*p.w + f.att*p.att
		}
	}
}

// bound is the most document j can score with di: the shared weight from the
// index plus the most the features left out of it could add, over the norms
// (or over the smallest parts' norms, discounted, when parts can do better).
func (s *matchSearch) bound(di *matchDoc, j int32) float64 {
	ix := s.ix
	mass := float64(s.acc[j]) + di.rootCommon*ix.rootCommon[j]
	bound := mass / (di.norm * ix.norms[j])
	if ix.minNorms[j] < ix.norms[j] || di.minNorm < di.norm {
		bound = math.Max(bound, matchSegmentFactor*mass/(di.minNorm*ix.minNorms[j]))
	}
	return bound
}

// matchKey orders candidates by descending bound, then ascending index, as
// one integer; the bound is rounded up so that it stays a bound.
func matchKey(bound float64, j int32) uint64 {
	b32 := float32(math.Min(bound, 2))
	bits := math.Float32bits(b32)
	if float64(b32) < bound {
		bits++
	}
	return uint64(^bits)<<32 | uint64(uint32(j))
}

// matchKeyBound is the bound a key was made from (rounded up).
func matchKeyBound(key uint64) float64 {
	return float64(math.Float32frombits(^uint32(key >> 32)))
}

// examine compares document i with the candidates of block (sorted keys) and
// keeps the best in top. It reports true when no later candidate can beat
// the worst kept.
func (c *matchCorpus) examine(i int, block []uint64, top *matchTop, threshold float64) bool {
	for _, key := range block {
		bound := matchKeyBound(key)
		if top.full() && bound <= top.worst() {
			// A tie keeps the one examined first.
			return true
		}
		j := int32(uint32(key))
		if v := c.compare(i, int(j), false); v.score >= threshold {
			top.add(matchNeighbour{j: j, score: v.score})
		}
	}
	return false
}

// matchHeapifyMax makes h a max-heap.
func matchHeapifyMax(h []uint64) {
	for k := len(h)/2 - 1; k >= 0; k-- {
		matchSiftDownMax(h, k)
	}
}

func matchSiftDownMax(h []uint64, k int) {
	for {
		l := 2*k + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] > h[l] {
			m = r
		}
		if h[k] >= h[m] {
			return
		}
		h[k], h[m] = h[m], h[k]
		k = m
	}
}

// matchBlock is how many candidates are ordered at a time.
const matchBlock = 32

// matchSelect moves the m smallest keys of h to its front, in no order
// (quickselect).
func matchSelect(h []uint64, m int) {
	lo, hi := 0, len(h)-1
	for lo < hi {
		// Median of three as the pivot.
		mid := lo + (hi-lo)/2
		if h[mid] < h[lo] {
			h[mid], h[lo] = h[lo], h[mid]
		}
		if h[hi] < h[lo] {
			h[hi], h[lo] = h[lo], h[hi]
		}
		if h[hi] < h[mid] {
			h[hi], h[mid] = h[mid], h[hi]
		}
		pivot := h[mid]
		i, j := lo, hi
		for i <= j {
			for h[i] < pivot {
				i++
			}
			for h[j] > pivot {
				j--
			}
			if i <= j {
				h[i], h[j] = h[j], h[i]
				i++
				j--
			}
		}
		switch {
		case m-1 <= j:
			hi = j
		case m-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// matchTop keeps the matchTopK best neighbours: highest score, then lowest
// index. It is a small heap whose root is the worst kept.
type matchTop struct {
	h []matchNeighbour
}

func (t *matchTop) reset()         { t.h = t.h[:0] }
func (t *matchTop) full() bool     { return len(t.h) >= matchTopK }
func (t *matchTop) worst() float64 { return t.h[0].score }
func (t *matchTop) less(a, b matchNeighbour) bool {
	return a.score < b.score || a.score == b.score && a.j > b.j
}

func (t *matchTop) add(nb matchNeighbour) {
	if !t.full() {
		t.h = append(t.h, nb)
		for k := len(t.h) - 1; k > 0; {
			p := (k - 1) / 2
			if !t.less(t.h[k], t.h[p]) {
				break
			}
			t.h[k], t.h[p] = t.h[p], t.h[k]
			k = p
		}
		return
	}
	if !t.less(t.h[0], nb) {
		return
	}
	t.h[0] = nb
	for k := 0; ; {
		l, r, m := 2*k+1, 2*k+2, k
		if l < len(t.h) && t.less(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && t.less(t.h[r], t.h[m]) {
			m = r
		}
		if m == k {
			break
		}
		t.h[k], t.h[m] = t.h[m], t.h[k]
		k = m
	}
}

// sorted returns a copy of the kept neighbours, best first.
func (t *matchTop) sorted() []matchNeighbour {
	out := slices.Clone(t.h)
	slices.SortFunc(out, func(x, y matchNeighbour) int {
		return cmp.Or(-cmp.Compare(x.score, y.score), cmp.Compare(x.j, y.j))
	})
	return out
}

type matchGroupState struct {
	members   []int32
	movements map[int32]bool
	scoreSum  float64
	scoreN    int
}

// group builds groups from pairs taken by descending score.
func (c *matchCorpus) group(edges []matchEdge, threshold float64) []*matchGroupState {
	groupOf := make([]int32, len(c.docs))
	for i := range groupOf {
		groupOf[i] = -1
	}
	var groups []*matchGroupState
	// A free objective tries a group, and two groups try each other, once.
	triedJoin, triedMerge := map[[2]int32]bool{}, map[[2]int32]bool{}
	for _, e := range edges {
		ga, gb := groupOf[e.a], groupOf[e.b]
		switch {
		case ga < 0 && gb < 0:
			g := &matchGroupState{members: []int32{e.a, e.b}, movements: map[int32]bool{c.movement[e.a]: true, c.movement[e.b]: true}, scoreSum: e.score, scoreN: 1}
			groupOf[e.a], groupOf[e.b] = int32(len(groups)), int32(len(groups))
			groups = append(groups, g)
		case ga == gb:
		case ga >= 0 && gb >= 0:
			key := [2]int32{min(ga, gb), max(ga, gb)}
			a, b := groups[ga], groups[gb]
			if triedMerge[key] || len(a.members)+len(b.members) > matchMergeMax || sharesMovement(a.movements, b.movements) {
				continue
			}
			triedMerge[key] = true
			if sum, ok := c.linked(a.members, b.members, e, threshold); ok {
				c.absorb(a, b.members, sum, groupOf, ga)
				a.scoreSum += b.scoreSum
				a.scoreN += b.scoreN
				groups[gb] = nil
			}
		default:
			cand, gi := e.b, ga
			if gb >= 0 {
				cand, gi = e.a, gb
			}
			g := groups[gi]
			key := [2]int32{cand, gi}
			if g.movements[c.movement[cand]] || triedJoin[key] {
				continue
			}
			triedJoin[key] = true
			if sum, ok := c.linked(g.members, []int32{cand}, e, threshold); ok {
				c.absorb(g, []int32{cand}, sum, groupOf, gi)
			}
		}
	}
	live := groups[:0]
	for _, g := range groups {
		if g != nil {
			live = append(live, g)
		}
	}
	return live
}

// matchWeakLink: a member of a group may match a newcomer below the
// threshold, but not below this share of it (a veto scores 0).
const matchWeakLink = 0.8

// matchMergeMax is the largest group two groups can merge into.
const matchMergeMax = 12

// linked reports whether the objectives xs and ys, one pair of which
// matched (edge e), may be in one group: their mean similarity across must
// reach the threshold (average linkage) and no pair may be far below it, so
// one objective cannot chain two unrelated ones together and a veto always
// keeps them apart. It returns the sum of the similarities across. A free
// objective joins a group this way; two groups that formed apart ("ban
// zero-hours contracts" with "abolish zero hour contracts", "outlaw
// zero-hours contracts" with "end zero hour contracts") merge this way.
func (c *matchCorpus) linked(xs, ys []int32, e matchEdge, threshold float64) (float64, bool) {
	sum := 0.0
	for _, x := range xs {
		for _, y := range ys {
			s := e.score
			if x != e.a && x != e.b || y != e.a && y != e.b {
				s = c.compare(int(x), int(y), false).score
			}
			if s < matchWeakLink*threshold {
				return 0, false
			}
			sum += s
		}
	}
	return sum, sum >= threshold*float64(len(xs)*len(ys))
}

// absorb adds members to group g (number gi), with the sum of their
// similarities to its members.
func (c *matchCorpus) absorb(g *matchGroupState, members []int32, sum float64, groupOf []int32, gi int32) {
	g.scoreSum += sum
	g.scoreN += len(g.members) * len(members)
	for _, m := range members {
		groupOf[m] = gi
		g.movements[c.movement[m]] = true
	}
	g.members = append(g.members, members...)
}

func sharesMovement(a, b map[int32]bool) bool {
	for m := range b {
		if a[m] {
			return true
		}
	}
	return false
}

// groupWhy names what most members of a group share.
func (c *matchCorpus) groupWhy(members []int32) string {
	counts := map[int32]int{}
	for _, m := range members {
		for _, f := range c.docs[m].feats {
			counts[f.id]++
		}
	}
	need := max(2, (len(members)+1)/2)
	for id, n := range counts {
		if n < need {
			delete(counts, id)
		}
	}
	return c.explainCounts(counts)
}

// matchParallel runs, on all CPUs, the functions worker makes for i in [0,
// n): each goroutine makes its own, so it can keep buffers between calls.
func matchParallel(n int, worker func() func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 256 || workers == 1 {
		fn := worker()
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	const chunk = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn := worker()
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// PairScorer scores pairs of objs as Groups does (with rarity weights), for
// comparing this matcher with its successor on the labelled sets.
func PairScorer(objs []Objective) func(i, j int) float64 {
	c := newMatchCorpus(objs, true)
	return func(i, j int) float64 { return c.compare(i, j, true).score }
}
