package storage

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// PostgreSQL parses and plans every statement sent to it unprepared, and that
// work, repeated for every vote and page, was most of its time under load. So
// on PostgreSQL a statement with parameters is prepared and then only
// executed: database/sql keeps a prepared statement on each connection that
// used it, and a transaction prepares it on its own connection the first time
// (tx.Stmt), needing no other. Only the first preparation, which database/sql
// does on the pool, needs a free connection: it is done in the background,
// never by a request waiting for it (with every connection held by requests
// waiting so, none would ever be free), and until it is ready the statement
// is sent unprepared. The SQL stays as written; only how it is sent changes.
// Statements without parameters (migrations, locks) are sent as they are:
// PostgreSQL cannot prepare several commands at once.

const (
	// maxPrepared bounds the statements kept prepared: the SQL of this
	// program is a fixed set, but a query built with a variable number of
	// placeholders would add one for each length.
	maxPrepared = 512
	// maxPreparedArgs: a statement with more parameters is one built for a
	// list of varying length, whose text changes with the list; it is sent
	// unprepared rather than fill the cache. The longest fixed statement (a
	// proposal's update) takes 17; PostgreSQL's key lists go as arrays.
	maxPreparedArgs = 20
)

type preparedCache struct {
	mu      sync.Mutex
	stmts   map[string]*sqlx.Stmt
	pending map[string]bool
	closed  bool
}

// get returns query prepared, or false while it is not (yet): then it starts
// preparing it in the background.
func (c *preparedCache) get(db *sqlx.DB, query string) (*sqlx.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s, true
	}
	if c.closed || c.pending[query] || len(c.stmts)+len(c.pending) >= maxPrepared {
		return nil, false
	}
	if c.pending == nil {
		c.pending, c.stmts = map[string]bool{}, map[string]*sqlx.Stmt{}
	}
	c.pending[query] = true
	go c.prepare(db, query)
	return nil, false
}

func (c *preparedCache) prepare(db *sqlx.DB, query string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := db.PreparexContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		// Sent unprepared meanwhile (any error in it shows where it runs);
		// tried again the next time it is used.
		delete(c.pending, query)
		return
	}
	if c.closed {
		s.Close()
		return
	}
	delete(c.pending, query)
	c.stmts[query] = s
}

func (c *preparedCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
}

// preparing is the queryer of PostgreSQL: it runs each statement with
// parameters prepared, on the transaction tx or, when tx is nil, on the pool.
type preparing struct {
	db    *sqlx.DB
	tx    *sqlx.Tx
	cache *preparedCache
	plain queryer
}

func (p preparing) stmt(ctx context.Context, query string, args []any) (*sqlx.Stmt, bool) {
	if len(args) == 0 || len(args) > maxPreparedArgs {
		return nil, false
	}
	s, ok := p.cache.get(p.db, query)
	if !ok {
		return nil, false
	}
	if p.tx != nil {
		return p.tx.StmtxContext(ctx, s), true
	}
	return s, true
}

func (p preparing) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	if s, ok := p.stmt(ctx, query, args); ok {
		return s.GetContext(ctx, dest, args...)
	}
	return p.plain.GetContext(ctx, dest, query, args...)
}

func (p preparing) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	if s, ok := p.stmt(ctx, query, args); ok {
		return s.SelectContext(ctx, dest, args...)
	}
	return p.plain.SelectContext(ctx, dest, query, args...)
}

func (p preparing) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s, ok := p.stmt(ctx, query, args); ok {
		return s.ExecContext(ctx, args...)
	}
	return p.plain.ExecContext(ctx, query, args...)
}
