package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

type proposalsPage struct {
	shell
	Open, Drafts, Decided []proposals.ProposalSummary
}

func (s *Server) proposalList(w http.ResponseWriter, r *http.Request) {
	all, err := s.svc.ListProposals(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := proposalsPage{shell: s.shell(w, r, "Proposals")}
	for _, p := range all {
		switch p.Status {
		case proposals.StatusOpen:
			page.Open = append(page.Open, p)
		case proposals.StatusDraft:
			page.Drafts = append(page.Drafts, p)
		default:
			page.Decided = append(page.Decided, p)
		}
	}
	s.render(w, r, http.StatusOK, "proposals", page)
}

type newProposalPage struct {
	shell
	Error            formError
	Title, Rationale string
}

func (s *Server) newProposal(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "proposal_new", newProposalPage{shell: s.shell(w, r, "New proposal")})
}

func (s *Server) createProposal(w http.ResponseWriter, r *http.Request) {
	title, rationale := r.PostForm.Get("title"), r.PostForm.Get("rationale")
	p, err := s.svc.CreateProposal(r.Context(), *viewer(r), title, rationale)
	if err != nil {
		s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
			s.render(w, r, status, "proposal_new", newProposalPage{shell: s.shell(w, r, "New proposal"), Error: fe, Title: title, Rationale: rationale})
		})
		return
	}
	s.redirectWithFlash(w, r, proposalPath(p.ID), "Draft created. Now add the changes it proposes.")
}

func proposalPath(id int64) string { return fmt.Sprintf("/proposals/%d", id) }

func proposalID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return 0, proposals.ErrNotFound
	}
	return id, nil
}

type proposalPage struct {
	shell
	View        proposals.ProposalView
	Diff        proposals.StatementDiff
	Sections    []sectionView // the base statement, for the draft editor
	Proposed    []sectionView
	Preview     *consensus.Outcome
	Positions   []consensus.Position
	Threads     []commentThread
	Now         time.Time
	Error       formError
	Retry       formRetry // what was typed in the form that failed
	IsAuthor    bool
	IsEditor    bool // the author or a co-author
	Facilitator bool
	// Unchanged counts the items the proposal leaves as they are, which
	// the page does not repeat above the vote.
	Unchanged   int
	SectionList []proposals.Section
	// Joint is the joint statement a proposal of a joint kind decides on,
	// and JointText the sections of the version voted on.
	Joint        *alliances.JointView
	JointVersion alliances.JointVersion
	JointText    []sectionView
	// Discussion and VoteRows are those parts of the page rendered once for
	// every viewer who sees them alike (see proposalFragments); empty (a form
	// failed, or no votes are shown), the page renders them itself.
	Discussion template.HTML
	VoteRows   template.HTML
	// Shared is set while the discussion is rendered for every viewer: it
	// leaves a hole where each comment's edit form would be (editHole).
	Shared bool
}

type commentThread struct {
	Comment proposals.Comment
	Replies []proposals.Comment
}

func threadsOf(cs []proposals.Comment) []commentThread {
	var threads []commentThread
	index := map[int64]int{}
	for _, c := range cs {
		if c.ParentID == 0 {
			index[c.ID] = len(threads)
			threads = append(threads, commentThread{Comment: c})
			continue
		}
		if i, ok := index[c.ParentID]; ok {
			threads[i].Replies = append(threads[i].Replies, c)
		}
	}
	return threads
}

// formRetry is what a person typed in a form of the proposal page that
// failed, so that the page shows it again instead of losing it.
type formRetry struct {
	action string     // the last part of the form's path: "vote", "comments", "changes", "edit"
	values url.Values // the form as posted
}

// Action is the form that failed ("vote", "comments", …), "" when none did.
func (f formRetry) Action() string { return f.action }

// FailedHere reports whether the form that failed is one of actions, so that
// its error shows next to it rather than at the top of a long page.
func (p proposalPage) FailedHere(actions ...string) bool {
	return p.Error.Message != "" && slices.Contains(actions, p.Retry.action)
}

// Text is what was typed in field of the form posted to action whose other
// fields match (name, value pairs: the hidden fields that tell the page's
// forms apart), or fallback when that is not the form that failed.
func (f formRetry) Text(action, field, fallback string, match ...string) string {
	if f.action != action {
		return fallback
	}
	return typedOr(f.values, field, fallback, match...)
}

func (s *Server) proposalPage(w http.ResponseWriter, r *http.Request) {
	s.renderProposal(w, r, http.StatusOK, formError{}, formRetry{})
}

// renderProposal shows the proposal page, with fe above the forms and what
// was typed in the form that failed back in its fields.
func (s *Server) renderProposal(w http.ResponseWriter, r *http.Request, status int, fe formError, retry formRetry) {
	id, err := proposalID(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	me := viewer(r)
	v, err := s.svc.ViewProposal(r.Context(), me, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := proposalPage{shell: s.shell(w, r, v.Proposal.Title), View: v, Positions: consensus.Positions(),
		Now: s.svc.Now(), Error: fe, Retry: retry, IsAuthor: me.ID == v.Proposal.AuthorID, IsEditor: v.Proposal.WrittenBy(*me),
		Facilitator: me.IsFacilitator(), SectionList: proposals.Sections, Sections: sectionsOf(v.Base.Statement)}
	if v.ProposedErr == nil {
		page.Diff = proposals.DiffStatements(v.Before, v.Proposed)
		page.Unchanged = unchangedItems(page.Diff)
		page.Proposed = sectionsOf(v.Proposed)
	}
	if v.Proposal.Kind.AboutJoint() && s.allies != nil {
		jv, err := s.allies.ViewJoint(r.Context(), me, v.Proposal.JointID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		page.Joint = &jv
		if version, ok := jv.Joint.Version(v.Proposal.JointVersion); ok {
			page.JointVersion, page.JointText = version, filledSections(version.Text.Statement())
		}
	}
	if v.Proposal.Rule != nil && v.ShowResults && v.Proposal.Status == proposals.StatusOpen {
		o := consensus.Decide(*v.Proposal.Rule, v.Tally)
		page.Preview = &o
	}
	if err := s.proposalFragments(&page); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, status, "proposal", page)
}

// proposalFragments renders the discussion and the votes of a proposal page
// once for every viewer who sees them alike, rather than for each: with
// hundreds of comments they were most of the time a page took. The
// discussion is the same for viewers in the same time zone and role but for
// the comments each may still edit (their own, for a while), whose edit forms
// are put in its holes; the votes are the same for everyone shown them. A
// page showing a form's error renders them itself, with what was typed.
func (s *Server) proposalFragments(page *proposalPage) error {
	v := page.View
	if page.Error.Message != "" || page.Retry.action != "" {
		page.Threads = threadsOf(v.Comments)
		return nil
	}
	t := s.pages["proposal"]
	part := func(name string, data any) (template.HTML, error) {
		var b strings.Builder
		err := t.ExecuteTemplate(&b, name, data)
		return template.HTML(b.String()), err // the template escaped it
	}
	variant := zoneOr(page.Zone).String()
	if page.Facilitator {
		variant += " facilitator"
	}
	shared, err := s.fragments.render(fragmentKey{part: "discussion", page: v.Proposal.ID, edition: v.Edition, variant: variant}, func() (template.HTML, error) {
		all := *page
		all.Viewer, all.Shared, all.Threads = nil, true, threadsOf(v.Comments)
		return part("discussion", all)
	})
	if err != nil {
		return fmt.Errorf("render the discussion: %w", err)
	}
	if page.Discussion, err = fillEditHoles(shared, page, func(c proposals.Comment) (template.HTML, error) { return part("commentedit", c) }); err != nil {
		return fmt.Errorf("render an edit form: %w", err)
	}
	if v.ShowResults && len(v.Votes) > 0 {
		page.VoteRows, err = s.fragments.render(fragmentKey{part: "votes", page: v.Proposal.ID, edition: v.Edition}, func() (template.HTML, error) { return part("voterows", v.Votes) })
		if err != nil {
			return fmt.Errorf("render the votes: %w", err)
		}
	}
	return nil
}

// editHole marks where a comment's edit form goes in a discussion rendered
// for every viewer. It cannot be forged: what people write is escaped, so
// "<" never appears in it as it is.
func editHole(id int64) template.HTML {
	return template.HTML("<!--edit " + strconv.FormatInt(id, 10) + "-->")
}

// fillEditHoles puts the edit forms of the comments page's viewer may still
// edit into the discussion rendered for everyone.
func fillEditHoles(shared template.HTML, page *proposalPage, form func(proposals.Comment) (template.HTML, error)) (template.HTML, error) {
	html := string(shared)
	for _, c := range page.View.Comments {
		if !c.Editable(page.Viewer, page.Now) {
			continue
		}
		f, err := form(c)
		if err != nil {
			return "", err
		}
		html = strings.Replace(html, string(editHole(c.ID)), string(f), 1)
	}
	return template.HTML(html), nil
}

// proposalForm runs one action from a form on the proposal page. A mistake in
// the input is shown next to that form, what was typed kept; other errors get
// the error page.
func (s *Server) proposalForm(do func(r *http.Request, actor proposals.Member, id int64) (string, error)) http.HandlerFunc {
	return s.formOnID(func(r *http.Request, actor proposals.Member, id int64) (string, string, error) {
		msg, err := do(r, actor, id)
		return proposalPath(id), msg, err
	}, func(w http.ResponseWriter, r *http.Request, status int, fe formError, _ int64) {
		s.renderProposal(w, r, status, fe, formRetry{action: path.Base(r.URL.Path), values: r.PostForm})
	})
}

func (s *Server) editDraft(r *http.Request, actor proposals.Member, id int64) (string, error) {
	return "Draft saved.", s.svc.UpdateDraft(r.Context(), actor, id, r.PostForm.Get("title"), r.PostForm.Get("rationale"))
}

func (s *Server) addChange(r *http.Request, actor proposals.Member, id int64) (string, error) {
	f := r.PostForm
	c := proposals.Change{Kind: proposals.ChangeKind(f.Get("kind")), ItemID: f.Get("item_id"),
		Section: proposals.Section(f.Get("section")), Text: f.Get("text")}
	if raw := f.Get("position"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return "", proposals.Invalid("position", "give a position: 1 for first")
		}
		c.Position = n - 1 // people count from 1
	} else {
		c.Position = proposals.MaxItems // at the end
	}
	return "Change added to the draft.", s.svc.AddChange(r.Context(), actor, id, c)
}

func (s *Server) removeChange(r *http.Request, actor proposals.Member, id int64) (string, error) {
	index, err := strconv.Atoi(chi.URLParam(r, "index"))
	if err != nil {
		return "", proposals.ErrNotFound
	}
	return "Change removed from the draft.", s.svc.RemoveChange(r.Context(), actor, id, index)
}

func (s *Server) openVoting(r *http.Request, actor proposals.Member, id int64) (string, error) {
	if err := s.svc.OpenVoting(r.Context(), actor, id); err != nil {
		return "", err
	}
	s.kickNotifications()
	return "Voting is open.", nil
}

func (s *Server) closeEarly(r *http.Request, actor proposals.Member, id int64) (string, error) {
	if r.PostForm.Get("confirm") != "yes" && actor.IsFacilitator() { // others are refused by the service
		return "", proposals.Invalid("confirm", "tick the box to confirm: closing early decides with the votes cast so far")
	}
	p, err := s.svc.CloseEarly(r.Context(), actor, id)
	if err != nil {
		return "", err
	}
	s.announce()
	s.kickNotifications()
	if p.Kind.AboutJoint() {
		return "Voting closed. " + p.Outcome.Summary() + " The allies are told of our decision.", nil
	}
	if p.Status == proposals.StatusConflicted {
		return "Voting closed. The proposal was agreed, but it conflicts with a change adopted since, so the statement was not changed.", nil
	}
	return "Voting closed. " + p.Outcome.Summary(), nil
}

func (s *Server) addCoauthor(r *http.Request, actor proposals.Member, id int64) (string, error) {
	username := r.PostForm.Get("username")
	return "Co-author added: they can edit this draft with you.", s.svc.AddCoauthor(r.Context(), actor, id, username)
}

func (s *Server) removeCoauthor(r *http.Request, actor proposals.Member, id int64) (string, error) {
	member, err := strconv.ParseInt(chi.URLParam(r, "member"), 10, 64)
	if err != nil {
		return "", proposals.ErrNotFound
	}
	if member == actor.ID {
		return "You left this draft's co-authors.", s.svc.RemoveCoauthor(r.Context(), actor, id, member)
	}
	return "Co-author removed.", s.svc.RemoveCoauthor(r.Context(), actor, id, member)
}

func (s *Server) shareDraft(r *http.Request, actor proposals.Member, id int64) (string, error) {
	return "Shared: every member can now read this draft and comment on it.", s.svc.ShareDraft(r.Context(), actor, id)
}

// unchangedItems counts the items a diff shows as they were.
func unchangedItems(d proposals.StatementDiff) int {
	n := 0
	for _, sec := range d.Sections {
		for _, it := range sec.Items {
			if it.Status == proposals.ItemUnchanged {
				n++
			}
		}
	}
	return n
}

func (s *Server) withdraw(r *http.Request, actor proposals.Member, id int64) (string, error) {
	return "Proposal withdrawn.", s.svc.Withdraw(r.Context(), actor, id)
}

func (s *Server) openFallback(r *http.Request, actor proposals.Member, id int64) (string, error) {
	if err := s.svc.OpenFallbackRound(r.Context(), actor, id); err != nil {
		return "", err
	}
	s.kickNotifications()
	return "The fallback round is open: everyone votes again under the fallback rule.", nil
}

func (s *Server) vote(r *http.Request, actor proposals.Member, id int64) (string, error) {
	pos, err := consensus.ParsePosition(r.PostForm.Get("position"))
	if err != nil {
		return "", proposals.Invalid("position", "choose agree, stand aside, disagree or block")
	}
	if err := s.svc.CastVote(r.Context(), actor, id, pos, r.PostForm.Get("reason")); err != nil {
		return "", err
	}
	return "Your vote is recorded: " + pos.Label() + ". You can change it until voting closes.", nil
}

func (s *Server) comment(r *http.Request, actor proposals.Member, id int64) (string, error) {
	var parent int64
	if raw := r.PostForm.Get("parent_id"); raw != "" {
		var err error
		if parent, err = strconv.ParseInt(raw, 10, 64); err != nil || parent < 1 {
			return "", proposals.Invalid("parent", "the comment you reply to is not on this proposal")
		}
	}
	if _, err := s.svc.AddComment(r.Context(), actor, id, parent, r.PostForm.Get("body")); err != nil {
		return "", err
	}
	if parent != 0 {
		s.kickNotifications() // a reply is told to the comment's author
	}
	return "Comment posted.", nil
}

// commentAction edits or hides a comment and returns to it on its proposal.
func (s *Server) commentAction(do func(r *http.Request, actor proposals.Member, id int64) (int64, string, error)) http.HandlerFunc {
	return s.onID(func(r *http.Request, actor proposals.Member, id int64) (string, string, error) {
		proposalID, msg, err := do(r, actor, id)
		return proposalPath(proposalID) + "#comment-" + strconv.FormatInt(id, 10), msg, err
	})
}

func (s *Server) editComment(r *http.Request, actor proposals.Member, id int64) (int64, string, error) {
	pid, err := s.svc.EditComment(r.Context(), actor, id, r.PostForm.Get("body"))
	return pid, "Comment edited.", err
}

func (s *Server) hideComment(r *http.Request, actor proposals.Member, id int64) (int64, string, error) {
	pid, err := s.svc.HideComment(r.Context(), actor, id, r.PostForm.Get("reason"))
	return pid, "Comment hidden; a trace stays in the discussion.", err
}

// tallyEvents streams the tally and the table of votes as server-sent events
// while the page is open, sending only when what this viewer sees changed.
// Every stream of a proposal is fed by one reader in this process (see
// liveTallies), woken by notices, so open pages cost no queries while nothing
// changes. Each stream lasts a few minutes; the browser's EventSource
// reconnects by itself.
func (s *Server) tallyEvents(w http.ResponseWriter, r *http.Request) {
	id, err := proposalID(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	watcher, err := s.svc.WatchLive(r.Context(), *viewer(r), id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	feed, stream, leave := s.live.watch(id, watcher.Member.ID)
	defer leave()
	rc := http.NewResponseController(w)
	const streamFor = 5 * time.Minute
	rc.SetWriteDeadline(time.Now().Add(streamFor + 10*time.Second))
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc.Flush()
	var last []byte
	stop := time.After(streamFor)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-stop:
			return
		case <-stream.wake:
		}
		// A member suspended or signed out mid-stream stops receiving.
		if stream.recheck.Swap(false) && !s.sessionStillValid(r) {
			return
		}
		data, ok := feed.current(watcher)
		if !ok || bytes.Equal(data, last) {
			continue
		}
		if _, err := fmt.Fprintf(w, "event: tally\ndata: %s\n\n", data); err != nil || rc.Flush() != nil {
			return
		}
		last = data
	}
}

type decisionsPage struct {
	shell
	Error     formError
	Settings  []proposals.DecisionSetting
	Presets   []consensus.PresetInfo
	ShowEarly bool
	// Form is what was typed in the form that failed: the one for the part
	// Form.Get("kind"), which shows the error and keeps the typed values.
	Form url.Values
}

// Failed reports whether the form for kind is the one that failed.
func (p decisionsPage) Failed(kind proposals.RuleKind) bool {
	return p.Form != nil && p.Form.Get("kind") == string(kind)
}

// Value is what was typed in field of the form for kind, if it failed, else
// the saved value.
func (p decisionsPage) Value(kind proposals.RuleKind, field, saved string) string {
	return typedOr(p.Form, field, saved, "kind", string(kind))
}

func (s *Server) decisionSettings(w http.ResponseWriter, r *http.Request) {
	s.renderDecisions(w, r, http.StatusOK, formError{}, nil)
}

func (s *Server) renderDecisions(w http.ResponseWriter, r *http.Request, status int, fe formError, typed url.Values) {
	ds, before, err := s.svc.DecisionSettings(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, status, "decisions", decisionsPage{shell: s.shell(w, r, "Decision rules"), Error: fe,
		Settings: ds, Presets: consensus.Presets(), ShowEarly: before, Form: typed})
}

func (s *Server) saveDecisionSetting(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	err := func() error {
		quorum, err := consensus.ParseRatio(f.Get("quorum"))
		if err != nil {
			return proposals.Invalid("quorum", "write a share such as 50%% or 2/3")
		}
		days, err := strconv.ParseFloat(f.Get("voting_days"), 64)
		if err != nil {
			return proposals.Invalid("voting_days", "give the time to vote as a number of days")
		}
		return s.svc.SaveDecisionSetting(r.Context(), *viewer(r), proposals.DecisionSetting{
			Kind: proposals.RuleKind(f.Get("kind")), Preset: f.Get("preset"), Quorum: quorum,
			VotingPeriod: time.Duration(days * float64(24*time.Hour)).Round(time.Minute)})
	}()
	if err != nil {
		s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
			s.renderDecisions(w, r, status, fe, r.PostForm)
		})
		return
	}
	s.redirectWithFlash(w, r, "/settings/decisions", "Decision rule saved. Proposals already open keep the rule they opened with.")
}

func (s *Server) saveResultsVisibility(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	show := r.PostForm.Get("results_before_voting") == "yes"
	if err := s.svc.SetResultsBeforeVoting(r.Context(), *viewer(r), show); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.redirectWithFlash(w, r, "/settings/decisions", "Saved.")
}

type auditPage struct {
	shell
	Proposal proposals.Proposal
	Events   []proposals.VoteEvent
}

// audit shows every position every member took on a proposal, in order.
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	id, err := proposalID(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p, events, err := s.svc.VoteTrail(r.Context(), *viewer(r), id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", auditPage{shell: s.shell(w, r, "Audit trail: "+p.Title), Proposal: p, Events: events})
}

// sessionStillValid re-reads the request's session, for long-lived responses.
func (s *Server) sessionStillValid(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	_, err = s.svc.SessionMember(r.Context(), c.Value)
	return err == nil
}

// announce wakes federation to publish what a decision recorded, instead of
// waiting for its next poll.
func (s *Server) announce() {
	if s.fed != nil {
		s.fed.Kick()
	}
}
