package proposals

import (
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
)

// sessionCache keeps recently read sessions in memory, so that a signed-in
// request does not read its session from the database every time.
type sessionCache struct {
	mu sync.Mutex
	// generation counts the times the cache was emptied: a read that began
	// before an emptying must not store what it read (it may predate the
	// sign-out that emptied the cache).
	generation uint64
	entries    map[string]cachedSession
}

type cachedSession struct {
	member Member
	until  time.Time
}

func newSessionCache() *sessionCache {
	return &sessionCache{entries: map[string]cachedSession{}}
}

// get returns the member of the session with tokenHash if it was read less
// than sessionCacheTTL ago and nothing has ended a session since; else it
// returns the generation to hand to put after reading the database.
func (c *sessionCache) get(tokenHash string, now time.Time) (Member, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[tokenHash]
	if ok && now.Before(e.until) {
		return e.member, c.generation, true
	}
	return Member{}, c.generation, false
}

// put keeps a session read at generation, unless the cache was emptied since.
func (c *sessionCache) put(tokenHash string, m Member, generation uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation != c.generation {
		return
	}
	if len(c.entries) >= sessionCacheSize {
		c.entries = map[string]cachedSession{}
	}
	c.entries[tokenHash] = cachedSession{member: m, until: now.Add(sessionCacheTTL)}
}

// empty forgets every session: one ended, or a member's role or status
// changed. Sign-outs are rare next to requests, so forgetting all is cheaper
// than keeping an index from members to their sessions.
func (c *sessionCache) empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	c.entries = map[string]cachedSession{}
}
