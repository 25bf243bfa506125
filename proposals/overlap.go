package proposals

import "fmt"

// Overlap is another open proposal that changes something this one changes:
// if both are adopted, the one decided second is conflicted and not applied,
// so members should know before they vote.
type Overlap struct {
	ProposalID int64
	Title      string
	// What names what both change, for a sentence: "the preamble", "the
	// objective “Rent caps…”".
	What string
}

// overlaps lists, in others' order, the proposals among others (not p itself)
// that change an item or the preamble p also changes. Adding items never
// overlaps: two additions both apply.
func overlaps(p Proposal, others []Proposal, current Statement) []Overlap {
	touched := touchedBy(p.Changes)
	if len(touched) == 0 {
		return nil
	}
	var out []Overlap
	for _, o := range others {
		if o.ID == p.ID {
			continue
		}
		for _, c := range o.Changes {
			key, ok := touchKey(c)
			if !ok || !touched[key] {
				continue
			}
			out = append(out, Overlap{ProposalID: o.ID, Title: o.Title, What: touchedName(c, current)})
			break
		}
	}
	return out
}

// touchedBy is the set of things changes amend, remove, move or rewrite.
func touchedBy(changes []Change) map[string]bool {
	set := map[string]bool{}
	for _, c := range changes {
		if key, ok := touchKey(c); ok {
			set[key] = true
		}
	}
	return set
}

func touchKey(c Change) (string, bool) {
	switch c.Kind {
	case EditPreamble:
		return "preamble", true
	case AmendItem, RemoveItem, MoveItem:
		return "item:" + c.ItemID, true
	}
	return "", false
}

func touchedName(c Change, current Statement) string {
	if c.Kind == EditPreamble {
		return "the preamble"
	}
	if it, _, ok := current.Item(c.ItemID); ok {
		return fmt.Sprintf("the %s %s", itemNoun(it.Section), quote(it.Text, 60))
	}
	return "an item of the statement"
}
