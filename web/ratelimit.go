package web

import (
	"sync"
	"time"
)

// failureLimiter counts failed attempts per key (an account, an address) in a
// sliding window and refuses further attempts once max is reached. It lives in
// memory: each process limits on its own, which is enough to make guessing
// passwords slow.
type failureLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newFailureLimiter(max int, window time.Duration, now func() time.Time) *failureLimiter {
	return &failureLimiter{max: max, window: window, now: now, fails: map[string][]time.Time{}}
}

// allowed reports whether key may try again.
func (l *failureLimiter) allowed(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key)) < l.max
}

// fail records a failed attempt.
func (l *failureLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.recent(key), l.now())
	if len(l.fails) > 100_000 {
		l.prune()
	}
}

// reset forgets key's failures, after a success.
func (l *failureLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

// recent drops failures older than the window; the caller holds the lock.
func (l *failureLimiter) recent(key string) []time.Time {
	cutoff := l.now().Add(-l.window)
	times := l.fails[key]
	i := 0
	for i < len(times) && !times[i].After(cutoff) {
		i++
	}
	if i == len(times) {
		delete(l.fails, key)
		return nil
	}
	return times[i:]
}

// prune bounds memory under a flood of distinct keys.
func (l *failureLimiter) prune() {
	for key := range l.fails {
		l.recent(key)
	}
}
