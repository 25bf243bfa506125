package web_test

import (
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
