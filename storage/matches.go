package storage

import (
	"context"
	"fmt"
	"time"
)

// MatchDecision is a person's verdict on two objectives: the same aim
// (confirmed, or linked by hand) or not (rejected).
type MatchDecision struct {
	A         string    `db:"a"`
	B         string    `db:"b"`
	Decision  string    `db:"decision"`
	DecidedBy int64     `db:"decided_by"`
	DecidedAt time.Time `db:"decided_at"`
}

// SaveMatchDecision records (or replaces) the decision about a pair.
func (tx *Tx) SaveMatchDecision(ctx context.Context, d MatchDecision) error {
	if d.A > d.B {
		d.A, d.B = d.B, d.A
	}
	_, err := tx.x.ExecContext(ctx, `INSERT INTO match_decisions (a, b, decision, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (a, b) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
		d.A, d.B, d.Decision, d.DecidedBy, d.DecidedAt)
	if err != nil {
		return fmt.Errorf("save match decision: %w", err)
	}
	return nil
}

// DeleteMatchDecision forgets the decision about a pair.
func (tx *Tx) DeleteMatchDecision(ctx context.Context, a, b string) error {
	if a > b {
		a, b = b, a
	}
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM match_decisions WHERE a = $1 AND b = $2`, a, b); err != nil {
		return fmt.Errorf("delete match decision: %w", err)
	}
	return nil
}

// MatchDecisions lists every decision.
func (tx *Tx) MatchDecisions(ctx context.Context) ([]MatchDecision, error) {
	var ds []MatchDecision
	if err := tx.x.SelectContext(ctx, &ds, `SELECT a, b, decision, decided_by, decided_at FROM match_decisions ORDER BY a, b`); err != nil {
		return nil, fmt.Errorf("list match decisions: %w", err)
	}
	return ds, nil
}
