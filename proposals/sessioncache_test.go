package proposals

import (
	"testing"
	"time"
)

// A session read before a sign-out must not be kept after it: the read may
// have seen the session the sign-out ended.
func TestSessionCacheKeepsNoReadFromBeforeItWasEmptied(t *testing.T) {
	c := newSessionCache()
	now := time.Now()
	ada := Member{ID: 1, Username: "ada"}
	if _, _, ok := c.get("h", now); ok {
		t.Fatal("an empty cache has a session")
	}
	_, generation, _ := c.get("h", now) // a read of the database begins
	c.empty()                           // a sign-out commits meanwhile
	c.put("h", ada, generation, now)    // the read ends
	if _, _, ok := c.get("h", now); ok {
		t.Fatal("a session read before the cache was emptied was kept")
	}

	_, generation, _ = c.get("h", now)
	c.put("h", ada, generation, now)
	if m, _, ok := c.get("h", now.Add(sessionCacheTTL-time.Millisecond)); !ok || m.ID != ada.ID {
		t.Fatal("a session read a moment ago is not kept")
	}
	if _, _, ok := c.get("h", now.Add(sessionCacheTTL)); ok {
		t.Fatal("a session is kept past the cache's lifetime")
	}
	c.empty()
	if _, _, ok := c.get("h", now); ok {
		t.Fatal("emptying kept a session")
	}
}

func TestNoticeTravelsAsText(t *testing.T) {
	for _, n := range []Notice{{NoticeVotes, 12}, {NoticeSessions, 0}, {NoticeEverything, 0}} {
		if got, ok := ParseNotice(n.String()); !ok || got != n {
			t.Errorf("%v read back as %v, %v", n, got, ok)
		}
	}
	for _, bad := range []string{"", "votes", "votes:x", "other:1", ":1"} {
		if _, ok := ParseNotice(bad); ok {
			t.Errorf("%q read as a notice", bad)
		}
	}
}
