package storage_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// noticesOf collects what a DB hands its subscribers.
func noticesOf(db *storage.DB) <-chan proposals.Notice {
	ch := make(chan proposals.Notice, 100)
	db.Subscribe(func(n proposals.Notice) {
		select {
		case ch <- n:
		default:
		}
	})
	return ch
}

func expectNotice(t *testing.T, ch <-chan proposals.Notice, want proposals.Notice, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case n := <-ch:
			if n == want {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no %v within 10 s", what, want)
		}
	}
}

// Two handles on one PostgreSQL database stand for two processes: a notice
// reaches the other once its transaction commits, never when it rolls back,
// and the sender's own subscribers get it once, at commit.
func TestNoticesReachEveryProcess(t *testing.T) {
	url := storagetest.PostgresURL(t)
	a, b := storagetest.OpenURL(t, url), storagetest.OpenURL(t, url)
	fromA, fromB := noticesOf(a), noticesOf(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go a.Listen(ctx, log)
	go b.Listen(ctx, log)
	everything := proposals.Notice{Topic: proposals.NoticeEverything}
	expectNotice(t, fromA, everything, "A listening")
	expectNotice(t, fromB, everything, "B listening")

	rolledBack := proposals.Notice{Topic: proposals.NoticeSessions, ID: 99}
	a.InTx(ctx, func(tx *storage.Tx) error { tx.Notify(rolledBack); return sql.ErrTxDone })
	for _, n := range []proposals.Notice{{Topic: proposals.NoticeSessions, ID: 7}, {Topic: proposals.NoticeVotes, ID: 12}} {
		if err := a.InTx(ctx, func(tx *storage.Tx) error { tx.Notify(n); return nil }); err != nil {
			t.Fatal(err)
		}
		expectNotice(t, fromA, n, "A's own subscriber")
		expectNotice(t, fromB, n, "B, from A")
	}
	time.Sleep(200 * time.Millisecond) // time for a duplicate or a rolled-back notice to show
	for len(fromA)+len(fromB) > 0 {
		select {
		case n := <-fromA:
			t.Errorf("A got %v again, or from a rolled-back transaction", n)
		case n := <-fromB:
			t.Errorf("B got %v again, or from a rolled-back transaction", n)
		}
	}

	// A lost listening connection may have missed notices: on reconnecting,
	// B is told to forget everything it cached.
	admin, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	res, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN%' AND datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 2 {
		t.Fatalf("%d listening connections cut, want 2", n)
	}
	expectNotice(t, fromB, everything, "B after its listening connection was cut")
}

// The sign-in limits forget what no limit needs any more.
func TestSignInLimitsArePurged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		svc, clk := newService(db)
		ctx := context.Background()
		for range 3 {
			if w, err := svc.BeginSignIn(ctx, "ada", "192.0.2.1"); err != nil || w.Wait != 0 {
				t.Fatalf("attempt: %+v %v", w, err)
			}
		}
		if n, err := svc.PurgeSignIns(ctx); err != nil || n != 0 {
			t.Fatalf("purge of fresh attempts: %d %v", n, err)
		}
		clk.Advance(proposals.SignInAddressWindow + time.Second)
		if n, err := svc.PurgeSignIns(ctx); err != nil || n != 4 {
			t.Fatalf("purge after the window: %d rows, %v; want the 3 attempts and the account", n, err)
		}
	})
}
