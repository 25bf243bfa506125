package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/commonground/commonground/alliances"
	"github.com/commonground/commonground/consensus"
	"github.com/commonground/commonground/proposals"
)

type jointRow struct {
	ID           int64          `db:"id"`
	IRI          sql.NullString `db:"iri"`
	Initiator    string         `db:"initiator"`
	Draft        string         `db:"draft"`
	Invited      string         `db:"invited"`
	Participants string         `db:"participants"`
	CreatedBy    sql.NullInt64  `db:"created_by"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

const jointColumns = `id, iri, initiator, draft, invited, participants, created_by, created_at, updated_at`

// jointText is how a text is stored: the JSON of its words.
type jointText struct {
	Title    string           `json:"title"`
	Preamble string           `json:"preamble"`
	Items    []proposals.Item `json:"items"`
}

func encodeText(t alliances.JointText) (string, error) {
	b, err := json.Marshal(jointText{Title: t.Title, Preamble: t.Preamble, Items: nonNilItems(t.Items)})
	return string(b), err
}

func decodeText(s string) (alliances.JointText, error) {
	if s == "" {
		return alliances.JointText{}, nil
	}
	var t jointText
	err := json.Unmarshal([]byte(s), &t)
	return alliances.JointText{Title: t.Title, Preamble: t.Preamble, Items: t.Items}, err
}

func nonNilItems(items []proposals.Item) []proposals.Item {
	if items == nil {
		return []proposals.Item{}
	}
	return items
}

type participantJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Handle string `json:"handle"`
	URL    string `json:"url"`
}

func (r jointRow) domain() (alliances.JointStatement, error) {
	j := alliances.JointStatement{ID: r.ID, IRI: r.IRI.String, Initiator: r.Initiator,
		CreatedBy: r.CreatedBy.Int64, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	var err error
	if j.Draft, err = decodeText(r.Draft); err != nil {
		return j, fmt.Errorf("joint statement %d draft: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Invited), &j.Invited); err != nil {
		return j, fmt.Errorf("joint statement %d invited: %w", r.ID, err)
	}
	var ps []participantJSON
	if err := json.Unmarshal([]byte(r.Participants), &ps); err != nil {
		return j, fmt.Errorf("joint statement %d participants: %w", r.ID, err)
	}
	for _, p := range ps {
		j.Participants = append(j.Participants, alliances.Participant(p))
	}
	return j, nil
}

// jointFields is what a joint statement row holds besides its id and dates.
func jointFields(j alliances.JointStatement) (draft, invited, participants string, err error) {
	if len(j.Draft.Items) > 0 || j.Draft.Title != "" {
		if draft, err = encodeText(j.Draft); err != nil {
			return "", "", "", err
		}
	}
	inv := j.Invited
	if inv == nil {
		inv = []string{}
	}
	b, err := json.Marshal(inv)
	if err != nil {
		return "", "", "", err
	}
	ps := make([]participantJSON, len(j.Participants))
	for i, p := range j.Participants {
		ps[i] = participantJSON(p)
	}
	pb, err := json.Marshal(ps)
	return draft, string(b), string(pb), err
}

// CreateJoint stores a new joint statement and returns its id.
func (tx *Tx) CreateJoint(ctx context.Context, j alliances.JointStatement) (int64, error) {
	draft, invited, participants, err := jointFields(j)
	if err != nil {
		return 0, err
	}
	var iri sql.NullString
	if j.IRI != "" {
		iri = sql.NullString{String: j.IRI, Valid: true}
	}
	var createdBy sql.NullInt64
	if j.CreatedBy != 0 {
		createdBy = sql.NullInt64{Int64: j.CreatedBy, Valid: true}
	}
	var id int64
	err = tx.x.GetContext(ctx, &id, `INSERT INTO joint_statements (iri, initiator, draft, invited, participants, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, iri, j.Initiator, draft, invited, participants, createdBy, j.CreatedAt)
	if err != nil {
		return 0, fmt.Errorf("create joint statement: %w", err)
	}
	return id, nil
}

// UpdateJoint writes the draft, invited movements and participants.
func (tx *Tx) UpdateJoint(ctx context.Context, j alliances.JointStatement) error {
	draft, invited, participants, err := jointFields(j)
	if err != nil {
		return err
	}
	return tx.updateOne(ctx, "joint statement", `UPDATE joint_statements SET draft = $1, invited = $2, participants = $3, updated_at = $4
		WHERE id = $5`, draft, invited, participants, j.UpdatedAt, j.ID)
}

// Joint returns a joint statement with its versions and verdicts.
func (tx *Tx) Joint(ctx context.Context, id int64) (alliances.JointStatement, error) {
	return tx.joint(ctx, `WHERE id = $1`, id, "")
}

// JointForUpdate is Joint, locked until the transaction ends (PostgreSQL;
// SQLite's single writer needs no lock).
func (tx *Tx) JointForUpdate(ctx context.Context, id int64) (alliances.JointStatement, error) {
	return tx.joint(ctx, `WHERE id = $1`, id, tx.lockClause(" FOR UPDATE"))
}

// JointByIRI finds a joint statement received from its initiator.
func (tx *Tx) JointByIRI(ctx context.Context, iri string) (alliances.JointStatement, error) {
	return tx.joint(ctx, `WHERE iri = $1`, iri, tx.lockClause(" FOR UPDATE"))
}

func (tx *Tx) joint(ctx context.Context, where string, arg any, lock string) (alliances.JointStatement, error) {
	var r jointRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+jointColumns+` FROM joint_statements `+where+lock, arg); err != nil {
		return alliances.JointStatement{}, notFound(err, "joint statement")
	}
	j, err := r.domain()
	if err != nil {
		return j, err
	}
	js := []alliances.JointStatement{j}
	if err := tx.fillJoints(ctx, js, `WHERE joint_id = $1`, r.ID); err != nil {
		return j, err
	}
	return js[0], nil
}

// Joints lists every joint statement, newest change first.
func (tx *Tx) Joints(ctx context.Context) ([]alliances.JointStatement, error) {
	var rows []jointRow
	if err := tx.x.SelectContext(ctx, &rows, `SELECT `+jointColumns+` FROM joint_statements ORDER BY updated_at DESC, id DESC`); err != nil {
		return nil, fmt.Errorf("list joint statements: %w", err)
	}
	js := make([]alliances.JointStatement, len(rows))
	for i, r := range rows {
		j, err := r.domain()
		if err != nil {
			return nil, err
		}
		js[i] = j
	}
	return js, tx.fillJoints(ctx, js, ``)
}

// fillJoints reads the versions and verdicts of js (two queries, whatever
// their number).
func (tx *Tx) fillJoints(ctx context.Context, js []alliances.JointStatement, where string, args ...any) error {
	at := map[int64]int{}
	for i, j := range js {
		at[j.ID] = i
	}
	var versions []struct {
		JointID   int64     `db:"joint_id"`
		Number    int       `db:"number"`
		Content   string    `db:"content"`
		Hash      string    `db:"hash"`
		OfferID   string    `db:"offer_id"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := tx.x.SelectContext(ctx, &versions, `SELECT joint_id, number, content, hash, offer_id, created_at FROM joint_versions `+where+` ORDER BY joint_id, number`, args...); err != nil {
		return fmt.Errorf("joint statement versions: %w", err)
	}
	for _, v := range versions {
		i, ok := at[v.JointID]
		if !ok {
			continue
		}
		text, err := decodeText(v.Content)
		if err != nil {
			return fmt.Errorf("joint statement %d version %d: %w", v.JointID, v.Number, err)
		}
		js[i].Versions = append(js[i].Versions, alliances.JointVersion{Number: v.Number, Text: text, Hash: v.Hash, OfferID: v.OfferID, CreatedAt: v.CreatedAt})
	}
	var verdicts []struct {
		JointID    int64         `db:"joint_id"`
		Movement   string        `db:"movement"`
		Version    int           `db:"version"`
		Verdict    string        `db:"verdict"`
		Outcome    string        `db:"outcome"`
		DecidedAt  time.Time     `db:"decided_at"`
		ActivityID string        `db:"activity_id"`
		ProposalID sql.NullInt64 `db:"proposal_id"`
	}
	if err := tx.x.SelectContext(ctx, &verdicts, `SELECT joint_id, movement, version, verdict, outcome, decided_at, activity_id, proposal_id FROM joint_verdicts `+where+` ORDER BY joint_id, version, decided_at, movement`, args...); err != nil {
		return fmt.Errorf("joint statement verdicts: %w", err)
	}
	for _, v := range verdicts {
		i, ok := at[v.JointID]
		if !ok {
			continue
		}
		var o consensus.Outcome
		if err := json.Unmarshal([]byte(v.Outcome), &o); err != nil {
			return fmt.Errorf("joint statement %d verdict of %s: %w", v.JointID, v.Movement, err)
		}
		js[i].Verdicts = append(js[i].Verdicts, alliances.Verdict{Movement: v.Movement, Version: v.Version, Kind: alliances.VerdictKind(v.Verdict),
			Outcome: o, DecidedAt: v.DecidedAt, ActivityID: v.ActivityID, ProposalID: v.ProposalID.Int64})
	}
	return nil
}

// AddJointVersion stores a new version.
func (tx *Tx) AddJointVersion(ctx context.Context, jointID int64, v alliances.JointVersion) error {
	content, err := encodeText(v.Text)
	if err != nil {
		return err
	}
	_, err = tx.x.ExecContext(ctx, `INSERT INTO joint_versions (joint_id, number, content, hash, offer_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		jointID, v.Number, content, v.Hash, v.OfferID, v.CreatedAt)
	if isUniqueViolation(err) {
		return fmt.Errorf("joint statement %d already has a version %d: %w", jointID, v.Number, proposals.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("add joint statement version: %w", err)
	}
	return nil
}

// SaveVerdict adds a movement's verdict on a version to its history; the
// same decision recorded again (a redelivery) changes nothing.
func (tx *Tx) SaveVerdict(ctx context.Context, jointID int64, v alliances.Verdict) (bool, error) {
	outcome, err := json.Marshal(v.Outcome)
	if err != nil {
		return false, err
	}
	var proposalID sql.NullInt64
	if v.ProposalID != 0 {
		proposalID = sql.NullInt64{Int64: v.ProposalID, Valid: true}
	}
	res, err := tx.x.ExecContext(ctx, `INSERT INTO joint_verdicts (joint_id, movement, version, verdict, outcome, decided_at, activity_id, proposal_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (joint_id, movement, version, decided_at) DO NOTHING`,
		jointID, v.Movement, v.Version, string(v.Kind), string(outcome), v.DecidedAt.Truncate(time.Microsecond), v.ActivityID, proposalID)
	if err != nil {
		return false, fmt.Errorf("save joint statement verdict: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RecordJointVerdict records this movement's verdict, decided by the vote p.
func (tx *Tx) RecordJointVerdict(ctx context.Context, p proposals.Proposal, verdict string, at time.Time) error {
	kind, err := alliances.ParseVerdictKind(verdict)
	if err != nil {
		return err
	}
	_, err = tx.SaveVerdict(ctx, p.JointID, alliances.Verdict{Movement: alliances.Self, Version: p.JointVersion, Kind: kind,
		Outcome: *p.Outcome, DecidedAt: at, ProposalID: p.ID})
	return err
}

// SetOfferID notes the Offer that carried a version.
func (tx *Tx) SetOfferID(ctx context.Context, jointID int64, version int, offerID string) error {
	return tx.updateOne(ctx, "joint statement version", `UPDATE joint_versions SET offer_id = $1 WHERE joint_id = $2 AND number = $3`,
		offerID, jointID, version)
}

// JointProposals lists this movement's votes on a joint statement, newest first.
func (tx *Tx) JointProposals(ctx context.Context, jointID int64) ([]proposals.Proposal, error) {
	var rows []proposalRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT `+proposalColumns+` FROM proposals p JOIN members m ON m.id = p.author_id
		WHERE p.joint_id = $1 ORDER BY p.id DESC`, jointID)
	if err != nil {
		return nil, fmt.Errorf("joint statement proposals: %w", err)
	}
	out := make([]proposals.Proposal, len(rows))
	for i, r := range rows {
		if out[i], err = r.domain(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OpenJointVotes are the votes on joint statements not decided yet, by joint
// statement (one at a time each: alliances opens no second one).
func (tx *Tx) OpenJointVotes(ctx context.Context) (map[int64]proposals.Proposal, error) {
	var rows []proposalRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT `+proposalColumns+` FROM proposals p JOIN members m ON m.id = p.author_id
		WHERE p.joint_id IS NOT NULL AND p.status IN ('draft', 'open')`)
	if err != nil {
		return nil, fmt.Errorf("open joint statement votes: %w", err)
	}
	out := make(map[int64]proposals.Proposal, len(rows))
	for _, r := range rows {
		p, err := r.domain()
		if err != nil {
			return nil, err
		}
		out[p.JointID] = p
	}
	return out, nil
}
