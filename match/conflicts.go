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

// ConflictScore is how close what a red line refuses and what an objective
// asks for must be to flag them.
const ConflictScore = 0.45

// Conflicts flags the objectives that ask for what a red line of another
// movement refuses. The result is sorted by red line, then objective.
func Conflicts(redLines, objectives []Item) []Contradiction {
	var items []Item
	var refused []int
	for _, r := range redLines {
		part := refusedPart(r.Text)
		if part == "" {
			continue
		}
		refused = append(refused, len(items))
		items = append(items, Item{ID: r.ID, Movement: r.Movement, Text: part, Vector: r.Vector})
	}
	if len(refused) == 0 {
		return nil
	}
	first := len(items)
	for _, o := range objectives {
		if refusedPart(o.Text) != "" {
			continue // it refuses something itself: it asks for no such thing
		}
		items = append(items, o)
	}
	c := newCorpus(items)
	var out []Contradiction
	for _, i := range refused {
		for j := first; j < len(items); j++ {
			if items[j].Movement == items[i].Movement {
				continue
			}
			p := c.pair(i, j)
			if p.score >= ConflictScore {
				out = append(out, Contradiction{RedLine: items[i].ID, Objective: items[j].ID, Why: "asks for what the red line refuses (" + c.explain(i, j, p) + ")"})
			}
		}
	}
	slices.SortFunc(out, func(a, b Contradiction) int {
		return cmp.Or(cmp.Compare(a.RedLine, b.RedLine), cmp.Compare(a.Objective, b.Objective))
	})
	return out
}
