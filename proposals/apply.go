package proposals

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NewItemID returns a fresh item id: 10 characters of lowercase base32, 50
// random bits. An id only has to be unique within one movement's statement
// (at most MaxItems items), so a short id is plenty, keeps URLs and federated
// JSON readable, and Apply refuses a duplicate anyway.
func NewItemID() string {
	return strings.ToLower(rand.Text()[:10])
}

// Item finds the item with the given id and its index in s.Items.
func (s Statement) Item(id string) (Item, int, bool) {
	i := slices.IndexFunc(s.Items, func(it Item) bool { return it.ID == id })
	if i < 0 {
		return Item{}, -1, false
	}
	return s.Items[i], i, true
}

// InSection returns the items of one section, in order.
func (s Statement) InSection(sec Section) []Item {
	var items []Item
	for _, it := range s.Items {
		if it.Section == sec {
			items = append(items, it)
		}
	}
	return items
}

// Normalized returns a copy whose items are grouped by section in Sections
// order, keeping their order within each section. Items of an unknown section
// (which Apply never makes) are kept, after the known ones, rather than lost.
// The copy never shares its Items array with s.
func (s Statement) Normalized() Statement {
	items := append(make([]Item, 0, len(s.Items)), s.Items...)
	slices.SortStableFunc(items, func(a, b Item) int {
		return cmp.Compare(sectionRank(a.Section), sectionRank(b.Section))
	})
	s.Items = items
	return s
}

// sectionRank is the place of a section in Sections; unknown sections come last.
func sectionRank(sec Section) int {
	if i := slices.Index(Sections, sec); i >= 0 {
		return i
	}
	return len(Sections)
}

// CheckChange trims a change's text and checks the fields its kind uses. It
// returns the change in canonical form: fields the kind does not use are
// cleared, so that two ways of writing the same change store the same way.
// It does not look at a statement; Apply does that.
func CheckChange(c Change) (Change, error) {
	out := Change{Kind: c.Kind, ItemID: strings.TrimSpace(c.ItemID)}
	var err error
	switch c.Kind {
	case AddItem:
		out.Section, out.Position = c.Section, c.Position
		if err = checkPlace(c.Section, c.Position); err == nil {
			out.Text, err = checkItemText(c.Text, "write the text of the new item")
		}
	case AmendItem:
		if err = checkItemID(out.ItemID); err == nil {
			out.Text, err = checkItemText(c.Text, "the new text cannot be empty; to delete the item, propose removing it")
		}
	case RemoveItem:
		err = checkItemID(out.ItemID)
	case MoveItem:
		out.Section, out.Position = c.Section, c.Position
		if err = checkItemID(out.ItemID); err == nil {
			err = checkPlace(c.Section, c.Position)
		}
	case EditPreamble:
		out.ItemID = ""
		if out.Text, err = CleanText("text", c.Text, Paragraphs); err == nil && utf8.RuneCountInString(out.Text) > MaxPreambleLen {
			err = Invalid("text", "the preamble can be at most %d characters; this one has %d",
				MaxPreambleLen, utf8.RuneCountInString(out.Text))
		}
	default:
		err = Invalid("kind", "%s is not a kind of change; use add, amend, remove, move or preamble",
			quote(string(c.Kind), 20))
	}
	if err != nil {
		return c, err
	}
	return out, nil
}

func checkItemID(id string) error {
	if id == "" {
		return Invalid("item_id", "say which item this change is about")
	}
	return nil
}

func checkPlace(sec Section, pos int) error {
	if _, err := ParseSection(string(sec)); err != nil {
		return err
	}
	if pos < 0 {
		return Invalid("position", "the position must be zero or more")
	}
	return nil
}

// checkItemText cleans an item's text and checks its length; empty is the
// message to give when there is no text left.
func checkItemText(text, empty string) (string, error) {
	text, err := CleanText("text", text, Paragraphs)
	if err != nil {
		return "", err
	}
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return "", Invalid("text", "%s", empty)
	case n > MaxItemLen:
		return "", Invalid("text", "an item can be at most %d characters; this one has %d", MaxItemLen, n)
	}
	return text, nil
}

// TextShape is the shape of text a field holds.
type TextShape int

const (
	// OneLine is a name, a handle, a short note: no line breaks or tabs.
	OneLine TextShape = iota
	// Paragraphs is text from a textarea: line breaks and tabs allowed.
	Paragraphs
)

// CleanText is the one cleaning every text a person types goes through, in
// whatever field: it normalizes line endings (browsers send \r\n from a
// textarea) and trims, then refuses what no person means to write: bytes that
// are not UTF-8 and NUL, which PostgreSQL cannot store; control characters,
// invisible on the page yet changing what allies receive; and the
// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) that
// make text show in another order than it is written, so that a name could
// pass for another. A OneLine text holds no line break or tab either.
func CleanText(field, s string, shape TextShape) (string, error) {
	if !utf8.ValidString(s) {
		return "", Invalid(field, "the text contains bytes that are not valid UTF-8; type it again or paste it as plain text")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	for _, r := range s {
		switch {
		case isBidiControl(r):
			return "", Invalid(field, "the text contains an invisible character that changes the direction of the text around it (%U), so it could show as something it is not; remove it", r)
		case shape == OneLine && (r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029'):
			return "", Invalid(field, "write this on one line, without line breaks or tabs")
		case unicode.IsControl(r) && r != '\n' && r != '\t':
			return "", Invalid(field, "the text contains an invisible control character (%U); only line breaks and tabs are allowed", r)
		}
	}
	return strings.TrimSpace(s), nil
}

// isBidiControl reports the explicit embeddings, overrides and isolates of
// the Unicode bidirectional algorithm. The implicit marks (LRM, RLM, ALM) stay
// allowed: people writing right-to-left scripts need them.
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// Apply applies changes in order to a copy of s and returns it normalized; s
// itself is never modified. Every change is checked with CheckChange first.
//
// Positions count within the target section and are clamped to its end. A
// move's position counts the section's items without the moved item, so the
// item ends up at that index. An add must carry its ItemID (assigned with
// NewItemID when the change is recorded), so that the new item has the same id
// wherever the proposal is applied.
func Apply(s Statement, changes []Change) (Statement, error) {
	out := s.Normalized()
	for _, c := range changes {
		c, err := CheckChange(c)
		if err != nil {
			return Statement{}, err
		}
		if out, err = applyChange(out, c); err != nil {
			return Statement{}, err
		}
	}
	return out, nil
}

// applyChange applies one checked change to a normalized statement whose
// Items array it owns, keeping it normalized.
func applyChange(s Statement, c Change) (Statement, error) {
	if c.Kind == EditPreamble {
		s.Preamble = c.Text
		return s, nil
	}
	if c.Kind == AddItem {
		if c.ItemID == "" {
			return s, Invalid("item_id", "a new item needs an id; assign one with NewItemID when the change is recorded")
		}
		if _, _, exists := s.Item(c.ItemID); exists {
			return s, Conflict("an item this proposal adds is already in the statement (item %s)", c.ItemID)
		}
		if len(s.Items) >= MaxItems {
			return s, Conflict("the statement can hold at most %d items; remove some before adding more", MaxItems)
		}
		item := Item{ID: c.ItemID, Section: c.Section, Text: c.Text}
		s.Items = slices.Insert(s.Items, insertIndex(s.Items, c.Section, c.Position), item)
		return s, nil
	}

	_, i, ok := s.Item(c.ItemID)
	if !ok {
		return s, Conflict("an item this proposal changes no longer exists in the statement (item %s)", c.ItemID)
	}
	switch c.Kind {
	case AmendItem:
		s.Items[i].Text = c.Text
	case RemoveItem:
		s.Items = slices.Delete(s.Items, i, i+1)
	case MoveItem:
		item := s.Items[i]
		item.Section = c.Section
		s.Items = slices.Delete(s.Items, i, i+1)
		s.Items = slices.Insert(s.Items, insertIndex(s.Items, c.Section, c.Position), item)
	}
	return s, nil
}

// insertIndex is the index in normalized items at which an item goes to end
// up at pos within sec: before the pos-th item of sec, or else at the end of
// sec, which is where the next section starts.
func insertIndex(items []Item, sec Section, pos int) int {
	rank, seen := sectionRank(sec), 0
	for i, it := range items {
		switch {
		case it.Section == sec:
			if seen == pos {
				return i
			}
			seen++
		case sectionRank(it.Section) > rank:
			return i
		}
	}
	return len(items)
}

// Rebase applies changes written against base to current, a newer version.
// Changes that touch only what is the same in both apply cleanly; adds always
// apply, their position taken within current's section. A change conflicts
// when it amends, removes or moves an item whose text or section differs
// between base and current (or that current no longer has), or when it edits
// a preamble that current has changed: the error wraps ErrConflict and says
// which item and why, so people can redraft the proposal.
func Rebase(base, current Statement, changes []Change) (Statement, error) {
	for _, c := range changes {
		c, err := CheckChange(c)
		if err != nil {
			return Statement{}, err
		}
		if err := rebaseConflict(base, current, c); err != nil {
			return Statement{}, err
		}
	}
	return Apply(current, changes)
}

// olderVersion ends every rebase conflict message.
const olderVersion = "this proposal was written against an older version of the statement"

// rebaseConflict reports whether one checked change clashes with what
// happened between base and current.
func rebaseConflict(base, current Statement, c Change) error {
	switch c.Kind {
	case EditPreamble:
		if base.Preamble != current.Preamble {
			return Conflict("another adopted proposal already changed the preamble; %s", olderVersion)
		}
	case AmendItem, RemoveItem, MoveItem:
		was, _, inBase := base.Item(c.ItemID)
		if !inBase {
			// Not an item the authors saw (perhaps one this proposal adds
			// itself): Apply decides whether it exists.
			return nil
		}
		what := fmt.Sprintf("the %s %s (item %s)", itemNoun(was.Section), quote(was.Text, 40), was.ID)
		now, _, inCurrent := current.Item(c.ItemID)
		switch {
		case !inCurrent:
			return Conflict("another adopted proposal already removed %s; %s", what, olderVersion)
		case now.Section != was.Section:
			return Conflict("another adopted proposal already moved %s to %s; %s",
				what, strings.ToLower(now.Section.Label()), olderVersion)
		case now.Text != was.Text:
			return Conflict("another adopted proposal already changed %s; %s", what, olderVersion)
		}
	}
	return nil
}

// itemNoun names one item of a section in a sentence: "the objective …".
func itemNoun(sec Section) string {
	switch sec {
	case Objectives:
		return "objective"
	case Values:
		return "value"
	case RedLines:
		return "red line"
	}
	return "item"
}

// quote puts text on one line, keeps at most n runes of it (adding an
// ellipsis when it cuts, at a word boundary when one is near) and wraps it in
// curly quotes, for messages: quote("Tell the truth about the climate", 22)
// is “Tell the truth about…”.
func quote(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= max(n, 0) {
		return "“" + text + "”"
	}
	cut := max(n, 0)
	if space := lastSpace(r[:cut]); r[cut] != ' ' && space > cut/2 {
		cut = space // rather than end mid-word
	}
	return "“" + strings.TrimRight(string(r[:cut]), " ") + "…”"
}

func lastSpace(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == ' ' {
			return i
		}
	}
	return -1
}

// CleanTitle cleans a title a person typed and checks its length.
func CleanTitle(title string) (string, error) {
	title, err := CleanText("title", title, OneLine)
	switch {
	case err != nil:
		return title, err
	case title == "":
		return title, Invalid("title", "give it a title")
	case utf8.RuneCountInString(title) > MaxTitleLen:
		return title, Invalid("title", "a title can be at most %d characters", MaxTitleLen)
	}
	return title, nil
}

// CleanStatement cleans a whole statement a person wrote in one go (a joint
// statement): the preamble and every item go through the same checks as a
// change to the core statement; items keep their ids, or get new ones.
func CleanStatement(st Statement) (Statement, error) {
	out := Statement{Items: make([]Item, 0, len(st.Items))}
	var err error
	if out.Preamble, err = CleanText("preamble", st.Preamble, Paragraphs); err != nil {
		return st, err
	}
	if n := utf8.RuneCountInString(out.Preamble); n > MaxPreambleLen {
		return st, Invalid("preamble", "the preamble can be at most %d characters; this one has %d", MaxPreambleLen, n)
	}
	seen := map[string]bool{}
	for _, it := range st.Items {
		if _, err := ParseSection(string(it.Section)); err != nil {
			return st, err
		}
		text, err := checkItemText(it.Text, "an item cannot be empty")
		if err != nil {
			return st, err
		}
		id := strings.TrimSpace(it.ID)
		if id == "" || len(id) > 64 || seen[id] {
			id = NewItemID()
		}
		seen[id] = true
		out.Items = append(out.Items, Item{ID: id, Section: it.Section, Text: text})
	}
	return out.Normalized(), nil
}
