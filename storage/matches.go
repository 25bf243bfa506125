package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/proposals"
)

// Allies lists the movements this movement follows, with the state of both
// follows (ours of them, theirs of us).
func (tx *Tx) Allies(ctx context.Context) ([]alliances.Ally, error) {
	var rows []struct {
		ID          string `db:"id"`
		Handle      string `db:"handle"`
		Name        string `db:"name"`
		URL         string `db:"url"`
		OurFollow   string `db:"our_follow"`
		TheirFollow string `db:"their_follow"`
	}
	err := tx.x.SelectContext(ctx, &rows, `SELECT a.id, a.handle, a.name, a.url, f.status AS our_follow, COALESCE(r.status, '') AS their_follow
		FROM following f JOIN remote_actors a ON a.id = f.actor_id LEFT JOIN followers r ON r.actor_id = f.actor_id
		ORDER BY f.created_at, a.id`)
	if err != nil {
		return nil, fmt.Errorf("list allies: %w", err)
	}
	out := make([]alliances.Ally, len(rows))
	for i, r := range rows {
		out[i] = alliances.Ally{ID: r.ID, Handle: r.Handle, Name: r.Name, URL: r.URL, Status: alliances.StatusOf(r.OurFollow, r.TheirFollow)}
	}
	return out, nil
}

// AllyStatements returns the newest statement received from each movement
// this movement follows. A stored statement this binary cannot read counts
// as none.
func (tx *Tx) AllyStatements(ctx context.Context) ([]alliances.AllyStatement, error) {
	var rows []RemoteStatement
	err := tx.x.SelectContext(ctx, &rows, `SELECT s.actor_id, s.version, s.note_id, s.content, s.received_at FROM remote_statements s
		JOIN following f ON f.actor_id = s.actor_id
		WHERE s.version = (SELECT MAX(version) FROM remote_statements r WHERE r.actor_id = s.actor_id) ORDER BY s.actor_id`)
	if err != nil {
		return nil, fmt.Errorf("ally statements: %w", err)
	}
	out := make([]alliances.AllyStatement, 0, len(rows))
	for _, r := range rows {
		var doc struct{ Statement proposals.Statement }
		if json.Unmarshal([]byte(r.Content), &doc) != nil {
			continue
		}
		out = append(out, alliances.AllyStatement{Actor: r.ActorID, Version: r.Version, NoteID: r.NoteID, Statement: doc.Statement})
	}
	return out, nil
}

// SaveMatchDecision records (or replaces) the decision about a pair.
func (tx *Tx) SaveMatchDecision(ctx context.Context, d alliances.MatchDecision) error {
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
func (tx *Tx) MatchDecisions(ctx context.Context) ([]alliances.MatchDecision, error) {
	var rows []struct {
		A         string    `db:"a"`
		B         string    `db:"b"`
		Decision  string    `db:"decision"`
		DecidedBy int64     `db:"decided_by"`
		DecidedAt time.Time `db:"decided_at"`
	}
	if err := tx.x.SelectContext(ctx, &rows, `SELECT a, b, decision, decided_by, decided_at FROM match_decisions ORDER BY a, b`); err != nil {
		return nil, fmt.Errorf("list match decisions: %w", err)
	}
	out := make([]alliances.MatchDecision, len(rows))
	for i, r := range rows {
		out[i] = alliances.MatchDecision{A: r.A, B: r.B, Decision: r.Decision, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt}
	}
	return out, nil
}
