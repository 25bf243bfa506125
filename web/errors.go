package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/commonground/commonground/proposals"
)

// errInternal stands for any error not in the vocabulary: it is logged in full
// and shown to the person as a plain "something went wrong" with the request id.
var errInternal = errors.New("internal error")

// errFormAddress is a GET of an address that only takes a form's POST, and
// errMethodNotAllowed any other method an address does not take: both are
// answered with 405 and a page for people.
var (
	errFormAddress      = errors.New("method not allowed: an address for forms")
	errMethodNotAllowed = errors.New("method not allowed")
)

// busyRetryAfter is the Retry-After, in seconds, of a 503 for work at its
// limit: a password hash waits a couple of seconds for a slot at most.
const busyRetryAfter = "5"

// problem is what a person sees when a request fails.
type problem struct {
	Status  int
	Title   string
	Message string
}

// problemFor maps the error vocabulary to HTTP, in this one place. A message a
// service wrote for people (proposals.Error) is shown as it is; anything else
// gets the kind's generic message, so no internals leak.
func problemFor(err error) problem {
	p := genericProblem(err)
	var human *proposals.Error
	if p.Status != http.StatusInternalServerError && errors.As(err, &human) {
		p.Message = human.Human()
		if human.Title != "" {
			p.Title = human.Title
		}
	}
	return p
}

func genericProblem(err error) problem {
	var tooBig *http.MaxBytesError
	var badEscape url.EscapeError
	switch {
	case errors.As(err, &tooBig):
		return problem{http.StatusRequestEntityTooLarge, "Too large", "What you sent is larger than this instance accepts."}
	case errors.As(err, &badEscape):
		return problem{http.StatusBadRequest, "Please check your input", "The form arrived garbled. Reload the page and send it again."}
	case errors.Is(err, proposals.ErrInvalid):
		return problem{http.StatusBadRequest, "Please check your input", "Some of what you sent is not valid."}
	case errors.Is(err, proposals.ErrNotFound):
		return problem{http.StatusNotFound, "Not found", "There is nothing here. The link may be old, or the page may have moved."}
	case errors.Is(err, proposals.ErrUnauthenticated):
		return problem{http.StatusUnauthorized, "Please sign in", "You need to sign in to see this page."}
	case errors.Is(err, proposals.ErrForbidden):
		return problem{http.StatusForbidden, "Not allowed", "Your account may not do this."}
	case errors.Is(err, proposals.ErrConflict):
		return problem{http.StatusConflict, "That clashes with what is there", "The request clashes with the current state. Reload and try again."}
	case errors.Is(err, proposals.ErrTooMany):
		return problem{http.StatusTooManyRequests, "Too many attempts", "Please wait a few minutes and try again."}
	case errors.Is(err, errFormAddress):
		return problem{http.StatusMethodNotAllowed, "This address is for sending a form", "It has no page of its own. Go back to the page with the form, and send it from there."}
	case errors.Is(err, errMethodNotAllowed):
		return problem{http.StatusMethodNotAllowed, "This address does not take that request", "Go back to the page with the form, and send it from there."}
	case errors.Is(err, proposals.ErrBusy):
		return problem{http.StatusServiceUnavailable, "Busy", "This instance is busy. Please try again in a few seconds."}
	default:
		return problem{http.StatusInternalServerError, "Something went wrong", "The instance could not complete this request. It has been logged; please try again."}
	}
}
