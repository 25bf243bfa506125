package proposals

import "testing"

func TestOverlaps(t *testing.T) {
	current := Statement{Preamble: "We are tenants.", Items: []Item{
		{ID: "a", Section: Objectives, Text: "Rent caps for every flat"},
		{ID: "b", Section: Objectives, Text: "Repairs within a week"},
	}}
	p := Proposal{ID: 1, Changes: []Change{{Kind: AmendItem, ItemID: "a", Text: "Rent caps at inflation"}}}
	cases := []struct {
		name  string
		other Change
		want  string // what both change, "" for no overlap
	}{
		{"amends the same item", Change{Kind: AmendItem, ItemID: "a", Text: "Rent caps at 2%"}, "the objective “Rent caps for every flat”"},
		{"removes the same item", Change{Kind: RemoveItem, ItemID: "a"}, "the objective “Rent caps for every flat”"},
		{"moves the same item", Change{Kind: MoveItem, ItemID: "a", Section: Values}, "the objective “Rent caps for every flat”"},
		{"amends another item", Change{Kind: AmendItem, ItemID: "b", Text: "Repairs in 3 days"}, ""},
		{"adds an item", Change{Kind: AddItem, Section: Objectives, Text: "A hall"}, ""},
		{"rewrites the preamble", Change{Kind: EditPreamble, Text: "We are neighbours."}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			others := []Proposal{p, {ID: 2, Title: "Other", Changes: []Change{c.other}}}
			got := overlaps(p, others, current)
			switch {
			case c.want == "" && len(got) != 0:
				t.Errorf("overlap found: %+v", got)
			case c.want != "" && (len(got) != 1 || got[0].ProposalID != 2 || got[0].What != c.want):
				t.Errorf("got %+v, want proposal 2 changing %s", got, c.want)
			}
		})
	}
	withPreamble := Proposal{ID: 3, Changes: []Change{{Kind: EditPreamble, Text: "We organise."}}}
	if got := overlaps(withPreamble, []Proposal{{ID: 4, Changes: []Change{{Kind: EditPreamble, Text: "We are neighbours."}}}}, current); len(got) != 1 || got[0].What != "the preamble" {
		t.Errorf("two preamble rewrites: %+v", got)
	}
}
