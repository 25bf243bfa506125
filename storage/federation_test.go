package storage_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// Finished federation work is purged after the retention period: processed
// inbox activities (bodies and all), deliveries delivered or given up, past
// hours' inbox usage. Work still pending is kept however old.
func TestFinishedFederationWorkIsPurged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		old, recent := now.Add(-8*24*time.Hour), now.Add(-time.Hour)
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			for _, a := range []struct {
				id        string
				at        time.Time
				processed bool
			}{{"old-done", old, true}, {"old-pending", old, false}, {"recent-done", recent, true}} {
				if _, err := tx.RecordInboxActivity(ctx, a.id, "Like", "https://a.example/u", "a.example", `{"big":"body"}`, a.at, 1<<20); err != nil {
					return err
				}
				if a.processed {
					if err := tx.MarkInboxProcessed(ctx, "https://a.example/u", a.id, "", a.at); err != nil {
						return err
					}
				}
			}
			for _, d := range []struct {
				activity string
				at       time.Time
				outcome  string
			}{{"old-delivered", old, "delivered"}, {"old-failed", old, "failed"}, {"old-pending", old, "pending"}, {"recent-delivered", recent, "delivered"}} {
				if err := tx.EnqueueDelivery(ctx, d.activity, "https://b.example/inbox", "b.example", "{}", d.at); err != nil {
					return err
				}
				ds, err := tx.ClaimDeliveries(ctx, now, now.Add(time.Minute), 1)
				if err != nil || len(ds) != 1 {
					return errors.Join(err, errors.New("claim one delivery"))
				}
				switch d.outcome {
				case "delivered":
					err = tx.DeliverySucceeded(ctx, ds[0], d.at)
				case "failed":
					err = tx.DeliveryFailed(ctx, ds[0], "refused", nil, d.at, 5, d.at)
				case "pending":
					later := now.Add(time.Hour)
					err = tx.DeliveryFailed(ctx, ds[0], "down", &later, d.at, 5, d.at)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var purged storage.Purged
		if err := db.InTx(ctx, func(tx *storage.Tx) (err error) {
			purged, err = tx.PurgeFinished(ctx, now.Add(-7*24*time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if purged.Inbox != 1 || purged.Deliveries != 2 || purged.Usage != 1 {
			t.Fatalf("purged %+v, want the old processed activity, the old delivered and failed deliveries, and the old hour's usage", purged)
		}
		var pending []storage.InboxActivity
		var stats storage.QueueStats
		err = db.ReadTx(ctx, func(tx *storage.Tx) (err error) {
			if pending, err = tx.UnprocessedInbox(ctx, now, 10, 10); err != nil {
				return err
			}
			stats, err = tx.DeliveryStats(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || pending[0].ID != "old-pending" {
			t.Fatalf("pending inbox after the purge: %+v", pending)
		}
		if stats.Pending != 1 || stats.Delivered != 1 || stats.Failed != 0 {
			t.Fatalf("deliveries after the purge: %+v, want the pending one and the recent delivered one", stats)
		}
		// The recent processed activity is still there to recognise a redelivery.
		err = db.InTx(ctx, func(tx *storage.Tx) error {
			fresh, err := tx.RecordInboxActivity(ctx, "recent-done", "Like", "https://a.example/u", "a.example", `{}`, now, 1<<20)
			if err == nil && fresh {
				err = errors.New("a redelivery of a recent activity was stored again")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The inbox batch shares out fairly between hosts: one host's backlog, over
// however many actors, cannot fill it.
func TestInboxBatchIsFairBetweenHosts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			for i := range 30 { // a flood from many actors of one host, first
				actor := "https://flood.example/users/" + string(rune('a'+i%26)) + string(rune('a'+i/26))
				if _, err := tx.RecordInboxActivity(ctx, actor+"/like", "Like", actor, "flood.example", "{}", now.Add(time.Duration(i)*time.Millisecond), 1<<30); err != nil {
					return err
				}
			}
			_, err := tx.RecordInboxActivity(ctx, "https://ally.example/users/forest/statement/versions/4/activity", "Create",
				"https://ally.example/users/forest", "ally.example", "{}", now.Add(time.Second), 1<<30)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var batch []storage.InboxActivity
		if err := db.ReadTx(ctx, func(tx *storage.Tx) (err error) {
			batch, err = tx.UnprocessedInbox(ctx, now.Add(time.Minute), 16, 8)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		hosts := map[string]int{}
		for _, a := range batch {
			u, _ := url.Parse(a.Actor)
			hosts[u.Host]++
		}
		if len(batch) != 9 || hosts["ally.example"] != 1 || hosts["flood.example"] != 8 {
			t.Fatalf("batch of %d: %v; want 8 of the flood and the ally's statement", len(batch), hosts)
		}
	})
}
