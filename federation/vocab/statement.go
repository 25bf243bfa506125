package vocab

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/commonground/commonground/proposals"
)

// StatementDoc is one version of a movement's core statement as published.
type StatementDoc struct {
	Version   int
	AdoptedAt time.Time
	Statement proposals.Statement
}

// wireStatement and wireItem are the JSON of the extension vocabulary (see
// the term constants); the field tags must match those terms.
type wireStatement struct {
	Version   int        `json:"cgVersion"`
	AdoptedAt string     `json:"cgAdoptedAt,omitempty"`
	Preamble  string     `json:"cgPreamble"`
	Items     []wireItem `json:"cgItems"`
}

type wireItem struct {
	ID      string `json:"cgItemId"`
	Section string `json:"cgSection"`
	Text    string `json:"cgText"`
}

func (d *StatementDoc) wire() wireStatement {
	w := wireStatement{
		Version:  d.Version,
		Preamble: d.Statement.Preamble,
		Items:    make([]wireItem, 0, len(d.Statement.Items)), // [] rather than null
	}
	if !d.AdoptedAt.IsZero() {
		// Nanoseconds kept so that a statement read back is the one written.
		w.AdoptedAt = d.AdoptedAt.UTC().Format(time.RFC3339Nano)
	}
	for _, it := range d.Statement.Items {
		w.Items = append(w.Items, wireItem{ID: it.ID, Section: string(it.Section), Text: it.Text})
	}
	return w
}

// validate refuses what no reader could use: items must keep stable, unique
// ids and belong to a known section. A nil doc is valid (no statement).
func (d *StatementDoc) validate() error {
	if d == nil {
		return nil
	}
	if d.Version < 1 {
		return fmt.Errorf("vocab: statement version %d: versions start at 1", d.Version)
	}
	seen := make(map[string]bool, len(d.Statement.Items))
	for i, it := range d.Statement.Items {
		if it.ID == "" {
			return fmt.Errorf("vocab: statement item %d has no id", i)
		}
		if seen[it.ID] {
			return fmt.Errorf("vocab: statement item id %q appears twice", it.ID)
		}
		seen[it.ID] = true
		if _, err := proposals.ParseSection(string(it.Section)); err != nil {
			return fmt.Errorf("vocab: statement item %q: unknown section %q", it.ID, it.Section)
		}
	}
	return nil
}

// parseStatement reads the cgStatement value of a Note; nil when absent.
func parseStatement(v any) (*StatementDoc, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v) // a small subtree: cheaper than decoding the body again
	if err != nil {
		return nil, invalid("%s: %v", termStatement, err)
	}
	var w wireStatement
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, invalid("%s: %v", termStatement, err)
	}
	d := &StatementDoc{Version: w.Version, Statement: proposals.Statement{Preamble: w.Preamble}}
	if w.AdoptedAt != "" {
		if d.AdoptedAt, err = time.Parse(time.RFC3339Nano, w.AdoptedAt); err != nil {
			return nil, invalid("%s: %s: %v", termStatement, termAdoptedAt, err)
		}
	}
	for _, it := range w.Items {
		d.Statement.Items = append(d.Statement.Items,
			proposals.Item{ID: it.ID, Section: proposals.Section(it.Section), Text: it.Text})
	}
	if err := d.validate(); err != nil {
		return nil, invalid("%s: %v", termStatement, err)
	}
	return d, nil
}

// StatementHTML renders a statement as the content of a Note. Mastodon's
// sanitiser keeps only p, br, a, strong, em, ul, ol and li, so headings are
// bold paragraphs. All text is escaped; empty sections are left out.
func StatementHTML(movementName string, doc StatementDoc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<p><strong>%s — core statement, version %d</strong></p>",
		html.EscapeString(movementName), doc.Version)
	writeStatementHTML(&b, doc.Statement)
	return b.String()
}

// writeStatementHTML writes a statement's preamble and sections.
func writeStatementHTML(b *strings.Builder, st proposals.Statement) {
	b.WriteString(ParagraphsHTML(st.Preamble))
	bySection := groupBySection(st.Items)
	for _, sec := range sectionOrder(st.Items) {
		b.WriteString("<p><strong>" + html.EscapeString(sec.Label()) + "</strong></p><ol>")
		for _, it := range bySection[sec] {
			b.WriteString("<li>" + textHTML(it.Text) + "</li>")
		}
		b.WriteString("</ol>")
	}
}

// paragraphs splits plain text on blank lines, dropping empty paragraphs.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParagraphsHTML is plain text as HTML: a <p> for each paragraph (split on
// blank lines), escaped, its line breaks kept, links left as text.
func ParagraphsHTML(text string) string {
	var b strings.Builder
	for _, para := range paragraphs(text) {
		b.WriteString("<p>" + textHTML(para) + "</p>")
	}
	return b.String()
}

// textHTML escapes plain text and keeps its line breaks.
func textHTML(text string) string {
	text = strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n")
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br>")
}

func groupBySection(items []proposals.Item) map[proposals.Section][]proposals.Item {
	by := make(map[proposals.Section][]proposals.Item)
	for _, it := range items {
		by[it.Section] = append(by[it.Section], it)
	}
	return by
}

// sectionOrder lists the sections that have items: the known ones in their
// usual order, then any other in order of appearance, so that no item of a
// malformed statement disappears from the public text.
func sectionOrder(items []proposals.Item) []proposals.Section {
	present := make(map[proposals.Section]bool)
	for _, it := range items {
		present[it.Section] = true
	}
	var order []proposals.Section
	for _, sec := range proposals.Sections {
		if present[sec] {
			order = append(order, sec)
			delete(present, sec)
		}
	}
	for _, it := range items {
		if present[it.Section] {
			order = append(order, it.Section)
			delete(present, it.Section)
		}
	}
	return order
}

// VersionChange is what a new statement version changed, for the people who
// read it in their timeline: the proposal that made it, what it added,
// amended, moved and removed, how the vote went, and where the full diff is.
type VersionChange struct {
	Title   string // the proposal's title
	Added   []ChangedItem
	Amended []ChangedItem
	Moved   []ChangedItem
	Removed []ChangedItem
	// PreambleChanged is true when the preamble was rewritten.
	PreambleChanged bool
	// Outcome is the vote in one line ("" when unknown).
	Outcome string
	// DiffURL is the page comparing this version with the one before.
	DiffURL string
}

// ChangedItem is an item a version added (New), removed (Old), amended (Old
// and New) or moved (New, in Section).
type ChangedItem struct {
	Section  proposals.Section
	Old, New string
}

// AdoptionHTML is a new version's Note content: what changed comes first —
// the proposal's title, the items added, amended, moved and removed, the vote
// in one line and a link to the diff — then the whole statement. Only the
// tags Mastodon keeps are used, and all text is escaped.
func AdoptionHTML(movementName string, change VersionChange, doc StatementDoc) string {
	var b strings.Builder
	name := html.EscapeString(movementName)
	if change.Title != "" {
		fmt.Fprintf(&b, "<p><strong>%s adopted “%s”</strong>: version %d of its core statement.</p>", name, textHTML(change.Title), doc.Version)
	} else {
		fmt.Fprintf(&b, "<p><strong>%s adopted version %d of its core statement.</strong></p>", name, doc.Version)
	}
	if lines := change.lines(); len(lines) > 0 {
		b.WriteString("<ul>")
		for _, l := range lines {
			b.WriteString("<li>" + l + "</li>")
		}
		b.WriteString("</ul>")
	}
	var last []string
	if change.Outcome != "" {
		last = append(last, html.EscapeString(change.Outcome))
	}
	if change.DiffURL != "" {
		last = append(last, `<a href="`+html.EscapeString(change.DiffURL)+`">See what changed</a>`)
	}
	if len(last) > 0 {
		b.WriteString("<p>" + strings.Join(last, " ") + "</p>")
	}
	return b.String() + StatementHTML(movementName, doc)
}

// lines are the changes as list items, in HTML.
func (c VersionChange) lines() []string {
	var out []string
	for _, it := range c.Added {
		out = append(out, fmt.Sprintf("Added to %s: %s", sectionName(it.Section), textHTML(it.New)))
	}
	for _, it := range c.Amended {
		out = append(out, fmt.Sprintf("Amended in %s: %s (was: %s)", sectionName(it.Section), textHTML(it.New), textHTML(it.Old)))
	}
	for _, it := range c.Moved {
		out = append(out, fmt.Sprintf("Moved in %s: %s", sectionName(it.Section), textHTML(it.New)))
	}
	for _, it := range c.Removed {
		out = append(out, fmt.Sprintf("Removed from %s: %s", sectionName(it.Section), textHTML(it.Old)))
	}
	if c.PreambleChanged {
		out = append(out, "The preamble was rewritten.")
	}
	return out
}

// sectionName is a section's heading in lower case, as it reads in a sentence.
func sectionName(s proposals.Section) string {
	return html.EscapeString(strings.ToLower(s.Label()))
}
