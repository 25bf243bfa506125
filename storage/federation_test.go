package storage_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
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
				if ok, err := tx.ReserveInboxBytes(ctx, "a.example", a.at.Truncate(time.Hour), 12, 1<<20); !ok || err != nil {
					return errors.Join(err, errors.New("reserve 12 bytes of 1 MiB"))
				}
				if _, err := tx.RecordInboxActivity(ctx, a.id, "Like", "https://a.example/u", "a.example", `{"big":"body"}`, a.at); err != nil {
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
					err = tx.DeliveriesSucceeded(ctx, ds, d.at)
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
			if pending, err = tx.DueInbox(ctx, now); err != nil {
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
			fresh, err := tx.RecordInboxActivity(ctx, "recent-done", "Like", "https://a.example/u", "a.example", `{}`, now)
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
				if _, err := tx.RecordInboxActivity(ctx, actor+"/like", "Like", actor, "flood.example", "{}", now.Add(time.Duration(i)*time.Millisecond)); err != nil {
					return err
				}
			}
			_, err := tx.RecordInboxActivity(ctx, "https://ally.example/users/forest/statement/versions/4/activity", "Create",
				"https://ally.example/users/forest", "ally.example", "{}", now.Add(time.Second))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The claim workers make, on each database's form of it.
		claim := func(hosts int, skip ...string) map[string]int {
			t.Helper()
			at := now.Add(time.Minute)
			batch, err := db.ClaimInbox(ctx, storage.InboxClaim{Now: at, Until: at.Add(time.Minute), Hosts: hosts, PerHost: 8, Skip: skip})
			if err != nil {
				t.Fatal(err)
			}
			byHost := map[string]int{}
			for _, a := range batch {
				u, _ := url.Parse(a.Actor)
				byHost[u.Host]++
			}
			return byHost
		}
		// Room for one host: the one whose oldest activity is oldest.
		if got := claim(1); len(got) != 1 || got["flood.example"] != 8 {
			t.Fatalf("room for one host: %v; want 8 of the flood", got)
		}
		// Room for two, the flood's next senders in hand or not: the
		// ally's statement comes with 8 more of the flood.
		if got := claim(2); got["ally.example"] != 1 || got["flood.example"] != 8 {
			t.Fatalf("room for two hosts: %v; want 8 of the flood and the ally's statement", got)
		}
		// A host the worker has no room for is left for later.
		if got := claim(2, "flood.example"); len(got) != 0 {
			t.Fatalf("with the flood skipped and the ally's sender in hand: %v; want nothing", got)
		}
	})
}

// Several processes share the inbox: each activity is claimed once, a
// sender's activities are claimed in order (never while an earlier one is in
// another's hands), what is given back is claimed again, and a lease a dead
// process left lapses. On PostgreSQL the claimers are two separate handles,
// as two serve processes are.
func TestInboxClaimsShareWorkInOrder(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		lite := storagetest.SQLite(t)
		inboxClaimsShareWorkInOrder(t, [2]*storage.DB{lite, lite})
	})
	t.Run("postgres", func(t *testing.T) {
		pgURL := storagetest.PostgresURL(t)
		inboxClaimsShareWorkInOrder(t, [2]*storage.DB{storagetest.OpenURL(t, pgURL), storagetest.OpenURL(t, pgURL)})
	})
}

func inboxClaimsShareWorkInOrder(t *testing.T, dbs [2]*storage.DB) {
	ctx := context.Background()
	db := dbs[0]
	base := time.Now().Add(-time.Hour)
	const senders, each = 6, 10
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		for i := range each {
			for s := range senders {
				actor := fmt.Sprintf("https://h%d.example/users/s%d", s%2, s)
				id := fmt.Sprintf("%s/activities/%02d", actor, i)
				if _, err := tx.RecordInboxActivity(ctx, id, "Like", actor, fmt.Sprintf("h%d.example", s%2), "{}", base.Add(time.Duration(i*senders+s)*time.Millisecond)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	order := map[string][]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := dbs[w%2]
			for idle := 0; idle < 20; {
				now := time.Now()
				batch, err := h.ClaimInbox(ctx, storage.InboxClaim{Now: now, Until: now.Add(time.Minute), Hosts: 1, PerHost: 4})
				if err != nil {
					t.Error(err)
					return
				}
				if len(batch) == 0 {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				mu.Lock()
				for _, a := range batch {
					claimed[a.ID]++
					order[a.Actor] = append(order[a.Actor], a.ID)
				}
				mu.Unlock()
				keys := make([]storage.InboxKey, len(batch))
				for i, a := range batch {
					keys[i] = storage.InboxKey{Actor: a.Actor, ID: a.ID}
				}
				if err := h.Single(ctx, func(tx *storage.Tx) error { return tx.MarkInboxHandled(ctx, keys, time.Now()) }); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(claimed) != senders*each {
		t.Fatalf("%d activities claimed, want %d", len(claimed), senders*each)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
	for actor, ids := range order {
		if !slices.IsSorted(ids) {
			t.Errorf("%s's activities claimed out of order: %v", actor, ids)
		}
	}

	// A sender with work in hand is not claimed again; given back,
	// or with its lease lapsed, it is.
	now := time.Now()
	actor := "https://h0.example/users/late"
	record := func(id string, at time.Time) {
		if err := db.Single(ctx, func(tx *storage.Tx) error {
			_, err := tx.RecordInboxActivity(ctx, actor+id, "Like", actor, "h0.example", "{}", at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(at time.Time) []storage.InboxActivity {
		batch, err := db.ClaimInbox(ctx, storage.InboxClaim{Now: at, Until: at.Add(time.Minute), Hosts: 1, PerHost: 10})
		if err != nil {
			t.Fatal(err)
		}
		return batch
	}
	record("/1", now)
	if got := claim(now); len(got) != 1 {
		t.Fatalf("first claim: %d", len(got))
	}
	record("/2", now.Add(time.Millisecond))
	if got := claim(now); len(got) != 0 {
		t.Fatalf("a sender with work in hand was claimed again: %d", len(got))
	}
	if got := claim(now.Add(2 * time.Minute)); len(got) != 2 {
		t.Fatalf("after the lease lapsed: %d, want both", len(got))
	}
	if err := db.Single(ctx, func(tx *storage.Tx) error {
		return tx.ReleaseInbox(ctx, []storage.InboxKey{{Actor: actor, ID: actor + "/1"}, {Actor: actor, ID: actor + "/2"}})
	}); err != nil {
		t.Fatal(err)
	}
	if got := claim(now.Add(2 * time.Minute)); len(got) != 2 {
		t.Fatalf("given back: %d, want both", len(got))
	}
}

// An activity queued for many inboxes at once (a version to every follower)
// is queued once per inbox, duplicates and inboxes it was queued for before
// included, and each delivery is claimed once, by workers claiming at once.
func TestDeliveriesQueuedTogetherAreQueuedOncePerInbox(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		var to []storage.Destination
		for i := range 300 {
			to = append(to, storage.Destination{Inbox: fmt.Sprintf("https://h%d.example/inbox", i), Host: fmt.Sprintf("h%d.example", i)})
		}
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			if err := tx.EnqueueDelivery(ctx, "https://us.example/a/1", to[7].Inbox, to[7].Host, `{"a":1}`, now); err != nil {
				return err
			}
			return tx.EnqueueDeliveries(ctx, "https://us.example/a/1", `{"a":1}`, append(to, to[3]), now)
		})
		if err != nil {
			t.Fatal(err)
		}
		// Four workers claim at once, as a process's delivery workers do.
		var mu sync.Mutex
		claimed := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					var ds []storage.Delivery
					err := db.Atomic(ctx, func(tx *storage.Tx) (err error) {
						ds, err = tx.ClaimDeliveries(ctx, now, now.Add(time.Minute), 8)
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						if d.Body != `{"a":1}` || d.Host != strings.TrimSuffix(strings.TrimPrefix(d.Inbox, "https://"), "/inbox") {
							t.Errorf("delivery %+v: wrong body or host", d)
						}
						claimed[d.Inbox]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(claimed) != len(to) {
			t.Fatalf("%d inboxes claimed, want %d", len(claimed), len(to))
		}
		for inbox, n := range claimed {
			if n != 1 {
				t.Fatalf("%s claimed %d times", inbox, n)
			}
		}
	})
}
