package proposals

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sample is a small normalized statement: two objectives, a value, a red line.
func sample() Statement {
	return Statement{
		Preamble: "We are tenants.",
		Items: []Item{
			{ID: "obj1", Section: Objectives, Text: "Tell the truth about the climate emergency"},
			{ID: "obj2", Section: Objectives, Text: "Act now"},
			{ID: "val1", Section: Values, Text: "Solidarity"},
			{ID: "red1", Section: RedLines, Text: "No violence"},
		},
	}
}

// ids lists a statement's item ids in order, section by section: "obj1 obj2 | val1 | red1".
func ids(s Statement) string {
	var secs []string
	for _, sec := range Sections {
		var ids []string
		for _, it := range s.InSection(sec) {
			ids = append(ids, it.ID)
		}
		secs = append(secs, strings.Join(ids, " "))
	}
	return strings.Join(secs, " | ")
}

func TestApplyKinds(t *testing.T) {
	cases := []struct {
		name    string
		changes []Change
		want    string // ids(result)
		check   func(Statement) error
	}{
		{"add at start", []Change{{Kind: AddItem, ItemID: "new", Section: Objectives, Position: 0, Text: " Fresh "}},
			"new obj1 obj2 | val1 | red1", textIs("new", "Fresh")},
		{"add in middle", []Change{{Kind: AddItem, ItemID: "new", Section: Objectives, Position: 1, Text: "x"}},
			"obj1 new obj2 | val1 | red1", nil},
		{"add past the end is clamped", []Change{{Kind: AddItem, ItemID: "new", Section: Values, Position: 99, Text: "x"}},
			"obj1 obj2 | val1 new | red1", nil},
		{"add to empty section", []Change{{Kind: RemoveItem, ItemID: "red1"}, {Kind: AddItem, ItemID: "new", Section: RedLines, Position: 5, Text: "x"}},
			"obj1 obj2 | val1 | new", nil},
		{"amend", []Change{{Kind: AmendItem, ItemID: "obj2", Text: "Act today"}},
			"obj1 obj2 | val1 | red1", textIs("obj2", "Act today")},
		{"remove", []Change{{Kind: RemoveItem, ItemID: "obj1"}},
			"obj2 | val1 | red1", nil},
		{"move within section", []Change{{Kind: MoveItem, ItemID: "obj1", Section: Objectives, Position: 1}},
			"obj2 obj1 | val1 | red1", nil},
		{"move across sections", []Change{{Kind: MoveItem, ItemID: "obj2", Section: RedLines, Position: 0}},
			"obj1 | val1 | obj2 red1", sectionIs("obj2", RedLines)},
		{"move clamped", []Change{{Kind: MoveItem, ItemID: "red1", Section: Values, Position: 42}},
			"obj1 obj2 | val1 red1 | ", sectionIs("red1", Values)},
		{"preamble", []Change{{Kind: EditPreamble, Text: " We organise.\r\n"}},
			"obj1 obj2 | val1 | red1", func(s Statement) error {
				if s.Preamble != "We organise." {
					return fmt.Errorf("preamble %q", s.Preamble)
				}
				return nil
			}},
		{"empty preamble", []Change{{Kind: EditPreamble}}, "obj1 obj2 | val1 | red1", nil},
		{"ids stable through amend then move", []Change{
			{Kind: AmendItem, ItemID: "obj1", Text: "Tell the whole truth"},
			{Kind: MoveItem, ItemID: "obj1", Section: Values, Position: 0},
		}, "obj2 | obj1 val1 | red1", textIs("obj1", "Tell the whole truth")},
		{"changes see earlier ones", []Change{
			{Kind: AddItem, ItemID: "new", Section: Objectives, Text: "x"},
			{Kind: AmendItem, ItemID: "new", Text: "y"},
		}, "new obj1 obj2 | val1 | red1", textIs("new", "y")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Apply(sample(), c.changes)
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != c.want {
				t.Errorf("got %s, want %s", ids(got), c.want)
			}
			if !reflect.DeepEqual(got, got.Normalized()) {
				t.Errorf("result not normalized: %+v", got.Items)
			}
			if c.check != nil {
				if err := c.check(got); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func textIs(id, text string) func(Statement) error {
	return func(s Statement) error {
		if it, _, ok := s.Item(id); !ok || it.Text != text {
			return fmt.Errorf("item %s = %+v, want text %q", id, it, text)
		}
		return nil
	}
}

func sectionIs(id string, sec Section) func(Statement) error {
	return func(s Statement) error {
		if it, _, ok := s.Item(id); !ok || it.Section != sec {
			return fmt.Errorf("item %s = %+v, want section %s", id, it, sec)
		}
		return nil
	}
}

func TestApplyNeverMutatesInput(t *testing.T) {
	in := sample()
	// Spare capacity would let a careless append write into the caller's array.
	in.Items = append(make([]Item, 0, 20), in.Items...)
	before := sample()
	_, err := Apply(in, []Change{
		{Kind: AmendItem, ItemID: "obj1", Text: "changed"},
		{Kind: AddItem, ItemID: "new", Section: Objectives, Position: 0, Text: "x"},
		{Kind: MoveItem, ItemID: "red1", Section: Objectives, Position: 0},
		{Kind: RemoveItem, ItemID: "val1"},
		{Kind: EditPreamble, Text: "other"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Items, before.Items) || in.Preamble != before.Preamble {
		t.Fatalf("input changed: %+v", in)
	}
	if spare := in.Items[:cap(in.Items)][len(in.Items):]; spare[0] != (Item{}) {
		t.Fatalf("input's spare capacity written: %+v", spare[0])
	}
}

func TestApplyNormalizesInput(t *testing.T) {
	s := Statement{Items: []Item{
		{ID: "r", Section: RedLines, Text: "r"},
		{ID: "o1", Section: Objectives, Text: "o1"},
		{ID: "v", Section: Values, Text: "v"},
		{ID: "o2", Section: Objectives, Text: "o2"},
	}}
	got, err := Apply(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids(got) != "o1 o2 | v | r" || got.Items[0].ID != "o1" || got.Items[3].ID != "r" {
		t.Fatalf("got %+v", got.Items)
	}
}

func TestApplyErrors(t *testing.T) {
	cases := []struct {
		name   string
		change Change
		kind   error
	}{
		{"amend unknown item", Change{Kind: AmendItem, ItemID: "gone", Text: "x"}, ErrConflict},
		{"remove unknown item", Change{Kind: RemoveItem, ItemID: "gone"}, ErrConflict},
		{"move unknown item", Change{Kind: MoveItem, ItemID: "gone", Section: Values}, ErrConflict},
		{"add without id", Change{Kind: AddItem, Section: Values, Text: "x"}, ErrInvalid},
		{"add with a used id", Change{Kind: AddItem, ItemID: "obj1", Section: Values, Text: "x"}, ErrConflict},
		{"invalid change", Change{Kind: AmendItem, ItemID: "obj1", Text: "  "}, ErrInvalid},
	}
	for _, c := range cases {
		_, err := Apply(sample(), []Change{c.change})
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.kind)
		}
	}
	_, err := Apply(sample(), []Change{{Kind: RemoveItem, ItemID: "gone"}})
	if want := "an item this proposal changes no longer exists in the statement (item gone)"; err == nil || err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestApplyMaxItems(t *testing.T) {
	var s Statement
	for i := range MaxItems {
		s.Items = append(s.Items, Item{ID: fmt.Sprint(i), Section: Values, Text: "v"})
	}
	_, err := Apply(s, []Change{{Kind: AddItem, ItemID: "one-more", Section: Values, Text: "x"}})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("item %d accepted: %v", MaxItems+1, err)
	}
	if _, err := Apply(s, []Change{{Kind: RemoveItem, ItemID: "0"}, {Kind: AddItem, ItemID: "x", Section: Values, Text: "x"}}); err != nil {
		t.Fatalf("replacing an item of a full statement: %v", err)
	}
}

func TestCheckChangeRejects(t *testing.T) {
	long := strings.Repeat("é", MaxItemLen+1)
	cases := []struct {
		name   string
		change Change
		field  string
	}{
		{"unknown kind", Change{Kind: "delete_all"}, "kind"},
		{"empty kind", Change{}, "kind"},
		{"add empty text", Change{Kind: AddItem, Section: Values, Text: " \n\t "}, "text"},
		{"add too long", Change{Kind: AddItem, Section: Values, Text: long}, "text"},
		{"add bad section", Change{Kind: AddItem, Section: "principles", Text: "x"}, "section"},
		{"add no section", Change{Kind: AddItem, Text: "x"}, "section"},
		{"add negative position", Change{Kind: AddItem, Section: Values, Position: -1, Text: "x"}, "position"},
		{"add control char", Change{Kind: AddItem, Section: Values, Text: "bell\a"}, "text"},
		{"add escape sequence", Change{Kind: AddItem, Section: Values, Text: "red \x1b[31m"}, "text"},
		{"add C1 control", Change{Kind: AddItem, Section: Values, Text: "a\u0085b"}, "text"},
		{"add invalid utf-8", Change{Kind: AddItem, Section: Values, Text: "a\xffb"}, "text"},
		{"amend no id", Change{Kind: AmendItem, ItemID: "  ", Text: "x"}, "item_id"},
		{"amend empty text", Change{Kind: AmendItem, ItemID: "a", Text: ""}, "text"},
		{"amend too long", Change{Kind: AmendItem, ItemID: "a", Text: long}, "text"},
		{"remove no id", Change{Kind: RemoveItem}, "item_id"},
		{"move no id", Change{Kind: MoveItem, Section: Values}, "item_id"},
		{"move bad section", Change{Kind: MoveItem, ItemID: "a", Section: "Values"}, "section"},
		{"move negative position", Change{Kind: MoveItem, ItemID: "a", Section: Values, Position: -3}, "position"},
		{"preamble too long", Change{Kind: EditPreamble, Text: strings.Repeat("x", MaxPreambleLen+1)}, "text"},
		{"preamble control char", Change{Kind: EditPreamble, Text: "nul\x00"}, "text"},
	}
	for _, c := range cases {
		_, err := CheckChange(c.change)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Field != c.field {
			t.Errorf("%s: got %v, want invalid %s", c.name, err, c.field)
		}
	}
}

func TestCheckChangeCleans(t *testing.T) {
	cases := []struct{ in, want Change }{
		{Change{Kind: AddItem, Section: Values, Position: 2, Text: "  Care\r\nfor all\t \n"},
			Change{Kind: AddItem, Section: Values, Position: 2, Text: "Care\nfor all"}},
		{Change{Kind: AmendItem, ItemID: " a1 ", Section: Values, Position: 3, Text: " x "},
			Change{Kind: AmendItem, ItemID: "a1", Text: "x"}},
		{Change{Kind: RemoveItem, ItemID: "a1", Text: "ignored"},
			Change{Kind: RemoveItem, ItemID: "a1"}},
		{Change{Kind: MoveItem, ItemID: "a1", Section: RedLines, Position: 1, Text: "ignored"},
			Change{Kind: MoveItem, ItemID: "a1", Section: RedLines, Position: 1}},
		{Change{Kind: EditPreamble, ItemID: "a1", Text: "   "},
			Change{Kind: EditPreamble}},
		{Change{Kind: AddItem, Section: Values, Text: strings.Repeat("é", MaxItemLen)},
			Change{Kind: AddItem, Section: Values, Text: strings.Repeat("é", MaxItemLen)}},
	}
	for _, c := range cases {
		got, err := CheckChange(c.in)
		if err != nil || got != c.want {
			t.Errorf("CheckChange(%+v) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

// Base v1 → current v2 added an objective and amended obj1.
func rebaseFixture() (base, current Statement) {
	base = sample()
	current, err := Apply(base, []Change{
		{Kind: AddItem, ItemID: "obj3", Section: Objectives, Position: 0, Text: "Build alliances"},
		{Kind: AmendItem, ItemID: "obj1", Text: "Tell the whole truth about the climate crisis"},
	})
	if err != nil {
		panic(err)
	}
	return base, current
}

func TestRebaseAppliesNonOverlappingChanges(t *testing.T) {
	base, current := rebaseFixture()
	got, err := Rebase(base, current, []Change{
		{Kind: AmendItem, ItemID: "obj2", Text: "Act today"},
		{Kind: MoveItem, ItemID: "val1", Section: Objectives, Position: 1},
		{Kind: AddItem, ItemID: "new", Section: Objectives, Position: 99, Text: "Win"},
		{Kind: RemoveItem, ItemID: "red1"},
		{Kind: EditPreamble, Text: "We are tenants, together."},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "obj3 val1 obj1 obj2 new |  | "; ids(got) != want {
		t.Errorf("got %s, want %s", ids(got), want)
	}
	for id, text := range map[string]string{"obj1": "Tell the whole truth about the climate crisis", "obj2": "Act today", "obj3": "Build alliances"} {
		if err := textIs(id, text)(got); err != nil {
			t.Error(err)
		}
	}
	if _, err := Rebase(base, base, []Change{{Kind: RemoveItem, ItemID: "obj1"}}); err != nil {
		t.Errorf("rebase onto the same version: %v", err)
	}
}

func TestRebaseConflicts(t *testing.T) {
	base, current := rebaseFixture()
	moved, _ := Apply(current, []Change{{Kind: MoveItem, ItemID: "obj2", Section: Values}})
	removed, _ := Apply(current, []Change{{Kind: RemoveItem, ItemID: "obj2"}})
	newPreamble, _ := Apply(current, []Change{{Kind: EditPreamble, Text: "We are neighbours."}})
	cases := []struct {
		name    string
		current Statement
		change  Change
		want    string // in the message
	}{
		{"amend of an amended item", current, Change{Kind: AmendItem, ItemID: "obj1", Text: "x"},
			"already changed the objective “Tell the truth about the climate…” (item obj1)"},
		{"remove of an amended item", current, Change{Kind: RemoveItem, ItemID: "obj1"}, "already changed the objective"},
		{"move of an amended item", current, Change{Kind: MoveItem, ItemID: "obj1", Section: Values}, "(item obj1)"},
		{"amend of a removed item", removed, Change{Kind: AmendItem, ItemID: "obj2", Text: "x"},
			"already removed the objective “Act now” (item obj2)"},
		{"remove of a removed item", removed, Change{Kind: RemoveItem, ItemID: "obj2"}, "already removed"},
		{"amend of a moved item", moved, Change{Kind: AmendItem, ItemID: "obj2", Text: "x"},
			"already moved the objective “Act now” (item obj2) to values"},
		{"preamble changed on both sides", newPreamble, Change{Kind: EditPreamble, Text: "We are many."},
			"already changed the preamble"},
	}
	for _, c := range cases {
		_, err := Rebase(base, c.current, []Change{{Kind: AmendItem, ItemID: "red1", Text: "fine"}, c.change})
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want a conflict saying %q", c.name, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "written against an older version") {
			t.Errorf("%s: message does not say why: %v", c.name, err)
		}
	}
}

func TestNewItemID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewItemID()
		if len(id) != 10 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("bad id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestQuote(t *testing.T) {
	cases := []struct {
		text string
		n    int
		want string
	}{
		{"Tell the truth about the climate", 20, "“Tell the truth about…”"},
		{"Tell the truth about the climate", 22, "“Tell the truth about…”"},
		{"Tell the truth about the climate", 32, "“Tell the truth about the climate”"},
		{"Tell the truth about the climate", 31, "“Tell the truth about the…”"},
		{"Nachhaltigkeitsberichterstattung", 10, "“Nachhaltig…”"},
		{"short", 20, "“short”"},
		{"two\nlines  here", 20, "“two lines here”"},
		{"égalité", 3, "“éga…”"},
		{"x", 0, "“…”"},
		{"", -1, "“”"},
	}
	for _, c := range cases {
		if got := quote(c.text, c.n); got != c.want {
			t.Errorf("quote(%q, %d) = %s, want %s", c.text, c.n, got, c.want)
		}
	}
}

func TestStatementLookups(t *testing.T) {
	s := sample()
	if it, i, ok := s.Item("val1"); !ok || i != 2 || it.Text != "Solidarity" {
		t.Errorf("Item(val1) = %+v, %d, %v", it, i, ok)
	}
	if _, i, ok := s.Item("nope"); ok || i != -1 {
		t.Errorf("Item(nope) found at %d", i)
	}
	if got := s.InSection(Objectives); len(got) != 2 || got[1].ID != "obj2" {
		t.Errorf("InSection(objectives) = %+v", got)
	}
	if got := s.InSection(RedLines); len(got) != 1 {
		t.Errorf("InSection(red lines) = %+v", got)
	}
}

func TestCheckProposalTextNamesTheBadField(t *testing.T) {
	cases := []struct{ title, rationale, field string }{
		{"", "why", "title"},
		{"ok", "a\u0085b", "rationale"}, // a C1 control, invisible
		{"bell\a", "why", "title"},
		{"ok", "bad \xff byte", "rationale"},
		{strings.Repeat("t", MaxTitleLen+1), "", "title"},
	}
	for _, c := range cases {
		_, _, err := checkProposalText(c.title, c.rationale)
		var fe *Error
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("checkProposalText(%q, %q) = %v, want an error on %s", c.title, c.rationale, err, c.field)
		}
	}
	if title, rationale, err := checkProposalText("  Ban fracking \r\n", "Because\r\nwater."); err != nil || title != "Ban fracking" || rationale != "Because\nwater." {
		t.Errorf("clean text: %q %q %v", title, rationale, err)
	}
}
