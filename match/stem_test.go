package match

import "testing"

// Reference outputs of the Porter stemmer (from Porter's own test
// vocabulary and the examples of the 1980 paper).
func TestMatchStem(t *testing.T) {
	cases := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
		"feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor",
		"sing": "sing", "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop",
		"tanned": "tan", "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail",
		"filing": "file", "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit",
		"rational": "ration", "valenci": "valenc", "hesitanci": "hesit", "digitizer": "digit",
		"conformabli": "conform", "radicalli": "radic", "differentli": "differ", "vileli": "vile",
		"analogousli": "analog", "vietnamization": "vietnam", "predication": "predic", "operator": "oper",
		"feudalism": "feudal", "decisiveness": "decis", "hopefulness": "hope", "callousness": "callous",
		"formaliti": "formal", "sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic",
		"formative": "form", "formalize": "formal", "electriciti": "electr", "electrical": "electr",
		"hopeful": "hope", "goodness": "good", "revival": "reviv", "allowance": "allow",
		"inference": "infer", "airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust",
		"defensible": "defens", "irritant": "irrit", "replacement": "replac", "adjustment": "adjust",
		"dependent": "depend", "adoption": "adopt", "homologou": "homolog", "communism": "commun",
		"activate": "activ", "angulariti": "angular", "homologous": "homolog", "effective": "effect",
		"bowdlerize": "bowdler", "probate": "probat", "rate": "rate", "cease": "ceas",
		"controll": "control", "roll": "roll", "generalizations": "gener", "oscillators": "oscil",
		"emissions": "emiss", "evictions": "evict", "housing": "hous", "unionize": "union",
		"a": "a", "is": "is", "états": "états",
	}
	for in, want := range cases {
		if got := matchStem(in); got != want {
			t.Errorf("matchStem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchSpelling(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"organise", "organize"}, {"organising", "organizing"}, {"mobilisation", "mobilization"},
		{"labour", "labor"}, {"labourers", "laborers"}, {"neighbourhood", "neighborhood"},
		{"favourite", "favorite"}, {"centre", "center"}, {"programme", "program"},
		{"defence", "defense"}, {"practise", "practice"},
		// Left alone: not British spellings.
		{"promise", "promise"}, {"raise", "raise"}, {"sunrise", "sunrise"}, {"hour", "hour"},
		{"four", "four"}, {"resources", "resources"}, {"outsourcing", "outsourcing"},
		{"journey", "journey"}, {"exercise", "exercise"}, {"organize", "organize"},
	} {
		if got := matchSpelling(c.in); got != c.want {
			t.Errorf("matchSpelling(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if a, b := matchStem(matchSpelling("organise")), matchStem(matchSpelling("organize")); a != b {
		t.Errorf("organise and organize stem to %q and %q", a, b)
	}
}
