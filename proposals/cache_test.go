package proposals

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A session read before a sign-out must not be kept after it: the read may
// have seen the session the sign-out ended.
func TestCacheKeepsNoReadFromBeforeItWasEmptied(t *testing.T) {
	c := newCache[string, Member](sessionCacheTTL, sessionCacheSize)
	now := time.Now()
	ada := Member{ID: 1, Username: "ada"}
	if _, ok := c.get("h", now); ok {
		t.Fatal("an empty cache has a session")
	}
	readDuringSignOut := func() (Member, error) {
		c.empty() // a sign-out commits while the read is under way
		return ada, nil
	}
	if m, err := c.remember("h", now, readDuringSignOut); err != nil || m.ID != ada.ID {
		t.Fatalf("the read itself: %+v, %v", m, err)
	}
	if _, ok := c.get("h", now); ok {
		t.Fatal("a session read before the cache was emptied was kept")
	}

	c.remember("h", now, func() (Member, error) { return ada, nil })
	if m, ok := c.get("h", now.Add(sessionCacheTTL-time.Millisecond)); !ok || m.ID != ada.ID {
		t.Fatal("a session read a moment ago is not kept")
	}
	if _, ok := c.get("h", now.Add(sessionCacheTTL)); ok {
		t.Fatal("a session is kept past the cache's lifetime")
	}
	c.empty()
	if _, ok := c.get("h", now); ok {
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

// Requests that miss at once wait for one read of the database; a request
// that comes after an emptying does not take a read that began before it.
func TestCacheReadsOnceForRequestsThatMissTogether(t *testing.T) {
	c := newCache[int64, string](publishedTTL, 8)
	now := time.Now()
	var reads atomic.Int32
	release := make(chan struct{})
	slowRead := func() (string, error) {
		n := reads.Add(1)
		<-release
		return fmt.Sprintf("read %d", n), nil
	}
	var wg sync.WaitGroup
	got := make([]string, 20)
	wg.Go(func() { got[0], _ = c.remember(7, now, slowRead) })
	for reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < len(got); i++ {
		wg.Go(func() { got[i], _ = c.remember(7, now, slowRead) })
	}
	time.Sleep(20 * time.Millisecond) // the others are waiting
	c.empty()                         // a vote commits while the read is under way
	var fresh string
	wg.Go(func() { fresh, _ = c.remember(7, now, slowRead) })
	for reads.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if n := reads.Load(); n != 2 {
		t.Fatalf("%d reads, want 2: one for the requests that missed together, one after the emptying", n)
	}
	for i, v := range got {
		if v != "read 1" {
			t.Fatalf("request %d got %q, want the shared read", i, v)
		}
	}
	if fresh != "read 2" {
		t.Fatalf("the request after the emptying got %q, want its own read", fresh)
	}
	if v, _ := c.remember(7, now, slowRead); v != "read 2" {
		t.Fatalf("kept: %q, want the read begun after the emptying", v)
	}

	// A read that fails leaves the waiters to read for themselves.
	c.empty()
	failing := make(chan struct{})
	var waiterGot string
	wg.Go(func() {
		c.remember(8, now, func() (string, error) { <-failing; return "", errors.New("request cancelled") })
	})
	time.Sleep(10 * time.Millisecond)
	wg.Go(func() { waiterGot, _ = c.remember(8, now, func() (string, error) { return "own read", nil }) })
	time.Sleep(10 * time.Millisecond)
	close(failing)
	wg.Wait()
	if waiterGot != "own read" {
		t.Fatalf("a waiter on a failed read got %q, want its own read", waiterGot)
	}
}
