package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/proposals"
)

// onID runs a form action on the thing named by {id} in the path, then
// redirects where the action says, showing its message once. An id that is not
// a number is not found; any error goes to the error page.
func (s *Server) onID(do func(r *http.Request, actor proposals.Member, id int64) (to, msg string, err error)) http.HandlerFunc {
	return s.formOnID(do, nil)
}

// showAgain shows the page of a form that failed with a mistake in its input,
// with fe next to the form and what was typed (r.PostForm) kept in it.
type showAgain func(w http.ResponseWriter, r *http.Request, status int, fe formError)

// formOnID is onID whose input mistakes (a vocabulary error with a message for
// people) are shown by again on the form's own page instead of the error page.
func (s *Server) formOnID(do func(r *http.Request, actor proposals.Member, id int64) (to, msg string, err error), again showAgain) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil {
			s.renderError(w, r, proposals.ErrNotFound)
			return
		}
		if err := r.ParseForm(); err != nil {
			s.renderError(w, r, err)
			return
		}
		to, msg, err := do(r, *viewer(r), id)
		if fe, ok := formErrorFor(err); ok && again != nil {
			again(w, r, problemFor(err).Status, fe)
			return
		}
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		s.redirectWithFlash(w, r, to, msg)
	}
}
