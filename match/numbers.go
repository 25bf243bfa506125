package match

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Numbers that two texts give must agree: net zero by 2030 is not net zero
// by 2050, and a £15 minimum wage is not a £12 one. A number has a kind
// (year, percentage, money, temperature, count) and two texts disagree when
// both give numbers of one kind and share none of them.

type numberKind uint8

const (
	countKind numberKind = iota
	yearKind
	percentKind
	moneyKind
	degreesKind
)

var kindNames = [...]string{countKind: "numbers", yearKind: "years", percentKind: "percentages", moneyKind: "amounts", degreesKind: "temperatures"}

type number struct {
	kind  numberKind
	value float64
	text  string // as written, for the explanation
}

// scales are words that multiply the number before them.
var scales = map[string]float64{"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12}

// numberWords are the numbers written as words that demands use ("nine
// months", "ten days"); "one" is left out, being more often a pronoun.
var numberWords = func() map[string]float64 {
	m := map[string]float64{}
	for i, w := range strings.Fields("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty") {
		m[w] = float64(i + 2)
	}
	for i, w := range strings.Fields("thirty forty fifty sixty seventy eighty ninety") {
		m[w] = float64(30 + 10*i)
	}
	m["hundred"] = 100
	return m
}()

// numbersIn finds the numbers of a text, in digits or in words.
func numbersIn(text string) []number {
	var out []number
	for _, w := range words(text) {
		if v, ok := numberWords[w]; ok {
			out = append(out, number{kind: countKind, value: v, text: w})
		}
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		if !unicode.IsDigit(rs[i]) || i > 0 && (unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
			continue
		}
		start := i
		for i < len(rs) && (unicode.IsDigit(rs[i]) || (rs[i] == ',' || rs[i] == '.') && i+1 < len(rs) && unicode.IsDigit(rs[i+1])) {
			i++
		}
		raw := string(rs[start:i])
		v, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", ""), 64)
		if err != nil {
			continue
		}
		n := number{kind: countKind, value: v, text: raw}
		before := ""
		if start > 0 {
			before = string(rs[max(0, start-1):start])
		}
		after := strings.ToLower(string(rs[i:min(len(rs), i+12)]))
		word := firstWord(after)
		switch {
		case strings.ContainsAny(before, "£$€"):
			n.kind, n.text = moneyKind, before+raw
		case strings.HasPrefix(after, "%") || word == "percent" || strings.HasPrefix(after, " per cent"):
			n.kind, n.text = percentKind, raw+"%"
		case strings.HasPrefix(after, "°") || word == "degrees" || word == "c" && strings.HasPrefix(after, "c"):
			n.kind, n.text = degreesKind, raw+"°"
		case len(raw) == 4 && v >= 1900 && v <= 2100 && !strings.Contains(raw, ",") && !strings.Contains(raw, "."):
			n.kind = yearKind
		}
		if f, ok := scales[word]; ok && n.kind != yearKind {
			n.value *= f
			n.text += " " + word
		}
		out = append(out, n)
	}
	return out
}

// firstWord is the first run of letters at the start of s, after spaces.
func firstWord(s string) string {
	s = strings.TrimLeft(s, " ")
	end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		return s
	}
	return s[:end]
}

// numbersDisagree reports whether the texts give numbers of one kind and
// share none of them (numbersDiffer says which, for people).
func numbersDisagree(a, b []number) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for kind := countKind; kind <= degreesKind; kind++ {
		inA, inB, shared := false, false, false
		for _, x := range a {
			if x.kind != kind {
				continue
			}
			inA = true
			for _, y := range b {
				if y.kind == kind {
					inB = true
					shared = shared || x.value == y.value
				}
			}
		}
		if inA && inB && !shared {
			return true
		}
	}
	return false
}

// numbersDiffer says why two texts' numbers disagree, or "".
func numbersDiffer(a, b []number) string {
	for kind := countKind; kind <= degreesKind; kind++ {
		as, bs := ofKind(a, kind), ofKind(b, kind)
		if len(as) == 0 || len(bs) == 0 {
			continue
		}
		shared := false
		for _, x := range as {
			for _, y := range bs {
				if x.value == y.value {
					shared = true
				}
			}
		}
		if !shared {
			return fmt.Sprintf("different %s: %s, %s", kindNames[kind], texts(as), texts(bs))
		}
	}
	return ""
}

func ofKind(ns []number, k numberKind) []number {
	var out []number
	for _, n := range ns {
		if n.kind == k {
			out = append(out, n)
		}
	}
	return out
}

func texts(ns []number) string {
	var s []string
	for _, n := range ns {
		if !slices.Contains(s, n.text) {
			s = append(s, n.text)
		}
	}
	return strings.Join(s, " and ")
}
