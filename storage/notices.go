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

	// Vote notices wait here for the next batch (see sendLater).
	batchMu  sync.Mutex
	batch    map[string]bool
	batching bool
}

// noticeBatch is how long vote notices gather before they are sent together.
const noticeBatch = 20 * time.Millisecond

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

// sendNotices tells the other processes of what a transaction changed.
// Most notices go inside the transaction: PostgreSQL delivers a NOTIFY only
// if, and when, the transaction commits, so an ended session is never
// missed. Vote notices are the exception (see sendLater).
func (db *DB) sendNotices(ctx context.Context, q queryer, notices []proposals.Notice) error {
	if db.dialect != Postgres || len(notices) == 0 {
		return nil
	}
	var now []string
	for _, n := range notices {
		if n.Topic != proposals.NoticeVotes {
			now = append(now, db.notices.tag+" "+n.String())
		}
	}
	if len(now) == 0 {
		return nil
	}
	return notifyAll(ctx, q, now)
}

func notifyAll(ctx context.Context, q queryer, payloads []string) error {
	if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, noticeChannel, pq.Array(payloads)); err != nil {
		return fmt.Errorf("notify other processes: %w", err)
	}
	return nil
}

// sendLater sends the vote notices of a committed transaction with the next
// batch. Votes come by the hundred a second, and PostgreSQL makes the commits
// of notifying transactions take turns (flush to disk included): a NOTIFY in
// every vote's transaction would make votes take turns too. Batched, a burst
// of votes on one proposal is one notice every noticeBatch, sent beside the
// votes. A batch lost (the process dies in between) only delays the other
// processes' live tallies until their next periodic read.
func (db *DB) sendLater(notices []proposals.Notice) {
	if db.dialect != Postgres {
		return
	}
	n := db.notices
	n.batchMu.Lock()
	defer n.batchMu.Unlock()
	for _, notice := range notices {
		if notice.Topic == proposals.NoticeVotes {
			if n.batch == nil {
				n.batch = map[string]bool{}
			}
			n.batch[n.tag+" "+notice.String()] = true
		}
	}
	if len(n.batch) > 0 && !n.batching {
		n.batching = true
		time.AfterFunc(noticeBatch, db.sendBatch)
	}
}

func (db *DB) sendBatch() {
	n := db.notices
	n.batchMu.Lock()
	payloads := make([]string, 0, len(n.batch))
	for p := range n.batch {
		payloads = append(payloads, p)
	}
	n.batch, n.batching = nil, false
	n.batchMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	notifyAll(ctx, counted{db.x, &db.statements}, payloads) // a failure is caught up by the periodic reads
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
