package federation

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/proposals"
	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// Two processes on one database share each host's quota: what both charge,
// at once, stays within it, and falls short of it by at most a chunk each
// (what they reserved and did not use). A host refused is refused again
// without a write, and a new hour starts afresh.
func TestProcessesShareAHostsInboxQuota(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		const quota, size = MaxActivityBytes, 10_000
		a, b := newInboxQuota(db, quota), newInboxQuota(db, quota)
		now := time.Date(2026, 12, 5, 17, 20, 0, 0, time.UTC)

		var mu sync.Mutex
		charged := int64(0)
		var wg sync.WaitGroup
		for _, q := range []*inboxQuota{a, b, a, b} { // two requests at once in each process
			wg.Go(func() {
				for {
					_, err := q.charge(ctx, "flood.example", size, now)
					if errors.Is(err, proposals.ErrTooMany) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					charged += size
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if charged > quota || charged < quota-2*a.chunk-size {
			t.Fatalf("two processes charged %d bytes, want at most the quota %d and at least %d", charged, quota, quota-2*a.chunk-size)
		}
		var stored int64
		if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) {
			stored, err = tx.InboxUsage(ctx, "flood.example", now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if stored > quota {
			t.Fatalf("%d bytes counted in the database, over the quota %d", stored, quota)
		}

		before := db.Statements()
		if _, err := a.charge(ctx, "flood.example", size, now); !errors.Is(err, proposals.ErrTooMany) {
			t.Fatalf("a host over its quota, again: %v, want it refused", err)
		}
		if n := db.Statements() - before; n != 0 {
			t.Errorf("refusing a host refused already took %d statements, want none", n)
		}
		if _, err := a.charge(ctx, "calm.example", size, now); err != nil {
			t.Fatalf("another host: %v", err)
		}
		if _, err := b.charge(ctx, "flood.example", size, now.Add(time.Hour)); err != nil {
			t.Fatalf("the flooding host in the next hour: %v", err)
		}
	})
}

// A redelivery is refunded: the bytes go back to the reserve, and the next
// activity is charged from them without a write.
func TestARefundedChargeIsUsedAgain(t *testing.T) {
	db := storagetest.SQLite(t)
	ctx := context.Background()
	q := newInboxQuota(db, MaxActivityBytes)
	now := time.Now()
	r, err := q.charge(ctx, "a.example", q.chunk, now) // the whole first chunk
	if err != nil {
		t.Fatal(err)
	}
	q.refund(r, q.chunk)
	before := db.Statements()
	if _, err := q.charge(ctx, "a.example", q.chunk, now); err != nil {
		t.Fatal(err)
	}
	if n := db.Statements() - before; n != 0 {
		t.Errorf("charging refunded bytes took %d statements, want none", n)
	}
}
