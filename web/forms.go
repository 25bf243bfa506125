package web

import (
	"net/http"
	"net/url"
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

// showAgainID is showAgain for a form on the thing named by id.
type showAgainID func(w http.ResponseWriter, r *http.Request, status int, fe formError, id int64)

// formOnID is onID whose input mistakes (a vocabulary error with a message for
// people) are shown by again on the form's own page instead of the error page.
func (s *Server) formOnID(do func(r *http.Request, actor proposals.Member, id int64) (to, msg string, err error), again showAgainID) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil {
			s.renderError(w, r, proposals.ErrNotFound)
			return
		}
		to, msg, err := do(r, *viewer(r), id)
		if err != nil {
			var show showAgain
			if again != nil {
				show = func(w http.ResponseWriter, r *http.Request, status int, fe formError) { again(w, r, status, fe, id) }
			}
			s.formFailed(w, r, err, show)
			return
		}
		s.redirectWithFlash(w, r, to, msg)
	}
}

// formFailed answers a form whose action failed: a mistake in the input (a
// vocabulary error with a message for people) by showing the form's page
// again through again, with the message next to the form; anything else
// (or no again) on the error page.
func (s *Server) formFailed(w http.ResponseWriter, r *http.Request, err error, again showAgain) {
	if fe, ok := formErrorFor(err); ok && again != nil {
		again(w, r, problemFor(err).Status, fe)
		return
	}
	s.renderError(w, r, err)
}

// typedOr is what was typed in field of form, or fallback when no form
// failed or the one that failed is not this one: its other fields must match
// (name, value pairs, such as the hidden fields that tell forms apart).
func typedOr(form url.Values, field, fallback string, match ...string) string {
	if form == nil {
		return fallback
	}
	for i := 0; i+1 < len(match); i += 2 {
		if form.Get(match[i]) != match[i+1] {
			return fallback
		}
	}
	return form.Get(field)
}
