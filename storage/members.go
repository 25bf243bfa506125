package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/commonground/commonground/proposals"
)

type memberRow struct {
	ID           int64     `db:"id"`
	Username     string    `db:"username"`
	DisplayName  string    `db:"display_name"`
	PasswordHash string    `db:"password_hash"`
	Role         string    `db:"role"`
	Status       string    `db:"status"`
	TimeZone     string    `db:"time_zone"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

func (r memberRow) domain() proposals.Member {
	return proposals.Member{ID: r.ID, Username: r.Username, DisplayName: r.DisplayName,
		Role: proposals.Role(r.Role), Status: proposals.MemberStatus(r.Status), TimeZone: r.TimeZone, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

const memberColumns = `m.id, m.username, m.display_name, m.password_hash, m.role, m.status, m.time_zone, m.created_at, m.updated_at`

// CreateMember stores a new account; a taken username is a conflict.
func (tx *Tx) CreateMember(ctx context.Context, m proposals.Member, passwordHash string) (proposals.Member, error) {
	err := tx.x.GetContext(ctx, &m.ID, `INSERT INTO members (username, display_name, password_hash, role, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		m.Username, m.DisplayName, passwordHash, m.Role, m.Status, m.CreatedAt, m.UpdatedAt)
	if isUniqueViolation(err) {
		return m, proposals.Invalid("username", "%q is taken; choose another", m.Username)
	}
	if err != nil {
		return m, fmt.Errorf("create member: %w", err)
	}
	return m, nil
}

// MemberByID returns one member.
func (tx *Tx) MemberByID(ctx context.Context, id int64) (proposals.Member, error) {
	var r memberRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+memberColumns+` FROM members m WHERE m.id = $1`, id); err != nil {
		return proposals.Member{}, notFound(err, "member")
	}
	return r.domain(), nil
}

// MemberByUsername returns a member and their password hash, for sign-in.
func (tx *Tx) MemberByUsername(ctx context.Context, username string) (proposals.Member, string, error) {
	var r memberRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+memberColumns+` FROM members m WHERE m.username = $1`, username); err != nil {
		return proposals.Member{}, "", notFound(err, "member")
	}
	return r.domain(), r.PasswordHash, nil
}

// Members lists every account, admins first, then by name.
func (tx *Tx) Members(ctx context.Context) ([]proposals.Member, error) {
	var rows []memberRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT `+memberColumns+` FROM members m
		ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'facilitator' THEN 1 ELSE 2 END, m.username`)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	ms := make([]proposals.Member, len(rows))
	for i, r := range rows {
		ms[i] = r.domain()
	}
	return ms, nil
}

// CountActiveAdmins counts admins who are not suspended.
func (tx *Tx) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	if err := tx.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM members WHERE role = 'admin' AND status = 'active'`); err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// LockActiveAdmins counts admins who are not suspended, locking their rows
// on PostgreSQL until the transaction ends: two admins demoting each other at
// once are then decided one after the other, and one of them stays admin.
// (SQLite has one writer at a time already.)
func (tx *Tx) LockActiveAdmins(ctx context.Context) (int, error) {
	var ids []int64
	err := tx.x.SelectContext(ctx, &ids, `SELECT id FROM members WHERE role = 'admin' AND status = 'active' ORDER BY id`+tx.lockClause(" FOR UPDATE"))
	if err != nil {
		return 0, fmt.Errorf("lock admins: %w", err)
	}
	return len(ids), nil
}

// UpdateMemberRole sets a member's role.
func (tx *Tx) UpdateMemberRole(ctx context.Context, id int64, role proposals.Role, at time.Time) error {
	return tx.updateOne(ctx, "member", `UPDATE members SET role = $1, updated_at = $2 WHERE id = $3`, role, at, id)
}

// UpdateMemberStatus sets a member's status.
func (tx *Tx) UpdateMemberStatus(ctx context.Context, id int64, status proposals.MemberStatus, at time.Time) error {
	return tx.updateOne(ctx, "member", `UPDATE members SET status = $1, updated_at = $2 WHERE id = $3`, status, at, id)
}

// UpdatePasswordHash sets a member's password hash.
func (tx *Tx) UpdatePasswordHash(ctx context.Context, id int64, hash string, at time.Time) error {
	return tx.updateOne(ctx, "member", `UPDATE members SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, at, id)
}

// updateOne runs an UPDATE that must touch exactly one row; none is ErrNotFound.
func (tx *Tx) updateOne(ctx context.Context, what, query string, args ...any) error {
	res, err := tx.x.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update %s: %w", what, proposals.ErrNotFound)
	}
	return nil
}

// isUniqueViolation recognises a unique-constraint error from either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// SetTimeZone sets the time zone a member reads times in (” for the browser's).
func (tx *Tx) SetTimeZone(ctx context.Context, id int64, zone string, at time.Time) error {
	return tx.updateOne(ctx, "member", `UPDATE members SET time_zone = $1, updated_at = $2 WHERE id = $3`, zone, at, id)
}

// RecordMemberAction keeps an admin's suspension or reactivation of a member.
func (tx *Tx) RecordMemberAction(ctx context.Context, a proposals.MemberAction) error {
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO member_actions (member_id, actor_id, action, reason, at) VALUES ($1, $2, $3, $4, $5)`,
		a.MemberID, a.ActorID, a.Action, a.Reason, a.At); err != nil {
		return fmt.Errorf("record member action: %w", err)
	}
	return nil
}

// LatestMemberActions returns each member's latest suspension or
// reactivation, with who did it, by member id.
func (tx *Tx) LatestMemberActions(ctx context.Context) (map[int64]proposals.MemberAction, error) {
	var rows []struct {
		MemberID  int64     `db:"member_id"`
		ActorID   int64     `db:"actor_id"`
		ActorName string    `db:"actor_name"`
		Action    string    `db:"action"`
		Reason    string    `db:"reason"`
		At        time.Time `db:"at"`
	}
	err := tx.x.SelectContext(ctx, &rows, `SELECT a.member_id, a.actor_id, COALESCE(NULLIF(m.display_name, ''), m.username) AS actor_name, a.action, a.reason, a.at
		FROM member_actions a JOIN members m ON m.id = a.actor_id
		WHERE a.id = (SELECT MAX(b.id) FROM member_actions b WHERE b.member_id = a.member_id)`)
	if err != nil {
		return nil, fmt.Errorf("member actions: %w", err)
	}
	out := make(map[int64]proposals.MemberAction, len(rows))
	for _, r := range rows {
		out[r.MemberID] = proposals.MemberAction{MemberID: r.MemberID, ActorID: r.ActorID, ActorName: r.ActorName,
			Action: r.Action, Reason: r.Reason, At: r.At}
	}
	return out, nil
}
