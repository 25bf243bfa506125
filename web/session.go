package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/commonground/commonground/proposals"
)

const (
	sessionCookie = "cg_session"
	flashCookie   = "cg_flash"
)

const viewerKey ctxKey = iota + 100

// viewer is the signed-in member, or nil for the public.
func viewer(r *http.Request) *proposals.Member {
	m, _ := r.Context().Value(viewerKey).(*proposals.Member)
	return m
}

// loadViewer reads the session cookie and puts its member in the context. An
// unknown, expired or suspended session is cleared, so the browser stops sending it.
func (s *Server) loadViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		m, err := s.svc.SessionMember(r.Context(), c.Value)
		switch {
		case errors.Is(err, proposals.ErrUnauthenticated):
			s.clearCookie(w, sessionCookie)
		case err != nil:
			s.renderError(w, r, err)
			return
		default:
			r = r.WithContext(context.WithValue(r.Context(), viewerKey, &m))
		}
		next.ServeHTTP(w, r)
	})
}

// requireMember lets only active, signed-in members through.
func (s *Server) requireMember(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if viewer(r) == nil {
			s.renderError(w, r, proposals.ErrUnauthenticated)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAdmin lets only admins through.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return s.requireMember(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !viewer(r).IsAdmin() {
			s.renderError(w, r, proposals.Forbidden("only admins may open this page"))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// requireSetUp sends every page to /setup while the instance has no admin. Once
// set up, an instance stays set up (the last admin cannot be removed), so the
// answer is remembered and costs nothing afterwards.
func (s *Server) requireSetUp(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.setUp.Load() {
			need, err := s.svc.NeedsSetup(r.Context())
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			if need {
				http.Redirect(w, r, "/setup", http.StatusSeeOther)
				return
			}
			s.setUp.Store(true)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) secureCookies() bool { return s.opts.BaseURL.Scheme == "https" }

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		MaxAge:   int(proposals.SessionLifetime / time.Second),
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// redirectWithFlash sends the browser on and shows msg once on the next page.
func (s *Server) redirectWithFlash(w http.ResponseWriter, r *http.Request, to, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// takeFlash reads the one-time message and clears it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	s.clearCookie(w, flashCookie)
	msg, _ := url.QueryUnescape(c.Value)
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// safeNext keeps a post-sign-in redirect on this site: only a local path is
// followed, never //evil.example or https://evil.example.
func safeNext(next string) string {
	u, err := url.Parse(next) // refuses control characters, which browsers strip
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\\\t\r\n") ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}
