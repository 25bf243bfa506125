package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/commonground/commonground/proposals"
)

// noticeChannel is the PostgreSQL channel notices travel on between processes.
const noticeChannel = "commonground"

// notifier hands notices to this process's subscribers and, on PostgreSQL,
// to every other process listening on the same database.
type notifier struct {
	// tag names this DB in the notices it sends, so that its listener skips
	// its own: they were handed on already, at commit.
	tag         string
	mu          sync.RWMutex
	subscribers []func(proposals.Notice)
}

func newNotifier() *notifier {
	b := make([]byte, 8)
	rand.Read(b)
	return &notifier{tag: hex.EncodeToString(b)}
}

// Subscribe calls fn with every notice: this process's once their
// transaction committed, and (while Listen runs) other processes'. fn runs
// on the committing goroutine or the listener, so it must return quickly.
func (db *DB) Subscribe(fn func(proposals.Notice)) {
	db.notices.mu.Lock()
	defer db.notices.mu.Unlock()
	db.notices.subscribers = append(db.notices.subscribers, fn)
}

func (n *notifier) deliver(notices []proposals.Notice) {
	n.mu.RLock()
	subs := n.subscribers
	n.mu.RUnlock()
	for _, notice := range notices {
		for _, fn := range subs {
			fn(notice)
		}
	}
}

// Notify records n, handed on once the transaction commits (see Subscribe).
// It runs no SQL by itself: on PostgreSQL the commit sends it to the other
// processes, in the same transaction as the change it tells of.
func (tx *Tx) Notify(n proposals.Notice) {
	if !slices.Contains(*tx.notices, n) {
		*tx.notices = append(*tx.notices, n)
	}
}

// sendNotices tells the other processes, inside the transaction: PostgreSQL
// delivers a NOTIFY only if, and when, the transaction commits.
func (db *DB) sendNotices(ctx context.Context, q queryer, notices []proposals.Notice) error {
	if db.dialect != Postgres || len(notices) == 0 {
		return nil
	}
	payloads := make([]string, len(notices))
	for i, n := range notices {
		payloads[i] = db.notices.tag + " " + n.String()
	}
	if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, noticeChannel, pq.Array(payloads)); err != nil {
		return fmt.Errorf("notify other processes: %w", err)
	}
	return nil
}

// Listen hands other processes' notices to this one's subscribers until ctx
// ends. On SQLite, which one process uses, there are none: it just waits.
// When its connection is lost, notices may have been missed meanwhile, so
// on reconnecting it hands on NoticeEverything.
func (db *DB) Listen(ctx context.Context, log *slog.Logger) error {
	if db.dialect != Postgres {
		<-ctx.Done()
		return nil
	}
	l := pq.NewListener(db.dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil && ctx.Err() == nil {
			log.Warn("notices from other processes: connection problem", "err", err)
		}
	})
	defer l.Close()
	if err := l.Listen(noticeChannel); err != nil {
		return fmt.Errorf("listen for notices: %w", err)
	}
	// Anything cached before the listener was up may be stale.
	db.notices.deliver([]proposals.Notice{{Topic: proposals.NoticeEverything}})
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			l.Ping() // finds a dead connection, which the listener then replaces
		case n := <-l.Notify:
			if n == nil { // reconnected
				db.notices.deliver([]proposals.Notice{{Topic: proposals.NoticeEverything}})
				continue
			}
			tag, payload, _ := strings.Cut(n.Extra, " ")
			if tag == db.notices.tag {
				continue
			}
			if notice, ok := proposals.ParseNotice(payload); ok {
				db.notices.deliver([]proposals.Notice{notice})
			}
		}
	}
}
