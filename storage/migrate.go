package storage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was migrated by a newer binary: running an
// older one on it could corrupt data it does not understand.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// migration is one numbered, append-only schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// typeNames are what differs between the dialects. Migrations write
// {{timestamp}}, {{serial}} and {{bytes}} for column types and {{strpos}}
// for the position of a substring; everything else is shared SQL.
var typeNames = map[Dialect]*strings.Replacer{
	Postgres: strings.NewReplacer(
		"{{timestamp}}", "TIMESTAMPTZ",
		"{{serial}}", "BIGSERIAL PRIMARY KEY",
		"{{bytes}}", "BYTEA",
		"{{strpos}}", "strpos",
	),
	SQLite: strings.NewReplacer(
		// TIMESTAMP (not TIMESTAMPTZ) is the declared type the SQLite driver
		// reads back as time.Time from integer microseconds.
		"{{timestamp}}", "TIMESTAMP",
		"{{serial}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		"{{bytes}}", "BLOB",
		"{{strpos}}", "instr",
	),
}

// dialectNames are the suffixes of a migration written for one database
// only: NNNN_name.postgres.sql and NNNN_name.sqlite.sql. Such a step comes as
// a pair, one file for each, so that a version number means the same step
// on both (the SQLite one may do nothing).
var dialectNames = map[Dialect]string{Postgres: "postgres", SQLite: "sqlite"}

// loadMigrations reads the embedded files named NNNN_name.sql (or a
// NNNN_name.postgres.sql and NNNN_name.sqlite.sql pair), in order, and checks
// that the numbers run 1, 2, 3… with no gap or duplicate.
func loadMigrations(d Dialect) ([]migration, error) {
	return readMigrations(migrationFiles, d)
}

// readMigrations is loadMigrations from files, which holds a directory
// "migrations".
func readMigrations(files fs.FS, d Dialect) ([]migration, error) {
	entries, err := fs.ReadDir(files, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	variants := map[int][]string{} // the dialects a version's files are for
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		name, only, forOne := strings.Cut(name, ".")
		if forOne {
			if only != dialectNames[Postgres] && only != dialectNames[SQLite] {
				return nil, fmt.Errorf("migration file %s: %q is not a database this runs on", e.Name(), only)
			}
			variants[version] = append(variants[version], only)
			if only != dialectNames[d] {
				continue
			}
		}
		body, err := fs.ReadFile(files, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: version, name: name, sql: typeNames[d].Replace(string(body))})
	}
	for version, dialects := range variants {
		if len(dialects) != len(dialectNames) {
			return nil, fmt.Errorf("migration %04d is written for %s only: each database needs its file", version, strings.Join(dialects, " and "))
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected number %d", m.version, m.name, i+1)
		}
	}
	return ms, nil
}

// LatestSchemaVersion is the schema version this binary migrates to.
func LatestSchemaVersion() int {
	ms, err := loadMigrations(SQLite)
	if err != nil {
		return 0
	}
	return len(ms)
}

// Migrate applies the migrations the database has not seen, each in its own
// transaction and recorded in schema_migrations, and refuses a schema newer than
// this binary knows. now stamps each applied migration. It returns how many ran.
func (db *DB) Migrate(ctx context.Context, now func() time.Time) (int, error) {
	ms, err := loadMigrations(db.dialect)
	if err != nil {
		return 0, err
	}
	// Under the migration lock: PostgreSQL's CREATE TABLE IF NOT EXISTS is not
	// safe against itself, and processes starting together both run it.
	err = db.InTx(ctx, func(tx *Tx) error {
		if err := tx.lockMigrations(ctx); err != nil {
			return err
		}
		_, err := tx.x.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version     INTEGER PRIMARY KEY,
		name        TEXT NOT NULL,
		applied_at  `+typeNames[db.dialect].Replace("{{timestamp}}")+` NOT NULL)`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if current > len(ms) {
		return 0, fmt.Errorf("%w: the database is at version %d, this binary knows up to %d; run a newer Common Ground", ErrSchemaTooNew, current, len(ms))
	}
	applied := 0
	for _, m := range ms[current:] {
		ran, err := db.apply(ctx, m, now())
		if err != nil {
			return applied, err
		}
		if ran {
			applied++
		}
	}
	return applied, nil
}

// apply runs one migration and records it in the same transaction, so a crash
// leaves the schema either before or after it, never half-way. On PostgreSQL an
// advisory lock keeps two processes starting together from both applying it.
// It reports whether this process ran it.
func (db *DB) apply(ctx context.Context, m migration, at time.Time) (ran bool, err error) {
	err = db.InTx(ctx, func(tx *Tx) error {
		if err := tx.lockMigrations(ctx); err != nil {
			return err
		}
		var done int
		if err := tx.x.GetContext(ctx, &done, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version); err != nil {
			return fmt.Errorf("check migration %d: %w", m.version, err)
		}
		if done > 0 {
			return nil // another process applied it while we waited for the lock
		}
		if _, err := tx.x.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := tx.x.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.version, m.name, at); err != nil {
			return fmt.Errorf("record migration %d: %w", m.version, err)
		}
		ran = true
		return nil
	})
	return ran && err == nil, err
}

// SchemaVersion is the highest migration applied (0 on an empty database).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.x.GetContext(ctx, &v, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// lockMigrations makes processes that start together migrate one at a time
// (on PostgreSQL; SQLite's BEGIN IMMEDIATE already does).
func (tx *Tx) lockMigrations(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	if _, err := tx.x.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7429001)`); err != nil {
		return fmt.Errorf("lock for migration: %w", err)
	}
	return nil
}
