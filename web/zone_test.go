package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/commonground/commonground/storage/storagetest"
)

// Times are shown in the browser's zone, with the cookie as the page's
// script writes it (and as older versions wrote it, URL-encoded); before,
// every Region/City zone arrived encoded and fell back to UTC.
func TestTimesShownInTheBrowsersZone(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	path := s.openVote()
	for _, cookie := range []string{"tz=Asia/Tokyo", "tz=Asia%2FTokyo"} {
		page := body(s.do("member", "GET", path, nil, "Cookie", cookie))
		if !strings.Contains(page, "voting closes") || !strings.Contains(page, " JST</time>") {
			t.Errorf("with the cookie %s, the closing time is not in Tokyo time:\n%s", cookie, excerpt(page, "voting closes"))
		}
	}
	// A zone the database does not know falls back to UTC.
	page := body(s.do("member", "GET", path, nil, "Cookie", "tz=Mars/Olympus"))
	if !strings.Contains(page, " UTC</time>") {
		t.Errorf("with an unknown zone, the closing time is not in UTC:\n%s", excerpt(page, "voting closes"))
	}
}

func excerpt(page, near string) string {
	i := strings.Index(page, near)
	if i < 0 {
		return "(no " + near + " on the page)"
	}
	return page[i:min(len(page), i+200)]
}

// Saving the time zone says which zone times are now shown in: the typed
// name without its spaces, or, when the field is emptied, the browser's
// (before, both said "UTC").
func TestSavingTheTimeZoneSaysWhichZone(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	for _, c := range []struct{ typed, cookie, want string }{
		{" Europe/Paris ", "", "Times are now shown in Europe/Paris."},
		{"", "tz=Asia/Tokyo", "Times are now shown in your browser's time zone, Asia/Tokyo."},
		{"", "", "Times are now shown in your browser's time zone"},
	} {
		var headers []string
		if c.cookie != "" {
			headers = []string{"Cookie", c.cookie}
		}
		resp := s.do("member", "POST", "/account/time-zone", url.Values{"time_zone": {c.typed}}, headers...)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("saving %q: %d", c.typed, resp.StatusCode)
		}
		var flash string
		for _, ck := range resp.Cookies() {
			if ck.Value != "" {
				if msg, err := url.QueryUnescape(ck.Value); err == nil && strings.HasPrefix(msg, "Times are now") {
					flash = msg
				}
			}
		}
		if !strings.HasPrefix(flash, c.want) || strings.Contains(flash, "UTC.") {
			t.Errorf("saving %q with the cookie %q says %q, want %q", c.typed, c.cookie, flash, c.want)
		}
	}
}

// The notification settings say when the digest goes out in the member's
// own time zone, or that it is UTC until they set one.
func TestTheDigestHourIsInTheMembersZone(t *testing.T) {
	s := newSite(t, storagetest.SQLite(t), "http")
	if page := body(s.do("member", "GET", "/account/notifications", nil)); !strings.Contains(page, "at 07:00 UTC; set your time zone") {
		t.Errorf("without a time zone, the page does not say the digest goes out at 07:00 UTC:\n%s", excerpt(page, "daily digest goes out"))
	}
	if resp := s.do("member", "POST", "/account/time-zone", url.Values{"time_zone": {"Europe/Paris"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the zone: %d", resp.StatusCode)
	}
	if page := body(s.do("member", "GET", "/account/notifications", nil)); !strings.Contains(page, "at 07:00 Europe/Paris time") {
		t.Errorf("with the zone Europe/Paris, the page does not say the digest goes out at 07:00 there:\n%s", excerpt(page, "daily digest goes out"))
	}
}
