// Package memo keeps what was read from the database in memory for a while,
// safely against changes made meanwhile: a read that began before the cache
// was emptied is not kept, and requests that miss together wait for one
// read.
package memo

import (
	"errors"
	"sync"
	"time"
)

// Cache keeps values read from the database in memory for a while (proposals
// keeps sessions, the movement, proposal pages; federation the remote actors
// it just checked): at most size of them, each for ttl, or until emptied by a
// notice that what it holds may have changed.
type Cache[K comparable, V any] struct {
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

// New is an empty cache keeping at most size values, each for ttl.
func New[K comparable, V any](ttl time.Duration, size int) *Cache[K, V] {
	return &Cache[K, V]{ttl: ttl, size: size, entries: map[K]cached[V]{}, reading: map[K]*read[V]{}}
}

// Get returns the value kept for key if it was read less than the TTL ago
// and nothing emptied the cache since.
func (c *Cache[K, V]) Get(key K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kept(key, now)
}

// kept is the value kept for key, if it is still fresh at now. c.mu is held.
func (c *Cache[K, V]) kept(key K, now time.Time) (V, bool) {
	if e, ok := c.entries[key]; ok && now.Before(e.until) {
		return e.value, true
	}
	var zero V
	return zero, false
}

// put keeps a value read at generation, unless the cache was emptied since.
func (c *Cache[K, V]) put(key K, v V, generation uint64, now time.Time) {
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

// Set keeps v for key: a value just written (an actor fetched and stored).
// Reads under way when it is set are not kept (they may predate the write);
// the other values are.
func (c *Cache[K, V]) Set(key K, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	if len(c.entries) >= c.size {
		c.entries = map[K]cached[V]{}
	}
	c.entries[key] = cached[V]{value: v, until: now.Add(c.ttl)}
}

// Empty forgets everything. Changes are rare next to reads, so forgetting all
// is cheaper than knowing which entries a change touched (which sessions
// are a member's, say).
func (c *Cache[K, V]) Empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	c.entries = map[K]cached[V]{}
}

// Remember returns the value kept for key, or reads it with fetch and keeps
// it. A request that misses while another reads the same key since the last
// emptying waits for that read; if it fails (its request may have been
// cancelled), it reads for itself.
func (c *Cache[K, V]) Remember(key K, now time.Time, fetch func() (V, error)) (V, error) {
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
