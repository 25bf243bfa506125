package proposals

import (
	"errors"
	"fmt"
	"unicode"
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
	// Title, when set, heads the page that shows the error ("This invitation
	// has expired"); otherwise the page uses the kind's title.
	Title string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Human is the message for the person, without the field's name (the page
// shows it next to that field): "An invitation can be used between 1 and
// 1000 times", never "max_uses: between 1 and 1000".
func (e *Error) Human() string {
	r := []rune(e.Message)
	if len(r) == 0 {
		return ""
	}
	return string(unicode.ToUpper(r[0])) + string(r[1:])
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

// Titled gives a vocabulary error the heading its page shows.
func Titled(err error, title string) error {
	var e *Error
	if errors.As(err, &e) {
		copied := *e
		copied.Title = title
		return &copied
	}
	return err
}

// Forbidden says why the caller may not do this.
func Forbidden(format string, args ...any) error {
	return &Error{Kind: ErrForbidden, Message: fmt.Sprintf(format, args...)}
}
