package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/proposals"
)

// homePage is the page a visitor lands on: the movement, and for a member
// what waits for them (Agenda).
type homePage struct {
	shell
	Movement proposals.Movement
	// Handle is @handle@host, what a fediverse server resolves.
	Handle string
	Agenda *notify.Agenda
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.Movement(r.Context())
	if err != nil && !errors.Is(err, proposals.ErrNotFound) {
		s.renderError(w, r, err)
		return
	}
	page := homePage{shell: s.shell(w, r, "Home"), Movement: m, Handle: "@" + m.Handle + "@" + s.opts.BaseURL.Host}
	if v := viewer(r); v != nil && s.notify != nil {
		a, err := s.notify.Agenda(r.Context(), *v)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		page.Agenda = &a
	}
	s.render(w, r, http.StatusOK, "home", page)
}

// kickNotifications wakes the notification worker after something members
// are told of happened here (voting opened or closed, a reply): it is
// planned now, not at the next tick. Only those handlers call it, not every
// form: a vote, the most frequent form, tells nobody.
func (s *Server) kickNotifications() {
	if s.notify != nil {
		s.notify.Kick()
	}
}

// notificationsPage is the member's notification settings.
type notificationsPage struct {
	shell
	Settings notify.Settings
	Kinds    []notify.Kind
	Channels []notify.Channel
	Modes    []notify.Mode
	// Email is what the form shows: what was typed, after an error.
	Email       string
	Error       formError
	FediError   formError
	HandleTyped string
}

func (s *Server) notificationSettings(w http.ResponseWriter, r *http.Request) {
	s.renderNotifications(w, r, http.StatusOK, func(p *notificationsPage) {})
}

// renderNotifications shows the settings page, adjusted by fix (an error,
// what was typed).
func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, status int, fix func(p *notificationsPage)) {
	st, err := s.notify.Settings(r.Context(), *viewer(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p := notificationsPage{shell: s.shell(w, r, "Notifications"), Settings: st, Kinds: notify.Kinds, Channels: notify.Channels,
		Modes: notify.Modes, Email: st.Email}
	fix(&p)
	s.render(w, r, status, "notifications", p)
}

// formProblem renders the settings page again with err shown by the field
// at fault, or the error page when err is not about the input.
func (s *Server) formProblem(w http.ResponseWriter, r *http.Request, err error, fix func(p *notificationsPage, fe formError)) {
	fe, ok := formErrorFor(err)
	if !ok {
		s.renderError(w, r, err)
		return
	}
	s.renderNotifications(w, r, problemFor(err).Status, func(p *notificationsPage) { fix(p, fe) })
}

func (s *Server) saveNotificationSettings(w http.ResponseWriter, r *http.Request) {
	var choices []notify.Choice
	var bad error
	for _, k := range notify.Kinds {
		for _, ch := range notify.Channels {
			raw := r.PostForm.Get("mode_" + string(k) + "_" + string(ch))
			if raw == "" {
				continue // a channel the page did not offer
			}
			mode, ok := notify.ParseMode(raw)
			if !ok {
				bad = proposals.Invalid("mode", "choose at once, daily digest or off for each kind")
				continue
			}
			choices = append(choices, notify.Choice{Kind: k, Channel: ch, Mode: mode})
		}
	}
	email := r.PostForm.Get("email")
	err := bad
	if err == nil {
		err = s.notify.SaveSettings(r.Context(), *viewer(r), email, choices)
	}
	if err != nil {
		// The page shows again with what was typed and chosen, not what is saved.
		s.formProblem(w, r, err, func(p *notificationsPage, fe formError) {
			p.Error, p.Email = fe, email
			for _, c := range choices {
				p.Settings.Modes[c.Kind][c.Channel] = c.Mode
			}
		})
		return
	}
	s.redirectWithFlash(w, r, "/account/notifications", "Your notification settings are saved.")
}

func (s *Server) linkFediverse(w http.ResponseWriter, r *http.Request) {
	handle := r.PostForm.Get("handle")
	name := "Common Ground"
	if m, err := s.svc.Movement(r.Context()); err == nil {
		name = m.Name
	}
	if err := s.notify.LinkFediverse(r.Context(), *viewer(r), handle, name); err != nil {
		s.formProblem(w, r, err, func(p *notificationsPage, fe formError) { p.FediError, p.HandleTyped = fe, handle })
		return
	}
	s.redirectWithFlash(w, r, "/account/notifications", "A code is on its way to your fediverse account as a direct message. Type it below.")
}

func (s *Server) verifyFediverse(w http.ResponseWriter, r *http.Request) {
	if err := s.notify.VerifyFediverse(r.Context(), *viewer(r), r.PostForm.Get("code")); err != nil {
		s.formProblem(w, r, err, func(p *notificationsPage, fe formError) { p.FediError = fe })
		return
	}
	s.redirectWithFlash(w, r, "/account/notifications", "Your fediverse account is linked: notifications you choose come there as direct messages.")
}

func (s *Server) unlinkFediverse(w http.ResponseWriter, r *http.Request) {
	if err := s.notify.UnlinkFediverse(r.Context(), *viewer(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.redirectWithFlash(w, r, "/account/notifications", "Your fediverse account is no longer linked.")
}

// unsubscribePage confirms an unsubscribe link, or says it was done.
type unsubscribePage struct {
	shell
	Kinds  []notify.Kind
	Done   bool
	Action string
}

// unsubscribeParams reads the link's member, kind and signature.
func unsubscribeParams(r *http.Request) (int64, string, string) {
	q := r.URL.Query()
	id, _ := strconv.ParseInt(q.Get("m"), 10, 64)
	return id, q.Get("k"), q.Get("t")
}

// unsubscribeForm asks to confirm: a GET changes nothing, since mail
// scanners open links.
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	id, kind, token := unsubscribeParams(r)
	kinds, err := s.notify.CheckUnsubscribe(id, kind, token)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "unsubscribe", unsubscribePage{shell: s.shell(w, r, "Unsubscribe"), Kinds: kinds, Action: r.URL.RequestURI()})
}

// unsubscribe turns the link's emails off, without sign-in: from the
// confirmation page, or in one click from a mail program (RFC 8058).
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	id, kind, token := unsubscribeParams(r)
	kinds, err := s.notify.Unsubscribe(r.Context(), id, kind, token)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "unsubscribe", unsubscribePage{shell: s.shell(w, r, "Unsubscribed"), Kinds: kinds, Done: true})
}

// confirmEmail opens the link sent to a new address: it needs no sign-in
// (the link is signed for that member and address).
func (s *Server) confirmEmail(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, _ := strconv.ParseInt(q.Get("m"), 10, 64)
	if err := s.notify.ConfirmEmail(r.Context(), id, q.Get("e"), q.Get("t")); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "emailconfirmed", emailConfirmedPage{shell: s.shell(w, r, "Address confirmed"), Email: q.Get("e")})
}

type emailConfirmedPage struct {
	shell
	Email string
}
