package proposals

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
)

// sides joins a diff back into the two texts it compares.
func sides(parts []DiffPart) (old, new string) {
	var o, n strings.Builder
	for _, p := range parts {
		if p.Op != Insert {
			o.WriteString(p.Text)
		}
		if p.Op != Delete {
			n.WriteString(p.Text)
		}
	}
	return o.String(), n.String()
}

func checkReconstructs(t *testing.T, old, new string) []DiffPart {
	t.Helper()
	parts := WordDiff(old, new)
	if o, n := sides(parts); o != old || n != new {
		t.Fatalf("WordDiff(%q, %q) = %v does not rebuild its inputs: %q, %q", old, new, parts, o, n)
	}
	for i, p := range parts {
		if p.Text == "" {
			t.Fatalf("WordDiff(%q, %q) has an empty part: %v", old, new, parts)
		}
		if i > 0 && parts[i-1].Op == p.Op {
			t.Fatalf("WordDiff(%q, %q) has unmerged parts: %v", old, new, parts)
		}
	}
	return parts
}

func TestWordDiffReconstructs(t *testing.T) {
	table := [][2]string{
		{"", ""},
		{"", "new text"},
		{"old text", ""},
		{"same", "same"},
		{"a b c", "c b a"},
		{"Hello, world!", "Hello world?"},
		{"  leading and trailing  ", "leading\nand\ttrailing"},
		{"naïve café, ☕ 日本語のテキスト", "naïve café ☕ 日本語テキスト!"},
		{"e\u0301cole", "école"},
		{"bad \xff utf-8", "bad \xfe utf-8"},
	}
	for _, c := range table {
		checkReconstructs(t, c[0], c[1])
	}

	// Random texts from a small vocabulary, so that they share many words.
	words := []string{"the", "truth", "climate", "é", "日本", " ", "  ", "\n", ",", ".", "-", "a1"}
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	for range 2000 {
		checkReconstructs(t, text(), text())
	}

	// Arbitrary strings, including invalid UTF-8.
	prop := func(old, new string) bool {
		o, n := sides(WordDiff(old, new))
		return o == old && n == new
	}
	if err := quick.Check(prop, nil); err != nil {
		t.Error(err)
	}
}

func TestWordDiffReadable(t *testing.T) {
	cases := []struct {
		old, new string
		want     []DiffPart
	}{
		{"Tell the truth about the climate emergency", "Tell the whole truth about the climate crisis", []DiffPart{
			{Equal, "Tell the "}, {Insert, "whole "}, {Equal, "truth about the climate "}, {Delete, "emergency"}, {Insert, "crisis"},
		}},
		{"Tell the whole truth", "Tell the truth", []DiffPart{
			{Equal, "Tell the "}, {Delete, "whole "}, {Equal, "truth"},
		}},
		// Whitespace between two changes folds into one replacement.
		{"eat red apples daily", "eat green pears daily", []DiffPart{
			{Equal, "eat "}, {Delete, "red apples"}, {Insert, "green pears"}, {Equal, " daily"},
		}},
		{"Égalité des droits", "Égalité réelle des droits", []DiffPart{
			{Equal, "Égalité "}, {Insert, "réelle "}, {Equal, "des droits"},
		}},
		{"same text", "same text", []DiffPart{{Equal, "same text"}}},
		{"", "", nil},
		{"", "added", []DiffPart{{Insert, "added"}}},
		{"gone", "", []DiffPart{{Delete, "gone"}}},
	}
	for _, c := range cases {
		if got := checkReconstructs(t, c.old, c.new); !reflect.DeepEqual(got, c.want) {
			t.Errorf("WordDiff(%q, %q)\n got %v\nwant %v", c.old, c.new, got, c.want)
		}
	}
}

func TestWordDiffFallsBackOnHugeInputs(t *testing.T) {
	// 2 × 2501 distinct middle tokens each side: over maxDiffCells.
	var a, b strings.Builder
	for i := range 2501 {
		a.WriteString("a" + strings.Repeat("x", i%7) + " ")
		b.WriteString("b" + strings.Repeat("y", i%5) + " ")
	}
	old := "Start. " + a.String() + "end."
	new := "Start. " + b.String() + "end."
	parts := checkReconstructs(t, old, new)
	if len(parts) != 4 || parts[0] != (DiffPart{Equal, "Start. "}) || parts[1].Op != Delete || parts[2].Op != Insert || parts[3].Op != Equal {
		t.Errorf("fallback gave %d parts, starting %v", len(parts), parts[:min(len(parts), 4)])
	}
}

// section finds a section of a diff.
func section(d StatementDiff, sec Section) []ItemDiff {
	for _, s := range d.Sections {
		if s.Section == sec {
			return s.Items
		}
	}
	return nil
}

// summary lists a section's items as "id:status".
func summary(items []ItemDiff) string {
	var out []string
	for _, it := range items {
		out = append(out, it.ItemID+":"+it.Status)
	}
	return strings.Join(out, " ")
}

func TestDiffStatements(t *testing.T) {
	old := Statement{
		Preamble: "We are tenants.",
		Items: []Item{
			{ID: "o1", Section: Objectives, Text: "Tell the truth about the climate emergency"},
			{ID: "o2", Section: Objectives, Text: "Act now"},
			{ID: "o3", Section: Objectives, Text: "Lower rents"},
			{ID: "v1", Section: Values, Text: "Solidarity"},
			{ID: "v2", Section: Values, Text: "Care"},
			{ID: "r1", Section: RedLines, Text: "No violence"},
		},
	}
	new, err := Apply(old, []Change{
		{Kind: AmendItem, ItemID: "o1", Text: "Tell the whole truth about the climate crisis"},
		{Kind: RemoveItem, ItemID: "o2"},
		{Kind: AddItem, ItemID: "o4", Section: Objectives, Position: 99, Text: "Win"},
		{Kind: MoveItem, ItemID: "v2", Section: RedLines, Position: 0},
		{Kind: AmendItem, ItemID: "v2", Text: "No neglect"},
		{Kind: MoveItem, ItemID: "r1", Section: RedLines, Position: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := DiffStatements(old, new)
	if !d.Changed() || d.PreambleChanged {
		t.Errorf("Changed() = %v, PreambleChanged = %v", d.Changed(), d.PreambleChanged)
	}
	if len(d.Sections) != len(Sections) {
		t.Fatalf("%d sections", len(d.Sections))
	}
	want := map[Section]string{
		Objectives: "o1:amended o2:removed o3:unchanged o4:added",
		Values:     "v1:unchanged",
		// r1 was moved to where it already was, among the items that stayed.
		RedLines: "r1:unchanged v2:moved",
	}
	for sec, w := range want {
		if got := summary(section(d, sec)); got != w {
			t.Errorf("%s: got %s, want %s", sec, got, w)
		}
	}

	obj := section(d, Objectives)
	if o1 := obj[0]; o1.Old != old.Items[0].Text || o1.New != "Tell the whole truth about the climate crisis" ||
		!reflect.DeepEqual(o1.Parts, WordDiff(o1.Old, o1.New)) {
		t.Errorf("o1: %+v", o1)
	}
	if o2 := obj[1]; o2.Old != "Act now" || o2.New != "" || !reflect.DeepEqual(o2.Parts, []DiffPart{{Delete, "Act now"}}) {
		t.Errorf("o2: %+v", o2)
	}
	if o4 := obj[3]; o4.Section != Objectives || !reflect.DeepEqual(o4.Parts, []DiffPart{{Insert, "Win"}}) {
		t.Errorf("o4: %+v", o4)
	}
	red := section(d, RedLines)
	if v2 := red[1]; v2.FromSection != Values || v2.Old != "Care" || v2.New != "No neglect" ||
		!reflect.DeepEqual(v2.Parts, []DiffPart{{Delete, "Care"}, {Insert, "No neglect"}}) {
		t.Errorf("v2: %+v", v2)
	}
}

func TestDiffStatementsPositionsAndOrder(t *testing.T) {
	old := Statement{Items: []Item{
		{ID: "a", Section: Values, Text: "a"},
		{ID: "b", Section: Values, Text: "b"},
		{ID: "c", Section: Values, Text: "c"},
		{ID: "d", Section: Values, Text: "d"},
		{ID: "e", Section: Values, Text: "e"},
	}}
	// Remove the first and third, move the last to the front.
	new, err := Apply(old, []Change{
		{Kind: RemoveItem, ItemID: "a"},
		{Kind: RemoveItem, ItemID: "c"},
		{Kind: MoveItem, ItemID: "e", Section: Values, Position: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := DiffStatements(old, new)
	if got, want := summary(section(d, Values)), "a:removed e:moved b:unchanged c:removed d:unchanged"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if it := section(d, Values)[1]; it.FromSection != Values || !reflect.DeepEqual(it.Parts, []DiffPart{{Equal, "e"}}) {
		t.Errorf("e: %+v", it)
	}
	if n := len(section(d, Objectives)); n != 0 {
		t.Errorf("objectives: %d items", n)
	}
}

func TestDiffStatementsUnchanged(t *testing.T) {
	s := sample()
	d := DiffStatements(s, s)
	if d.Changed() {
		t.Errorf("identical statements differ: %+v", d)
	}
	if !reflect.DeepEqual(d.Preamble, []DiffPart{{Equal, s.Preamble}}) {
		t.Errorf("preamble: %v", d.Preamble)
	}
	p := DiffStatements(s, Statement{Preamble: "Other", Items: s.Items})
	if !p.Changed() || !p.PreambleChanged {
		t.Errorf("preamble change not seen")
	}
	if DiffStatements(Statement{}, Statement{}).Changed() {
		t.Error("empty statements differ")
	}
}
