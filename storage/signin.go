package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/commonground/commonground/proposals"
)

// signInLockClass keeps the sign-in locks apart from every other advisory
// lock (two-key locks never conflict with one-key ones such as the migrations').
const signInLockClass = 7429100

// LockSignIns makes attempts on account and attempts from address take turns
// until the transaction ends. On PostgreSQL they are advisory locks on each
// name (the address first, always, so two attempts never wait for each other
// in a circle); SQLite's BEGIN IMMEDIATE already lets one writer in at a time.
func (tx *Tx) LockSignIns(ctx context.Context, account, address string) error {
	if tx.dialect != Postgres {
		return nil
	}
	if _, err := tx.x.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext('address ' || $2)),
		pg_advisory_xact_lock($1, hashtext('account ' || $3))`, signInLockClass, address, account); err != nil {
		return fmt.Errorf("lock sign-in limits: %w", err)
	}
	return nil
}

// SignInAccount returns account's record of attempts; a zero one when it has none.
func (tx *Tx) SignInAccount(ctx context.Context, account string) (proposals.SignInRecord, error) {
	var row struct {
		Attempts int       `db:"attempts"`
		Last     time.Time `db:"last_at"`
	}
	err := tx.x.GetContext(ctx, &row, `SELECT attempts, last_at FROM signin_accounts WHERE account = $1`, account)
	if errors.Is(err, sql.ErrNoRows) {
		return proposals.SignInRecord{}, nil
	}
	if err != nil {
		return proposals.SignInRecord{}, fmt.Errorf("read sign-in attempts: %w", err)
	}
	return proposals.SignInRecord{Attempts: row.Attempts, Last: row.Last}, nil
}

// SaveSignInAccount stores account's record of attempts.
func (tx *Tx) SaveSignInAccount(ctx context.Context, account string, r proposals.SignInRecord) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO signin_accounts (account, attempts, last_at) VALUES ($1, $2, $3)
		ON CONFLICT (account) DO UPDATE SET attempts = excluded.attempts, last_at = excluded.last_at`, account, r.Attempts, r.Last)
	if err != nil {
		return fmt.Errorf("save sign-in attempts: %w", err)
	}
	return nil
}

// DeleteSignInAccount forgets account's attempts.
func (tx *Tx) DeleteSignInAccount(ctx context.Context, account string) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM signin_accounts WHERE account = $1`, account); err != nil {
		return fmt.Errorf("forget sign-in attempts: %w", err)
	}
	return nil
}

// SignInAttempts returns address's attempts since a time, oldest first.
func (tx *Tx) SignInAttempts(ctx context.Context, address string, since time.Time) ([]time.Time, error) {
	var times []time.Time
	err := tx.x.SelectContext(ctx, &times, `SELECT at FROM signin_attempts WHERE address = $1 AND at > $2 ORDER BY at, id`, address, since)
	if err != nil {
		return nil, fmt.Errorf("read sign-in attempts: %w", err)
	}
	return times, nil
}

// AddSignInAttempt records an attempt from address on account.
func (tx *Tx) AddSignInAttempt(ctx context.Context, address, account string, at time.Time) error {
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO signin_attempts (address, account, at) VALUES ($1, $2, $3)`, address, account, at); err != nil {
		return fmt.Errorf("record sign-in attempt: %w", err)
	}
	return nil
}

// RemoveSignInAttempt gives address back its latest attempt on account.
func (tx *Tx) RemoveSignInAttempt(ctx context.Context, address, account string) error {
	_, err := tx.x.ExecContext(ctx, `DELETE FROM signin_attempts WHERE id = (
		SELECT id FROM signin_attempts WHERE address = $1 AND account = $2 ORDER BY at DESC, id DESC LIMIT 1)`, address, account)
	if err != nil {
		return fmt.Errorf("give back sign-in attempt: %w", err)
	}
	return nil
}

// PurgeSignIns forgets attempts older than attemptsBefore, and accounts last
// tried before accountsBefore, or with fewer than few attempts (no wait yet)
// last tried before idleBefore. It says how many rows it deleted.
func (tx *Tx) PurgeSignIns(ctx context.Context, attemptsBefore, accountsBefore, idleBefore time.Time, few int) (int64, error) {
	a, err := tx.x.ExecContext(ctx, `DELETE FROM signin_attempts WHERE at <= $1`, attemptsBefore)
	if err != nil {
		return 0, fmt.Errorf("purge sign-in attempts: %w", err)
	}
	b, err := tx.x.ExecContext(ctx, `DELETE FROM signin_accounts WHERE last_at <= $1 OR (attempts < $2 AND last_at <= $3)`,
		accountsBefore, few, idleBefore)
	if err != nil {
		return 0, fmt.Errorf("purge sign-in accounts: %w", err)
	}
	na, _ := a.RowsAffected()
	nb, _ := b.RowsAffected()
	return na + nb, nil
}
