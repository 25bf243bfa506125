package web

import (
	"net/http"

	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/proposals"
)

type federationPage struct {
	shell
	Error    formError
	Overview federation.Overview
	Handle   string
}

func (s *Server) federationPage(w http.ResponseWriter, r *http.Request) {
	s.renderFederation(w, r, http.StatusOK, formError{}, "")
}

func (s *Server) renderFederation(w http.ResponseWriter, r *http.Request, status int, fe formError, handle string) {
	o, err := s.fed.Overview(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, status, "federation", federationPage{shell: s.shell(w, r, "Federation"), Error: fe, Overview: o, Handle: handle})
}

// fedAction runs one federation form and returns to the page.
func (s *Server) fedAction(do func(r *http.Request, actor proposals.Member) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		msg, err := do(r, *viewer(r))
		if err != nil {
			s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
				s.renderFederation(w, r, status, fe, r.PostForm.Get("handle"))
			})
			return
		}
		s.redirectWithFlash(w, r, "/federation", msg)
	}
}

func (s *Server) follow(r *http.Request, actor proposals.Member) (string, error) {
	remote, err := s.fed.Follow(r.Context(), actor, r.PostForm.Get("handle"))
	if err != nil {
		return "", err
	}
	return "Follow request sent to @" + remote.Handle + ". It shows as pending until they accept.", nil
}

func (s *Server) unfollow(r *http.Request, actor proposals.Member) (string, error) {
	return "Unfollowed.", s.fed.Unfollow(r.Context(), actor, r.PostForm.Get("actor"))
}

func (s *Server) approveFollower(r *http.Request, actor proposals.Member) (string, error) {
	return "Follower approved.", s.fed.ApproveFollower(r.Context(), actor, r.PostForm.Get("actor"))
}

func (s *Server) removeFollower(r *http.Request, actor proposals.Member) (string, error) {
	return "Follower removed.", s.fed.RemoveFollower(r.Context(), actor, r.PostForm.Get("actor"))
}

func (s *Server) setApproval(r *http.Request, actor proposals.Member) (string, error) {
	manual := r.PostForm.Get("manual") == "yes"
	return "Saved.", s.fed.SetManualApproval(r.Context(), actor, manual)
}

func (s *Server) withdrawPublication(r *http.Request, actor proposals.Member) (string, error) {
	return "Withdrawal sent: followers' servers remove the publication.", s.fed.WithdrawPublication(r.Context(), actor, r.PostForm.Get("object"))
}
