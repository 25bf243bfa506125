package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

func jointPath(id int64) string { return "/joint-statements/" + strconv.FormatInt(id, 10) }

// jointID reads {id}, with or without a .json or .md suffix.
func jointID(r *http.Request) (int64, error) {
	raw := chi.URLParam(r, "id")
	raw = strings.TrimSuffix(strings.TrimSuffix(raw, ".json"), ".md")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, proposals.ErrNotFound
	}
	return id, nil
}

type jointListPage struct {
	shell
	List alliances.JointList
	Now  time.Time
}

func (s *Server) jointList(w http.ResponseWriter, r *http.Request) {
	list, err := s.allies.Joints(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "joints", jointListPage{shell: s.shell(w, r, "Joint statements"), List: list, Now: s.svc.Now()})
}

// jointForm is the editor of a joint statement's text: it works without
// JavaScript, as a list of item fields with a few empty ones to add more.
type jointForm struct {
	shell
	Error   formError
	ID      int64 // 0 for a new one
	Text    alliances.JointText
	Rows    []proposals.Item // the items, then empty rows
	Invited map[string]bool
	Allies  []alliances.Ally
	Changed bool // the draft differs from the newest version
}

// emptyItemRows is how many blank items the editor offers to add.
const emptyItemRows = 3

func (s *Server) renderJointForm(w http.ResponseWriter, r *http.Request, status int, f jointForm) {
	if f.Allies == nil {
		allies, err := s.allies.Allies(r.Context(), *viewer(r))
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		f.Allies = allies
	}
	f.Rows = append(append([]proposals.Item(nil), f.Text.Items...), make([]proposals.Item, emptyItemRows)...)
	for i := len(f.Text.Items); i < len(f.Rows); i++ {
		f.Rows[i].Section = proposals.Objectives
	}
	title := "New joint statement"
	if f.ID != 0 {
		title = "Edit the joint statement"
	}
	f.shell = s.shell(w, r, title)
	s.render(w, r, status, "joint_edit", f)
}

// newJoint shows an empty editor, or one filled from the groups of common
// ground a facilitator picked (?group=key key ...).
func (s *Server) newJoint(w http.ResponseWriter, r *http.Request) {
	if !viewer(r).IsFacilitator() {
		s.renderError(w, r, proposals.Forbidden("only facilitators start joint statements"))
		return
	}
	var groups [][]string
	for _, g := range r.URL.Query()["group"] {
		if keys := strings.Fields(g); len(keys) > 0 {
			groups = append(groups, keys)
		}
	}
	f := jointForm{Invited: map[string]bool{}}
	if len(groups) > 0 {
		text, invited, err := s.allies.DraftFromGroups(r.Context(), *viewer(r), groups)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		f.Text = text
		for _, a := range invited {
			f.Invited[a] = true
		}
	}
	s.renderJointForm(w, r, http.StatusOK, f)
}

// jointTextFrom reads the editor: title, preamble, and the items in order
// (item_id, item_section and item_text repeated); an item left empty is
// dropped, which is how an item is removed.
func jointTextFrom(f url.Values) (alliances.JointText, []string) {
	t := alliances.JointText{Title: f.Get("title"), Preamble: f.Get("preamble")}
	ids, sections, texts := f["item_id"], f["item_section"], f["item_text"]
	for i, text := range texts {
		if strings.TrimSpace(text) == "" {
			continue
		}
		it := proposals.Item{Text: text, Section: proposals.Objectives}
		if i < len(ids) {
			it.ID = ids[i]
		}
		if i < len(sections) {
			it.Section = proposals.Section(sections[i])
		}
		t.Items = append(t.Items, it)
	}
	return t, f["invited"]
}

func invitedSet(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func (s *Server) createJoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	text, invited := jointTextFrom(r.PostForm)
	id, err := s.allies.StartJoint(r.Context(), *viewer(r), text, invited)
	if err != nil {
		s.jointFormError(w, r, err, jointForm{Text: text, Invited: invitedSet(invited)})
		return
	}
	s.redirectWithFlash(w, r, jointPath(id), "Draft saved. When the text is ready, put it to our members' vote: once they sign it, it goes to the allies you invited.")
}

// jointFormError shows the editor again, with what was typed and the error.
func (s *Server) jointFormError(w http.ResponseWriter, r *http.Request, err error, f jointForm) {
	s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
		f.Error = fe
		s.renderJointForm(w, r, status, f)
	})
}

// viewJoint is the joint statement named by {id} as who sees it (nil: the
// public); it answers the error itself when there is none to show.
func (s *Server) viewJoint(w http.ResponseWriter, r *http.Request, who *proposals.Member) (alliances.JointView, bool) {
	id, err := jointID(r)
	if err == nil {
		var v alliances.JointView
		if v, err = s.allies.ViewJoint(r.Context(), who, id); err == nil {
			return v, true
		}
	}
	s.renderError(w, r, err)
	return alliances.JointView{}, false
}

func (s *Server) editJointForm(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewJoint(w, r, viewer(r))
	if !ok {
		return
	}
	id := v.Joint.ID
	if !v.MayEdit {
		s.renderError(w, r, proposals.Forbidden("only facilitators of the movement that started it change its text, and not while our members vote on it"))
		return
	}
	s.renderJointForm(w, r, http.StatusOK, jointForm{ID: id, Text: v.Joint.Draft, Invited: invitedSet(v.Joint.Invited), Allies: v.Allies})
}

func (s *Server) editJoint(w http.ResponseWriter, r *http.Request) {
	id, err := jointID(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	text, invited := jointTextFrom(r.PostForm)
	if err := s.allies.EditJoint(r.Context(), *viewer(r), id, text, invited); err != nil {
		s.jointFormError(w, r, err, jointForm{ID: id, Text: text, Invited: invitedSet(invited)})
		return
	}
	s.redirectWithFlash(w, r, jointPath(id), "Draft saved.")
}

// jointVote opens our members' vote on signing (or withdrawing) and goes to it.
func (s *Server) jointVote(open func(r *http.Request, actor proposals.Member, id int64) (int64, error), msg string) http.HandlerFunc {
	return s.onID(func(r *http.Request, actor proposals.Member, id int64) (string, string, error) {
		pid, err := open(r, actor, id)
		if err == nil {
			s.kickNotifications() // voting opened
		}
		return proposalPath(pid), msg, err
	})
}

func (s *Server) proposeSigning(r *http.Request, actor proposals.Member, id int64) (int64, error) {
	return s.allies.ProposeSigning(r.Context(), actor, id)
}

func (s *Server) proposeWithdrawal(r *http.Request, actor proposals.Member, id int64) (int64, error) {
	return s.allies.ProposeWithdrawal(r.Context(), actor, id)
}

type jointPage struct {
	shell
	View      alliances.JointView
	Shown     alliances.JointVersion // the version the page shows
	HasShown  bool
	Sections  []sectionView
	Diff      *proposals.StatementDiff // from the version before, when asked
	Draft     []sectionView
	Now       time.Time
	CanonURL  string
	Positions []consensus.Position
}

// jointDocument answers /joint-statements/{id}, .json or .md.
func (s *Server) jointDocument(w http.ResponseWriter, r *http.Request) {
	switch raw := chi.URLParam(r, "id"); {
	case strings.HasSuffix(raw, ".json"):
		s.jointJSON(w, r)
	case strings.HasSuffix(raw, ".md"):
		s.jointMarkdown(w, r)
	default:
		s.jointPage(w, r)
	}
}

// jointPage is the public page of a joint statement: its text, where every
// movement stands and why (each vote's outcome), its versions; members see
// our votes on it and the actions facilitators may take.
func (s *Server) jointPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewJoint(w, r, viewer(r))
	if !ok {
		return
	}
	id := v.Joint.ID
	shown, ok, err := shownVersion(r, v)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := jointPage{shell: s.shell(w, r, v.Joint.Title()), View: v, Shown: shown, HasShown: ok, Now: s.svc.Now(),
		CanonURL: s.opts.BaseURL.String() + jointPath(id)}
	if ok {
		page.Sections = filledSections(shown.Text.Statement())
		if r.URL.Query().Get("diff") != "" {
			if before, had := v.Joint.Version(shown.Number - 1); had {
				d := proposals.DiffStatements(before.Text.Statement(), shown.Text.Statement())
				page.Diff = &d
			}
		}
	}
	if v.Joint.Ours() && viewer(r) != nil {
		page.Draft = filledSections(v.Joint.Draft.Statement())
	}
	s.render(w, r, http.StatusOK, "joint", page)
}

// filledSections are the sections of a joint statement that have items: a
// joint text need not have values or red lines.
func filledSections(st proposals.Statement) []sectionView {
	var out []sectionView
	for _, sec := range sectionsOf(st) {
		if len(sec.Items) > 0 {
			out = append(out, sec)
		}
	}
	return out
}

// shownVersion is ?version=N, or the current version (for members of the
// initiator before one is adopted: the newest, if any).
func shownVersion(r *http.Request, v alliances.JointView) (alliances.JointVersion, bool, error) {
	n, err := versionParam(r, "version")
	if err != nil {
		return alliances.JointVersion{}, false, err
	}
	if n != 0 {
		jv, ok := v.Joint.Version(n)
		if !ok || (v.Current == nil || n > v.Current.Number) && !v.Member {
			return jv, false, proposals.ErrNotFound // the public sees adopted versions only
		}
		return jv, true, nil
	}
	if v.Current != nil {
		return *v.Current, true, nil
	}
	jv, ok := v.Joint.Latest()
	return jv, ok, nil
}

// jointJSON is a joint statement for scripts: the current text and where
// each movement stands, with the outcome of its vote.
type jointJSON struct {
	ID        string           `json:"id"` // its page
	Title     string           `json:"title"`
	Version   int              `json:"version"`
	Hash      string           `json:"hash"`
	Preamble  string           `json:"preamble"`
	Items     []proposals.Item `json:"items"`
	Initiator string           `json:"initiator"`
	Standings []standingJSON   `json:"movements"`
	Versions  []versionJSON    `json:"versions"`
}

type standingJSON struct {
	Name      string             `json:"name"`
	Handle    string             `json:"handle,omitempty"`
	URL       string             `json:"url,omitempty"`
	Initiator bool               `json:"initiator"`
	Verdict   string             `json:"verdict"` // signed, declined, withdrawn, or undecided
	Version   int                `json:"version,omitempty"`
	DecidedAt *time.Time         `json:"decided_at,omitempty"`
	Outcome   *consensus.Outcome `json:"outcome,omitempty"`
}

type versionJSON struct {
	Number    int       `json:"number"`
	Hash      string    `json:"hash"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) jointJSON(w http.ResponseWriter, r *http.Request) {
	v, cur, ok := s.publicJoint(w, r)
	if !ok {
		return
	}
	out := jointJSON{ID: s.opts.BaseURL.String() + jointPath(v.Joint.ID), Title: cur.Text.Title, Version: cur.Number, Hash: cur.Hash,
		Preamble: cur.Text.Preamble, Items: cur.Text.Items, Initiator: v.Joint.Participant(v.Joint.Initiator).Label()}
	for _, st := range v.Standings {
		sj := standingJSON{Name: st.Participant.Label(), Handle: st.Participant.Handle, URL: st.Participant.URL, Initiator: st.Initiator, Verdict: "undecided"}
		verdict := st.Verdict
		if verdict == nil {
			verdict = st.Earlier
		}
		if verdict != nil {
			sj.Verdict, sj.Version, sj.DecidedAt, sj.Outcome = string(verdict.Kind), verdict.Version, &verdict.DecidedAt, &verdict.Outcome
		}
		out.Standings = append(out.Standings, sj)
	}
	for _, jv := range v.Joint.Versions {
		if jv.Number <= cur.Number {
			out.Versions = append(out.Versions, versionJSON{Number: jv.Number, Hash: jv.Hash, Title: jv.Text.Title, CreatedAt: jv.CreatedAt.UTC()})
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

// publicJoint is the joint statement and its current version, as anyone may
// read them; it answers the error itself when there is none.
func (s *Server) publicJoint(w http.ResponseWriter, r *http.Request) (alliances.JointView, alliances.JointVersion, bool) {
	v, ok := s.viewJoint(w, r, nil)
	if ok && v.Current == nil {
		s.renderError(w, r, proposals.ErrNotFound)
		ok = false
	}
	if !ok {
		return v, alliances.JointVersion{}, false
	}
	return v, *v.Current, true
}

func (s *Server) jointMarkdown(w http.ResponseWriter, r *http.Request) {
	v, cur, ok := s.publicJoint(w, r)
	if !ok {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\nJoint statement started by %s, version %d (%s).\n", cur.Text.Title,
		v.Joint.Participant(v.Joint.Initiator).Label(), cur.Number, cur.Hash)
	if cur.Text.Preamble != "" {
		fmt.Fprintf(&b, "\n%s\n", cur.Text.Preamble)
	}
	for _, sec := range sectionsOf(cur.Text.Statement()) {
		if len(sec.Items) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", sec.Label)
		for i, it := range sec.Items {
			fmt.Fprintf(&b, "%d. %s\n", i+1, strings.ReplaceAll(it.Text, "\n", " "))
		}
	}
	b.WriteString("\n## Movements\n\n")
	for _, st := range v.Standings {
		fmt.Fprintf(&b, "- %s: %s\n", st.Participant.Label(), standingText(st))
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Write([]byte(b.String()))
}

// standingText says in words where a movement stands.
func standingText(st alliances.Standing) string {
	switch {
	case st.Verdict != nil && st.Verdict.Kind == alliances.Signed:
		return "signed (" + st.Verdict.Vote() + ")"
	case st.Verdict != nil:
		return st.Verdict.Kind.Label() + " (" + st.Verdict.Vote() + ")"
	case st.Earlier != nil && st.Earlier.Kind == alliances.Signed:
		return fmt.Sprintf("signed version %d only; has not decided on this version yet", st.Earlier.Version)
	case st.Earlier != nil:
		return fmt.Sprintf("%s version %d; has not decided on this version yet", st.Earlier.Kind.Label(), st.Earlier.Version)
	}
	return "has not decided yet"
}
