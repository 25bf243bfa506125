package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/internal/testclock"
	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
	"github.com/commonground/commonground/web"
)

// site is a real instance behind a real HTTP server on loopback, with one
// member of each kind signed in.
type site struct {
	t       testing.TB
	url     string
	svc     *proposals.Service
	notes   *notify.Service
	db      *storage.DB
	cookies map[string]string // session token by who: admin, facilitator, member, suspended
	ids     map[string]int64
}

func newSite(t *testing.T, db *storage.DB, baseScheme string) *site {
	return newSiteTB(t, db, baseScheme)
}

func newSiteTB(t testing.TB, db *storage.DB, baseScheme string) *site {
	return newSiteWith(t, db, baseScheme, time.Now, nil)
}

// newSiteWith is newSite with its own clock and trusted proxies.
func newSiteWith(t testing.TB, db *storage.DB, baseScheme string, now func() time.Time, trusted []netip.Prefix) *site {
	t.Helper()
	ctx := context.Background()
	svc := proposals.NewService(db.Store(), now)
	srv := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse(baseScheme + "://" + srv.Listener.Addr().String())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// No mail server and no federation: email is off, and the pages say so.
	notes := notify.NewService(notify.Config{BaseURL: base.String(), DigestHour: 7, Secret: []byte("web test secret")}, db.Notify(), nil, nil, log, now)
	handler, err := web.New(web.Options{BaseURL: base, MaxBodyBytes: 1 << 20, TrustedProxies: trusted},
		web.Deps{Log: log, Service: svc, Health: db.Ping, Notify: notes})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = handler
	srv.Start()
	t.Cleanup(srv.Close)
	s := &site{t: t, url: srv.URL, svc: svc, notes: notes, db: db, cookies: map[string]string{}, ids: map[string]int64{}}

	admin, err := svc.Initialize(ctx, proposals.Founding{
		Movement: proposals.Movement{Name: "Food Bank Network", Handle: "foodbanks"},
		Admin:    proposals.NewAccount{Username: "admin", Password: "secret phrase of xxxxx"}})
	if err != nil {
		t.Fatal(err)
	}
	s.ids["admin"] = admin.ID
	for _, who := range []string{"facilitator", "member", "suspended"} {
		role := proposals.RoleMember
		if who == "facilitator" {
			role = proposals.RoleFacilitator
		}
		m, err := svc.CreateMember(ctx, proposals.NewAccount{Username: who, Password: "secret phrase of " + strings.Repeat("x", len(who))}, role)
		if err != nil {
			t.Fatal(err)
		}
		s.ids[who] = m.ID
	}
	for _, who := range []string{"admin", "facilitator", "member", "suspended"} {
		token, _, err := svc.SignIn(ctx, who, "secret phrase of "+strings.Repeat("x", len(who)))
		if err != nil {
			t.Fatal(err)
		}
		s.cookies[who] = token
	}
	if err := svc.Suspend(ctx, admin, s.ids["suspended"], "left the movement"); err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request as who ("" for the public) without following redirects.
func (s *site) do(who, method, path string, form url.Values, headers ...string) *http.Response {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.url+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if who != "" {
		req.AddCookie(&http.Cookie{Name: "cg_session", Value: s.cookies[who]})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestPermissions pins who may see and do what, route by route.
func TestPermissions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		s := newSite(t, db, "http")
		member := fmt.Sprint(s.ids["member"])
		type want map[string]int // status by who; "" is the public
		cases := []struct {
			method, path string
			form         url.Values
			want         want
		}{
			{"GET", "/", nil, want{"": 200, "member": 200, "suspended": 200}},
			{"GET", "/members", nil, want{"": 303, "suspended": 303, "member": 200, "facilitator": 200, "admin": 200}},
			{"GET", "/account", nil, want{"": 303, "suspended": 303, "member": 200, "admin": 200}},
			{"GET", "/members/invitations", nil, want{"": 303, "suspended": 303, "member": 403, "facilitator": 403, "admin": 200}},
			{"POST", "/members/invitations", url.Values{"role": {"member"}, "max_uses": {"1"}, "valid_days": {"1"}},
				want{"": 401, "suspended": 401, "member": 403, "facilitator": 403, "admin": 201}},
			{"POST", "/members/" + member + "/role", url.Values{"role": {"facilitator"}},
				want{"": 401, "suspended": 401, "member": 403, "facilitator": 403, "admin": 303}},
			{"POST", "/members/" + member + "/suspend", nil, want{"": 401, "suspended": 401, "member": 403, "facilitator": 403}},
			{"POST", "/members/" + member + "/reactivate", nil, want{"": 401, "member": 403, "facilitator": 403}},
			{"POST", "/members/invitations/1/revoke", nil, want{"": 401, "member": 403, "facilitator": 403}},
			{"GET", "/settings", nil, want{"": 303, "suspended": 303, "member": 403, "facilitator": 403, "admin": 200}},
			{"POST", "/settings", url.Values{"name": {"Renamed"}}, want{"": 401, "suspended": 401, "member": 403, "facilitator": 403, "admin": 303}},
			{"POST", "/account/password", url.Values{"current_password": {"wrong"}}, want{"": 401, "suspended": 401, "member": 400}},
			{"GET", "/setup", nil, want{"": 303, "admin": 303}},
			{"POST", "/setup", url.Values{"token": {"x"}}, want{"": 400}},
			{"GET", "/nowhere", nil, want{"": 404, "member": 404}},
		}
		for _, c := range cases {
			for who, status := range c.want {
				resp := s.do(who, c.method, c.path, c.form)
				if resp.StatusCode != status {
					t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, who, resp.StatusCode, status)
				}
				if status == 303 && c.method == "GET" && who != "admin" && c.path != "/setup" {
					if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
						t.Errorf("%s %s as %q redirects to %q, want the sign-in page", c.method, c.path, who, loc)
					}
				}
			}
		}
		m, _ := s.svc.Movement(context.Background())
		if m.Name != "Renamed" {
			t.Errorf("the admin's settings change did not land: %q", m.Name)
		}
	})
}

func TestSuspendedMembersOldCookieIsCleared(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	resp := s.do("suspended", "GET", "/", nil)
	if resp.StatusCode != 200 || strings.Contains(body(resp), "Sign out") {
		t.Fatal("a suspended member's old cookie still signs them in")
	}
	cleared := false
	for _, c := range resp.Cookies() {
		cleared = cleared || (c.Name == "cg_session" && c.MaxAge < 0)
	}
	if !cleared {
		t.Fatal("the stale session cookie was not cleared")
	}
}

func TestForgedCrossSiteFormsAreRefused(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	form := url.Values{"name": {"Hijacked"}}
	for _, headers := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		resp := s.do("admin", "POST", "/settings", form, headers...)
		if resp.StatusCode != 403 || !strings.Contains(body(resp), "another site") {
			t.Errorf("forged POST with %v: %d", headers, resp.StatusCode)
		}
	}
	if resp := s.do("admin", "POST", "/settings", form, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != 303 {
		t.Errorf("same-origin POST: %d", resp.StatusCode)
	}
	if m, _ := s.svc.Movement(context.Background()); m.Name != "Hijacked" {
		t.Errorf("same-origin change did not land")
	}
}

func TestSignInIsRateLimitedAndSafe(t *testing.T) {
	clk := testclock.New(time.Now())
	s := newSiteWith(t, storagetest.SQLite(t), "https", clk.Now, nil)
	for i := range 5 {
		resp := s.do("", "POST", "/login", url.Values{"username": {"member"}, "password": {"guess " + fmt.Sprint(i)}})
		if resp.StatusCode != 401 || !strings.Contains(body(resp), "Wrong username or password") {
			t.Fatalf("failed attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp := s.do("", "POST", "/login", url.Values{"username": {"member"}, "password": {"secret phrase of xxxxxx"}})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(body(resp), "Wait 1 second") {
		t.Fatalf("6th attempt on the account at once: %d (Retry-After %q), want 429 and a wait of 1 second", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp = s.do("", "POST", "/login", url.Values{"username": {"admin"}, "password": {"secret phrase of xxxxx"}, "next": {"//evil.example/x"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign-in with an off-site next: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "cg_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie flags: %+v", session)
	}
}

func TestBadInputIsRefusedClearly(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	huge := url.Values{"username": {"x"}, "password": {strings.Repeat("a", 2<<20)}}
	if resp := s.do("", "POST", "/login", huge); resp.StatusCode != 413 {
		t.Errorf("2 MB form: %d, want 413", resp.StatusCode)
	}
	if resp := s.do("admin", "POST", "/members/invitations", url.Values{"role": {"overlord"}, "max_uses": {"1"}, "valid_days": {"1"}}); resp.StatusCode != 400 || !strings.Contains(body(resp), "Choose member, facilitator or admin") {
		t.Errorf("forged role: %d", resp.StatusCode)
	}
	if resp := s.do("admin", "POST", "/members/invitations", url.Values{"role": {"member"}, "max_uses": {"lots"}, "valid_days": {"1"}}); resp.StatusCode != 400 {
		t.Errorf("non-numeric uses: %d", resp.StatusCode)
	}
	if resp := s.do("admin", "POST", "/settings", url.Values{"name": {"<script>alert(1)</script>"}}); resp.StatusCode != 303 {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	page := body(s.do("", "GET", "/", nil))
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("a name with HTML is not escaped on the page")
	}
	if resp := s.do("", "GET", "/join/not-a-token", nil); resp.StatusCode != 404 {
		t.Errorf("unknown invitation: %d", resp.StatusCode)
	}
	suspendAdmin := "/members/" + fmt.Sprint(s.ids["admin"]) + "/suspend"
	if resp := s.do("admin", "POST", suspendAdmin, url.Values{"reason": {"stepping back"}}); resp.StatusCode != 400 || !strings.Contains(body(resp), "Tick the box to confirm") {
		t.Errorf("a suspension without confirming: %d", resp.StatusCode)
	}
	resp := s.do("admin", "POST", suspendAdmin, url.Values{"reason": {"stepping back"}, "confirm": {"yes"}})
	page = body(resp)
	if resp.StatusCode != 409 || !strings.Contains(page, "is the last admin") ||
		strings.Contains(page, "That clashes with what is there") {
		t.Errorf("last admin suspending themselves: %d, want the members page saying why", resp.StatusCode)
	}
	resp = s.do("", "GET", "/", nil)
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing security header %s", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

func TestHealthz(t *testing.T) {
	db := storagetest.SQLite(t)
	s := newSite(t, db, "http")
	if resp := s.do("", "GET", "/healthz", nil); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	db.Close()
	if resp := s.do("", "GET", "/healthz", nil); resp.StatusCode != 503 {
		t.Fatalf("healthz with the database closed: %d, want 503", resp.StatusCode)
	}
}
