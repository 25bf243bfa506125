package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/commonground/commonground/proposals"
)

// versionParam reads ?version=N: 0 means the current version.
func versionParam(r *http.Request, name string) (int, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0, nil
	}
	// Version numbers are 32-bit in the database: a larger one names no version.
	n, err := strconv.ParseInt(raw, 10, 32)
	if errors.Is(err, strconv.ErrRange) {
		return 0, proposals.Invalid(name, "there is no version with so large a number")
	}
	if err != nil || n < 1 {
		return 0, proposals.Invalid(name, "give a version number, 1 or more")
	}
	return int(n), nil
}

// requestedVersion is the version named by ?name=N, or the current one.
func (s *Server) requestedVersion(r *http.Request, name string) (proposals.Version, error) {
	n, err := versionParam(r, name)
	if err != nil {
		return proposals.Version{}, err
	}
	if n == 0 {
		return s.svc.CurrentVersion(r.Context())
	}
	return s.svc.Version(r.Context(), n)
}

// statementAt is the movement and the version a statement page asks for.
func (s *Server) statementAt(r *http.Request) (proposals.Movement, proposals.Version, error) {
	v, err := s.requestedVersion(r, "version")
	if err != nil {
		return proposals.Movement{}, v, err
	}
	m, err := s.svc.Movement(r.Context())
	return m, v, err
}

// sectionView is a section of a statement as the templates show it.
type sectionView struct {
	Section proposals.Section
	Label   string
	Items   []proposals.Item
}

func sectionsOf(st proposals.Statement) []sectionView {
	out := make([]sectionView, 0, len(proposals.Sections))
	for _, sec := range proposals.Sections {
		out = append(out, sectionView{Section: sec, Label: sec.Label(), Items: st.InSection(sec)})
	}
	return out
}

type statementPage struct {
	shell
	Movement    proposals.Movement
	Version     proposals.Version
	Current     int
	Sections    []sectionView
	Description string
	CanonURL    string
}

// statement is the public page of the statement: anyone may read it, with
// title and description metadata for link previews.
func (s *Server) statement(w http.ResponseWriter, r *http.Request) {
	m, v, err := s.statementAt(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	current := v
	if r.URL.Query().Get("version") != "" { // a past version, maybe: the page says which is current
		if current, err = s.svc.CurrentVersion(r.Context()); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	title := "Core statement"
	if v.Number != current.Number {
		title = fmt.Sprintf("Core statement, version %d", v.Number)
	}
	s.render(w, r, http.StatusOK, "statement", statementPage{shell: s.shell(w, r, title), Movement: m, Version: v,
		Current: current.Number, Sections: sectionsOf(v.Statement), Description: describe(m, v.Statement),
		CanonURL: s.opts.BaseURL.String() + "/statement"})
}

// describe is the one-line summary link previews show.
func describe(m proposals.Movement, st proposals.Statement) string {
	text := st.Preamble
	if text == "" {
		text = m.Summary
	}
	if objs := st.InSection(proposals.Objectives); text == "" && len(objs) > 0 {
		text = objs[0].Text
	}
	return shorten(text, 200)
}

// statementMarkdown serves the statement as Markdown, for copying elsewhere.
func (s *Server) statementMarkdown(w http.ResponseWriter, r *http.Request) {
	m, v, err := s.statementAt(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: core statement\n\nVersion %d, adopted %s.\n", m.Name, v.Number, v.AdoptedAt.UTC().Format("2 January 2006"))
	if v.Statement.Preamble != "" {
		fmt.Fprintf(&b, "\n%s\n", v.Statement.Preamble)
	}
	for _, sec := range sectionsOf(v.Statement) {
		if len(sec.Items) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", sec.Label)
		for i, it := range sec.Items {
			fmt.Fprintf(&b, "%d. %s\n", i+1, strings.ReplaceAll(it.Text, "\n", " "))
		}
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Write([]byte(b.String()))
}

// statementJSON is the machine-readable statement.
type statementJSON struct {
	Movement  string            `json:"movement"`
	Handle    string            `json:"handle"`
	Version   int               `json:"version"`
	AdoptedAt time.Time         `json:"adopted_at"`
	Preamble  string            `json:"preamble"`
	Sections  []sectionJSONItem `json:"sections"`
}

type sectionJSONItem struct {
	Section string           `json:"section"`
	Title   string           `json:"title"`
	Items   []proposals.Item `json:"items"`
}

func (s *Server) statementJSON(w http.ResponseWriter, r *http.Request) {
	m, v, err := s.statementAt(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	out := statementJSON{Movement: m.Name, Handle: m.Handle, Version: v.Number, AdoptedAt: v.AdoptedAt.UTC(), Preamble: v.Statement.Preamble}
	for _, sec := range sectionsOf(v.Statement) {
		items := sec.Items
		if items == nil {
			items = []proposals.Item{}
		}
		out.Sections = append(out.Sections, sectionJSONItem{Section: string(sec.Section), Title: sec.Label, Items: items})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

type historyPage struct {
	shell
	Versions []proposals.Version
}

func (s *Server) statementHistory(w http.ResponseWriter, r *http.Request) {
	vs, err := s.svc.Versions(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "history", historyPage{shell: s.shell(w, r, "Statement history"), Versions: vs})
}

type diffPage struct {
	shell
	From, To proposals.Version
	Diff     proposals.StatementDiff
}

// statementDiff compares two versions: ?from=N&to=M (to defaults to current).
func (s *Server) statementDiff(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("from") == "" {
		s.renderError(w, r, proposals.Invalid("from", "give the versions to compare: ?from=1&to=2"))
		return
	}
	from, err := s.requestedVersion(r, "from")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	to, err := s.requestedVersion(r, "to")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "diff", diffPage{shell: s.shell(w, r, fmt.Sprintf("Changes from version %d to %d", from.Number, to.Number)),
		From: from, To: to, Diff: proposals.DiffStatements(from.Statement, to.Statement)})
}
