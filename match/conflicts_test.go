package match

import (
	"testing"

	"github.com/commonground/commonground/match/embed"
)

// The red line of the issue that asked for this rule, against three
// objectives of allies: only the one that asks for what the red line
// refuses is flagged.
func TestARedLineIsFlaggedOnlyAgainstWhatItRefuses(t *testing.T) {
	m, err := embed.Load()
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"We never negotiate away the right of any tenant to stay in their home",
		"Fund free legal aid for every tenant facing court",
		"Build 10,000 council homes by 2030",
		"Allow landlords to evict tenants who organise rent strikes",
		"No new oil and gas licences",
		"Issue new oil and gas licences in the North Sea",
		"Stop new oil and gas licences",
	}
	vs := m.EmbedAll(texts)
	redLines := []Item{{ID: "tenants", Movement: "union", Text: texts[0], Vector: vs[0]}, {ID: "oil", Movement: "climate", Text: texts[4], Vector: vs[4]}}
	objectives := []Item{
		{ID: "legal-aid", Movement: "shelter", Text: texts[1], Vector: vs[1]},
		{ID: "council-homes", Movement: "council", Text: texts[2], Vector: vs[2]},
		{ID: "evict", Movement: "landlords", Text: texts[3], Vector: vs[3]},
		{ID: "licences", Movement: "industry", Text: texts[5], Vector: vs[5]},
		{ID: "stop-licences", Movement: "greens", Text: texts[6], Vector: vs[6]},
	}
	var got []string
	for _, c := range Conflicts(redLines, objectives) {
		got = append(got, c.RedLine+"/"+c.Objective)
	}
	want := []string{"oil/licences", "tenants/evict"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("flagged %v, want %v", got, want)
	}
}
