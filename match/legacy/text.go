package legacy

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// This file turns the text of an objective into what the matcher compares:
// weighted features (concepts, stemmed terms, numbers), each with the
// direction of the action on it, and the numbers the text commits to.

// matchTokenKind is what a token of text is.
type matchTokenKind uint8

const (
	mtWord  matchTokenKind = iota
	mtNum                  // a number, value in num
	mtSym                  // $ £ € % °
	mtBreak                // end of a sentence or clause: . ; : ! ?
	mtSoft                 // a comma or a dash
)

type matchToken struct {
	kind          matchTokenKind
	text          string // lower case; for mtSym the symbol
	stem          string
	num           float64
	frac          bool   // a number written as a fraction (1/4)
	compound      bool   // part of a hyphenated compound such as no-fault
	compoundStart bool   // the first part of one
	used          bool   // consumed by a number or a direction phrase
	detail        bool   // inside a qualifier ("especially ...", "such as ...")
	frame         string // the action class done to this word, when it is an object
	info          matchWordInfo
	pol           int8 // direction on this word, for content words
	cue           string
	undone        bool // the action on this word is refused ("the ban ... should not go ahead")
}

// matchOcc is one feature found in a text.
type matchOcc struct {
	key     string // "c:" concept, "t:" stem, "n:" number, "a:" action, "f:" frame, "b:" bigram, "w:" word of a concept
	surface string // readable form, for explanations
	weight  float32
	pol     int8
	mixed   bool   // occurrences with opposite directions: no direction, for good
	cue     string // the word that gave the direction
	pos     int    // index of its first token
	span    int    // number of words it covers (a phrase covers several)
	anchor  string // the key of a feature always found with this one, if any
}

// matchFact is a number a text commits to: a year, a percentage, an amount
// of money, a temperature, a fraction or a duration.
type matchFact struct {
	kind  string // year, percent, money, temperature, fraction, duration:<unit>
	value string // normalised value, e.g. 2030, usd15, 1.5
	text  string // as written, for explanations
	pos   int    // index of its token
}

// matchAnalysis is the outcome of reading one text.
type matchAnalysis struct {
	occs  []matchOcc
	facts []matchFact
	// segs are the features of the parts of a text that list several aims
	// ("medical debt relief and universal health care"), when there are
	// several parts with enough content.
	segs [][]matchOcc
	// joins are two adjacent words written as one ("choke holds" as
	// "chokeholds"): counted only when another text has that word.
	joins []matchOcc
}

// matchAnalyze reads a text.
func matchAnalyze(text string) matchAnalysis {
	toks := matchTokenize(text)
	facts := matchNumbers(toks)
	facts = append(facts, matchIndexation(toks)...)
	matchMarkPolarityPhrases(toks)
	for i := 0; i+1 < len(toks); i++ {
		// "free of coercion" is "without coercion".
		if toks[i].kind == mtWord && toks[i].text == "free" && !toks[i].compound && toks[i+1].kind == mtWord && (toks[i+1].text == "of" || toks[i+1].text == "from") {
			toks[i].used = true
			toks[i+1].text, toks[i+1].stem = "free of", "free of"
			toks[i+1].info = matchWordInfo{flags: mfNeg}
		}
	}
	matchMarkQualifiers(toks)
	segOf := matchSegments(toks)
	matchPolarity(toks, segOf)
	matchFrames(toks)
	occs := matchFeatures(toks)
	occs = append(occs, matchBigrams(toks)...)
	for _, f := range facts {
		w := float32(0.5)
		switch f.kind {
		case "temperature":
			w = 1.5
		case "money":
			w = 1
		}
		occs = append(occs, matchOcc{key: "n:" + f.kind + ":" + f.value, surface: f.text, weight: w, pos: f.pos})
	}
	var segs [][]matchOcc
	for _, o := range occs {
		s := segOf[o.pos]
		if s < 0 {
			continue
		}
		for len(segs) <= s {
			segs = append(segs, nil)
		}
		segs[s] = append(segs[s], o)
	}
	kept := segs[:0]
	for _, seg := range segs {
		if matchSubstantial(seg) >= 2 {
			kept = append(kept, matchDedupOccs(seg))
		}
	}
	if len(kept) < 2 {
		kept = nil
	}
	return matchAnalysis{occs: matchDedupOccs(slices.Clone(occs)), facts: facts, segs: kept, joins: matchJoins(occs, toks)}
}

// matchIndexation finds how a text ties an amount to prices ("an
// inflation-busting rise" is above inflation, "tied to inflation" is in line
// with it): a commitment like a number, which must agree.
func matchIndexation(toks []matchToken) []matchFact {
	var facts []matchFact
	for i := range toks {
		for _, ix := range matchIndexations {
			if matchPhraseAt(toks, i, ix.phrases) {
				facts = append(facts, matchFact{kind: "indexation", value: ix.value, text: ix.value + " inflation", pos: i})
				break
			}
		}
	}
	return facts
}

// matchJoins lists, for each two plain words next to each other, the word
// they make written together.
func matchJoins(occs []matchOcc, toks []matchToken) []matchOcc {
	var joins []matchOcc
	var prev *matchOcc
	for k := range occs {
		b := &occs[k]
		if b.span > 1 || !strings.HasPrefix(b.key, "t:") {
			continue
		}
		a := prev
		prev = b
		if a == nil || a.pos+1 != b.pos {
			continue
		}
		joined := matchSpelling(toks[a.pos].text + toks[b.pos].text)
		joins = append(joins, matchOcc{key: "t:" + matchStem(joined), surface: joined, weight: 1, pol: b.pol, cue: b.cue, pos: a.pos, span: 2})
	}
	return joins
}

// matchSubstantial counts the words of a part that carry a concept or a
// plain term (not weak words, actions or numbers).
func matchSubstantial(occs []matchOcc) int {
	at := map[int]int{}
	for _, o := range occs {
		// An action counts: "rent cancellation" is a whole aim.
		if o.weight >= 0.5 && (strings.HasPrefix(o.key, "c:") || strings.HasPrefix(o.key, "t:") || strings.HasPrefix(o.key, "w:") || strings.HasPrefix(o.key, "a:")) {
			at[o.pos] = max(at[o.pos], o.span, 1)
		}
	}
	n := 0
	for _, k := range at {
		n += k
	}
	return n
}

// matchSegmentStops end a conjunct when looking for the parts of a list.
var matchSegmentStops = matchWordSet(`of in for to on with by from at about into through without under over`)

// matchSegments numbers the parts of a text that state separate aims. Parts
// end at sentence and clause punctuation; a comma or an "and"/"or" ends a
// part when the words it joins on each side (up to a preposition, a comma or
// an action) hold at least two content words or actions: "medical debt
// relief and universal health care" is two parts, "oil and gas" and "clean
// air and water" are not split. Words in a qualifier ("especially ...")
// belong to no part (-1).
func matchSegments(toks []matchToken) []int {
	seg := make([]int, len(toks))
	counts := func(t *matchToken) bool {
		if t.kind != mtWord || t.used {
			return false
		}
		if matchIsContent(t) {
			return !t.info.has(mfWeak)
		}
		return t.info.action != "" && !t.compound
	}
	left := func(i int) int {
		n := 0
		for k := i; k >= 0; k-- {
			t := &toks[k]
			if t.kind == mtBreak || t.kind == mtSoft || (t.kind == mtWord && t.info.has(mfSegStop)) {
				break
			}
			if t.kind == mtWord && !t.compound && matchDirection(t) != 0 {
				break
			}
			if counts(t) {
				n++
			}
		}
		return n
	}
	right := func(i int) int {
		n := 0
		for k := i; k < len(toks); k++ {
			t := &toks[k]
			if t.kind == mtBreak || t.kind == mtSoft || (t.kind == mtWord && t.info.has(mfSegStop)) {
				break
			}
			if counts(t) {
				n++
			}
		}
		return n
	}
	cur := 0
	for i := range toks {
		t := &toks[i]
		boundary := false
		switch {
		case t.kind == mtBreak:
			boundary = true
		case t.kind == mtSoft || (t.kind == mtWord && (t.text == "and" || t.text == "or") && !t.compound):
			boundary = left(i-1) >= 2 && right(i+1) >= 2
		}
		if boundary {
			cur++
		}
		seg[i] = cur
		if t.detail || t.kind == mtBreak || t.kind == mtSoft {
			seg[i] = -1
		}
	}
	return seg
}

// matchNormalize lower-cases and replaces typographic punctuation.
var matchReplacer = strings.NewReplacer(
	"\u2019", "'", "\u2018", "'", "`", "'", "\u201c", "\"", "\u201d", "\"",
	"\u2013", " , ", "\u2014", " , ", "\u2012", " , ", "\u2026", ". ", "\u00a0", " ",
	"&", " and ", "\u2010", "-", "\u2011", "-", "\u00ba", "\u00b0",
)

func matchTokenize(text string) []matchToken {
	text = matchReplacer.Replace(strings.ToLower(text))
	var toks []matchToken
	for _, chunk := range strings.Fields(text) {
		toks = matchChunk(chunk, toks)
	}
	return toks
}

func matchIsSym(r rune) bool {
	return r == '$' || r == '£' || r == '€' || r == '%' || r == '°'
}

// matchChunk splits one whitespace-separated chunk into tokens.
func matchChunk(chunk string, toks []matchToken) []matchToken {
	// Fast path: a plain lower-case word, maybe followed by punctuation.
	core := chunk
	for len(core) > 0 && strings.IndexByte(".,;:!?)\"'", core[len(core)-1]) >= 0 {
		core = core[:len(core)-1]
	}
	if core != "" && matchPlainWord(core) {
		info, stem := matchLookup(core)
		toks = append(toks, matchToken{kind: mtWord, text: core, stem: stem, info: info})
		for k := len(core); k < len(chunk); k++ {
			switch chunk[k] {
			case '.', ';', ':', '!', '?':
				toks = append(toks, matchToken{kind: mtBreak})
			case ',':
				toks = append(toks, matchToken{kind: mtSoft})
			}
		}
		return toks
	}
	return matchChunkSlow(chunk, toks)
}

func matchPlainWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// matchChunkSlow handles chunks with digits, symbols, hyphens, apostrophes
// or letters outside a-z.
func matchChunkSlow(chunk string, toks []matchToken) []matchToken {
	rs := []rune(chunk)
	// Leading punctuation and symbols.
	i := 0
	for i < len(rs) && !unicode.IsLetter(rs[i]) && !unicode.IsDigit(rs[i]) {
		if matchIsSym(rs[i]) {
			toks = append(toks, matchToken{kind: mtSym, text: string(rs[i])})
		}
		i++
	}
	// Trailing punctuation and symbols, kept in order for after the core.
	j := len(rs)
	for j > i && !unicode.IsLetter(rs[j-1]) && !unicode.IsDigit(rs[j-1]) {
		j--
	}
	core := string(rs[i:j])
	var tail []matchToken
	for _, r := range rs[j:] {
		switch {
		case matchIsSym(r):
			tail = append(tail, matchToken{kind: mtSym, text: string(r)})
		case r == '.' || r == ';' || r == ':' || r == '!' || r == '?':
			tail = append(tail, matchToken{kind: mtBreak})
		case r == ',':
			tail = append(tail, matchToken{kind: mtSoft})
		}
	}
	if core != "" {
		toks = matchCore(core, toks)
	}
	return append(toks, tail...)
}

// matchCore tokenises the letters and digits of a chunk: numbers (1.5, 1/4,
// 1,000), abbreviations (u.s.), hyphenated compounds and words.
func matchCore(core string, toks []matchToken) []matchToken {
	if v, frac, ok := matchParseNumber(core); ok {
		return append(toks, matchToken{kind: mtNum, text: core, num: v, frac: frac})
	}
	if matchIsAbbreviation(core) {
		w := strings.ReplaceAll(core, ".", "")
		switch w {
		case "us":
			w = "usa"
		}
		info, stem := matchLookup(w)
		return append(toks, matchToken{kind: mtWord, text: w, stem: stem, info: info})
	}
	parts := strings.FieldsFunc(core, func(r rune) bool { return r == '-' || r == '/' })
	compound := len(parts) > 1 && strings.Contains(core, "-")
	first := len(toks)
	defer func() {
		if compound && len(toks) > first {
			toks[first].compoundStart = true
		}
	}()
	for _, p := range parts {
		// Inner punctuation that is not part of a word splits it.
		for _, q := range strings.FieldsFunc(p, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '.' && r != ','
		}) {
			toks = matchWordToken(q, compound, toks)
		}
	}
	return toks
}

func matchWordToken(w string, compound bool, toks []matchToken) []matchToken {
	w = strings.Trim(w, "'.,")
	if w == "" {
		return toks
	}
	if v, frac, ok := matchParseNumber(w); ok {
		return append(toks, matchToken{kind: mtNum, text: w, num: v, frac: frac})
	}
	// Sentence punctuation glued inside a chunk ("end.the") is rare; split on it.
	if strings.ContainsAny(w, ".,") {
		for _, q := range strings.FieldsFunc(w, func(r rune) bool { return r == '.' || r == ',' }) {
			toks = matchWordToken(q, compound, toks)
		}
		return toks
	}
	neg := false
	switch {
	case strings.HasSuffix(w, "n't"):
		w, neg = strings.TrimSuffix(w, "n't"), true
		if w == "wo" {
			w = "will"
		} else if w == "ca" {
			w = "can"
		}
	case strings.HasSuffix(w, "'s"):
		w = strings.TrimSuffix(w, "'s")
	}
	w = strings.ReplaceAll(w, "'", "")
	if w == "" {
		return toks
	}
	if unicode.IsDigit([]rune(w)[0]) {
		// Ordinals and codes (21st, 4th): no meaning of their own here.
		return toks
	}
	info, stem := matchLookup(w)
	toks = append(toks, matchToken{kind: mtWord, text: w, stem: stem, compound: compound, info: info})
	if neg {
		info, _ := matchLookup("not")
		toks = append(toks, matchToken{kind: mtWord, text: "not", stem: "not", info: info})
	}
	return toks
}

func matchIsAbbreviation(s string) bool {
	// u.s, u.s., u.k
	if len(s) < 3 || len(s) > 6 {
		return false
	}
	for i, r := range s {
		if i%2 == 0 && (r < 'a' || r > 'z') {
			return false
		}
		if i%2 == 1 && r != '.' {
			return false
		}
	}
	return true
}

// matchParseNumber parses 12, 12.00, 1.5, 1,000 and 1/4.
func matchParseNumber(s string) (float64, bool, bool) {
	if s == "" || !unicode.IsDigit(rune(s[0])) {
		return 0, false, false
	}
	if a, b, ok := strings.Cut(s, "/"); ok {
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if err1 != nil || err2 != nil || y == 0 {
			return 0, false, false
		}
		return x / y, true, true
	}
	clean := s
	if strings.Contains(s, ",") {
		// Thousands separators only: 1,000 or 12,500,000.
		groups := strings.Split(s, ",")
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false, false
			}
		}
		clean = strings.ReplaceAll(s, ",", "")
	}
	v, err := strconv.ParseFloat(clean, 64)
	if err != nil {
		return 0, false, false
	}
	return v, false, true
}

func matchFormatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// matchNumbers finds the numbers a text commits to, and marks the tokens that
// spell them (the number, its unit, its currency) as used.
func matchNumbers(toks []matchToken) []matchFact {
	var facts []matchFact
	word := func(i int) string {
		if i < len(toks) && toks[i].kind == mtWord {
			return toks[i].text
		}
		return ""
	}
	sym := func(i int) string {
		if i < len(toks) && toks[i].kind == mtSym {
			return toks[i].text
		}
		return ""
	}
	currencyOf := map[string]string{"$": "usd", "£": "gbp", "€": "eur"}
	for i := 0; i < len(toks); i++ {
		t := &toks[i]
		if t.used {
			continue
		}
		// Spelled-out number before a unit: "two decades", "five-year".
		if t.kind == mtWord {
			if v, ok := matchNumberWords[t.text]; ok {
				if unit, ok := matchUnits[word(i+1)]; ok {
					facts = append(facts, matchFact{kind: "duration:" + unit, value: matchFormatNumber(v), text: t.text + " " + toks[i+1].text, pos: i})
					t.used, toks[i+1].used = true, true
				}
			}
			continue
		}
		if t.kind == mtSym {
			cur, ok := currencyOf[t.text]
			if !ok || i+1 >= len(toks) || toks[i+1].kind != mtNum {
				continue
			}
			v, text := toks[i+1].num, t.text+toks[i+1].text
			t.used, toks[i+1].used = true, true
			if scale, ok := matchScales[word(i+2)]; ok {
				v *= scale
				text += " " + toks[i+2].text
				toks[i+2].used = true
			}
			facts = append(facts, matchFact{kind: "money", value: cur + matchFormatNumber(v), text: text, pos: i})
			continue
		}
		if t.kind != mtNum {
			continue
		}
		t.used = true
		v, text := t.num, t.text
		next := i + 1
		scale := 1.0
		if s, ok := matchScales[word(next)]; ok && word(next) != "m" {
			scale = s
			next++
		}
		switch {
		case t.frac:
			facts = append(facts, matchFact{kind: "fraction", value: matchFormatNumber(math.Round(v*1000) / 1000), text: text, pos: i})
		case sym(next) == "%":
			toks[next].used = true
			facts = append(facts, matchFact{kind: "percent", value: matchFormatNumber(v), text: text + "%", pos: i})
		case word(next) == "percent" || (word(next) == "per" && word(next+1) == "cent"):
			toks[next].used = true
			if word(next) == "per" {
				toks[next+1].used = true
			}
			facts = append(facts, matchFact{kind: "percent", value: matchFormatNumber(v), text: text + "%", pos: i})
		case sym(next) == "°" || word(next) == "degrees" || word(next) == "degree":
			toks[next].used = true
			if w := word(next + 1); w == "c" || w == "celsius" {
				toks[next+1].used = true
			}
			facts = append(facts, matchFact{kind: "temperature", value: matchFormatNumber(v), text: text + " °C", pos: i})
		case currencyOf[sym(next)] != "":
			toks[next].used = true
			facts = append(facts, matchFact{kind: "money", value: currencyOf[sym(next)] + matchFormatNumber(v*scale), text: text + toks[next].text, pos: i})
		case matchCurrencyWords[word(next)] != "":
			toks[next].used = true
			facts = append(facts, matchFact{kind: "money", value: matchCurrencyWords[word(next)] + matchFormatNumber(v*scale), text: text + " " + toks[next].text, pos: i})
		case matchUnits[word(next)] != "":
			toks[next].used = true
			facts = append(facts, matchFact{kind: "duration:" + matchUnits[word(next)], value: matchFormatNumber(v), text: text + " " + toks[next].text, pos: i})
		case scale == 1 && v == math.Trunc(v) && v >= 1900 && v <= 2100 && !strings.Contains(text, "."):
			facts = append(facts, matchFact{kind: "year", value: text, text: text, pos: i})
		}
		if scale != 1 {
			toks[i+1].used = true
		}
	}
	return facts
}

// matchMarkPolarityPhrases turns "phase out", "shut down", "in the ground"
// and the like into one direction word (the last one), the others used.
func matchMarkPolarityPhrases(toks []matchToken) {
	for i := range toks {
		if toks[i].kind != mtWord || toks[i].used || !matchPhraseStarts[toks[i].text] {
			continue
		}
		for _, n := range []int{3, 2} {
			if i+n > len(toks) {
				continue
			}
			words := make([]string, 0, n)
			ok := true
			for k := i; k < i+n; k++ {
				if toks[k].kind != mtWord || toks[k].used {
					ok = false
					break
				}
				words = append(words, toks[k].text)
			}
			if !ok {
				continue
			}
			phrase := strings.Join(words, " ")
			if d, found := matchPolarityPhrases[phrase]; found {
				for k := i; k < i+n-1; k++ {
					toks[k].used = true
				}
				last := &toks[i+n-1]
				last.text = phrase
				last.stem = phrase
				last.compound = false
				last.pol = d
				last.info = matchWordInfo{dir: d, action: matchLex().actions[phrase]}
				break
			}
		}
	}
}

// matchIsAction reports whether a token is an action word, and its class.
func matchIsAction(t *matchToken) (string, bool) {
	if t.kind != mtWord || t.used || t.compound || t.info.has(mfStop) {
		return "", false
	}
	return t.info.action, t.info.action != ""
}

// matchFrames finds the object of each action: the head (last word) of the
// noun phrase it governs. "An end to fossil fuel subsidies" and "cease all
// subsidies of fossil fuels" both end subsidies; "rent freeze" and "rent
// controls" limit rent, "rent cancellation" ends it.
func matchFrames(toks []matchToken) {
	for i := range toks {
		class, ok := matchIsAction(&toks[i])
		if !ok || matchGovernedAction(toks, i) {
			continue
		}
		if matchRefused(toks, i) && matchNegatedActions[class] != "" {
			// "no increase in surveillance" limits it, "stop approving new
			// oil" ends it, "oppose the closure of hospitals" keeps them.
			class = matchNegatedActions[class]
		}
		next := i + 1
		for next < len(toks) && toks[next].kind == mtWord && toks[next].used {
			next++
		}
		if next < len(toks) && toks[next].kind == mtWord && toks[next].info.has(mfGov) {
			// "a ban on fracking", "an end to subsidies", "cuts to spending".
			matchSetHeads(toks, next+1, class)
			continue
		}
		if i > 0 && matchInPhrase(&toks[i-1]) {
			// "rent freeze", "eviction bans": the object comes first.
			toks[i-1].frame = class
			continue
		}
		matchSetHeads(toks, i+1, class)
	}
}

// matchRefused reports whether the action at i is refused by the word
// before it, determiners aside: "no cuts", "stop the cuts", "oppose any
// closure". ("Not allow workers to become ..." is not read this way: "not"
// may deny a whole clause, "no" denies the action that follows.)
func matchRefused(toks []matchToken, i int) bool {
	for k := i - 1; k >= 0 && k >= i-3; k-- {
		u := &toks[k]
		if u.kind != mtWord {
			return false
		}
		if u.text == "no" || matchDirection(u) < 0 {
			return true
		}
		if u.compound || !u.info.has(mfStop) || u.info.has(mfChain) || u.info.has(mfGov) {
			return false
		}
	}
	return false
}

// matchGovernedAction reports whether an action word is inside the object
// of an earlier action ("limits on rent increases", "a moratorium on
// closures"): it then names the object, not a new action.
func matchGovernedAction(toks []matchToken, i int) bool {
	prep := false
	for k := i - 1; k >= 0 && k >= i-8; k-- {
		u := &toks[k]
		if u.kind == mtBreak || u.kind == mtSoft {
			return false
		}
		if u.kind != mtWord || u.used {
			continue
		}
		if _, ok := matchIsAction(u); ok {
			return prep
		}
		if u.info.has(mfChain) {
			return false
		}
		if u.info.has(mfGov) {
			prep = true
		}
	}
	return false
}

// matchInPhrase reports whether a token can be part of a noun phrase.
func matchInPhrase(t *matchToken) bool {
	if t.kind != mtWord || t.used {
		return false
	}
	if t.compound {
		return true
	}
	return matchIsContent(t)
}

// matchQuantityWords come before "of" and the real object: "millions of
// jobs", "the use of", "all of".
var matchQuantityWords = matchWordSet(`millions thousands billions hundreds all most some range number lot lots part parts kind kinds form forms type types use practice level levels majority`)

// matchSetHeads marks the head of the noun phrase starting at k (and of a
// phrase joined to it by "and"/"or") as the object of class.
func matchSetHeads(toks []matchToken, k int, class string) {
	for round := 0; round < 2; round++ {
		// Determiners and quantities.
		for k < len(toks) {
			u := &toks[k]
			if u.kind == mtNum || u.kind == mtSym || (u.kind == mtWord && u.used) {
				k++
				continue
			}
			if u.kind != mtWord {
				return
			}
			if u.info.has(mfQuant) && k+1 < len(toks) && toks[k+1].text == "of" {
				k += 2
				continue
			}
			if !u.compound && u.info.has(mfStop) && !u.info.has(mfSegStop) {
				k++
				continue
			}
			if !u.compound && u.info.has(mfGlue) {
				k++
				continue
			}
			break
		}
		last := -1
		for k < len(toks) {
			u := &toks[k]
			if u.kind == mtNum || u.kind == mtSym || (u.kind == mtWord && u.used) {
				k++
				continue
			}
			if !matchInPhrase(u) {
				break
			}
			last = k
			k++
		}
		if last < 0 {
			return
		}
		toks[last].frame = class
		if k >= len(toks) || toks[k].kind != mtWord || (toks[k].text != "and" && toks[k].text != "or") {
			return
		}
		k++
	}
}

// matchMarkQualifiers marks the words from a qualifier ("especially", "such
// as") to the end of its clause.
func matchMarkQualifiers(toks []matchToken) {
	in := false
	for i := range toks {
		t := &toks[i]
		if t.kind == mtBreak {
			in = false
			continue
		}
		if !in && t.kind == mtWord && matchPhraseAt(toks, i, matchQualifierPhrases) {
			in = true
		}
		t.detail = in
	}
}

// matchPhraseStarts are the first words of matchPolarityPhrases.
var matchPhraseStarts = func() map[string]bool {
	m := map[string]bool{}
	for p := range matchPolarityPhrases {
		m[strings.Fields(p)[0]] = true
	}
	return m
}()

// matchDirection is the direction a word gives, or 0.
func matchDirection(t *matchToken) int8 {
	if t.kind != mtWord || t.compound {
		return 0
	}
	return t.info.dir
}

func matchIsNegator(t *matchToken) bool {
	return t.kind == mtWord && !t.compound && t.info.has(mfNeg)
}

// matchIsContent reports whether a token is a word that can carry meaning.
func matchIsContent(t *matchToken) bool {
	if t.kind != mtWord || t.used {
		return false
	}
	if t.compound {
		return !t.info.has(mfStop) && !t.info.has(mfNeg) && t.info.dir == 0
	}
	return !t.info.has(mfStop) && !matchIsNegator(t) && matchDirection(t) == 0
}

// matchPolarity gives every content word the direction of the action on it:
// the last direction word before it in its clause ("end fossil fuel
// subsidies": all three are ended), turned around by negators ("no new
// coal") and composed when direction words follow each other ("a moratorium
// on closures of nuclear plants" keeps them open). A direction that comes
// after the words of a clause ("fossil fuel subsidies must end", "the ban
// should not go ahead") applies to the words since the last comma.
func matchPolarity(toks []matchToken, seg []int) {
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && toks[i].kind != mtBreak && !matchClauseBreakAt(toks, i) {
			continue
		}
		matchClausePolarity(toks[start:i], seg[start:i])
		start = i + 1
	}
	// A harm named after a word turns the direction on that word around:
	// ending voter suppression is for voters.
	for i := range toks {
		if !matchIsContent(&toks[i]) || !toks[i].info.has(mfBad) {
			continue
		}
		for k, n := i-1, 0; k >= 0 && n < 2; k, n = k-1, n+1 {
			if !matchIsContent(&toks[k]) {
				break
			}
			toks[k].pol = -toks[k].pol
		}
		// What follows the harm ("discrimination in housing", "violence
		// against women") is where it happens, not what the action is on.
		for k := i + 1; k < len(toks); k++ {
			u := &toks[k]
			if u.kind == mtBreak || u.kind == mtSoft || matchDirection(u) != 0 {
				break
			}
			if matchIsContent(u) {
				u.pol, u.cue = 0, ""
			}
		}
	}
}

func matchClauseBreakAt(toks []matchToken, i int) bool {
	return matchPhraseAt(toks, i, matchClauseBreakPhrases)
}

// matchPhraseAt reports whether one of phrases (words as written) starts at
// toks[i].
func matchPhraseAt(toks []matchToken, i int, phrases [][]string) bool {
	for _, p := range phrases {
		if i+len(p) > len(toks) {
			continue
		}
		ok := true
		for k, w := range p {
			if toks[i+k].kind != mtWord || toks[i+k].text != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func matchClausePolarity(clause []matchToken, seg []int) {
	cur, cue := int8(0), ""
	neg, negWord := false, ""
	// chained: a direction word was seen and only stop words since;
	// governed: one of them is a governing preposition ("a moratorium on").
	chained, governed := false, false
	shield := false // the direction word protects: "from" then turns it around
	lastContent := -1
	for i := range clause {
		t := &clause[i]
		switch {
		case t.kind == mtSoft:
			chained = false
			continue
		case t.kind != mtWord || t.used:
			continue
		case matchIsNegator(t):
			neg, negWord = !neg, t.text
		case matchDirection(t) != 0:
			d := matchDirection(t)
			word := t.text
			if neg {
				d, neg = -d, false
				word = negWord + " " + word
			}
			switch {
			case chained && governed && cur != 0:
				cur *= d
				cue = cue + " " + word
			case chained && cur < 0:
				// The first action undoes the second: "stop approving new
				// oil" is against it, "stop cuts to benefits" for them.
				cur *= d
				cue = cue + " " + word
			default:
				cur, cue = d, word
			}
			chained, governed = true, false
			shield = matchShieldWords[t.text] && d > 0
		case shield && t.text == "from":
			// "protect renters from evictions" is against evictions.
			cur, cue, shield = -cur, cue+" from", false
		case !matchIsContent(t):
			// Stop words keep a chain of direction words going.
			if t.info.has(mfChain) {
				chained = false
			}
			if t.info.has(mfGov) {
				governed = true
			}
		default:
			if neg {
				if cur == 0 {
					cur, cue = -1, negWord
				} else {
					cur, cue = -cur, negWord+" "+cue
				}
				neg = false
			}
			t.pol, t.cue = cur, cue
			chained = false
			lastContent = i
		}
	}
	if lastContent < 0 {
		return
	}
	// Trailing predicate.
	tp, tcue := int8(0), ""
	neg, chained, governed = false, false, false
	negWord = ""
	prevPrep := false
	for i := lastContent + 1; i < len(clause); i++ {
		t := &clause[i]
		switch {
		case t.kind != mtWord || t.used:
			continue
		case matchIsNegator(t):
			neg, negWord = !neg, t.text
		case matchDirection(t) != 0:
			if prevPrep {
				// "by the end of 2019": a time, not an action.
				prevPrep = false
				continue
			}
			d := matchDirection(t)
			if neg {
				d, neg = -d, false
				tcue = negWord + " " + t.text
			} else if tcue == "" {
				tcue = t.text
			}
			if chained && governed && tp != 0 {
				tp *= d
			} else {
				tp = d
			}
			chained, governed = true, false
		default:
			if t.info.has(mfGov) {
				governed = true
			}
			if t.info.has(mfChain) {
				chained = false
			}
		}
		if t.text != "the" && t.text != "a" && t.text != "an" {
			prevPrep = t.info.has(mfPrep)
		}
	}
	if tp == 0 {
		return
	}
	// The trailing predicate reaches back to the last comma or list boundary
	// ("energy efficiency requirements and utility caps" caps utilities).
	segStart := 0
	for i := lastContent; i >= 0; i-- {
		if clause[i].kind == mtSoft || seg[i] >= 0 && seg[i] != seg[lastContent] {
			segStart = i + 1
			break
		}
	}
	for i := segStart; i <= lastContent; i++ {
		t := &clause[i]
		if !matchIsContent(t) {
			continue
		}
		if t.pol == 0 {
			t.pol, t.cue = tp, tcue
		} else {
			t.pol *= tp
			t.cue = t.cue + " … " + tcue
			t.undone = tp < 0
		}
	}
}

// matchFeatures recognises concepts (multi-word first) and terms.
func matchFeatures(toks []matchToken) []matchOcc {
	lex := matchLex()
	var stream []*matchToken
	var where []int
	for i := range toks {
		t := &toks[i]
		// Numbers are in the stream only for the phrases that have one
		// ("section 21", "4 day week").
		if t.kind == mtNum && !t.frac {
			stream = append(stream, t)
			where = append(where, i)
			continue
		}
		if t.kind != mtWord || t.used || t.info.has(mfGlue) {
			continue
		}
		stream = append(stream, t)
		where = append(where, i)
	}
	var occs []matchOcc
	pos, span := 0, 1
	addConcept := func(c int, pol int8, cue string, factor float32) {
		occs = append(occs, matchOcc{key: "c:" + lex.names[c], surface: lex.names[c], weight: lex.weights[c] * factor, pol: pol, cue: cue, pos: pos, span: span})
		for _, p := range lex.parents[c] {
			occs = append(occs, matchOcc{key: "c:" + lex.names[p], surface: lex.names[p], weight: lex.weights[p] * 0.8 * factor, pol: pol, cue: cue, pos: pos})
		}
	}
	addFrame := func(class, object, anchor string, factor float32) {
		occs = append(occs, matchOcc{key: "f:" + class + ":" + object, surface: class + " " + object, weight: matchFrameWeight * factor, pos: pos, anchor: anchor})
	}
	weakFactor := func(t *matchToken) float32 {
		if t.info.has(mfWeak) {
			return matchWeakWeight
		}
		return 1
	}
	for i := 0; i < len(stream); {
		t := stream[i]
		pos, span = where[i], 1
		matched := false
		var phrases []matchPhrase
		if !t.compound || t.compoundStart {
			// A phrase does not start inside a hyphenated word ("quasi-law").
			phrases = lex.phrases[t.stem]
		}
		for _, ph := range phrases {
			n := len(ph.stems)
			if i+n > len(stream) {
				continue
			}
			ok := true
			for k := 0; k < n; k++ {
				if u := stream[i+k]; u.stem != ph.stems[k] && (u.kind != mtNum || u.text != ph.stems[k]) {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			span = n
			pol, cue := int8(0), ""
			words := make([]string, n)
			for k := 0; k < n; k++ {
				if pol == 0 && stream[i+k].pol != 0 {
					pol, cue = stream[i+k].pol, stream[i+k].cue
				}
				words[k] = stream[i+k].text
			}
			factor := float32(1)
			if t.detail {
				factor = matchQualifiedWeight
			}
			addConcept(ph.concept, pol, cue, factor)
			for k := 0; k < n; k++ {
				if stream[i+k].frame != "" {
					addFrame(matchFrameClass(stream[i+k]), lex.names[ph.concept], "c:"+lex.names[ph.concept], factor)
					break
				}
			}
			// The wording itself: the same phrase agrees more than a synonym.
			occs = append(occs, matchOcc{key: "t:" + strings.Join(ph.stems, " "), surface: strings.Join(words, " "),
				weight: matchConceptWordWeight * lex.weights[ph.concept] * factor, pol: pol, cue: cue, pos: pos,
				anchor: "c:" + lex.names[ph.concept]})
			i += n
			matched = true
			break
		}
		if matched {
			continue
		}
		i++
		if t.kind == mtNum {
			continue
		}
		if class := t.info.action; class != "" && !t.compound && !t.info.has(mfStop) {
			w := float32(matchActionWeight)
			if t.detail {
				w *= matchQualifiedWeight
			}
			occs = append(occs, matchOcc{key: "a:" + class, surface: class, weight: w, pos: pos})
			// The word itself, a little: "controls" agrees more with "controls"
			// than with "freeze".
			occs = append(occs, matchOcc{key: "a:" + t.stem, surface: t.text, weight: w * 0.5, pos: pos})
			continue
		}
		if !matchIsContent(t) || len(t.stem) < 2 {
			continue
		}
		w := float32(matchTermWeight)
		if t.info.has(mfWeak) {
			w = matchWeakWeight
		}
		factor := float32(1)
		if t.detail {
			factor = matchQualifiedWeight
		}
		if t.frame != "" {
			if c := int(t.info.concept) - 1; c >= 0 {
				addFrame(matchFrameClass(t), lex.names[c], "c:"+lex.names[c], factor)
			} else {
				addFrame(matchFrameClass(t), t.stem, "t:"+t.stem, factor*weakFactor(t))
			}
		}
		if c := int(t.info.concept) - 1; c >= 0 {
			addConcept(c, t.pol, t.cue, factor)
			if w > matchConceptWordWeight {
				w = matchConceptWordWeight
			}
			if lex.weights[c] < w {
				w = lex.weights[c]
			}
		}
		w *= factor
		key, anchor := "t:"+t.stem, ""
		if c := int(t.info.concept) - 1; c >= 0 {
			// A word that names a concept: always comes with its concept.
			key, anchor = "w:"+t.stem, "c:"+lex.names[c]
		}
		occs = append(occs, matchOcc{key: key, surface: t.text, weight: w, pol: t.pol, cue: t.cue, pos: pos, anchor: anchor})
	}
	return occs
}

// matchFrameClass is the action done to an object word: its class, or, when
// the text refuses that action afterwards, what refusing it does (as
// matchNegatedActions says for a refusal before it), else "not " and the
// class: the frame of "the ban on new oil should not go ahead" is not the
// frame of "ban new oil".
func matchFrameClass(t *matchToken) string {
	if !t.undone {
		return t.frame
	}
	// "The ban on new oil should not go ahead" keeps new oil, as "no ban on
	// new oil" does.
	if negated := matchNegatedActions[t.frame]; negated != "" {
		return negated
	}
	return "not " + t.frame
}

// matchBigramWeight is the weight of two words that follow each other in
// both texts ("rent controls"): the same wording agrees a little more.
const matchBigramWeight = 0.3

// matchBigrams lists pairs of adjacent meaningful words (content words or
// actions), skipping glue words but not other stop words or punctuation.
func matchBigrams(toks []matchToken) []matchOcc {
	var occs []matchOcc
	prev := -1
	for i := range toks {
		t := &toks[i]
		if t.kind != mtWord || t.used {
			prev = -1
			continue
		}
		if t.info.has(mfGlue) && !t.compound {
			continue
		}
		_, action := matchIsAction(t)
		if !matchIsContent(t) && !action {
			prev = -1
			continue
		}
		if prev >= 0 {
			w := float32(matchBigramWeight)
			if t.detail {
				w *= matchQualifiedWeight
			}
			p := &toks[prev]
			// A shared pair of words means a shared first word: the pair
			// is attached to that word's feature when it has one of its own.
			anchor := matchWordAnchor(p)
			if anchor == "" {
				anchor = matchWordAnchor(t)
			}
			occs = append(occs, matchOcc{key: "b:" + p.stem + " " + t.stem, surface: p.text + " " + t.text, weight: w, pos: prev, span: 2, anchor: anchor})
		}
		prev = i
	}
	return occs
}

// matchWordAnchor is the indexable feature a word always brings: its
// concept, or the word itself when it is a plain, not weak, content word.
func matchWordAnchor(t *matchToken) string {
	if !matchIsContent(t) {
		return ""
	}
	if c := int(t.info.concept) - 1; c >= 0 {
		return "c:" + matchLex().names[c]
	}
	if t.info.has(mfWeak) || len(t.stem) < 2 {
		return ""
	}
	return "t:" + t.stem
}

// matchDedupOccs keeps one occurrence per feature: the highest weight, and a
// direction only if the text is consistent about it.
func matchDedupOccs(occs []matchOcc) []matchOcc {
	out := occs[:0]
	var index map[string]int
	if len(occs) > 48 {
		index = make(map[string]int, len(occs))
	}
	for _, o := range occs {
		j := -1
		if index != nil {
			if k, ok := index[o.key]; ok {
				j = k
			}
		} else {
			for k := range out {
				if out[k].key == o.key {
					j = k
					break
				}
			}
		}
		if j < 0 {
			if index != nil {
				index[o.key] = len(out)
			}
			out = append(out, o)
			continue
		}
		p := &out[j]
		if o.weight > p.weight {
			p.weight = o.weight
		}
		switch {
		case p.mixed:
		case p.pol == 0:
			p.pol, p.cue = o.pol, o.cue
		case o.pol != 0 && o.pol != p.pol:
			p.pol, p.cue, p.mixed = 0, "", true
		}
	}
	return out
}

// matchConceptWord finds the concept a single word names, as written or
// without a plural s.
func matchConceptWord(w string) (int, bool) {
	if c, ok := matchLex().words[w]; ok {
		return c, true
	}
	if strings.HasSuffix(w, "s") {
		c, ok := matchLex().words[strings.TrimSuffix(w, "s")]
		return c, ok
	}
	return 0, false
}
