// Package testclock is a clock for tests that moves only when told to, so
// that deadlines, limits and reminders are in the test's hands rather than
// in how fast the machine runs. Services take its Now as their clock.
package testclock

import (
	"sync"
	"time"
)

// Clock is safe for use by several goroutines.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock standing at start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
