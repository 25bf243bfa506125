package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/proposals"
)

// formError is the message shown above a form that was sent back, and the field
// it is about (so the field can be marked and focused).
type formError struct {
	Field   string
	Message string
}

// formErrorFor turns a service error into a message for the form. Errors that
// are not about the input go to the error page instead (ok is false).
func formErrorFor(err error) (formError, bool) {
	var e *proposals.Error
	if errors.As(err, &e) && !errors.Is(err, proposals.ErrForbidden) && !errors.Is(err, proposals.ErrBusy) {
		return formError{Field: e.Field, Message: e.Human()}, true
	}
	return formError{}, false
}

type setupPage struct {
	shell
	Error                                           formError
	Token, Name, Handle, Summary, Username, Display string
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	need, err := s.svc.NeedsSetup(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if !need {
		s.redirectWithFlash(w, r, "/", "This instance is already set up.")
		return
	}
	s.render(w, r, http.StatusOK, "setup", setupPage{shell: s.shell(w, r, "Set up your movement")})
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	f := r.PostForm
	page := setupPage{Token: f.Get("token"), Name: f.Get("name"), Handle: f.Get("handle"), Summary: f.Get("summary"),
		Username: f.Get("username"), Display: f.Get("display_name")}
	founding := proposals.Founding{
		Movement: proposals.Movement{Name: page.Name, Handle: page.Handle, Summary: page.Summary},
		Admin:    proposals.NewAccount{Username: page.Username, DisplayName: page.Display, Password: f.Get("password")},
	}
	if f.Get("password") != f.Get("password_confirm") {
		page.Error = formError{"password_confirm", "the two passwords differ"}
	} else if _, err := s.svc.Setup(r.Context(), page.Token, founding); err != nil {
		fe, ok := formErrorFor(err)
		if !ok {
			s.renderError(w, r, err)
			return
		}
		page.Error = fe
	}
	if page.Error.Message != "" {
		page.shell = s.shell(w, r, "Set up your movement")
		s.render(w, r, http.StatusBadRequest, "setup", page)
		return
	}
	s.log.Info("instance set up", "handle", founding.Movement.Handle, "admin", founding.Admin.Username)
	s.signInAndRedirect(w, r, founding.Admin.Username, f.Get("password"), "/members/invitations", "Welcome! Your movement is set up. Invite your members next.")
}

type loginPage struct {
	shell
	Error    formError
	Username string
	Next     string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if viewer(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", loginPage{shell: s.shell(w, r, "Sign in"), Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	page := loginPage{Username: username, Next: next, shell: s.shell(w, r, "Sign in")}
	address := clientAddress(r, s.opts.TrustedProxies)
	limit, err := s.svc.BeginSignIn(r.Context(), username, address)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if wait := limit.Wait; wait > 0 {
		s.log.Warn("sign-in slowed down", "username", username, "address", address, "wait", wait, "by_address", limit.ByAddress)
		page.Error = formError{Message: "Too many failed sign-ins to this account. Wait " + waitText(wait) + ", then try again."}
		if limit.ByAddress {
			page.Error.Message = "Too many failed sign-ins from your address. Wait " + waitText(wait) + ", then try again."
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		s.render(w, r, http.StatusTooManyRequests, "login", page)
		return
	}
	token, _, err := s.svc.SignIn(r.Context(), username, password)
	var refusal *proposals.Error
	switch {
	case err == nil:
		// The session is open whatever happens to the settling: at worst
		// the attempt stays counted until the window passes.
		if err := s.svc.SignInSucceeded(r.Context(), username, address); err != nil {
			s.log.Warn("sign-in limits: settle a success", "err", err)
		}
		s.setSessionCookie(w, token)
		http.Redirect(w, r, next, http.StatusSeeOther)
	case errors.As(err, &refusal) && !errors.Is(err, proposals.ErrBusy):
		// Every refusal of a sign-in (wrong password, suspended) is said on the form.
		page.Error = formError{Message: refusal.Human()}
		s.render(w, r, http.StatusUnauthorized, "login", page)
	default:
		// The password was never checked: the attempt counts for neither.
		if err := s.svc.SignInNotTried(context.WithoutCancel(r.Context()), username, address); err != nil {
			s.log.Warn("sign-in limits: settle an attempt not tried", "err", err)
		}
		s.renderError(w, r, err)
	}
}

// signInAndRedirect opens a session right after an account was made.
func (s *Server) signInAndRedirect(w http.ResponseWriter, r *http.Request, username, password, to, flash string) {
	token, _, err := s.svc.SignIn(r.Context(), username, password)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setSessionCookie(w, token)
	s.redirectWithFlash(w, r, to, flash)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.svc.SignOut(r.Context(), c.Value); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	s.clearCookie(w, sessionCookie)
	s.redirectWithFlash(w, r, "/", "You are signed out.")
}

type joinPage struct {
	shell
	Error             formError
	Token             string
	Invitation        proposals.Invitation
	Username, Display string
}

func (s *Server) joinForm(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	inv, err := s.svc.Invitation(r.Context(), token)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "join", joinPage{shell: s.shell(w, r, "Join"), Token: token, Invitation: inv})
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, err)
		return
	}
	f := r.PostForm
	page := joinPage{Token: chi.URLParam(r, "token"), Username: f.Get("username"), Display: f.Get("display_name")}
	acct := proposals.NewAccount{Username: page.Username, DisplayName: page.Display, Password: f.Get("password")}
	var session string
	var err error
	if f.Get("password") != f.Get("password_confirm") {
		err = proposals.Invalid("password_confirm", "the two passwords differ")
	} else {
		session, _, err = s.svc.Join(r.Context(), page.Token, acct)
	}
	if err != nil {
		fe, ok := formErrorFor(err)
		if !ok || errors.Is(err, proposals.ErrConflict) && fe.Field == "" {
			s.renderError(w, r, err) // the invitation itself is unusable: no form to fix
			return
		}
		page.Error = fe
		page.Invitation, _ = s.svc.Invitation(r.Context(), page.Token)
		page.shell = s.shell(w, r, "Join")
		s.render(w, r, problemFor(err).Status, "join", page)
		return
	}
	s.setSessionCookie(w, session)
	s.redirectWithFlash(w, r, "/", "Welcome! Your account is ready.")
}

type accountPage struct {
	shell
	Error formError
	// The time zone form: what was typed, its error, and the list offered.
	TimeZone  string
	ZoneError formError
	Zones     []string
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, accountPage{TimeZone: viewer(r).TimeZone})
}

// renderAccount shows the account page: page holds the forms' errors and the
// time zone to show in its field.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, page accountPage) {
	page.shell, page.Zones = s.shell(w, r, "Your account"), commonZones
	s.render(w, r, status, "account", page)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	var token string
	var err error
	if f.Get("password") != f.Get("password_confirm") {
		err = proposals.Invalid("password_confirm", "the two new passwords differ")
	} else {
		token, err = s.svc.ChangePassword(r.Context(), *viewer(r), f.Get("current_password"), f.Get("password"))
	}
	if err != nil {
		s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
			s.renderAccount(w, r, status, accountPage{Error: fe, TimeZone: viewer(r).TimeZone})
		})
		return
	}
	s.setSessionCookie(w, token)
	s.redirectWithFlash(w, r, "/account", "Your password is changed. Every other session has been signed out.")
}

func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.SignOutEverywhere(r.Context(), *viewer(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.clearCookie(w, sessionCookie)
	s.redirectWithFlash(w, r, "/login", "You are signed out on every device.")
}
