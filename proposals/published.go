package proposals

import (
	"context"
	"slices"

	"github.com/commonground/commonground/internal/memo"
)

// published is what the service keeps of the movement in memory: its name
// heads every page, and the current statement is the public page anyone may
// read as often as they like. One entry each (the key is empty).
type published struct {
	movement *memo.Cache[struct{}, Movement]
	current  *memo.Cache[struct{}, Version]
}

func newPublished() published {
	return published{movement: memo.New[struct{}, Movement](publishedTTL, 1), current: memo.New[struct{}, Version](publishedTTL, 1)}
}

func (p published) empty() {
	p.movement.Empty()
	p.current.Empty()
}

// Movement returns the instance's movement (ErrNotFound before setup).
func (s *Service) Movement(ctx context.Context) (Movement, error) {
	return s.published.movement.Remember(struct{}{}, s.now(), func() (m Movement, err error) {
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
	v, err := s.published.current.Remember(struct{}{}, s.now(), func() (v Version, err error) {
		err = s.store.Single(ctx, func(tx Tx) (err error) { v, err = tx.CurrentVersion(ctx); return err })
		return v, err
	})
	// The caller gets its own items: the memo's are shared by every request.
	v.Statement.Items = slices.Clone(v.Statement.Items)
	return v, err
}
