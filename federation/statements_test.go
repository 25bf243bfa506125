package federation_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/commonground/commonground/storage"
	"github.com/commonground/commonground/storage/storagetest"
)

// The SQL statements an inbox activity costs, from its POST to its handling
// recorded, on each database (logged for the performance note; the bound
// keeps it from creeping back up). A status from a fediverse account: the
// POST stores it in one statement (its bytes are charged to the host's
// hourly quota from a chunk this process reserved, one statement every few
// dozen activities); the worker claims it in a batch (one statement on
// both databases) and records the batch handled in one statement, reading
// the movement never (its handle is fixed at setup), waking the publisher
// only for the types of activity that can record something to announce.
// (Before the chunks and the claim function: 5.1 on SQLite, 2.6 on
// PostgreSQL.)
func TestStatementsPerInboxActivity(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		in := newInstance(t, db, 1)
		eve := newRemote(t)
		eveID := eve.actor("eve")
		inbox := in.url + "/inbox"
		// The first activity fetches eve's key: not what is counted.
		if got := post(t, inbox, mustFollow(eve.srv.URL+"/follows/1", eveID, in.actor()), eveID+"#main-key", eve.key, time.Now(), nil); got != 202 {
			t.Fatalf("follow: %d", got)
		}
		waitFor(t, func() bool { return due(t, db) == 0 })
		// The background loops (the publisher's and the delivery worker's
		// ticks) run statements too: their rate, idle, is taken off.
		idle := db.Statements()
		time.Sleep(time.Second)
		background := float64(db.Statements() - idle)
		const n = 40
		before, start := db.Statements(), time.Now()
		var wg sync.WaitGroup
		for w := range 4 { // a burst, as a busy server sends
			wg.Go(func() {
				for i := w; i < n; i += 4 {
					body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/notes/%d/activity","type":"Create","actor":"%s","object":{"id":"%s/notes/%d","type":"Note","attributedTo":"%s","content":"hello %d"}}`,
						eve.srv.URL, i, eveID, eve.srv.URL, i, eveID, i)
					if got := post(t, inbox, []byte(body), eveID+"#main-key", eve.key, time.Now(), nil); got != 202 {
						t.Errorf("status %d: %d", i, got)
					}
				}
			})
		}
		wg.Wait()
		reads := 0
		waitFor(t, func() bool { reads += 3; return due(t, db) == 0 })
		spent := float64(db.Statements()-before-int64(reads)) - background*time.Since(start).Seconds()
		per := spent / n
		t.Logf("statements per inbox activity (%s), stored and handled: %.2f", db.Dialect(), per)
		// One sender sending one at a time, as here, is the worst case: one
		// claim for each activity.
		const limit = 3.5
		if per > limit {
			t.Errorf("%.2f statements per activity on %s, want at most %.1f", per, db.Dialect(), limit)
		}
	})
}

// due is how many activities wait in the inbox (3 statements: BEGIN, the read, COMMIT).
func due(t *testing.T, db *storage.DB) int {
	t.Helper()
	var n int
	err := db.ReadTx(context.Background(), func(tx *storage.Tx) error {
		as, err := tx.DueInbox(context.Background(), time.Now().Add(time.Hour))
		n = len(as)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
