package proposals

import (
	"errors"
	"fmt"
)

// The error vocabulary of Common Ground. Storage, services and federation return
// these (wrapped with %w); the web layer maps each to one HTTP response in one place.
var (
	// ErrNotFound: the thing asked for does not exist (or is not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request clashes with the current state (a duplicate handle,
	// a vote on a closed proposal, an edit of a frozen draft).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the caller is known but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: the caller must sign in first.
	ErrUnauthenticated = errors.New("sign-in required")
	// ErrInvalid: the input is malformed.
	ErrInvalid = errors.New("invalid input")
	// ErrTooMany: the caller is rate-limited and should try again later.
	ErrTooMany = errors.New("too many attempts")
	// ErrBusy: the instance is at its limit for this kind of work (hashing
	// passwords); the caller should try again in a few seconds.
	ErrBusy = errors.New("busy")
)

// Error is a vocabulary error with a message written for the person who caused
// it ("that username is taken"); Field names the form field at fault, if any.
type Error struct {
	Kind    error
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Unwrap makes errors.Is(err, ErrInvalid) and the like work.
func (e *Error) Unwrap() error { return e.Kind }

// Invalid says which field is wrong and why.
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Conflict says why the request clashes with what is there.
func Conflict(format string, args ...any) error {
	return &Error{Kind: ErrConflict, Message: fmt.Sprintf(format, args...)}
}

// Forbidden says why the caller may not do this.
func Forbidden(format string, args ...any) error {
	return &Error{Kind: ErrForbidden, Message: fmt.Sprintf(format, args...)}
}
