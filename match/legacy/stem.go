package legacy

import "strings"

// This file holds the English stemmer used by the objective matcher: the
// Porter algorithm (M.F. Porter, "An algorithm for suffix stripping", 1980),
// in the form of the reference ANSI C implementation (including its "bli"
// and "logi" rules). It maps inflected and derived forms to a common stem:
// "emissions" and "emission" → "emiss", "housing" and "houses" → "hous",
// "unionize" and "unions" → "union".

// matchStem returns the Porter stem of a lower-case word. Words that are not
// plain ASCII letters, and words of one or two letters, are returned as they
// are.
func matchStem(word string) string {
	if len(word) <= 2 {
		return word
	}
	for i := 0; i < len(word); i++ {
		if word[i] < 'a' || word[i] > 'z' {
			return word
		}
	}
	s := &porterState{b: []byte(word)}
	s.step1ab()
	if len(s.b) > 2 {
		s.step1c()
		s.step2()
		s.step3()
		s.step4()
		s.step5()
	}
	return string(s.b)
}

// porterState is the word being stemmed; j marks the end of the stem when a
// suffix has been matched by ends.
type porterState struct {
	b []byte
	j int
}

// cons reports whether b[i] is a consonant.
func (s *porterState) cons(i int) bool {
	switch s.b[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		if i == 0 {
			return true
		}
		return !s.cons(i - 1)
	}
	return true
}

// m measures the number of consonant sequences in b[0..j]: [C](VC)^m[V].
func (s *porterState) m() int {
	n := 0
	i := s.skip(0, true) // leading consonants
	for {
		if i = s.skip(i, false); i > s.j { // vowels
			return n
		}
		i = s.skip(i, true) // consonants: one more VC
		n++
		if i > s.j {
			return n
		}
	}
}

// skip returns the first index from i on, up to j+1, whose letter is not a
// consonant (cons) or not a vowel (!cons).
func (s *porterState) skip(i int, cons bool) int {
	for i <= s.j && s.cons(i) == cons {
		i++
	}
	return i
}

// vowelInStem reports whether b[0..j] contains a vowel.
func (s *porterState) vowelInStem() bool {
	for i := 0; i <= s.j; i++ {
		if !s.cons(i) {
			return true
		}
	}
	return false
}

// doubleC reports whether b[i-1..i] is a double consonant.
func (s *porterState) doubleC(i int) bool {
	if i < 1 || s.b[i] != s.b[i-1] {
		return false
	}
	return s.cons(i)
}

// cvc reports whether b[i-2..i] is consonant-vowel-consonant and the last
// consonant is not w, x or y (used to restore an e: cav(e), lov(e), hop(e)).
func (s *porterState) cvc(i int) bool {
	if i < 2 || !s.cons(i) || s.cons(i-1) || !s.cons(i-2) {
		return false
	}
	switch s.b[i] {
	case 'w', 'x', 'y':
		return false
	}
	return true
}

// ends reports whether the word ends with suffix, and if so sets j to the
// end of the stem before it.
func (s *porterState) ends(suffix string) bool {
	n := len(suffix)
	if n > len(s.b) || string(s.b[len(s.b)-n:]) != suffix {
		return false
	}
	s.j = len(s.b) - n - 1
	return true
}

// setTo replaces the suffix after j with r.
func (s *porterState) setTo(r string) {
	s.b = append(s.b[:s.j+1], r...)
}

// r replaces the suffix with r when the stem has m > 0.
func (s *porterState) r(r string) {
	if s.m() > 0 {
		s.setTo(r)
	}
}

func (s *porterState) step1ab() {
	k := len(s.b) - 1
	if s.b[k] == 's' {
		switch {
		case s.ends("sses"):
			s.b = s.b[:len(s.b)-2]
		case s.ends("ies"):
			s.setTo("i")
		case len(s.b) >= 2 && s.b[len(s.b)-2] != 's':
			s.b = s.b[:len(s.b)-1]
		}
	}
	if s.ends("eed") {
		if s.m() > 0 {
			s.b = s.b[:len(s.b)-1]
		}
		return
	}
	if (s.ends("ed") || s.ends("ing")) && s.vowelInStem() {
		s.b = s.b[:s.j+1]
		switch {
		case s.ends("at"):
			s.setTo("ate")
		case s.ends("bl"):
			s.setTo("ble")
		case s.ends("iz"):
			s.setTo("ize")
		case s.doubleC(len(s.b) - 1):
			switch s.b[len(s.b)-1] {
			case 'l', 's', 'z':
			default:
				s.b = s.b[:len(s.b)-1]
			}
		default:
			s.j = len(s.b) - 1
			if s.m() == 1 && s.cvc(len(s.b)-1) {
				s.b = append(s.b, 'e')
			}
		}
	}
}

func (s *porterState) step1c() {
	if s.ends("y") && s.vowelInStem() {
		s.b[len(s.b)-1] = 'i'
	}
}

// porterStep2 and porterStep3 list suffix → replacement, tried in order; the
// first suffix that matches decides (as in the reference implementation).
var porterStep2 = [][2]string{
	{"ational", "ate"}, {"tional", "tion"},
	{"enci", "ence"}, {"anci", "ance"},
	{"izer", "ize"},
	{"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"},
	{"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"},
	{"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"},
	{"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
	{"logi", "log"},
}

var porterStep3 = [][2]string{
	{"icate", "ic"}, {"ative", ""}, {"alize", "al"},
	{"iciti", "ic"}, {"ical", "ic"}, {"ful", ""}, {"ness", ""},
}

var porterStep4 = []string{
	"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
	"ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize",
}

func (s *porterState) step2() { s.replaceFirst(porterStep2) }
func (s *porterState) step3() { s.replaceFirst(porterStep3) }

func (s *porterState) replaceFirst(rules [][2]string) {
	for _, rule := range rules {
		if s.ends(rule[0]) {
			s.r(rule[1])
			return
		}
	}
}

func (s *porterState) step4() {
	for _, suffix := range porterStep4 {
		if !s.ends(suffix) {
			continue
		}
		if suffix == "ion" && (s.j < 0 || (s.b[s.j] != 's' && s.b[s.j] != 't')) {
			continue
		}
		if s.m() > 1 {
			s.b = s.b[:s.j+1]
		}
		return
	}
}

func (s *porterState) step5() {
	s.j = len(s.b) - 1
	if s.b[len(s.b)-1] == 'e' {
		s.j = len(s.b) - 2
		a := s.m()
		if a > 1 || (a == 1 && !s.cvc(len(s.b)-2)) {
			s.b = s.b[:len(s.b)-1]
		}
	}
	s.j = len(s.b) - 1
	if s.b[len(s.b)-1] == 'l' && s.doubleC(len(s.b)-1) && s.m() > 1 {
		s.b = s.b[:len(s.b)-1]
	}
}

// matchSpelling writes a British spelling the American way, so that
// "organise" and "organize", "labour" and "labor", "centre" and "center"
// agree whichever side of the Atlantic a movement writes from. It is applied
// to every word, of texts and of the word lists, before stemming.
func matchSpelling(w string) string {
	if v, ok := matchSpellingWords[w]; ok {
		return v
	}
	if matchSpellingKeep[w] {
		return w
	}
	// -ise, -ised, -ises, -ising, -isation(s) → -ize...
	for _, suf := range []string{"isations", "isation", "ising", "ised", "ises", "ise"} {
		if stem, ok := strings.CutSuffix(w, suf); ok && len(stem) >= 4 {
			return stem + "iz" + suf[2:]
		}
	}
	// -our, -ours, -oured, -ouring, -ourhood, -ourite, -ourable → -or...
	if i := strings.Index(w, "our"); i >= 3 {
		switch w[i+3:] {
		case "", "s", "ed", "ing", "er", "ers", "hood", "hoods", "ite", "ites", "able", "ful", "less", "ism":
			return w[:i] + "or" + w[i+3:]
		}
	}
	return w
}

// matchSpellingWords are British spellings no rule covers, and irregular
// forms.
var matchSpellingWords = map[string]string{
	"centre": "center", "centres": "centers", "theatre": "theater", "theatres": "theaters",
	"metre": "meter", "metres": "meters", "litre": "liter", "litres": "liters", "fibre": "fiber",
	"defence": "defense", "offence": "offense", "offences": "offenses", "licence": "license",
	"licences": "licenses", "pretence": "pretense", "programme": "program", "programmes": "programs",
	"catalogue": "catalog", "ageing": "aging", "judgement": "judgment", "judgements": "judgments",
	"mould": "mold", "enrolment": "enrollment", "fulfil": "fulfill", "tyre": "tire", "tyres": "tires",
	"kerb": "curb", "aluminium": "aluminum", "grey": "gray", "cheque": "check", "cheques": "checks",
	"paediatric": "pediatric", "anaemia": "anemia", "foetus": "fetus", "oestrogen": "estrogen",
	"manoeuvre": "maneuver", "plough": "plow", "storey": "story", "draught": "draft",
	"practise": "practice", "practised": "practiced", "practising": "practicing", "analyse": "analyze",
	"analysed": "analyzed", "analysing": "analyzing", "paralyse": "paralyze", "paralysed": "paralyzed",
	// Irregular forms the stemmer cannot bring together: "the sale of public
	// land" and "selling off public land".
	"sale": "sell", "sales": "sell", "sold": "sell", "paid": "pay", "built": "build", "bought": "buy",
	"spent": "spend", "chosen": "choose", "taught": "teach", "fed": "feed", "held": "hold",
}

// matchSpellingKeep are words that look British by the rules but are not
// ("promise", "contour"): they are left alone.
var matchSpellingKeep = func() map[string]bool {
	keep := map[string]bool{}
	for _, w := range strings.Fields(`
		advertise advertised advertises advertising advise advised advises advising arise arises arising
		chastise comprise comprised comprises comprising compromise compromised compromises compromising
		demise despise devise devised disguise enterprise enterprises excise exercise exercised exercises
		exercising expertise franchise franchises improvise incise merchandise otherwise premise premises
		promise promised promises promising reprise revise revised revises revising supervise supervised
		supervising surmise surprise surprised surprises surprising televise televised treatise concise
		precise paradise likewise clockwise noise cruise praise raise raised raises raising rise rises rising
		wise guise poise sunrise sunrises
		devour devoured devouring contour contours detour detours troubadour paramour glamour glamourous
		scour scoured scouring`) {
		keep[w] = true
	}
	return keep
}()
