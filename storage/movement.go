package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/commonground/commonground/proposals"
)

type movementRow struct {
	Name      string    `db:"name"`
	Handle    string    `db:"handle"`
	Summary   string    `db:"summary"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

func (r movementRow) domain() proposals.Movement {
	return proposals.Movement{Name: r.Name, Handle: r.Handle, Summary: r.Summary, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Movement returns the instance's movement, or ErrNotFound before setup.
func (tx *Tx) Movement(ctx context.Context) (proposals.Movement, error) {
	var r movementRow
	err := tx.x.GetContext(ctx, &r, `SELECT name, handle, summary, created_at, updated_at FROM movement WHERE id = 1`)
	if err != nil {
		return proposals.Movement{}, notFound(err, "movement")
	}
	return r.domain(), nil
}

// CreateMovement stores the movement; ErrConflict if one exists already.
func (tx *Tx) CreateMovement(ctx context.Context, m proposals.Movement) error {
	res, err := tx.x.ExecContext(ctx, `INSERT INTO movement (id, name, handle, summary, created_at, updated_at)
		VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
		m.Name, m.Handle, m.Summary, m.CreatedAt, m.UpdatedAt)
	if err != nil {
		return fmt.Errorf("create movement: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return proposals.Conflict("this instance already hosts a movement")
	}
	return nil
}

// UpdateMovementProfile changes the name and summary; the handle never changes.
func (tx *Tx) UpdateMovementProfile(ctx context.Context, name, summary string, at time.Time) error {
	return tx.updateOne(ctx, "movement", `UPDATE movement SET name = $1, summary = $2, updated_at = $3 WHERE id = 1`, name, summary, at)
}

type keyPairRow struct {
	PrivateKeyPEM string    `db:"private_key_pem"`
	PublicKeyPEM  string    `db:"public_key_pem"`
	CreatedAt     time.Time `db:"created_at"`
}

// KeyPair returns the movement's key pair, or ErrNotFound before the first start.
func (tx *Tx) KeyPair(ctx context.Context) (proposals.KeyPair, error) {
	var r keyPairRow
	if err := tx.x.GetContext(ctx, &r, `SELECT private_key_pem, public_key_pem, created_at FROM movement_keys WHERE id = 1`); err != nil {
		return proposals.KeyPair{}, notFound(err, "movement key pair")
	}
	return proposals.KeyPair(r), nil
}

// SaveKeyPairOnce stores k unless a key pair exists already; it reports whether k
// was stored. Two processes starting on one database keep whichever came first.
func (tx *Tx) SaveKeyPairOnce(ctx context.Context, k proposals.KeyPair) (bool, error) {
	res, err := tx.x.ExecContext(ctx, `INSERT INTO movement_keys (id, private_key_pem, public_key_pem, created_at)
		VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING`, k.PrivateKeyPEM, k.PublicKeyPEM, k.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("save key pair: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
