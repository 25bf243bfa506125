package notify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// BenchmarkNotifyThousandMembers measures what telling 1,000 members that a
// vote opened costs: each iteration opens a vote (its 1,000 voters frozen),
// plans the 1,000 notifications and sends each by email to a real SMTP server
// over loopback, with STARTTLS and AUTH, one connection a message, as the
// worker does. ns/op is the time from "voting opened" to the 1,000th email
// accepted; plan-ms/op the planning part of it.
func BenchmarkNotifyThousandMembers(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}} {
		b.Run(backend.name, func(b *testing.B) {
			db := backend.open(b)
			w := newWorld(b, db, 0)
			addMembers(b, db, 1000)
			n := w.notes(b)
			ctx := context.Background()
			if err := n.Work(ctx); err != nil { // notifications begin
				b.Fatal(err)
			}
			var planned time.Duration
			b.ResetTimer()
			for i := range b.N {
				w.openVote(b, fmt.Sprintf("Vote %d", i))
				start := time.Now()
				queued, err := n.PlanDue(ctx)
				if err != nil || queued != 1000 {
					b.Fatalf("planned %d notifications (%v), want 1000", queued, err)
				}
				planned += time.Since(start)
				sent, err := n.SendDue(ctx)
				if err != nil || sent != 1000 {
					b.Fatalf("sent %d messages (%v), want 1000", sent, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(planned.Milliseconds())/float64(b.N), "plan-ms/op")
			if got := len(w.smtp.Messages()); got != 1000*b.N {
				b.Fatalf("the SMTP server received %d messages, want %d", got, 1000*b.N)
			}
		})
	}
}

// addMembers inserts n active members with confirmed email addresses in
// one statement (their password hashes are never used: nobody signs in).
func addMembers(b *testing.B, db *storage.DB, n int) {
	b.Helper()
	var q strings.Builder
	q.WriteString(`INSERT INTO members (username, display_name, password_hash, role, status, created_at, updated_at, email, email_verified_at) VALUES `)
	args := []any{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "('bench%04d', '', 'x', 'member', 'active', $1, $1, 'bench%04d@example.org', $1)", i, i)
	}
	err := db.InTx(context.Background(), func(tx *storage.Tx) error { return tx.Exec(context.Background(), q.String(), args...) })
	if err != nil {
		b.Fatal(err)
	}
}
