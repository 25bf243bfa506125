package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

type versionRow struct {
	Number     int           `db:"number"`
	Content    string        `db:"content"`
	AdoptedAt  time.Time     `db:"adopted_at"`
	ProposalID sql.NullInt64 `db:"proposal_id"`
}

func (r versionRow) domain() (proposals.Version, error) {
	v := proposals.Version{Number: r.Number, AdoptedAt: r.AdoptedAt, ProposalID: r.ProposalID.Int64}
	if err := json.Unmarshal([]byte(r.Content), &v.Statement); err != nil {
		return v, fmt.Errorf("statement version %d: %w", r.Number, err)
	}
	return v, nil
}

const versionColumns = `number, content, adopted_at, proposal_id`

// CurrentVersion is the newest statement version.
func (tx *Tx) CurrentVersion(ctx context.Context) (proposals.Version, error) {
	var r versionRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+versionColumns+` FROM statement_versions ORDER BY number DESC LIMIT 1`); err != nil {
		return proposals.Version{}, notFound(err, "statement version")
	}
	return r.domain()
}

// VersionByNumber returns one statement version.
func (tx *Tx) VersionByNumber(ctx context.Context, n int) (proposals.Version, error) {
	var r versionRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+versionColumns+` FROM statement_versions WHERE number = $1`, n); err != nil {
		return proposals.Version{}, notFound(err, fmt.Sprintf("statement version %d", n))
	}
	return r.domain()
}

// Versions lists every version, newest first.
func (tx *Tx) Versions(ctx context.Context) ([]proposals.Version, error) {
	var rows []versionRow
	if err := tx.x.SelectContext(ctx, &rows, `SELECT `+versionColumns+` FROM statement_versions ORDER BY number DESC`); err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	vs := make([]proposals.Version, len(rows))
	for i, r := range rows {
		v, err := r.domain()
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}

// CreateVersion stores a new version; its number must be new.
func (tx *Tx) CreateVersion(ctx context.Context, v proposals.Version) error {
	content, err := json.Marshal(v.Statement)
	if err != nil {
		return err
	}
	var proposalID sql.NullInt64
	if v.ProposalID != 0 {
		proposalID = sql.NullInt64{Int64: v.ProposalID, Valid: true}
	}
	_, err = tx.x.ExecContext(ctx, `INSERT INTO statement_versions (number, content, adopted_at, proposal_id) VALUES ($1, $2, $3, $4)`,
		v.Number, string(content), v.AdoptedAt, proposalID)
	if isUniqueViolation(err) {
		return proposals.Conflict("statement version %d exists already", v.Number)
	}
	if err != nil {
		return fmt.Errorf("create version %d: %w", v.Number, err)
	}
	return nil
}

// statementLockKey names the PostgreSQL advisory lock taken while a version
// is made. The others: 7429001 migrations, 7429003 inbox claims (in the
// function claim_inbox), and the class 7429100 of sign-in locks.
const statementLockKey = 7429002

// LockStatement makes version-making transactions take turns. SQLite already
// runs one writing transaction at a time; PostgreSQL needs an advisory lock,
// held until the transaction ends, so that two processes closing proposals at
// once do not both build version N+1 from version N.
func (tx *Tx) LockStatement(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	if _, err := tx.x.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, statementLockKey); err != nil {
		return fmt.Errorf("lock statement: %w", err)
	}
	return nil
}

type decisionRow struct {
	Kind          string `db:"kind"`
	Preset        string `db:"preset"`
	Quorum        string `db:"quorum"`
	PeriodSeconds int64  `db:"voting_period_seconds"`
}

// DecisionSettings returns the rule of each part, most protected first.
func (tx *Tx) DecisionSettings(ctx context.Context) ([]proposals.DecisionSetting, error) {
	var rows []decisionRow
	if err := tx.x.SelectContext(ctx, &rows, `SELECT kind, preset, quorum, voting_period_seconds FROM decision_rules`); err != nil {
		return nil, fmt.Errorf("decision settings: %w", err)
	}
	byKind := map[proposals.RuleKind]proposals.DecisionSetting{}
	for _, r := range rows {
		q, err := consensus.ParseRatio(r.Quorum)
		if err != nil {
			return nil, fmt.Errorf("decision setting %s: %w", r.Kind, err)
		}
		byKind[proposals.RuleKind(r.Kind)] = proposals.DecisionSetting{Kind: proposals.RuleKind(r.Kind), Preset: r.Preset,
			Quorum: q, VotingPeriod: time.Duration(r.PeriodSeconds) * time.Second}
	}
	var ds []proposals.DecisionSetting
	for _, k := range proposals.DecisionParts {
		if d, ok := byKind[k]; ok {
			ds = append(ds, d)
		}
	}
	return ds, nil
}

// SaveDecisionSetting stores the rule of one part.
func (tx *Tx) SaveDecisionSetting(ctx context.Context, d proposals.DecisionSetting) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO decision_rules (kind, preset, quorum, voting_period_seconds) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind) DO UPDATE SET preset = excluded.preset, quorum = excluded.quorum, voting_period_seconds = excluded.voting_period_seconds`,
		d.Kind, d.Preset, d.Quorum.String(), int64(d.VotingPeriod/time.Second))
	if err != nil {
		return fmt.Errorf("save decision setting: %w", err)
	}
	return nil
}

// ResultsBeforeVoting reports the movement's setting.
func (tx *Tx) ResultsBeforeVoting(ctx context.Context) (bool, error) {
	var show bool
	if err := tx.x.GetContext(ctx, &show, `SELECT results_before_voting FROM movement WHERE id = 1`); err != nil {
		return false, notFound(err, "movement")
	}
	return show, nil
}

// SetResultsBeforeVoting changes the movement's setting.
func (tx *Tx) SetResultsBeforeVoting(ctx context.Context, show bool) error {
	return tx.updateOne(ctx, "movement", `UPDATE movement SET results_before_voting = $1 WHERE id = 1`, show)
}
