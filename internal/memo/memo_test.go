package memo

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const ttl = 5 * time.Second

type member struct{ ID int64 }

// A session read before a sign-out must not be kept after it: the read may
// have seen the session the sign-out ended.
func TestCacheKeepsNoReadFromBeforeItWasEmptied(t *testing.T) {
	c := New[string, member](ttl, 10)
	now := time.Now()
	ada := member{ID: 1}
	if _, ok := c.Get("h", now); ok {
		t.Fatal("an empty cache has a session")
	}
	readDuringSignOut := func() (member, error) {
		c.Empty() // a sign-out commits while the read is under way
		return ada, nil
	}
	if m, err := c.Remember("h", now, readDuringSignOut); err != nil || m.ID != ada.ID {
		t.Fatalf("the read itself: %+v, %v", m, err)
	}
	if _, ok := c.Get("h", now); ok {
		t.Fatal("a session read before the cache was emptied was kept")
	}

	c.Remember("h", now, func() (member, error) { return ada, nil })
	if m, ok := c.Get("h", now.Add(ttl-time.Millisecond)); !ok || m.ID != ada.ID {
		t.Fatal("a session read a moment ago is not kept")
	}
	if _, ok := c.Get("h", now.Add(ttl)); ok {
		t.Fatal("a session is kept past the cache's lifetime")
	}
	c.Empty()
	if _, ok := c.Get("h", now); ok {
		t.Fatal("emptying kept a session")
	}
}

// remember reads once, then answers from memory until the TTL or an emptying.
func TestCacheRemembersUntilEmptied(t *testing.T) {
	c := New[struct{}, string](ttl, 1)
	now := time.Now()
	reads := 0
	read := func() (string, error) { reads++; return fmt.Sprintf("read %d", reads), nil }
	for range 3 {
		if v, err := c.Remember(struct{}{}, now, read); err != nil || v != "read 1" {
			t.Fatalf("remember: %q, %v; want the first read", v, err)
		}
	}
	if v, _ := c.Remember(struct{}{}, now.Add(ttl), read); v != "read 2" {
		t.Fatalf("past the TTL: %q, want a new read", v)
	}
	c.Empty()
	if v, _ := c.Remember(struct{}{}, now.Add(ttl), read); v != "read 3" {
		t.Fatalf("after emptying: %q, want a new read", v)
	}
	failing := func() (string, error) { return "", errors.New("database down") }
	c.Empty()
	if _, err := c.Remember(struct{}{}, now, failing); err == nil {
		t.Fatal("a failed read was not reported")
	}
	if v, _ := c.Remember(struct{}{}, now, read); v != "read 4" {
		t.Fatalf("after a failed read: %q, want a new read (a failure is not kept)", v)
	}
}

// Requests that miss at once wait for one read of the database; a request
// that comes after an emptying does not take a read that began before it.
func TestCacheReadsOnceForRequestsThatMissTogether(t *testing.T) {
	c := New[int64, string](ttl, 8)
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
	wg.Go(func() { got[0], _ = c.Remember(7, now, slowRead) })
	for reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < len(got); i++ {
		wg.Go(func() { got[i], _ = c.Remember(7, now, slowRead) })
	}
	time.Sleep(20 * time.Millisecond) // the others are waiting
	c.Empty()                         // a vote commits while the read is under way
	var fresh string
	wg.Go(func() { fresh, _ = c.Remember(7, now, slowRead) })
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
	if v, _ := c.Remember(7, now, slowRead); v != "read 2" {
		t.Fatalf("kept: %q, want the read begun after the emptying", v)
	}

	// A read that fails leaves the waiters to read for themselves.
	c.Empty()
	failing := make(chan struct{})
	var waiterGot string
	wg.Go(func() {
		c.Remember(8, now, func() (string, error) { <-failing; return "", errors.New("request cancelled") })
	})
	time.Sleep(10 * time.Millisecond)
	wg.Go(func() { waiterGot, _ = c.Remember(8, now, func() (string, error) { return "own read", nil }) })
	time.Sleep(10 * time.Millisecond)
	close(failing)
	wg.Wait()
	if waiterGot != "own read" {
		t.Fatalf("a waiter on a failed read got %q, want its own read", waiterGot)
	}
}

// A value set (just written) is kept, and a read under way when it was set
// is not kept over it; the other values stay.
func TestCacheKeepsWhatWasSetOverAReadUnderWay(t *testing.T) {
	c := New[string, string](ttl, 8)
	now := time.Now()
	c.Remember("other", now, func() (string, error) { return "other", nil })
	got, _ := c.Remember("eve", now, func() (string, error) {
		c.Set("eve", "new inbox", now) // an Update is stored while the read is under way
		return "old inbox", nil
	})
	if got != "old inbox" {
		t.Fatalf("the read itself returned %q", got)
	}
	if v, ok := c.Get("eve", now); !ok || v != "new inbox" {
		t.Errorf("kept %q (%v), want what was set", v, ok)
	}
	if v, ok := c.Get("other", now); !ok || v != "other" {
		t.Errorf("setting eve dropped another value: %q (%v)", v, ok)
	}
}
