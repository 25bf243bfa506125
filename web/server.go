// Package web is the browser UI and the HTTP surface of an instance: handlers,
// templates and static assets, all embedded in the binary. Handlers are thin:
// parse, call a service, render or redirect.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/federation"
	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/proposals"
)

// Options are the settings the web layer needs, taken from the instance's config.
type Options struct {
	// BaseURL is the https://host the instance is known by.
	BaseURL *url.URL
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64
	// TrustedProxies are the proxies whose X-Forwarded-For names the client
	// (for the per-address sign-in limit); empty trusts no header.
	TrustedProxies []netip.Prefix
}

// Deps are the parts the web layer calls into.
type Deps struct {
	Log     *slog.Logger
	Service *proposals.Service
	// Health reports whether the database answers.
	Health func(ctx context.Context) error
	// Federation serves the ActivityPub endpoints and the federation pages;
	// nil leaves them out, with the pages of alliances.
	Federation *federation.Service
	// Alliances is what movements do together: common ground and joint
	// statements. It is required with Federation.
	Alliances *alliances.Service
	// Notify keeps members' notification settings and gathers their home
	// page; nil leaves both out (the home page shows the movement only).
	Notify *notify.Service
}

// Server routes and answers every HTTP request of an instance.
type Server struct {
	opts    Options
	log     *slog.Logger
	svc     *proposals.Service
	health  func(ctx context.Context) error
	fed     *federation.Service
	allies  *alliances.Service
	notify  *notify.Service
	pages   pages
	handler http.Handler

	// setUp is true once the instance has an admin; it never turns false again.
	setUp atomic.Bool
	// live feeds the open live tallies, one reader per proposal.
	live *liveTallies
	// zones caches the time zones pages are shown in.
	zones zones
	// buffers keeps the buffers pages are rendered into (see render).
	buffers sync.Pool
	// fragments keeps parts of pages rendered once for many viewers.
	fragments fragments
}

// New parses the templates (so a broken one fails at start-up, not mid-request)
// and builds the router.
func New(opts Options, deps Deps) (*Server, error) {
	if opts.BaseURL == nil {
		return nil, errors.New("web: base URL is required")
	}
	if deps.Federation != nil && deps.Alliances == nil {
		return nil, errors.New("web: federation needs the alliances service")
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: deps.Log, svc: deps.Service, health: deps.Health, fed: deps.Federation, allies: deps.Alliances, notify: deps.Notify, pages: p,
		live: newLiveTallies(deps.Service, deps.Log),
	}
	deps.Service.OnNotice(s.live.noticed)
	s.handler = s.routes()
	return s, nil
}

// methodNotAllowed answers a request whose path exists for another method.
// A person lands here by reloading a page that a form's POST showed, or by
// opening a form's address: a GET goes back to the nearest page above that
// address (the proposal of /proposals/7/vote), anything else gets a page
// that says what happened, never a bare "method not allowed".
func (s *Server) methodNotAllowed(router chi.Routes) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			for p := path.Dir(r.URL.Path); p != "/" && p != "."; p = path.Dir(p) {
				if router.Match(chi.NewRouteContext(), http.MethodGet, p) {
					http.Redirect(w, r, p, http.StatusSeeOther)
					return
				}
			}
		}
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if router.Match(chi.NewRouteContext(), m, r.URL.Path) {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && slices.Contains(allowed, http.MethodPost) {
			s.renderError(w, r, errFormAddress)
			return
		}
		s.renderError(w, r, errMethodNotAllowed)
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(requestID, accessLog(s.log), s.recoverPanics, limitBody(s.opts.MaxBodyBytes), securityHeaders, s.crossOriginProtection(), s.parseForms)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.renderError(w, r, proposals.ErrNotFound) })
	r.MethodNotAllowed(s.methodNotAllowed(r))
	r.Get("/healthz", s.healthz)
	r.Handle("/static/*", staticFiles())
	r.Get("/setup", s.setupForm)
	r.Post("/setup", s.setup)
	if s.fed != nil {
		s.fed.Mount(r)
	}

	r.Group(func(r chi.Router) {
		r.Use(s.requireSetUp, s.loadViewer)
		r.Get("/", s.home)
		r.Get("/login", s.loginForm)
		r.Post("/login", s.login)
		r.Post("/logout", s.logout)
		r.Get("/join/{token}", s.joinForm)
		r.Post("/join/{token}", s.join)
		r.Get("/statement", s.statement)
		r.Get("/statement.md", s.statementMarkdown)
		r.Get("/statement.json", s.statementJSON)
		r.Get("/statement/history", s.statementHistory)
		r.Get("/statement/diff", s.statementDiff)
		if s.notify != nil {
			// Unsubscribe links work without sign-in: they are signed.
			r.Get("/unsubscribe", s.unsubscribeForm)
			r.Post("/unsubscribe", s.unsubscribe)
			r.Get("/account/email/confirm", s.confirmEmail)
		}
		if s.fed != nil {
			r.Get("/joint-statements/{id}", s.jointDocument)
			r.Get("/common-ground", s.commonGround)
			r.Get("/common-ground.json", s.commonGroundJSON)
		}

		r.Group(func(r chi.Router) {
			r.Use(s.requireMember)
			r.Get("/members", s.members)
			r.Get("/account", s.account)
			r.Post("/account/password", s.changePassword)
			r.Post("/account/sign-out-everywhere", s.signOutEverywhere)
			r.Post("/account/time-zone", s.saveTimeZone)
			if s.notify != nil {
				r.Get("/account/notifications", s.notificationSettings)
				r.Post("/account/notifications", s.saveNotificationSettings)
				r.Post("/account/fediverse", s.linkFediverse)
				r.Post("/account/fediverse/verify", s.verifyFediverse)
				r.Post("/account/fediverse/unlink", s.unlinkFediverse)
			}

			r.Get("/proposals", s.proposalList)
			r.Get("/proposals/new", s.newProposal)
			r.Post("/proposals", s.createProposal)
			r.Get("/proposals/{id}", s.proposalPage)
			r.Get("/proposals/{id}/events", s.tallyEvents)
			r.Get("/proposals/{id}/audit", s.audit)
			r.Post("/proposals/{id}/edit", s.proposalForm(s.editDraft))
			r.Post("/proposals/{id}/changes", s.proposalForm(s.addChange))
			r.Post("/proposals/{id}/changes/{index}/delete", s.proposalForm(s.removeChange))
			r.Post("/proposals/{id}/open", s.proposalForm(s.openVoting))
			r.Post("/proposals/{id}/close", s.proposalForm(s.closeEarly))
			r.Post("/proposals/{id}/withdraw", s.proposalForm(s.withdraw))
			r.Post("/proposals/{id}/fallback", s.proposalForm(s.openFallback))
			r.Post("/proposals/{id}/vote", s.proposalForm(s.vote))
			r.Post("/proposals/{id}/comments", s.proposalForm(s.comment))
			r.Post("/proposals/{id}/coauthors", s.proposalForm(s.addCoauthor))
			r.Post("/proposals/{id}/coauthors/{member}/remove", s.proposalForm(s.removeCoauthor))
			r.Post("/proposals/{id}/share", s.proposalForm(s.shareDraft))
			r.Post("/comments/{id}/edit", s.commentAction(s.editComment))
			r.Post("/comments/{id}/hide", s.commentAction(s.hideComment))
			if s.fed != nil {
				r.Get("/federation", s.federationPage)
				r.Post("/common-ground/decide", s.decidePair)
				r.Get("/joint-statements", s.jointList)
				r.Get("/joint-statements/new", s.newJoint)
				r.Post("/joint-statements", s.createJoint)
				r.Get("/joint-statements/{id}/edit", s.editJointForm)
				r.Post("/joint-statements/{id}/edit", s.editJoint)
				r.Post("/joint-statements/{id}/sign", s.jointVote(s.proposeSigning, "Voting is open: our members decide whether to sign."))
				r.Post("/joint-statements/{id}/withdraw", s.jointVote(s.proposeWithdrawal, "Voting is open: our members decide whether to withdraw our signature."))
				r.Post("/federation/follow", s.fedAction(s.follow))
				r.Post("/federation/unfollow", s.fedAction(s.unfollow))
				r.Post("/federation/followers/approve", s.fedAction(s.approveFollower))
				r.Post("/federation/followers/remove", s.fedAction(s.removeFollower))
				r.Post("/federation/approval", s.fedAction(s.setApproval))
				r.Post("/federation/withdraw", s.fedAction(s.withdrawPublication))
			}
		})
		r.Group(func(r chi.Router) {
			r.Use(s.requireAdmin)
			r.Post("/members/{id}/role", s.memberAction(s.setRole))
			r.Post("/members/{id}/suspend", s.memberAction(s.suspend))
			r.Post("/members/{id}/reactivate", s.memberAction(s.reactivate))
			r.Get("/members/invitations", s.invitations)
			r.Post("/members/invitations", s.createInvitation)
			r.Post("/members/invitations/{id}/revoke", s.onID(s.revokeInvitation))
			r.Get("/settings", s.settings)
			r.Post("/settings", s.saveSettings)
			r.Get("/settings/decisions", s.decisionSettings)
			r.Post("/settings/decisions", s.saveDecisionSetting)
			r.Post("/settings/results", s.saveResultsVisibility)
		})
	})
	return r
}

// crossOriginProtection refuses state-changing requests that a browser marks as
// coming from another site (Sec-Fetch-Site, else Origin against Host): that is
// what a forged form is. Requests without those headers are not from a browser
// form, so they carry no ambient cookie risk and pass (servers posting to the
// federation inbox, for example).
func (s *Server) crossOriginProtection() func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.renderError(w, r, proposals.Forbidden("this form was sent from another site, so it was refused; open the page on this site and send it again"))
	}))
	return cop.Handler
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
