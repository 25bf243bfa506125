package proposals

import (
	"errors"
	"sync"
	"time"
)

const (
	// sessionCacheTTL bounds how long a session read from the database is
	// trusted without reading it again. Sign-outs, suspensions and role
	// changes empty the cache at once through notices (in every process on
	// PostgreSQL); the TTL is only the backstop for a notice that was lost.
	sessionCacheTTL = 5 * time.Second
	// sessionCacheSize bounds the memory the cache takes; past it, it starts
	// over (a burst of new sessions costs one read each, as without a cache).
	sessionCacheSize = 10_000
	// publishedTTL is the same backstop for the movement and its current
	// statement, emptied by NoticeStatement, and for the proposal pages.
	publishedTTL = 5 * time.Second
	// proposalPagesKept bounds the proposal pages kept. A page takes a few
	// hundred bytes a vote or comment (more with long reasons): megabytes
	// for a movement of 10,000 voters. The pages read at once are those of
	// the few proposals open for voting; past the bound the cache starts
	// over, and a page read costs what it cost without it.
	proposalPagesKept = 16
)

// cache keeps values read from the database in memory for a while: sessions,
// so that a signed-in request does not read its session every time, and what
// every page shows and rarely changes (the movement, the current statement).
// A notice that what it holds may have changed empties it.
type cache[K comparable, V any] struct {
	ttl  time.Duration
	size int
	mu   sync.Mutex
	// generation counts the times the cache was emptied: a read that began
	// before an emptying must not store what it read (it may predate the
	// change that emptied the cache).
	generation uint64
	entries    map[K]cached[V]
	// reading holds the reads under way, so that the many requests that miss
	// at once (when an entry lapses or a vote empties the cache under
	// hundreds of readers) wait for one read instead of each reading.
	reading map[K]*read[V]
}

// errReadUnfinished is the error of a read that never returned.
var errReadUnfinished = errors.New("the read of the database did not finish")

// read is a read of the database under way for one key.
type read[V any] struct {
	generation uint64
	done       chan struct{}
	value      V
	err        error
}

type cached[V any] struct {
	value V
	until time.Time
}

func newCache[K comparable, V any](ttl time.Duration, size int) *cache[K, V] {
	return &cache[K, V]{ttl: ttl, size: size, entries: map[K]cached[V]{}, reading: map[K]*read[V]{}}
}

// get returns the value kept for key if it was read less than the TTL ago
// and nothing emptied the cache since.
func (c *cache[K, V]) get(key K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kept(key, now)
}

// kept is the value kept for key, if it is still fresh at now. c.mu is held.
func (c *cache[K, V]) kept(key K, now time.Time) (V, bool) {
	if e, ok := c.entries[key]; ok && now.Before(e.until) {
		return e.value, true
	}
	var zero V
	return zero, false
}

// put keeps a value read at generation, unless the cache was emptied since.
func (c *cache[K, V]) put(key K, v V, generation uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation != c.generation {
		return
	}
	if len(c.entries) >= c.size {
		c.entries = map[K]cached[V]{}
	}
	c.entries[key] = cached[V]{value: v, until: now.Add(c.ttl)}
}

// empty forgets everything. Changes are rare next to reads, so forgetting all
// is cheaper than knowing which entries a change touched (which sessions
// are a member's, say).
func (c *cache[K, V]) empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	c.entries = map[K]cached[V]{}
}

// remember returns the value kept for key, or reads it with fetch and keeps
// it. A request that misses while another reads the same key since the last
// emptying waits for that read; if it fails (its request may have been
// cancelled), it reads for itself.
func (c *cache[K, V]) remember(key K, now time.Time, fetch func() (V, error)) (V, error) {
	c.mu.Lock()
	if v, ok := c.kept(key, now); ok {
		c.mu.Unlock()
		return v, nil
	}
	if r, ok := c.reading[key]; ok && r.generation == c.generation {
		c.mu.Unlock()
		<-r.done
		if r.err == nil {
			return r.value, nil
		}
		return fetch()
	}
	r := &read[V]{generation: c.generation, done: make(chan struct{}), err: errReadUnfinished}
	c.reading[key] = r
	c.mu.Unlock()
	defer func() { // also when fetch panics: the waiters then read for themselves
		c.mu.Lock()
		if c.reading[key] == r {
			delete(c.reading, key)
		}
		c.mu.Unlock()
		close(r.done)
	}()
	r.value, r.err = fetch()
	if r.err == nil {
		c.put(key, r.value, r.generation, now)
	}
	return r.value, r.err
}
