package proposals

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DiffOp says what a part of a diff does.
type DiffOp int

const (
	Equal  DiffOp = iota // in both texts
	Insert               // only in the new text
	Delete               // only in the old text
)

// String names the op, for CSS classes and test output.
func (op DiffOp) String() string {
	switch op {
	case Equal:
		return "equal"
	case Insert:
		return "insert"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// DiffPart is a run of text with one op.
type DiffPart struct {
	Op   DiffOp
	Text string
}

// maxDiffCells caps the LCS table (one cell per pair of tokens left after
// trimming the common prefix and suffix). With at most 4M cells the shorter
// side has at most 2000 tokens, so LCS lengths fit in a uint16 and the table
// in 8 MB.
const maxDiffCells = 4_000_000

// WordDiff compares two texts word by word. Joining the Equal and Delete
// parts gives old exactly, and joining the Equal and Insert parts gives new.
// Words are runs of letters and digits; a run of spaces is one token, and
// every other character is a token of its own. Within each changed run the
// Delete comes before the Insert, and whitespace between two changes is
// folded into them, so "red apples" → "green pears" reads as one
// replacement rather than two. Texts too different to compare within
// maxDiffCells show as one replacement between their common ends.
func WordDiff(old, new string) []DiffPart {
	a, b := tokenize(old), tokenize(new)
	ops, _ := align(a, b)
	// Each run of one op is a substring of old (Equal, Delete) or of new
	// (Insert), so parts are cut from the inputs rather than concatenated.
	var parts []DiffPart
	i, j := 0, 0   // token indices in a and b
	oi, nj := 0, 0 // byte offsets in old and new
	for k := 0; k < len(ops); {
		op, o0, n0 := ops[k], oi, nj
		for ; k < len(ops) && ops[k] == op; k++ {
			if op != Insert {
				oi += len(a[i])
				i++
			}
			if op != Delete {
				nj += len(b[j])
				j++
			}
		}
		if op == Insert {
			parts = append(parts, DiffPart{Op: op, Text: new[n0:nj]})
		} else {
			parts = append(parts, DiffPart{Op: op, Text: old[o0:oi]})
		}
	}
	return foldChanges(parts)
}

// tokenize splits s into words, whitespace runs and single other characters.
// The tokens are substrings of s, so joining them gives s back, even when s
// is not valid UTF-8.
func tokenize(s string) []string {
	var toks []string
	for s != "" {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case isWordRune(r):
			n = spanOf(s, isWordRune)
		case unicode.IsSpace(r):
			n = spanOf(s, unicode.IsSpace)
		}
		toks = append(toks, s[:n])
		s = s[n:]
	}
	return toks
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// spanOf is the length in bytes of the prefix of s whose runes satisfy f.
func spanOf(s string, f func(rune) bool) int {
	if i := strings.IndexFunc(s, func(r rune) bool { return !f(r) }); i >= 0 {
		return i
	}
	return len(s)
}

// foldChanges turns each run of changes, together with the whitespace-only
// Equal parts lying between two changes, into one Delete followed by one
// Insert. Parts must already be merged, so an Equal part is always followed
// by a change (or nothing).
func foldChanges(parts []DiffPart) []DiffPart {
	var out []DiffPart
	for i := 0; i < len(parts); {
		if parts[i].Op == Equal {
			out = append(out, parts[i])
			i++
			continue
		}
		var del, ins strings.Builder
		for ; i < len(parts); i++ {
			p := parts[i]
			if p.Op == Equal && (i+1 == len(parts) || strings.TrimSpace(p.Text) != "") {
				break
			}
			if p.Op != Insert {
				del.WriteString(p.Text)
			}
			if p.Op != Delete {
				ins.WriteString(p.Text)
			}
		}
		if del.Len() > 0 {
			out = append(out, DiffPart{Op: Delete, Text: del.String()})
		}
		if ins.Len() > 0 {
			out = append(out, DiffPart{Op: Insert, Text: ins.String()})
		}
	}
	return out
}

// align returns an edit script turning a into b, one op per token: Equal
// takes one token from each, Delete one from a, Insert one from b. It is a
// longest common subsequence, found by dynamic programming over what is left
// once the common prefix and suffix are set aside. When that is more than
// maxDiffCells, the middle becomes all deletes then all inserts and exact is
// false.
func align[T comparable](a, b []T) (ops []DiffOp, exact bool) {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ops = make([]DiffOp, 0, len(a)+len(b))
	ops = appendOps(ops, Equal, pre)
	midA, midB := a[pre:len(a)-suf], b[pre:len(b)-suf]
	exact = len(midA)*len(midB) <= maxDiffCells
	if exact {
		ops = append(ops, lcsOps(midA, midB)...)
	} else {
		ops = appendOps(ops, Delete, len(midA))
		ops = appendOps(ops, Insert, len(midB))
	}
	return appendOps(ops, Equal, suf), exact
}

func appendOps(ops []DiffOp, op DiffOp, n int) []DiffOp {
	for range n {
		ops = append(ops, op)
	}
	return ops
}

// lcsOps is the LCS edit script of a and b, which must fit in maxDiffCells.
// The table holds, for each (i, j), the LCS length of a[i:] and b[j:], so the
// script can be read forwards: taking a match as soon as it appears puts an
// inserted or deleted word before the space that follows it ("the |whole
// |truth"), and preferring deletes puts them before inserts.
func lcsOps[T comparable](a, b []T) []DiffOp {
	n, m := len(a), len(b)
	w := m + 1
	lcs := make([]uint16, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	ops := make([]DiffOp, 0, n+m)
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, Equal)
			i, j = i+1, j+1
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			ops = append(ops, Delete)
			i++
		default:
			ops = append(ops, Insert)
			j++
		}
	}
	ops = appendOps(ops, Delete, n-i)
	return appendOps(ops, Insert, m-j)
}

// The statuses of an ItemDiff.
const (
	ItemAdded     = "added"
	ItemRemoved   = "removed"
	ItemAmended   = "amended"
	ItemMoved     = "moved"
	ItemUnchanged = "unchanged"
)

// ItemDiff is one item of a statement diff. Parts is the word diff of Old and
// New (a single Insert for an added item, a single Delete for a removed one).
// A moved item has FromSection set: another section, or its own when it
// changed place among the items of its section; its text may have changed too.
type ItemDiff struct {
	Section     Section
	ItemID      string
	Status      string // ItemAdded, ItemRemoved, ItemAmended, ItemMoved or ItemUnchanged
	Old, New    string
	Parts       []DiffPart
	FromSection Section
}

// SectionDiff lists a section's items, new and removed, in reading order.
type SectionDiff struct {
	Section Section
	Items   []ItemDiff
}

// StatementDiff is what a proposal page and a version comparison show.
type StatementDiff struct {
	Preamble        []DiffPart
	PreambleChanged bool
	Sections        []SectionDiff
}

// Changed reports whether the two statements differ at all.
func (d StatementDiff) Changed() bool {
	if d.PreambleChanged {
		return true
	}
	for _, sec := range d.Sections {
		for _, it := range sec.Items {
			if it.Status != ItemUnchanged {
				return true
			}
		}
	}
	return false
}

// DiffStatements compares two statements. Every section of Sections is
// listed, even when empty, so the page keeps its headings. Within a section
// the items follow the new statement, with each removed item shown where it
// stood in the old one: right after the nearest earlier item that is still
// there.
func DiffStatements(old, new Statement) StatementDiff {
	d := StatementDiff{
		Preamble:        WordDiff(old.Preamble, new.Preamble),
		PreambleChanged: old.Preamble != new.Preamble,
	}
	oldByID, newByID := itemsByID(old), itemsByID(new)
	for _, sec := range sectionsOf(old, new) {
		d.Sections = append(d.Sections, SectionDiff{
			Section: sec,
			Items:   diffSection(sec, old.InSection(sec), new.InSection(sec), oldByID, newByID),
		})
	}
	return d
}

func itemsByID(s Statement) map[string]Item {
	m := make(map[string]Item, len(s.Items))
	for _, it := range s.Items {
		m[it.ID] = it
	}
	return m
}

// sectionsOf is Sections followed by any unknown section the statements use,
// so that no item goes missing from a diff.
func sectionsOf(stmts ...Statement) []Section {
	secs := append([]Section(nil), Sections...)
	for _, s := range stmts {
		for _, it := range s.Items {
			if sectionRank(it.Section) == len(Sections) && !slices.Contains(secs, it.Section) {
				secs = append(secs, it.Section)
			}
		}
	}
	return secs
}

// diffSection lists one section's items: oldItems and newItems are the
// section's items in each statement.
func diffSection(sec Section, oldItems, newItems []Item, oldByID, newByID map[string]Item) []ItemDiff {
	reordered := reorderedIDs(sec, oldItems, newItems, oldByID)

	// Group each removed item behind the nearest earlier item still in the
	// section ("" for the start of the section).
	removedAfter := map[string][]Item{}
	anchor := ""
	for _, it := range oldItems {
		now, kept := newByID[it.ID]
		switch {
		case !kept:
			removedAfter[anchor] = append(removedAfter[anchor], it)
		case now.Section == sec:
			anchor = it.ID
		}
	}

	var out []ItemDiff
	out = appendRemoved(out, removedAfter[""])
	for _, it := range newItems {
		out = append(out, diffItem(it, oldByID, reordered[it.ID]))
		out = appendRemoved(out, removedAfter[it.ID])
	}
	return out
}

// reorderedIDs finds the items that stayed in sec but changed place among the
// others that stayed: those outside a longest run kept in the same order.
// For huge sections it gives up and reports none.
func reorderedIDs(sec Section, oldItems, newItems []Item, oldByID map[string]Item) map[string]bool {
	newIDs := make(map[string]bool, len(newItems))
	var after []string
	for _, it := range newItems {
		newIDs[it.ID] = true
		if was, ok := oldByID[it.ID]; ok && was.Section == sec {
			after = append(after, it.ID)
		}
	}
	var before []string
	for _, it := range oldItems {
		if newIDs[it.ID] {
			before = append(before, it.ID)
		}
	}
	ops, exact := align(before, after)
	moved := map[string]bool{}
	if !exact {
		return moved
	}
	j := 0
	for _, op := range ops {
		switch op {
		case Insert:
			moved[after[j]] = true
			j++
		case Equal:
			j++
		}
	}
	return moved
}

// diffItem describes an item of the new statement.
func diffItem(it Item, oldByID map[string]Item, reordered bool) ItemDiff {
	d := ItemDiff{Section: it.Section, ItemID: it.ID, New: it.Text}
	was, ok := oldByID[it.ID]
	if !ok {
		d.Status, d.Parts = ItemAdded, whole(Insert, it.Text)
		return d
	}
	d.Old, d.Parts = was.Text, WordDiff(was.Text, it.Text)
	switch {
	case was.Section != it.Section || reordered:
		d.Status, d.FromSection = ItemMoved, was.Section
	case was.Text != it.Text:
		d.Status = ItemAmended
	default:
		d.Status = ItemUnchanged
	}
	return d
}

func appendRemoved(out []ItemDiff, removed []Item) []ItemDiff {
	for _, it := range removed {
		out = append(out, ItemDiff{
			Section: it.Section, ItemID: it.ID, Status: ItemRemoved,
			Old: it.Text, Parts: whole(Delete, it.Text),
		})
	}
	return out
}

// whole is a diff of one part, or none for empty text.
func whole(op DiffOp, text string) []DiffPart {
	if text == "" {
		return nil
	}
	return []DiffPart{{Op: op, Text: text}}
}
