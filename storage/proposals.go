package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

type proposalRow struct {
	ID            int64          `db:"id"`
	Kind          string         `db:"kind"`
	JointID       sql.NullInt64  `db:"joint_id"`
	JointVersion  int            `db:"joint_version"`
	Title         string         `db:"title"`
	Rationale     string         `db:"rationale"`
	AuthorID      int64          `db:"author_id"`
	AuthorName    string         `db:"author_name"`
	BaseVersion   int            `db:"base_version"`
	Changes       string         `db:"changes"`
	Status        string         `db:"status"`
	RuleKind      string         `db:"rule_kind"`
	Rule          sql.NullString `db:"rule"`
	Round         int            `db:"round"`
	Eligible      int            `db:"eligible"`
	OpenedAt      sql.NullTime   `db:"opened_at"`
	ClosesAt      sql.NullTime   `db:"closes_at"`
	DecidedAt     sql.NullTime   `db:"decided_at"`
	Outcome       sql.NullString `db:"outcome"`
	ResultVersion sql.NullInt64  `db:"result_version"`
	Conflict      string         `db:"conflict"`
	SharedAt      sql.NullTime   `db:"shared_at"`
	CreatedAt     time.Time      `db:"created_at"`
	UpdatedAt     time.Time      `db:"updated_at"`
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

func (r proposalRow) domain() (proposals.Proposal, error) {
	p := proposals.Proposal{ID: r.ID, Kind: proposals.ProposalKind(r.Kind), JointID: r.JointID.Int64, JointVersion: r.JointVersion, Title: r.Title, Rationale: r.Rationale, AuthorID: r.AuthorID, AuthorName: r.AuthorName,
		BaseVersion: r.BaseVersion, Status: proposals.ProposalStatus(r.Status), RuleKind: proposals.RuleKind(r.RuleKind),
		Round: r.Round, Eligible: r.Eligible, OpenedAt: timePtr(r.OpenedAt), ClosesAt: timePtr(r.ClosesAt),
		DecidedAt: timePtr(r.DecidedAt), ResultVersion: int(r.ResultVersion.Int64), Conflict: r.Conflict,
		SharedAt: timePtr(r.SharedAt), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.Changes), &p.Changes); err != nil {
		return p, fmt.Errorf("proposal %d changes: %w", r.ID, err)
	}
	if r.Rule.Valid {
		rule, err := consensus.ParseRule([]byte(r.Rule.String))
		if err != nil {
			return p, fmt.Errorf("proposal %d rule: %w", r.ID, err)
		}
		p.Rule = &rule
	}
	if r.Outcome.Valid {
		var o consensus.Outcome
		if err := json.Unmarshal([]byte(r.Outcome.String), &o); err != nil {
			return p, fmt.Errorf("proposal %d outcome: %w", r.ID, err)
		}
		p.Outcome = &o
	}
	return p, nil
}

const proposalColumns = `p.id, p.kind, p.joint_id, p.joint_version, p.title, p.rationale, p.author_id, COALESCE(NULLIF(m.display_name, ''), m.username) AS author_name,
	p.base_version, p.changes, p.status, p.rule_kind, p.rule, p.round, p.eligible, p.opened_at, p.closes_at, p.decided_at, p.shared_at,
	p.outcome, p.result_version, p.conflict, p.created_at, p.updated_at`

// CreateProposal stores a new draft and returns its id.
func (tx *Tx) CreateProposal(ctx context.Context, p proposals.Proposal) (int64, error) {
	changes, err := json.Marshal(nonNilChanges(p.Changes))
	if err != nil {
		return 0, err
	}
	var id int64
	var jointID sql.NullInt64
	if p.JointID != 0 {
		jointID = sql.NullInt64{Int64: p.JointID, Valid: true}
	}
	err = tx.x.GetContext(ctx, &id, `INSERT INTO proposals (kind, joint_id, joint_version, title, rationale, author_id, base_version, changes, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		p.Kind, jointID, p.JointVersion, p.Title, p.Rationale, p.AuthorID, p.BaseVersion, string(changes), p.Status, p.CreatedAt, p.UpdatedAt)
	if err != nil {
		return 0, fmt.Errorf("create proposal: %w", err)
	}
	return id, nil
}

func nonNilChanges(cs []proposals.Change) []proposals.Change {
	if cs == nil {
		return []proposals.Change{}
	}
	return cs
}

func (tx *Tx) proposal(ctx context.Context, id int64, lock string) (proposals.Proposal, error) {
	var r proposalRow
	err := tx.x.GetContext(ctx, &r, `SELECT `+proposalColumns+` FROM proposals p JOIN members m ON m.id = p.author_id WHERE p.id = $1`+lock, id)
	if err != nil {
		return proposals.Proposal{}, notFound(err, "proposal")
	}
	return r.domain()
}

// Proposal returns one proposal.
func (tx *Tx) Proposal(ctx context.Context, id int64) (proposals.Proposal, error) {
	return tx.proposal(ctx, id, "")
}

// ProposalForUpdate returns a proposal locked until the transaction ends, so no
// vote lands while it changes state. (SQLite's single writer needs no lock.)
func (tx *Tx) ProposalForUpdate(ctx context.Context, id int64) (proposals.Proposal, error) {
	return tx.proposal(ctx, id, tx.lockClause(" FOR UPDATE OF p"))
}

// ProposalForVote returns what a vote needs of a proposal (id, status, round,
// deadline, rule), share-locked: votes run side by side, but a close waits for
// them, and they wait for a close. It reads only those columns because every
// vote pays for it.
func (tx *Tx) ProposalForVote(ctx context.Context, id, voterID int64) (proposals.Proposal, bool, error) {
	var r struct {
		ID       int64          `db:"id"`
		Status   string         `db:"status"`
		Round    int            `db:"round"`
		ClosesAt sql.NullTime   `db:"closes_at"`
		Rule     sql.NullString `db:"rule"`
		Eligible bool           `db:"eligible"`
	}
	err := tx.x.GetContext(ctx, &r, `SELECT p.id, p.status, p.round, p.closes_at, p.rule,
			EXISTS (SELECT 1 FROM proposal_voters v WHERE v.proposal_id = p.id AND v.member_id = $2) AS eligible
		FROM proposals p WHERE p.id = $1`+tx.lockClause(" FOR SHARE OF p"), id, voterID)
	if err != nil {
		return proposals.Proposal{}, false, notFound(err, "proposal")
	}
	p := proposals.Proposal{ID: r.ID, Status: proposals.ProposalStatus(r.Status), Round: r.Round, ClosesAt: timePtr(r.ClosesAt)}
	if r.Rule.Valid {
		rule, err := consensus.ParseRule([]byte(r.Rule.String))
		if err != nil {
			return p, false, fmt.Errorf("proposal %d rule: %w", r.ID, err)
		}
		p.Rule = &rule
	}
	return p, r.Eligible, nil
}

func (tx *Tx) lockClause(clause string) string {
	if tx.dialect == Postgres {
		return clause
	}
	return ""
}

// UpdateProposal writes every mutable field of a proposal.
func (tx *Tx) UpdateProposal(ctx context.Context, p proposals.Proposal) error {
	changes, err := json.Marshal(nonNilChanges(p.Changes))
	if err != nil {
		return err
	}
	var rule, outcome sql.NullString
	if p.Rule != nil {
		b, err := json.Marshal(p.Rule)
		if err != nil {
			return err
		}
		rule = sql.NullString{String: string(b), Valid: true}
	}
	if p.Outcome != nil {
		b, err := json.Marshal(p.Outcome)
		if err != nil {
			return err
		}
		outcome = sql.NullString{String: string(b), Valid: true}
	}
	var resultVersion sql.NullInt64
	if p.ResultVersion != 0 {
		resultVersion = sql.NullInt64{Int64: int64(p.ResultVersion), Valid: true}
	}
	return tx.updateOne(ctx, "proposal", `UPDATE proposals SET title = $1, rationale = $2, changes = $3, status = $4,
		rule_kind = $5, rule = $6, round = $7, eligible = $8, opened_at = $9, closes_at = $10, decided_at = $11,
		outcome = $12, result_version = $13, conflict = $14, updated_at = $15, shared_at = $16 WHERE id = $17`,
		p.Title, p.Rationale, string(changes), p.Status, p.RuleKind, rule, p.Round, p.Eligible,
		nullTime(p.OpenedAt), nullTime(p.ClosesAt), nullTime(p.DecidedAt), outcome, resultVersion, p.Conflict, p.UpdatedAt, nullTime(p.SharedAt), p.ID)
}

type summaryRow struct {
	ID         int64        `db:"id"`
	Kind       string       `db:"kind"`
	Title      string       `db:"title"`
	AuthorName string       `db:"author_name"`
	Status     string       `db:"status"`
	ClosesAt   sql.NullTime `db:"closes_at"`
	Votes      int          `db:"votes"`
	Comments   int          `db:"comments"`
	UpdatedAt  time.Time    `db:"updated_at"`
}

// Proposals lists the proposals with the given statuses (all when none) that
// viewerID may see, open ones first, then by most recent change. A proposal
// never opened for voting is seen by its author, and by all when allDrafts.
// The filter is in the query so that LIMIT counts only what is shown.
func (tx *Tx) Proposals(ctx context.Context, statuses []proposals.ProposalStatus, viewerID int64, allDrafts bool, limit int) ([]proposals.ProposalSummary, error) {
	args := []any{viewerID, allDrafts}
	where := `WHERE (p.opened_at IS NOT NULL OR p.shared_at IS NOT NULL OR p.author_id = $1 OR $2
		OR EXISTS (SELECT 1 FROM proposal_coauthors c WHERE c.proposal_id = p.id AND c.member_id = $1))`
	if len(statuses) > 0 {
		marks := make([]string, len(statuses))
		for i, s := range statuses {
			args = append(args, string(s))
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where += " AND p.status IN (" + strings.Join(marks, ", ") + ")"
	}
	args = append(args, limit)
	var rows []summaryRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT p.id, p.kind, p.title, COALESCE(NULLIF(m.display_name, ''), m.username) AS author_name,
		p.status, p.closes_at, p.updated_at,
		(SELECT COUNT(*) FROM votes v WHERE v.proposal_id = p.id AND v.round = p.round) AS votes,
		(SELECT COUNT(*) FROM comments c WHERE c.proposal_id = p.id) AS comments
		FROM proposals p JOIN members m ON m.id = p.author_id `+where+`
		ORDER BY CASE p.status WHEN 'open' THEN 0 WHEN 'draft' THEN 1 ELSE 2 END, p.updated_at DESC, p.id DESC
		LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list proposals: %w", err)
	}
	out := make([]proposals.ProposalSummary, len(rows))
	for i, r := range rows {
		out[i] = proposals.ProposalSummary{ID: r.ID, Kind: proposals.ProposalKind(r.Kind), Title: r.Title, AuthorName: r.AuthorName, Status: proposals.ProposalStatus(r.Status),
			ClosesAt: timePtr(r.ClosesAt), Votes: r.Votes, Comments: r.Comments, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// OpenStatementProposals lists the open proposals that change the statement,
// oldest first (a bounded list: voting on hundreds at once is not a real case).
func (tx *Tx) OpenStatementProposals(ctx context.Context) ([]proposals.Proposal, error) {
	var rows []proposalRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT `+proposalColumns+` FROM proposals p JOIN members m ON m.id = p.author_id
		WHERE p.status = 'open' AND p.kind = 'statement' ORDER BY p.id LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("open proposals: %w", err)
	}
	out := make([]proposals.Proposal, 0, len(rows))
	for _, r := range rows {
		p, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// DueProposals are the open proposals whose voting period ended by now.
func (tx *Tx) DueProposals(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	if err := tx.x.SelectContext(ctx, &ids, `SELECT id FROM proposals WHERE status = 'open' AND closes_at <= $1 ORDER BY closes_at, id`, now); err != nil {
		return nil, fmt.Errorf("due proposals: %w", err)
	}
	return ids, nil
}

// FreezeVoters records the members active now as the proposal's voters and
// returns how many may vote.
func (tx *Tx) FreezeVoters(ctx context.Context, proposalID int64) (int, error) {
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO proposal_voters (proposal_id, member_id)
		SELECT $1, id FROM members WHERE status = 'active' ON CONFLICT DO NOTHING`, proposalID); err != nil {
		return 0, fmt.Errorf("freeze voters: %w", err)
	}
	var n int
	if err := tx.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM proposal_voters WHERE proposal_id = $1`, proposalID); err != nil {
		return 0, fmt.Errorf("count voters: %w", err)
	}
	return n, nil
}

// Voters lists the members who may vote on a proposal (frozen when voting
// opened), in order.
func (tx *Tx) Voters(ctx context.Context, proposalID int64) ([]int64, error) {
	var ids []int64
	if err := tx.x.SelectContext(ctx, &ids, `SELECT member_id FROM proposal_voters WHERE proposal_id = $1 ORDER BY member_id`, proposalID); err != nil {
		return nil, fmt.Errorf("voters: %w", err)
	}
	return ids, nil
}

// IsVoter reports whether a member may vote on a proposal.
func (tx *Tx) IsVoter(ctx context.Context, proposalID, memberID int64) (bool, error) {
	var n int
	if err := tx.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM proposal_voters WHERE proposal_id = $1 AND member_id = $2`, proposalID, memberID); err != nil {
		return false, fmt.Errorf("is voter: %w", err)
	}
	return n > 0, nil
}

// SaveVoteIfOpen saves v in the proposal's current round, with its audit
// row, if the proposal is open, v.UpdatedAt is before it closes and the
// member is one of its voters; it reports whether it saved. The primary key
// (proposal, round, member) makes the upsert atomic: concurrent votes of one
// member leave exactly one row. On PostgreSQL it
// is one statement, which takes the proposal's row FOR SHARE as
// ProposalForVote does: a close that locked the row first makes it find the
// proposal closed, and one that comes after waits for it.
func (tx *Tx) SaveVoteIfOpen(ctx context.Context, proposalID int64, v proposals.Vote) (bool, error) {
	const open = `SELECT p.id, p.round FROM proposals p
		WHERE p.id = $1 AND p.status = 'open' AND p.closes_at > $5
			AND EXISTS (SELECT 1 FROM proposal_voters pv WHERE pv.proposal_id = p.id AND pv.member_id = $2)`
	const upsert = `INSERT INTO votes (proposal_id, round, member_id, position, reason, updated_at)
		SELECT p.id, p.round, $2, $3, $4, $5 FROM %s p WHERE true
		ON CONFLICT (proposal_id, round, member_id) DO UPDATE SET position = excluded.position, reason = excluded.reason, updated_at = excluded.updated_at
		RETURNING round`
	args := []any{proposalID, v.MemberID, string(v.Position), v.Reason, v.UpdatedAt}
	if tx.dialect == Postgres {
		var saved int
		err := tx.x.GetContext(ctx, &saved, `WITH p AS (`+open+` FOR SHARE OF p),
			saved AS (`+fmt.Sprintf(upsert, "p")+`),
			recorded AS (INSERT INTO vote_events (proposal_id, round, member_id, position, reason, at)
				SELECT $1, round, $2, $3, $4, $5 FROM saved RETURNING 1)
			SELECT COUNT(*) FROM recorded`, args...)
		if err != nil {
			return false, fmt.Errorf("save vote: %w", err)
		}
		return saved > 0, nil
	}
	var rounds []int
	if err := tx.x.SelectContext(ctx, &rounds, fmt.Sprintf(upsert, "("+open+")"), args...); err != nil {
		return false, fmt.Errorf("save vote: %w", err)
	}
	if len(rounds) == 0 {
		return false, nil
	}
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO vote_events (proposal_id, round, member_id, position, reason, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		proposalID, rounds[0], v.MemberID, string(v.Position), v.Reason, v.UpdatedAt); err != nil {
		return false, fmt.Errorf("record vote event: %w", err)
	}
	return true, nil
}

type voteRow struct {
	Round      int       `db:"round"`
	MemberID   int64     `db:"member_id"`
	MemberName string    `db:"member_name"`
	Position   string    `db:"position"`
	Reason     string    `db:"reason"`
	At         time.Time `db:"at"`
}

// Votes lists the current votes of a round, by member name.
func (tx *Tx) Votes(ctx context.Context, proposalID int64, round int) ([]proposals.Vote, error) {
	var rows []voteRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT v.round, v.member_id, COALESCE(NULLIF(m.display_name, ''), m.username) AS member_name,
		v.position, v.reason, v.updated_at AS at FROM votes v JOIN members m ON m.id = v.member_id
		WHERE v.proposal_id = $1 AND v.round = $2 ORDER BY member_name, v.member_id`, proposalID, round)
	if err != nil {
		return nil, fmt.Errorf("list votes: %w", err)
	}
	vs := make([]proposals.Vote, len(rows))
	for i, r := range rows {
		vs[i] = proposals.Vote{MemberID: r.MemberID, MemberName: r.MemberName, Position: consensus.Position(r.Position), Reason: r.Reason, UpdatedAt: r.At}
	}
	return vs, nil
}

// VoteOf returns one member's current vote in a round, or ErrNotFound.
func (tx *Tx) VoteOf(ctx context.Context, proposalID int64, round int, memberID int64) (proposals.Vote, error) {
	var r voteRow
	err := tx.x.GetContext(ctx, &r, `SELECT v.round, v.member_id, '' AS member_name, v.position, v.reason, v.updated_at AS at
		FROM votes v WHERE v.proposal_id = $1 AND v.round = $2 AND v.member_id = $3`, proposalID, round, memberID)
	if err != nil {
		return proposals.Vote{}, notFound(err, "vote")
	}
	return proposals.Vote{MemberID: r.MemberID, Position: consensus.Position(r.Position), Reason: r.Reason, UpdatedAt: r.At}, nil
}

// CountVoteEvents counts the entries of a proposal's audit trail.
func (tx *Tx) CountVoteEvents(ctx context.Context, proposalID int64) (int, error) {
	var n int
	if err := tx.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM vote_events WHERE proposal_id = $1`, proposalID); err != nil {
		return 0, fmt.Errorf("count vote events: %w", err)
	}
	return n, nil
}

// VoteEvents lists the whole audit trail of a proposal, oldest first.
func (tx *Tx) VoteEvents(ctx context.Context, proposalID int64) ([]proposals.VoteEvent, error) {
	var rows []voteRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT e.round, e.member_id, COALESCE(NULLIF(m.display_name, ''), m.username) AS member_name,
		e.position, e.reason, e.at FROM vote_events e JOIN members m ON m.id = e.member_id
		WHERE e.proposal_id = $1 ORDER BY e.id`, proposalID)
	if err != nil {
		return nil, fmt.Errorf("list vote events: %w", err)
	}
	es := make([]proposals.VoteEvent, len(rows))
	for i, r := range rows {
		es[i] = proposals.VoteEvent{Round: r.Round, MemberID: r.MemberID, MemberName: r.MemberName, Position: consensus.Position(r.Position), Reason: r.Reason, At: r.At}
	}
	return es, nil
}

// TallyCounts counts the current votes of a round by position.
func (tx *Tx) TallyCounts(ctx context.Context, proposalID int64, round int) (map[consensus.Position]int, error) {
	var rows []struct {
		Position string `db:"position"`
		N        int    `db:"n"`
	}
	if err := tx.x.SelectContext(ctx, &rows, `SELECT position, COUNT(*) AS n FROM votes WHERE proposal_id = $1 AND round = $2 GROUP BY position`, proposalID, round); err != nil {
		return nil, fmt.Errorf("tally: %w", err)
	}
	counts := map[consensus.Position]int{}
	for _, r := range rows {
		counts[consensus.Position(r.Position)] = r.N
	}
	return counts, nil
}

// Coauthors lists a proposal's co-authors, in the order they were added.
func (tx *Tx) Coauthors(ctx context.Context, proposalID int64) ([]proposals.Member, error) {
	var rows []memberRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT `+memberColumns+` FROM proposal_coauthors c JOIN members m ON m.id = c.member_id
		WHERE c.proposal_id = $1 ORDER BY c.added_at, m.id`, proposalID)
	if err != nil {
		return nil, fmt.Errorf("co-authors: %w", err)
	}
	ms := make([]proposals.Member, len(rows))
	for i, r := range rows {
		ms[i] = r.domain()
	}
	return ms, nil
}

// AddCoauthor makes a member a co-author of a proposal; adding one twice is
// not an error.
func (tx *Tx) AddCoauthor(ctx context.Context, proposalID, memberID int64, at time.Time) error {
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO proposal_coauthors (proposal_id, member_id, added_at) VALUES ($1, $2, $3)
		ON CONFLICT (proposal_id, member_id) DO NOTHING`, proposalID, memberID, at); err != nil {
		return fmt.Errorf("add co-author: %w", err)
	}
	return nil
}

// RemoveCoauthor takes a member off a proposal's co-authors.
func (tx *Tx) RemoveCoauthor(ctx context.Context, proposalID, memberID int64) error {
	return tx.updateOne(ctx, "co-author", `DELETE FROM proposal_coauthors WHERE proposal_id = $1 AND member_id = $2`, proposalID, memberID)
}
