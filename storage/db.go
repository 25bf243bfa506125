// Package storage keeps Common Ground's data in PostgreSQL (lib/pq) or in an
// embedded SQLite file (pure Go, no cgo). SQL is written by hand next to the
// method that runs it, with $N placeholders that both drivers understand; the
// few places where the dialects differ live in this package only.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/commonground/commonground/proposals"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"    // PostgreSQL, the production database
	_ "modernc.org/sqlite" // the embedded default
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DefaultSQLiteFile is the file created in the data directory when no database URL is set.
const DefaultSQLiteFile = "commonground.db"

// DB is the handle every storage method hangs off.
type DB struct {
	x       *sqlx.DB
	dialect Dialect
	// statements counts the SQL statements sent, BEGIN and COMMIT included,
	// for the figures of queries per request (see Statements).
	statements atomic.Int64
	// dsn is kept for the connection that listens for notices.
	dsn     string
	notices *notifier
	// prepared holds the statements prepared on PostgreSQL (see prepared.go).
	prepared *preparedCache
}

// Statements is how many SQL statements this DB has sent since it opened,
// BEGIN and COMMIT (or ROLLBACK) counted: compare two readings to count
// what a piece of work costs.
func (db *DB) Statements() int64 { return db.statements.Load() }

// Target is a parsed database URL: which engine, and what to hand its driver.
type Target struct {
	Dialect Dialect
	DSN     string
	// Display is the URL without credentials, for logs and error messages.
	Display string
	// MaxConnections caps the PostgreSQL connection pool (0: 32). Processes
	// sharing a database must together stay under its max_connections.
	MaxConnections int
}

// ParseURL reads a database URL. Empty means the embedded SQLite file in dataDir;
// "sqlite:PATH" (or "sqlite://PATH") names another SQLite file; "postgres://…" or
// "postgresql://…" is PostgreSQL. Anything else is an error that says what is accepted.
func ParseURL(raw, dataDir string) (Target, error) {
	switch {
	case raw == "":
		path := filepath.Join(dataDir, DefaultSQLiteFile)
		return Target{Dialect: SQLite, DSN: sqliteDSN(path), Display: "sqlite:" + path}, nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return Target{}, errors.New("sqlite: URL names no file (use sqlite:/path/to/file.db)")
		}
		return Target{Dialect: SQLite, DSN: sqliteDSN(path), Display: "sqlite:" + path}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Target{}, fmt.Errorf("malformed PostgreSQL URL: %w", err)
		}
		if u.Host == "" {
			return Target{}, errors.New("malformed PostgreSQL URL: no host")
		}
		display := u.Redacted()
		return Target{Dialect: Postgres, DSN: postgresDSN(u), Display: display}, nil
	default:
		return Target{}, errors.New("unsupported database URL: use postgres://user@host/db or sqlite:/path/file.db, or leave it empty for the embedded SQLite file")
	}
}

// postgresDSN sets what the connections need, unless the URL sets it:
//   - binary_parameters=yes: lib/pq sends each statement's parameters with
//     the statement; otherwise it prepares every statement that has
//     parameters in a round trip of its own before running it, which was a
//     quarter of a vote's time;
//   - jit=off: the planner overestimates the inbox claim (its walk of the
//     hosts) past jit_above_cost, and compiling it took 19 of its 30 ms on
//     every claim. JIT pays off for long reports, which the instance never runs.
func postgresDSN(u *url.URL) string {
	q := u.Query()
	for key, value := range map[string]string{"binary_parameters": "yes", "jit": "off"} {
		if q.Get(key) == "" {
			q.Set(key, value)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// sqliteDSN turns on what a server needs from SQLite: WAL so readers do not wait
// for the writer, foreign keys, a busy timeout instead of instant "database is
// locked" errors, and times stored as integer microseconds so that they compare
// and sort exactly like PostgreSQL's timestamptz.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_integer_format", "unix_micro")
	q.Set("_inttotime", "1")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open connects to the target and checks that the database answers.
// It does not migrate: call Migrate.
func Open(ctx context.Context, t Target) (*DB, error) {
	if t.Dialect == SQLite {
		if err := ensureWritableDir(filepath.Dir(sqlitePath(t.DSN))); err != nil {
			return nil, err
		}
	}
	x, err := sqlx.Open(string(t.Dialect), t.DSN)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t.Display, err)
	}
	configurePool(x, t.Dialect, t.MaxConnections)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pingCtx); err != nil {
		x.Close()
		return nil, fmt.Errorf("cannot reach database %s: %w", t.Display, err)
	}
	return &DB{x: x, dialect: t.Dialect, dsn: t.DSN, notices: newNotifier(), prepared: &preparedCache{}}, nil
}

// configurePool sizes the connection pool. SQLite has one writer at a time;
// a handful of connections lets readers run beside it under WAL.
func configurePool(x *sqlx.DB, d Dialect, maxConns int) {
	if d == SQLite {
		x.SetMaxOpenConns(8)
		x.SetMaxIdleConns(8)
		return
	}
	if maxConns <= 0 {
		maxConns = 32
	}
	// Every connection stays open while it is used at all: a connection
	// closed at the end of a burst (when more than the idle limit were
	// busy) is a new server process forked, authenticated and its
	// statements prepared again at the next. With half kept idle, one load
	// run opened 600 to 2,800 connections; now it opens maxConns. Those
	// idle for 5 minutes are closed.
	x.SetMaxOpenConns(maxConns)
	x.SetMaxIdleConns(maxConns)
	x.SetConnMaxIdleTime(5 * time.Minute)
}

func sqlitePath(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return path
}

// ensureWritableDir creates dir if needed and proves it can be written, so that a
// read-only data directory fails at start-up with its name, not later mid-request.
func ensureWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s cannot be created: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// Dialect tells which engine this DB runs on.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.x.PingContext(ctx) }

// Close closes every connection.
func (db *DB) Close() error {
	db.prepared.close()
	return db.x.Close()
}

// Tx is a transaction; storage methods that must run together take one.
type Tx struct {
	x       queryer
	dialect Dialect
	// notices are handed on when the transaction commits (see Notify).
	notices *[]proposals.Notice
}

// queryer is what a Tx runs its SQL on: a transaction, or the pool itself for
// a single-statement read (see Query).
type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// counted is a queryer that counts the statements it runs.
type counted struct {
	q queryer
	n *atomic.Int64
}

func (c counted) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	c.n.Add(1)
	return c.q.GetContext(ctx, dest, query, args...)
}

func (c counted) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	c.n.Add(1)
	return c.q.SelectContext(ctx, dest, query, args...)
}

func (c counted) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.q.ExecContext(ctx, query, args...)
}

// onPool and inTx are what statements run on: on PostgreSQL, prepared.
func (db *DB) onPool() queryer {
	if db.dialect != Postgres {
		return db.x
	}
	return preparing{db: db.x, cache: db.prepared, plain: db.x}
}

func (db *DB) inTx(x *sqlx.Tx) queryer {
	if db.dialect != Postgres {
		return x
	}
	return preparing{db: db.x, tx: x, cache: db.prepared, plain: x}
}

// Single runs fn on the pool without a transaction. It is for work of one
// statement (a read, or a write that is atomic on its own): it saves the BEGIN
// and COMMIT round trips that hot paths, such as every signed-in request's
// session check or every inbox POST, would otherwise pay.
func (db *DB) Single(ctx context.Context, fn func(tx *Tx) error) error {
	var notices []proposals.Notice
	q := counted{db.onPool(), &db.statements}
	if err := fn(&Tx{x: q, dialect: db.dialect, notices: &notices}); err != nil {
		return err
	}
	if err := db.sendNotices(ctx, q, notices); err != nil {
		return err
	}
	db.notices.deliver(notices)
	db.sendLater(notices)
	return nil
}

// Atomic runs fn, a write that is one statement on PostgreSQL (atomic on its
// own, so sent without BEGIN and COMMIT: one round trip instead of three)
// and may be several on SQLite, where it gets a transaction.
func (db *DB) Atomic(ctx context.Context, fn func(tx *Tx) error) error {
	if db.dialect == Postgres {
		return db.Single(ctx, fn)
	}
	return db.InTx(ctx, fn)
}

// InTx runs fn in a read-write transaction, committing when fn returns nil and
// rolling back otherwise (also on panic). Service methods use it as their
// transaction boundary. On SQLite it takes the write lock up front (BEGIN
// IMMEDIATE), so two writers wait for each other instead of deadlocking.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.runTx(ctx, &sql.TxOptions{}, fn)
}

// ReadTx runs fn in a read-only transaction: one consistent snapshot that does
// not wait for writers.
func (db *DB) ReadTx(ctx context.Context, fn func(tx *Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		// PostgreSQL's default (read committed) gives each statement its own
		// snapshot; a page's votes and tally must come from the same moment.
		opts.Isolation = sql.LevelRepeatableRead
	}
	return db.runTx(ctx, opts, fn)
}

func (db *DB) runTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Tx) error) (err error) {
	db.statements.Add(2) // BEGIN, and COMMIT or ROLLBACK
	x, err := db.x.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			x.Rollback()
			panic(p)
		}
		if err != nil {
			x.Rollback()
		}
	}()
	var notices []proposals.Notice
	q := counted{db.inTx(x), &db.statements}
	if err = fn(&Tx{x: q, dialect: db.dialect, notices: &notices}); err != nil {
		return err
	}
	if err = db.sendNotices(ctx, q, notices); err != nil {
		return err
	}
	if err = x.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	db.notices.deliver(notices)
	db.sendLater(notices)
	return nil
}

// notFound maps "no rows" to the domain's not-found error, naming what was missing;
// any other error is wrapped with what was being done.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, proposals.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Exec runs a statement in the transaction. It is for tests and one-off admin
// work; features get a named method with their SQL next to it.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := tx.x.ExecContext(ctx, query, args...)
	return err
}

// inList is "column is one of vals", its placeholders numbered after args,
// which it returns with vals appended. On PostgreSQL the values go as one
// array (= ANY), so that the statement is the same whatever their number,
// and is prepared once; SQLite takes one placeholder a value.
func inList[T int64 | string](tx *Tx, column string, vals []T, args []any) (string, []any) {
	if tx.dialect == Postgres {
		return fmt.Sprintf("%s = ANY($%d)", column, len(args)+1), append(args, pq.Array(vals))
	}
	ps := make([]string, len(vals))
	for i, v := range vals {
		args = append(args, v)
		ps[i] = "$" + strconv.Itoa(len(args))
	}
	return column + " IN (" + strings.Join(ps, ", ") + ")", args
}
