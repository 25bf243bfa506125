package proposals

import "time"

// Section is one of the three parts of a core statement.
type Section string

const (
	Objectives Section = "objectives"
	Values     Section = "values"
	RedLines   Section = "red_lines"
)

// Sections in the order a statement shows them.
var Sections = []Section{Objectives, Values, RedLines}

// Label is the section's heading.
func (s Section) Label() string {
	switch s {
	case Objectives:
		return "Objectives"
	case Values:
		return "Values"
	case RedLines:
		return "Red lines"
	}
	return string(s)
}

// ParseSection refuses anything but the three sections.
func ParseSection(s string) (Section, error) {
	for _, sec := range Sections {
		if string(sec) == s {
			return sec, nil
		}
	}
	return "", Invalid("section", "choose objectives, values or red lines")
}

// Item is one objective, value or red line. Its ID stays the same through
// amendments and moves, so that allies, diffs and conflict checks can follow it.
type Item struct {
	ID      string  `json:"id"`
	Section Section `json:"section"`
	Text    string  `json:"text"`
}

// Statement is the content of a core statement: a preamble and ordered items.
// Items are kept in one slice, grouped by section in Sections order; the order
// within a section is the order of the slice.
type Statement struct {
	Preamble string `json:"preamble"`
	Items    []Item `json:"items"`
}

// Version is an immutable, numbered snapshot of the statement. Version 1 is the
// founding text; every later version is made by applying one adopted proposal.
type Version struct {
	Number     int
	Statement  Statement
	AdoptedAt  time.Time
	ProposalID int64 // 0 for the founding version
}

// ChangeKind names what a change does.
type ChangeKind string

const (
	AddItem      ChangeKind = "add"
	AmendItem    ChangeKind = "amend"
	RemoveItem   ChangeKind = "remove"
	MoveItem     ChangeKind = "move"
	EditPreamble ChangeKind = "preamble"
)

// Change is one edit a proposal makes to the statement.
//
//   - add: Section, Position (0-based index within the section; past the end
//     appends) and Text; ItemID is assigned when the change is recorded.
//   - amend: ItemID and the new Text.
//   - remove: ItemID.
//   - move: ItemID, the target Section and Position.
//   - preamble: the new Text.
type Change struct {
	Kind     ChangeKind `json:"kind"`
	ItemID   string     `json:"item_id,omitempty"`
	Section  Section    `json:"section,omitempty"`
	Position int        `json:"position,omitempty"`
	Text     string     `json:"text,omitempty"`
}

// Limits on statement text, so that one item cannot be a novel.
const (
	MaxItemLen     = 2000
	MaxPreambleLen = 10000
	MaxItems       = 500
)
