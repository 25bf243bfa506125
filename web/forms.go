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
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		s.redirectWithFlash(w, r, to, msg)
	}
}
