// Package web is the browser UI and the HTTP surface of an instance: handlers,
// templates and static assets, all embedded in the binary. Handlers are thin:
// parse, call a service, render or redirect.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/proposals"
)

// Options are the settings the web layer needs, taken from the instance's config.
type Options struct {
	// BaseURL is the https://host the instance is known by.
	BaseURL *url.URL
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64
}

// Deps are the parts the web layer calls into.
type Deps struct {
	Log     *slog.Logger
	Service *proposals.Service
	// Health reports whether the database answers.
	Health func(ctx context.Context) error
}

// Server routes and answers every HTTP request of an instance.
type Server struct {
	opts    Options
	log     *slog.Logger
	svc     *proposals.Service
	health  func(ctx context.Context) error
	pages   pages
	handler http.Handler
}

// New parses the templates (so a broken one fails at start-up, not mid-request)
// and builds the router.
func New(opts Options, deps Deps) (*Server, error) {
	if opts.BaseURL == nil {
		return nil, errors.New("web: base URL is required")
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: deps.Log, svc: deps.Service, health: deps.Health, pages: p}
	s.handler = s.routes()
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(requestID, accessLog(s.log), s.recoverPanics, limitBody(s.opts.MaxBodyBytes), securityHeaders)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.renderError(w, r, proposals.ErrNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	r.Get("/healthz", s.healthz)
	r.Handle("/static/*", staticFiles())
	r.Get("/", s.home)
	return r
}

// healthz answers 200 only when the database answers, so a load balancer or
// supervisor stops sending traffic to an instance that lost its database.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.health(ctx); err != nil {
		s.log.Warn("health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.Movement(r.Context())
	if err != nil && !errors.Is(err, proposals.ErrNotFound) {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", homePage{shell: s.shell(r, "Home", m), SetUp: err == nil, Movement: m})
}

type homePage struct {
	shell
	SetUp    bool
	Movement proposals.Movement
}
