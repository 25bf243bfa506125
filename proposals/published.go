package proposals

import (
	"context"
	"slices"
	"sync"
	"time"
)

// publishedTTL bounds how long the movement and its current statement are
// trusted from memory. Whatever changes them sends NoticeStatement, which
// empties the memory at once (in every process on PostgreSQL); the TTL is the
// backstop for a notice that was lost.
const publishedTTL = 5 * time.Second

// memo keeps one value read from the database, for what every page shows and
// rarely changes: the movement's name heads every page, and the current
// statement is the public page anyone may read as often as they like.
type memo[T any] struct {
	mu sync.Mutex
	// generation counts the times the memo was emptied: a read that began
	// before an emptying must not store what it read (it may predate the
	// change that emptied it).
	generation uint64
	value      T
	until      time.Time
}

// get returns the value if it was read less than publishedTTL ago and
// nothing changed since; else the generation to hand to put after reading.
func (m *memo[T]) get(now time.Time) (T, uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.value, m.generation, now.Before(m.until)
}

func (m *memo[T]) put(v T, generation uint64, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if generation == m.generation {
		m.value, m.until = v, now.Add(publishedTTL)
	}
}

func (m *memo[T]) empty() {
	m.mu.Lock()
	defer m.mu.Unlock()
	var zero T
	m.generation++
	m.value, m.until = zero, time.Time{}
}

// remember returns the memo's value, or reads it with read and keeps it.
func remember[T any](m *memo[T], now time.Time, read func() (T, error)) (T, error) {
	v, generation, ok := m.get(now)
	if ok {
		return v, nil
	}
	v, err := read()
	if err == nil {
		m.put(v, generation, now)
	}
	return v, err
}

// published is what the service keeps of the movement in memory.
type published struct {
	movement memo[Movement]
	current  memo[Version]
}

func (p *published) empty() {
	p.movement.empty()
	p.current.empty()
}

// Movement returns the instance's movement (ErrNotFound before setup).
func (s *Service) Movement(ctx context.Context) (Movement, error) {
	return remember(&s.published.movement, s.now(), func() (m Movement, err error) {
		err = s.store.Single(ctx, func(tx Tx) error {
			m, err = tx.Movement(ctx)
			return err
		})
		return m, err
	})
}

// CurrentVersion returns the statement in force. The public statement page,
// the busiest page, reads it from memory.
func (s *Service) CurrentVersion(ctx context.Context) (Version, error) {
	v, err := remember(&s.published.current, s.now(), func() (v Version, err error) {
		err = s.store.Single(ctx, func(tx Tx) (err error) { v, err = tx.CurrentVersion(ctx); return err })
		return v, err
	})
	// The caller gets its own items: the memo's are shared by every request.
	v.Statement.Items = slices.Clone(v.Statement.Items)
	return v, err
}
