package proposals

import "time"

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
