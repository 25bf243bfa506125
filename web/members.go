package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/commonground/commonground/proposals"
)

type membersPage struct {
	shell
	Members []proposals.Member
	Roles   []proposals.Role
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) {
	ms, err := s.svc.Members(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "members", membersPage{shell: s.shell(w, r, "Members"), Members: ms, Roles: proposals.Roles})
}

// memberAction runs an admin's change to one member and returns to the list.
func (s *Server) memberAction(do func(r *http.Request, actor proposals.Member, id int64) (string, error)) http.HandlerFunc {
	return s.onID(func(r *http.Request, actor proposals.Member, id int64) (string, string, error) {
		msg, err := do(r, actor, id)
		return "/members", msg, err
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
	return "Member suspended; their sessions have ended.", s.svc.Suspend(r.Context(), actor, id)
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
}

func (s *Server) invitations(w http.ResponseWriter, r *http.Request) {
	s.renderInvitations(w, r, http.StatusOK, formError{}, "")
}

func (s *Server) renderInvitations(w http.ResponseWriter, r *http.Request, status int, fe formError, newLink string) {
	invs, err := s.svc.Invitations(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, status, "invitations", invitationsPage{shell: s.shell(w, r, "Invitations"), Error: fe,
		Invitations: invs, Now: s.svc.Now(), NewLink: newLink, Roles: proposals.Roles})
}

func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	f := r.PostForm
	maxUses, err1 := strconv.Atoi(f.Get("max_uses"))
	days, err2 := strconv.Atoi(f.Get("valid_days"))
	var err error
	var token string
	switch {
	case err1 != nil:
		err = proposals.Invalid("max_uses", "give a whole number")
	case err2 != nil:
		err = proposals.Invalid("valid_days", "give a whole number of days")
	default:
		token, _, err = s.svc.CreateInvitation(r.Context(), *viewer(r), proposals.InvitationRequest{
			Role: proposals.Role(f.Get("role")), MaxUses: maxUses, ValidDays: days, Note: f.Get("note")})
	}
	if err != nil {
		fe, ok := formErrorFor(err)
		if !ok {
			s.renderError(w, r, err)
			return
		}
		s.renderInvitations(w, r, problemFor(err).Status, fe, "")
		return
	}
	// The link is shown once, on this page: the database keeps only its hash.
	s.renderInvitations(w, r, http.StatusCreated, formError{}, s.opts.BaseURL.String()+"/join/"+token)
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
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	name, summary := r.PostForm.Get("name"), r.PostForm.Get("summary")
	if err := s.svc.UpdateProfile(r.Context(), *viewer(r), name, summary); err != nil {
		fe, ok := formErrorFor(err)
		if !ok {
			s.renderError(w, r, err)
			return
		}
		m, _ := s.svc.Movement(r.Context())
		s.render(w, r, problemFor(err).Status, "settings", settingsPage{shell: s.shell(w, r, "Settings"), Error: fe, Name: name, Summary: summary, Handle: m.Handle})
		return
	}
	s.announce()
	s.redirectWithFlash(w, r, "/settings", "Settings saved.")
}
