package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/commonground/commonground/proposals"
)

type membersPage struct {
	shell
	Members []proposals.Member
	Roles   []proposals.Role
	// Record is each member's latest suspension or reactivation (admins only).
	Record map[int64]proposals.MemberAction
	// Error is about the member ErrorFor, shown in that member's row, with
	// what was typed (Reason) kept.
	Error    formError
	ErrorFor int64
	Reason   string
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) {
	s.renderMembers(w, r, http.StatusOK, membersPage{})
}

func (s *Server) renderMembers(w http.ResponseWriter, r *http.Request, status int, page membersPage) {
	me := *viewer(r)
	ms, err := s.svc.Members(r.Context(), me)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	record, err := s.svc.MemberRecord(r.Context(), me)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page.shell, page.Members, page.Roles, page.Record = s.shell(w, r, "Members"), ms, proposals.Roles, record
	s.render(w, r, status, "members", page)
}

// memberAction runs an admin's change to one member and returns to the list;
// a refusal (the last admin, a missing reason) is shown in that member's row.
func (s *Server) memberAction(do func(r *http.Request, actor proposals.Member, id int64) (string, error)) http.HandlerFunc {
	return s.formOnID(func(r *http.Request, actor proposals.Member, id int64) (string, string, error) {
		msg, err := do(r, actor, id)
		return "/members", msg, err
	}, func(w http.ResponseWriter, r *http.Request, status int, fe formError, id int64) {
		s.renderMembers(w, r, status, membersPage{Error: fe, ErrorFor: id, Reason: r.PostForm.Get("reason")})
	})
}

func (s *Server) setRole(r *http.Request, actor proposals.Member, id int64) (string, error) {
	role, err := proposals.ParseRole(r.PostForm.Get("role"))
	if err != nil {
		return "", err
	}
	return "Role changed to " + string(role) + ".", s.svc.SetRole(r.Context(), actor, id, role)
}

func (s *Server) suspend(r *http.Request, actor proposals.Member, id int64) (string, error) {
	if r.PostForm.Get("confirm") != "yes" && actor.IsAdmin() { // others are refused by the service
		return "", proposals.Invalid("confirm", "tick the box to confirm: a suspended member can no longer sign in, vote or comment")
	}
	return "Member suspended; their sessions have ended. The reason is on the record.", s.svc.Suspend(r.Context(), actor, id, r.PostForm.Get("reason"))
}

func (s *Server) reactivate(r *http.Request, actor proposals.Member, id int64) (string, error) {
	return "Member reactivated.", s.svc.Reactivate(r.Context(), actor, id)
}

type invitationsPage struct {
	shell
	Error       formError
	Invitations []proposals.Invitation
	Now         time.Time
	NewLink     string
	Roles       []proposals.Role
	// Form is what was typed in the invitation form that failed, shown again.
	Form url.Values
}

// Value is what was typed in field, or fallback on a fresh form.
func (p invitationsPage) Value(field, fallback string) string {
	return typedOr(p.Form, field, fallback)
}

func (s *Server) invitations(w http.ResponseWriter, r *http.Request) {
	s.renderInvitations(w, r, http.StatusOK, formError{}, "", nil)
}

func (s *Server) renderInvitations(w http.ResponseWriter, r *http.Request, status int, fe formError, newLink string, typed url.Values) {
	invs, err := s.svc.Invitations(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, status, "invitations", invitationsPage{shell: s.shell(w, r, "Invitations"), Error: fe,
		Invitations: invs, Now: s.svc.Now(), NewLink: newLink, Roles: proposals.Roles, Form: typed})
}

func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	maxUses, err1 := strconv.Atoi(f.Get("max_uses"))
	days, err2 := strconv.Atoi(f.Get("valid_days"))
	var err error
	var token string
	switch {
	case err1 != nil:
		err = proposals.Invalid("max_uses", "give the number of uses as a whole number")
	case err2 != nil:
		err = proposals.Invalid("valid_days", "give the days it stays valid as a whole number")
	default:
		token, _, err = s.svc.CreateInvitation(r.Context(), *viewer(r), proposals.InvitationRequest{
			Role: proposals.Role(f.Get("role")), MaxUses: maxUses, ValidDays: days, Note: f.Get("note")})
	}
	if err != nil {
		s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
			s.renderInvitations(w, r, status, fe, "", r.PostForm)
		})
		return
	}
	// The link is shown once, on this page: the database keeps only its hash.
	s.renderInvitations(w, r, http.StatusCreated, formError{}, s.opts.BaseURL.String()+"/join/"+token, nil)
}

func (s *Server) revokeInvitation(r *http.Request, actor proposals.Member, id int64) (string, string, error) {
	return "/members/invitations", "Invitation revoked.", s.svc.RevokeInvitation(r.Context(), actor, id)
}

type settingsPage struct {
	shell
	Error         formError
	Name, Summary string
	Handle        string
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.Movement(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings", settingsPage{shell: s.shell(w, r, "Settings"), Name: m.Name, Summary: m.Summary, Handle: m.Handle})
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	name, summary := r.PostForm.Get("name"), r.PostForm.Get("summary")
	if err := s.svc.UpdateProfile(r.Context(), *viewer(r), name, summary); err != nil {
		s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
			m, _ := s.svc.Movement(r.Context())
			s.render(w, r, status, "settings", settingsPage{shell: s.shell(w, r, "Settings"), Error: fe, Name: name, Summary: summary, Handle: m.Handle})
		})
		return
	}
	s.announce()
	s.redirectWithFlash(w, r, "/settings", "Settings saved.")
}
