package proposals

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// A session read before a sign-out must not be kept after it: the read may
// have seen the session the sign-out ended.
func TestCacheKeepsNoReadFromBeforeItWasEmptied(t *testing.T) {
	c := newCache[string, Member](sessionCacheTTL, sessionCacheSize)
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

// remember reads once, then answers from memory until the TTL or an emptying.
func TestCacheRemembersUntilEmptied(t *testing.T) {
	c := newCache[struct{}, string](publishedTTL, 1)
	now := time.Now()
	reads := 0
	read := func() (string, error) { reads++; return fmt.Sprintf("read %d", reads), nil }
	for range 3 {
		if v, err := c.remember(struct{}{}, now, read); err != nil || v != "read 1" {
			t.Fatalf("remember: %q, %v; want the first read", v, err)
		}
	}
	if v, _ := c.remember(struct{}{}, now.Add(publishedTTL), read); v != "read 2" {
		t.Fatalf("past the TTL: %q, want a new read", v)
	}
	c.empty()
	if v, _ := c.remember(struct{}{}, now.Add(publishedTTL), read); v != "read 3" {
		t.Fatalf("after emptying: %q, want a new read", v)
	}
	failing := func() (string, error) { return "", errors.New("database down") }
	c.empty()
	if _, err := c.remember(struct{}{}, now, failing); err == nil {
		t.Fatal("a failed read was not reported")
	}
	if v, _ := c.remember(struct{}{}, now, read); v != "read 4" {
		t.Fatalf("after a failed read: %q, want a new read (a failure is not kept)", v)
	}
}
