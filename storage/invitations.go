package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/commonground/commonground/proposals"
)

type invitationRow struct {
	ID        int64        `db:"id"`
	Role      string       `db:"role"`
	CreatedBy int64        `db:"created_by"`
	Note      string       `db:"note"`
	MaxUses   int          `db:"max_uses"`
	Uses      int          `db:"uses"`
	ExpiresAt time.Time    `db:"expires_at"`
	RevokedAt sql.NullTime `db:"revoked_at"`
	CreatedAt time.Time    `db:"created_at"`
}

func (r invitationRow) domain() proposals.Invitation {
	return proposals.Invitation{ID: r.ID, Role: proposals.Role(r.Role), CreatedBy: r.CreatedBy, Note: r.Note,
		MaxUses: r.MaxUses, Uses: r.Uses, ExpiresAt: r.ExpiresAt, RevokedAt: timePtr(r.RevokedAt), CreatedAt: r.CreatedAt}
}

const invitationColumns = `id, role, created_by, note, max_uses, uses, expires_at, revoked_at, created_at`

// CreateInvitation stores an invitation by the hash of its token.
func (tx *Tx) CreateInvitation(ctx context.Context, inv proposals.Invitation, tokenHash string) (proposals.Invitation, error) {
	err := tx.x.GetContext(ctx, &inv.ID, `INSERT INTO invitations (token_hash, role, created_by, note, max_uses, uses, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id`,
		tokenHash, inv.Role, inv.CreatedBy, inv.Note, inv.MaxUses, inv.ExpiresAt, inv.CreatedAt)
	if err != nil {
		return inv, fmt.Errorf("create invitation: %w", err)
	}
	return inv, nil
}

// InvitationByToken finds an invitation by its token's hash, usable or not.
func (tx *Tx) InvitationByToken(ctx context.Context, tokenHash string) (proposals.Invitation, error) {
	var r invitationRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, tokenHash); err != nil {
		return proposals.Invitation{}, notFound(err, "invitation")
	}
	return r.domain(), nil
}

// UseInvitation counts one use if the invitation is still usable at now, in one
// statement, so two people racing for the last use cannot both get it.
func (tx *Tx) UseInvitation(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := tx.x.ExecContext(ctx, `UPDATE invitations SET uses = uses + 1
		WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses < max_uses`, id, now)
	if err != nil {
		return false, fmt.Errorf("use invitation: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RevokeInvitation stops an invitation from working.
func (tx *Tx) RevokeInvitation(ctx context.Context, id int64, at time.Time) error {
	return tx.updateOne(ctx, "invitation", `UPDATE invitations SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at, id)
}

// Invitations lists every invitation, newest first.
func (tx *Tx) Invitations(ctx context.Context) ([]proposals.Invitation, error) {
	var rows []invitationRow
	if err := tx.x.SelectContext(ctx, &rows, `SELECT `+invitationColumns+` FROM invitations ORDER BY created_at DESC, id DESC`); err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	invs := make([]proposals.Invitation, len(rows))
	for i, r := range rows {
		invs[i] = r.domain()
	}
	return invs, nil
}

// SetupToken returns the stored setup token, or ErrNotFound.
func (tx *Tx) SetupToken(ctx context.Context) (string, error) {
	var token string
	if err := tx.x.GetContext(ctx, &token, `SELECT token FROM setup_token WHERE id = 1`); err != nil {
		return "", notFound(err, "setup token")
	}
	return token, nil
}

// SaveSetupToken stores the setup token unless one is stored already (by a
// process that started at the same moment).
func (tx *Tx) SaveSetupToken(ctx context.Context, token string, at time.Time) error {
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO setup_token (id, token, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, token, at); err != nil {
		return fmt.Errorf("save setup token: %w", err)
	}
	return nil
}

// DeleteSetupToken removes the setup token once the instance is claimed.
func (tx *Tx) DeleteSetupToken(ctx context.Context) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM setup_token`); err != nil {
		return fmt.Errorf("delete setup token: %w", err)
	}
	return nil
}
