package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/commonground/commonground/proposals"
)

// CreateSession stores a session by the hash of its token.
func (tx *Tx) CreateSession(ctx context.Context, tokenHash string, memberID int64, created, expires time.Time) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash, memberID, created, expires)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionMember returns the active member of an unexpired session.
func (tx *Tx) SessionMember(ctx context.Context, tokenHash string, now time.Time) (proposals.Member, error) {
	var r memberRow
	err := tx.x.GetContext(ctx, &r, `SELECT `+memberColumns+` FROM sessions s JOIN members m ON m.id = s.member_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.status = 'active'`, tokenHash, now)
	if err != nil {
		return proposals.Member{}, notFound(err, "session")
	}
	return r.domain(), nil
}

// DeleteSession ends one session (no error if it is already gone).
func (tx *Tx) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteMemberSessions ends every session of a member.
func (tx *Tx) DeleteMemberSessions(ctx context.Context, memberID int64) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = $1`, memberID); err != nil {
		return fmt.Errorf("delete member sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry and says how many.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := tx.x.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
