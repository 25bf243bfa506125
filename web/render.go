package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/commonground/commonground/proposals"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page: the layout plus that page.
type pages map[string]*template.Template

func parsePages() (pages, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := pages{}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", file)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p[name] = t
	}
	return p, nil
}

var templateFuncs = template.FuncMap{
	"date":          func(loc *time.Location, t time.Time) string { return t.In(zoneOr(loc)).Format("2 Jan 2006") },
	"datetime":      formatDateTime,
	"timeLeft":      proposals.TimeLeft,
	"changedIn":     changedIn,
	"richtext":      proposals.RenderPlainText,
	"add1":          func(i int) int { return i + 1 },
	"sub1":          func(i int) int { return i - 1 },
	"changeSummary": changeSummary,
	"positionHint":  positionHint,
	"dict":          dict,
	"editHole":      editHole,
	"days":          days,
	"presetLabel":   presetLabel,
	"sectionList":   sectionsOf,
	"allSections":   func() []proposals.Section { return proposals.Sections },
	"lower":         strings.ToLower,
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// shell is what every page shows around its content: the movement's name, the
// navigation, who is signed in, a one-time message. Each page's data type embeds it.
type shell struct {
	Title        string
	MovementName string
	Viewer       *proposals.Member
	Flash        string
	Nav          []navLink
	RequestID    string
	// Zone is the time zone times are shown in: the member's setting, else
	// the browser's (a cookie the page's script sets), else UTC.
	Zone *time.Location
}

func zoneOr(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// formatDateTime shows t in loc (UTC when nil), with the zone's name.
func formatDateTime(loc *time.Location, t time.Time) string {
	return proposals.DateTime(t, zoneOr(loc))
}

type navLink struct {
	Href, Label string
	Current     bool
}

func (s *Server) shell(w http.ResponseWriter, r *http.Request, title string) shell {
	name := "Common Ground"
	if m, err := s.svc.Movement(r.Context()); err == nil {
		name = m.Name
	}
	v := viewer(r)
	return shell{Title: title, MovementName: name, Viewer: v, Flash: s.takeFlash(w, r),
		Nav: navFor(v, r.URL.Path, s.fed != nil), RequestID: RequestIDFrom(r.Context()), Zone: s.zoneFor(r, v)}
}

// navFor lists the sections the viewer may open; links appear as features land.
func navFor(v *proposals.Member, path string, federated bool) []navLink {
	if v == nil {
		links := []navLink{{Href: "/statement", Label: "Statement", Current: strings.HasPrefix(path, "/statement")}}
		if federated {
			links = append(links, navLink{Href: "/common-ground", Label: "Common ground", Current: path == "/common-ground"})
		}
		return links
	}
	links := []navLink{{Href: "/statement", Label: "Statement"}, {Href: "/proposals", Label: "Proposals"}}
	if federated {
		links = append(links, navLink{Href: "/common-ground", Label: "Common ground"}, navLink{Href: "/joint-statements", Label: "Joint statements"},
			navLink{Href: "/federation", Label: "Allies"})
	}
	links = append(links, navLink{Href: "/members", Label: "Members"})
	if v.IsAdmin() {
		links = append(links, navLink{Href: "/settings", Label: "Settings"})
	}
	for i := range links {
		links[i].Current = path == links[i].Href || strings.HasPrefix(path, links[i].Href+"/")
	}
	return links
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("unknown page template", "page", page)
		s.renderError(w, r, errInternal)
		return
	}
	buf := s.renderBuffer()
	defer s.keepBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		s.log.Error("render page", "page", page, "err", err, "request_id", RequestIDFrom(r.Context()))
		if page != "error" {
			s.renderError(w, r, errInternal)
			return
		}
		http.Error(w, "Something went wrong. Reference: "+RequestIDFrom(r.Context()), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// maxKeptBuffer bounds the buffers kept for rendering: the buffer of an
// unusually large page (10,000 votes and reasons take megabytes) is not kept
// for the small ones.
const maxKeptBuffer = 4 << 20

// renderBuffer is an empty buffer to render a page into, kept from an
// earlier page when there is one. A proposal page with hundreds of votes and
// comments is hundreds of kilobytes: growing a new buffer to that size for
// every page was a fifth of the bytes the server allocated under load.
func (s *Server) renderBuffer() *bytes.Buffer {
	if b, ok := s.buffers.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (s *Server) keepBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxKeptBuffer {
		s.buffers.Put(b)
	}
}

type errorPage struct {
	shell
	Problem problem
}

// renderError answers with the page for err's kind; internals go to the log only.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	if p.Status == http.StatusInternalServerError {
		s.log.Error("request failed", "err", err, "path", r.URL.Path, "request_id", RequestIDFrom(r.Context()))
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", busyRetryAfter)
	}
	if p.Status == http.StatusUnauthorized && r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.render(w, r, p.Status, "error", errorPage{shell: s.shell(w, r, p.Title), Problem: p})
}

func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// securityHeaders: no inline script, no framing, no referrer leaks to other sites.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// changedIn reports whether a section of a diff has any item that changes.
func changedIn(sec proposals.SectionDiff) bool {
	for _, it := range sec.Items {
		if it.Status != proposals.ItemUnchanged {
			return true
		}
	}
	return false
}
