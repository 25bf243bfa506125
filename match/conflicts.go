package match

import (
	"cmp"
	"slices"
	"strings"
)

// Contradiction is a red line of one movement that an objective of another
// movement goes against. It is for a person to look at, not a verdict.
type Contradiction struct {
	RedLine   string `json:"red_line"`
	Objective string `json:"objective"`
	Why       string `json:"why"`
}

// A red line refuses something: "no new oil and gas licences", "we will
// never accept cuts to benefits". An objective goes against it when it asks
// for that very thing, worded alike, without refusing it itself: "issue new
// oil and gas licences" does, "stop new licences" does not, and neither does
// an objective that only shares the topic ("fund legal aid for tenants"
// against "never negotiate away a tenant's right to stay in their home").

// refusals are the words that make a text refuse what follows them.
var refusals = []string{"under no circumstances", "will not", "won't", "would not", "do not", "don't", "does not", "cannot", "never",
	"no", "not", "oppose", "opposes", "opposed", "reject", "rejects", "refuse", "refuses", "against", "stop", "end", "ban", "halt",
	"scrap", "abolish", "prevent", "resist", "moratorium"}

// refusedPart is what a text refuses: the words after its first refusal,
// or "" when it refuses nothing.
func refusedPart(text string) string {
	ws := words(text)
	for i := range ws {
		for _, r := range refusals {
			rw := strings.Fields(r)
			if i+len(rw) <= len(ws) && slices.Equal(ws[i:i+len(rw)], rw) {
				return strings.Join(ws[i+len(rw):], " ")
			}
		}
	}
	return ""
}

// harms are words that take something away from whom or what they act on.
// A red line that refuses a harm ("we never negotiate away the right of any
// tenant to stay in their home") protects what the harm is done to; an
// objective that does such a harm to it ("allow landlords to evict
// tenants") goes against the red line, though it asks for nothing the red
// line names.
var harms = stemSet(`evict evictions cut cuts close closure closing privatise privatize privatisation privatization sell
	weaken undermine reduce remove deport deportation diminish erode lose loss dismantle defund criminalise criminalize
	restrict repeal revoke withdraw negotiate sacrifice slash demolish destroy`)

func stemSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[matchStem(w)] = true
	}
	return m
}

// harmIn reports whether a text does one of the harms.
func harmIn(text string) bool {
	for _, w := range words(text) {
		if harms[matchStem(w)] {
			return true
		}
	}
	return false
}

// How close what a red line refuses (or protects) and what an objective asks
// for must be to flag them: a harm done to what is protected is worded
// apart from it ("evict" and "stay in their home"), so it needs less.
var (
	refusedScore   = 0.35
	protectedScore = 0.2
)

// Conflicts flags the objectives that go against a red line of another
// movement: those that ask for what it refuses, or do a harm to what it
// protects. The result is sorted by red line, then objective.
func Conflicts(redLines, objectives []Item) []Contradiction {
	var items []Item
	type frame struct {
		at      int  // index of the refused (or protected) part in items
		protect bool // the red line refuses a harm: it protects what follows
	}
	var frames []frame
	for _, r := range redLines {
		part := refusedPart(r.Text)
		if part == "" {
			continue
		}
		frames = append(frames, frame{at: len(items), protect: harmIn(part)})
		items = append(items, Item{ID: r.ID, Movement: r.Movement, Text: part, Vector: r.Vector})
	}
	if len(frames) == 0 {
		return nil
	}
	first := len(items)
	items = append(items, objectives...)
	c := newCorpus(items)
	var out []Contradiction
	for _, f := range frames {
		for j := first; j < len(items); j++ {
			if items[j].Movement == items[f.at].Movement {
				continue
			}
			refuses, harmful := refusedPart(items[j].Text) != "", harmIn(items[j].Text)
			if f.protect && !(harmful && !refuses) || !f.protect && refuses {
				continue // it does no harm to what is protected, or refuses the thing itself
			}
			p := c.pair(f.at, j)
			if f.protect && p.score < protectedScore || !f.protect && p.score < refusedScore {
				continue
			}
			why := "asks for what the red line refuses"
			if f.protect {
				why = "does a harm to what the red line protects"
			}
			out = append(out, Contradiction{RedLine: items[f.at].ID, Objective: items[j].ID, Why: why + " (" + c.explain(f.at, j, p) + ")"})
		}
	}
	slices.SortFunc(out, func(a, b Contradiction) int {
		return cmp.Or(cmp.Compare(a.RedLine, b.RedLine), cmp.Compare(a.Objective, b.Objective))
	})
	return out
}
