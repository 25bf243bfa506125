package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/commonground/commonground/proposals"
)

type commentRow struct {
	ID           int64          `db:"id"`
	ProposalID   int64          `db:"proposal_id"`
	ParentID     sql.NullInt64  `db:"parent_id"`
	AuthorID     int64          `db:"author_id"`
	AuthorName   string         `db:"author_name"`
	Body         string         `db:"body"`
	CreatedAt    time.Time      `db:"created_at"`
	EditedAt     sql.NullTime   `db:"edited_at"`
	HiddenAt     sql.NullTime   `db:"hidden_at"`
	HiddenByName sql.NullString `db:"hidden_by_name"`
	HiddenReason string         `db:"hidden_reason"`
}

func (r commentRow) domain() proposals.Comment {
	return proposals.Comment{ID: r.ID, ProposalID: r.ProposalID, ParentID: r.ParentID.Int64, AuthorID: r.AuthorID,
		AuthorName: r.AuthorName, Body: r.Body, CreatedAt: r.CreatedAt, EditedAt: timePtr(r.EditedAt),
		HiddenAt: timePtr(r.HiddenAt), HiddenByName: r.HiddenByName.String, HiddenReason: r.HiddenReason}
}

const commentSelect = `SELECT c.id, c.proposal_id, c.parent_id, c.author_id, COALESCE(NULLIF(a.display_name, ''), a.username) AS author_name,
	c.body, c.created_at, c.edited_at, c.hidden_at, COALESCE(NULLIF(h.display_name, ''), h.username) AS hidden_by_name, c.hidden_reason
	FROM comments c JOIN members a ON a.id = c.author_id LEFT JOIN members h ON h.id = c.hidden_by `

// CreateComment stores a comment and returns its id.
func (tx *Tx) CreateComment(ctx context.Context, c proposals.Comment) (int64, error) {
	var parent sql.NullInt64
	if c.ParentID != 0 {
		parent = sql.NullInt64{Int64: c.ParentID, Valid: true}
	}
	var id int64
	err := tx.x.GetContext(ctx, &id, `INSERT INTO comments (proposal_id, parent_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		c.ProposalID, parent, c.AuthorID, c.Body, c.CreatedAt)
	if err != nil {
		return 0, fmt.Errorf("create comment: %w", err)
	}
	return id, nil
}

// Comment returns one comment.
func (tx *Tx) Comment(ctx context.Context, id int64) (proposals.Comment, error) {
	var r commentRow
	if err := tx.x.GetContext(ctx, &r, commentSelect+`WHERE c.id = $1`, id); err != nil {
		return proposals.Comment{}, notFound(err, "comment")
	}
	return r.domain(), nil
}

// Comments lists a proposal's discussion, oldest first.
func (tx *Tx) Comments(ctx context.Context, proposalID int64) ([]proposals.Comment, error) {
	var rows []commentRow
	if err := tx.x.SelectContext(ctx, &rows, commentSelect+`WHERE c.proposal_id = $1 ORDER BY c.id`, proposalID); err != nil {
		return nil, fmt.Errorf("list comments: %w", err)
	}
	cs := make([]proposals.Comment, len(rows))
	for i, r := range rows {
		cs[i] = r.domain()
	}
	return cs, nil
}

// UpdateCommentBody replaces a comment's text and marks it edited.
func (tx *Tx) UpdateCommentBody(ctx context.Context, id int64, body string, at time.Time) error {
	return tx.updateOne(ctx, "comment", `UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3`, body, at, id)
}

// HideComment hides a comment, recording who and why.
func (tx *Tx) HideComment(ctx context.Context, id, by int64, reason string, at time.Time) error {
	return tx.updateOne(ctx, "comment", `UPDATE comments SET hidden_at = $1, hidden_by = $2, hidden_reason = $3 WHERE id = $4`, at, by, reason, id)
}
