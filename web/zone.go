package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commonground/commonground/proposals"
)

// zoneCookie holds the browser's time zone, set by the page's script, for
// members who have not chosen one (and for visitors).
const zoneCookie = "tz"

// zones caches time zone lookups by name: loading one parses its rules.
// Names the time zone database does not know are remembered too (up to
// maxUnknownZones of them), so a bad cookie does not cost a failed load on
// every page.
type zones struct {
	m       sync.Map // name → *time.Location, nil for an unknown name
	unknown atomic.Int64
}

const maxUnknownZones = 1000

func (z *zones) load(name string) *time.Location {
	if name == "" {
		return nil
	}
	if loc, ok := z.m.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := proposals.LoadZone(name)
	if err != nil {
		if z.unknown.Add(1) <= maxUnknownZones {
			z.m.Store(name, (*time.Location)(nil))
		}
		return nil
	}
	z.m.Store(name, loc)
	return loc
}

// cookieZone is the zone name in the browser's cookie. The page's script
// writes it as it is; older versions wrote it URL-encoded (Europe%2FParis).
func cookieZone(r *http.Request) string {
	c, err := r.Cookie(zoneCookie)
	if err != nil {
		return ""
	}
	if name, err := url.PathUnescape(c.Value); err == nil {
		return name
	}
	return c.Value
}

// zoneFor is the zone the viewer reads times in: their setting, else the
// browser's, else UTC.
func (s *Server) zoneFor(r *http.Request, v *proposals.Member) *time.Location {
	if v != nil {
		if loc := s.zones.load(v.TimeZone); loc != nil {
			return loc
		}
	}
	if loc := s.zones.load(cookieZone(r)); loc != nil {
		return loc
	}
	return time.UTC
}

// commonZones are offered in the time zone field's list; any name of the
// time zone database is accepted.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
	"Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens",
	"Europe/Helsinki", "Europe/Kyiv", "Europe/Istanbul", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
	"Africa/Johannesburg", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
	"Asia/Jakarta", "Asia/Manila", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Seoul", "Asia/Tokyo",
	"Australia/Perth", "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo", "America/Buenos_Aires",
	"America/Bogota", "America/Lima", "America/Mexico_City", "America/Chicago", "America/Denver",
	"America/Los_Angeles", "America/New_York", "America/Toronto", "America/Halifax", "America/Anchorage",
	"Pacific/Honolulu",
}

func (s *Server) saveTimeZone(w http.ResponseWriter, r *http.Request) {
	zone := strings.TrimSpace(r.PostForm.Get("time_zone"))
	if err := s.svc.SetTimeZone(r.Context(), *viewer(r), zone); err != nil {
		s.formFailed(w, r, err, func(w http.ResponseWriter, r *http.Request, status int, fe formError) {
			s.renderAccount(w, r, status, accountPage{ZoneError: fe, TimeZone: zone})
		})
		return
	}
	s.redirectWithFlash(w, r, "/account", zoneSaved(zone, s.zones.load(cookieZone(r))))
}

// zoneSaved is the message once a member chose zone: an empty one means
// their browser's (browser, if the browser told it).
func zoneSaved(zone string, browser *time.Location) string {
	switch {
	case zone != "":
		return "Times are now shown in " + zone + "."
	case browser != nil:
		return "Times are now shown in your browser's time zone, " + browser.String() + "."
	default:
		return "Times are now shown in your browser's time zone (in UTC until your browser tells it, which needs JavaScript)."
	}
}
