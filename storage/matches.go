package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
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

type pairDecisionRow struct {
	ID         int64         `db:"id"`
	Ally       string        `db:"ally"`
	OurItem    string        `db:"our_item"`
	TheirItem  string        `db:"their_item"`
	Side       string        `db:"side"`
	Decision   string        `db:"decision"`
	DecidedBy  sql.NullInt64 `db:"decided_by"`
	DecidedAt  time.Time     `db:"decided_at"`
	ActivityID string        `db:"activity_id"`
}

func (r pairDecisionRow) domain() alliances.PairDecision {
	return alliances.PairDecision{ID: r.ID, Ally: r.Ally, OurItem: r.OurItem, TheirItem: r.TheirItem, Side: alliances.Side(r.Side),
		Decision: alliances.Decision(r.Decision), DecidedBy: r.DecidedBy.Int64, DecidedAt: r.DecidedAt, ActivityID: r.ActivityID}
}

const pairDecisionColumns = `id, ally, our_item, their_item, side, decision, decided_by, decided_at, activity_id`

// PairDecisions lists every decision about common ground.
func (tx *Tx) PairDecisions(ctx context.Context) ([]alliances.PairDecision, error) {
	var rows []pairDecisionRow
	if err := tx.x.SelectContext(ctx, &rows, `SELECT `+pairDecisionColumns+` FROM pair_decisions ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list pair decisions: %w", err)
	}
	out := make([]alliances.PairDecision, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// PairDecision returns one decision.
func (tx *Tx) PairDecision(ctx context.Context, id int64) (alliances.PairDecision, error) {
	var r pairDecisionRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+pairDecisionColumns+` FROM pair_decisions WHERE id = $1`, id); err != nil {
		return alliances.PairDecision{}, notFound(err, "pair decision")
	}
	return r.domain(), nil
}

// SavePairDecision records one side's decision about a pair, replacing the
// earlier one of that side unless it says the same or was made later (a
// decision delivered late does not undo a newer one).
func (tx *Tx) SavePairDecision(ctx context.Context, d alliances.PairDecision) (int64, bool, error) {
	var by sql.NullInt64
	if d.DecidedBy != 0 {
		by = sql.NullInt64{Int64: d.DecidedBy, Valid: true}
	}
	var id int64
	err := tx.x.GetContext(ctx, &id, `INSERT INTO pair_decisions (ally, our_item, their_item, side, decision, decided_by, decided_at, activity_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (ally, our_item, their_item, side) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by,
			decided_at = excluded.decided_at, activity_id = excluded.activity_id
		WHERE pair_decisions.decision <> excluded.decision AND pair_decisions.decided_at <= excluded.decided_at
		RETURNING id`, d.Ally, d.OurItem, d.TheirItem, string(d.Side), string(d.Decision), by, d.DecidedAt, d.ActivityID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil // the same decision, or an older one
	}
	if err != nil {
		return 0, false, fmt.Errorf("save pair decision: %w", err)
	}
	return id, true, nil
}

// TextVectors returns the stored embeddings, by text hash, of one model.
func (tx *Tx) TextVectors(ctx context.Context, model string, hashes []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(hashes))
	for start := 0; start < len(hashes); start += 500 {
		chunk := hashes[start:min(len(hashes), start+500)]
		args := []any{model}
		marks := make([]string, len(chunk))
		for i, h := range chunk {
			args = append(args, h)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		var rows []struct {
			Hash   string `db:"hash"`
			Vector []byte `db:"vector"`
		}
		if err := tx.x.SelectContext(ctx, &rows, `SELECT hash, vector FROM text_vectors WHERE model = $1 AND hash IN (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
			return nil, fmt.Errorf("text vectors: %w", err)
		}
		for _, r := range rows {
			out[r.Hash] = decodeVector(r.Vector)
		}
	}
	return out, nil
}

// SaveTextVectors stores embeddings of one model by text hash.
func (tx *Tx) SaveTextVectors(ctx context.Context, model string, vectors map[string][]float32) error {
	for h, v := range vectors {
		if _, err := tx.x.ExecContext(ctx, `INSERT INTO text_vectors (hash, model, vector) VALUES ($1, $2, $3) ON CONFLICT (hash, model) DO NOTHING`,
			h, model, encodeVector(v)); err != nil {
			return fmt.Errorf("save text vector: %w", err)
		}
	}
	return nil
}

// encodeVector writes float32s little-endian.
func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func decodeVector(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
