package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// RemoteActor is what the instance keeps of an actor on another server.
type RemoteActor struct {
	ID           string    `db:"id"`
	Type         string    `db:"type"`
	Handle       string    `db:"handle"` // user@host, once known
	Name         string    `db:"name"`
	Summary      string    `db:"summary"`
	URL          string    `db:"url"`
	Inbox        string    `db:"inbox"`
	SharedInbox  string    `db:"shared_inbox"`
	Featured     string    `db:"featured"`
	KeyID        string    `db:"key_id"`
	PublicKeyPEM string    `db:"public_key_pem"`
	FetchedAt    time.Time `db:"fetched_at"`
}

const remoteActorColumns = `id, type, handle, name, summary, url, inbox, shared_inbox, featured, key_id, public_key_pem, fetched_at`

// remoteActorColumnsOfA is remoteActorColumns for a query that calls remote_actors "a".
const remoteActorColumnsOfA = `a.id, a.type, a.handle, a.name, a.summary, a.url, a.inbox, a.shared_inbox, a.featured, a.key_id, a.public_key_pem, a.fetched_at`

// SaveRemoteActor inserts or refreshes a remote actor.
func (tx *Tx) SaveRemoteActor(ctx context.Context, a RemoteActor) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO remote_actors (`+remoteActorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO UPDATE SET type = excluded.type,
			handle = CASE WHEN excluded.handle <> '' THEN excluded.handle ELSE remote_actors.handle END,
			name = excluded.name, summary = excluded.summary, url = excluded.url, inbox = excluded.inbox,
			shared_inbox = excluded.shared_inbox, featured = excluded.featured, key_id = excluded.key_id,
			public_key_pem = excluded.public_key_pem, fetched_at = excluded.fetched_at`,
		a.ID, a.Type, a.Handle, a.Name, a.Summary, a.URL, a.Inbox, a.SharedInbox, a.Featured, a.KeyID, a.PublicKeyPEM, a.FetchedAt)
	if err != nil {
		return fmt.Errorf("save remote actor: %w", err)
	}
	return nil
}

// RemoteActor returns a known remote actor by id.
func (tx *Tx) RemoteActor(ctx context.Context, id string) (RemoteActor, error) {
	var a RemoteActor
	if err := tx.x.GetContext(ctx, &a, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE id = $1`, id); err != nil {
		return a, notFound(err, "remote actor")
	}
	return a, nil
}

// RemoteActorByKey returns the actor that owns a key id.
func (tx *Tx) RemoteActorByKey(ctx context.Context, keyID string) (RemoteActor, error) {
	var a RemoteActor
	if err := tx.x.GetContext(ctx, &a, `SELECT `+remoteActorColumns+` FROM remote_actors WHERE key_id = $1 LIMIT 1`, keyID); err != nil {
		return a, notFound(err, "remote key")
	}
	return a, nil
}

// Follower is a remote actor following the movement.
type Follower struct {
	RemoteActor
	FollowID   string    `db:"follow_id"`
	FollowJSON string    `db:"follow_json"`
	Status     string    `db:"status"`
	Since      time.Time `db:"created_at"`
}

// saveFollower is SaveFollower's statement.
const saveFollower = `INSERT INTO followers (actor_id, follow_id, follow_json, status, created_at)
		SELECT $1, $2, $3, CASE WHEN manually_approves_followers THEN 'pending' ELSE 'accepted' END, $4 FROM movement WHERE id = 1
		ON CONFLICT (actor_id) DO UPDATE SET follow_id = excluded.follow_id, follow_json = excluded.follow_json,
			status = CASE WHEN followers.status = 'accepted' THEN 'accepted' ELSE excluded.status END
		RETURNING status`

// SaveFollower records a Follow and returns the follower's status: a
// follower accepted before stays accepted; otherwise it is accepted, or
// pending when the movement approves its followers by hand (read in the same
// statement). A repeated Follow replaces the earlier one (its id is what the
// Accept must name).
func (tx *Tx) SaveFollower(ctx context.Context, actorID, followID, followJSON string, at time.Time) (string, error) {
	var status string
	err := tx.x.GetContext(ctx, &status, saveFollower, actorID, followID, followJSON, at)
	if err != nil {
		return "", notFound(err, "movement")
	}
	return status, nil
}

// Outgoing is an activity to queue for one inbox, on host.
type Outgoing struct{ ActivityID, Inbox, Host, Body string }

// SaveFollowerAccepting is SaveFollower that also queues accept, the answer
// to the Follow, when the follower comes out accepted (not when it is held
// for an admin): one statement on PostgreSQL, two on SQLite (run it with
// DB.Atomic). The Accept is queued once per Follow, so a Follow handled
// twice is answered once.
func (tx *Tx) SaveFollowerAccepting(ctx context.Context, actorID, followID, followJSON string, at time.Time, accept Outgoing) (string, error) {
	if tx.dialect != Postgres {
		status, err := tx.SaveFollower(ctx, actorID, followID, followJSON, at)
		if err != nil || status != "accepted" {
			return status, err
		}
		return status, tx.EnqueueDelivery(ctx, accept.ActivityID, accept.Inbox, accept.Host, accept.Body, at)
	}
	var status string
	err := tx.x.GetContext(ctx, &status, `WITH saved AS (`+saveFollower+`),
		queued AS (
			INSERT INTO deliveries (activity_id, inbox, host, body, status, attempts, next_attempt_at, created_at)
			SELECT $5, $6, $7, $8, 'pending', 0, $4, $4 FROM saved WHERE saved.status = 'accepted'
			ON CONFLICT (activity_id, inbox) DO NOTHING)
		SELECT status FROM saved`,
		actorID, followID, followJSON, at, accept.ActivityID, accept.Inbox, accept.Host, accept.Body)
	if err != nil {
		return "", notFound(err, "movement")
	}
	return status, nil
}

const followerSelect = `SELECT ` + remoteActorColumnsOfA + `, f.follow_id, f.follow_json, f.status, f.created_at
	FROM followers f JOIN remote_actors a ON a.id = f.actor_id `

// Follower returns one follower.
func (tx *Tx) Follower(ctx context.Context, actorID string) (Follower, error) {
	var f Follower
	err := tx.x.GetContext(ctx, &f, followerSelect+`WHERE f.actor_id = $1`, actorID)
	if err != nil {
		return f, notFound(err, "follower")
	}
	return f, nil
}

// SetFollowerStatus approves a pending follower.
func (tx *Tx) SetFollowerStatus(ctx context.Context, actorID, status string) error {
	return tx.updateOne(ctx, "follower", `UPDATE followers SET status = $1 WHERE actor_id = $2`, status, actorID)
}

// DeleteFollower removes a follower (Undo{Follow}, or a rejection).
func (tx *Tx) DeleteFollower(ctx context.Context, actorID string) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM followers WHERE actor_id = $1`, actorID); err != nil {
		return fmt.Errorf("delete follower: %w", err)
	}
	return nil
}

// Followers lists followers with the given status ("" for all), newest first.
func (tx *Tx) Followers(ctx context.Context, status string) ([]Follower, error) {
	var fs []Follower
	err := tx.x.SelectContext(ctx, &fs, followerSelect+`WHERE ($1 = '' OR f.status = $1) ORDER BY f.created_at DESC, a.id`, status)
	if err != nil {
		return nil, fmt.Errorf("list followers: %w", err)
	}
	return fs, nil
}

// FollowerInboxes lists the distinct inboxes of accepted followers, shared
// inboxes first: one delivery per server, not one per follower.
func (tx *Tx) FollowerInboxes(ctx context.Context) ([]string, error) {
	var inboxes []string
	err := tx.x.SelectContext(ctx, &inboxes, `SELECT DISTINCT CASE WHEN a.shared_inbox <> '' THEN a.shared_inbox ELSE a.inbox END AS target
		FROM followers f JOIN remote_actors a ON a.id = f.actor_id WHERE f.status = 'accepted' ORDER BY target`)
	if err != nil {
		return nil, fmt.Errorf("follower inboxes: %w", err)
	}
	return inboxes, nil
}

// Followed is a remote actor the movement follows.
type Followed struct {
	RemoteActor
	FollowID  string    `db:"follow_id"`
	Status    string    `db:"status"`
	Since     time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// SaveFollowing records that the movement sent a Follow.
func (tx *Tx) SaveFollowing(ctx context.Context, actorID, followID string, at time.Time) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO following (actor_id, follow_id, status, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3)
		ON CONFLICT (actor_id) DO UPDATE SET follow_id = excluded.follow_id, status = 'pending', updated_at = excluded.updated_at`, actorID, followID, at)
	if err != nil {
		return fmt.Errorf("save following: %w", err)
	}
	return nil
}

// SetFollowingStatus records the answer to our Follow, found by its id.
func (tx *Tx) SetFollowingStatus(ctx context.Context, followID, status string, at time.Time) error {
	return tx.updateOne(ctx, "following", `UPDATE following SET status = $1, updated_at = $2 WHERE follow_id = $3`, status, at, followID)
}

const followedSelect = `SELECT ` + remoteActorColumnsOfA + `, f.follow_id, f.status, f.created_at, f.updated_at
	FROM following f JOIN remote_actors a ON a.id = f.actor_id `

// Following lists whom the movement follows.
func (tx *Tx) Following(ctx context.Context) ([]Followed, error) {
	var fs []Followed
	if err := tx.x.SelectContext(ctx, &fs, followedSelect+`ORDER BY f.created_at DESC, a.id`); err != nil {
		return nil, fmt.Errorf("list following: %w", err)
	}
	return fs, nil
}

// FollowedActor returns one followed actor.
func (tx *Tx) FollowedActor(ctx context.Context, actorID string) (Followed, error) {
	var f Followed
	if err := tx.x.GetContext(ctx, &f, followedSelect+`WHERE f.actor_id = $1`, actorID); err != nil {
		return f, notFound(err, "followed actor")
	}
	return f, nil
}

// DeleteFollowing forgets a followed actor (after an Undo was queued).
func (tx *Tx) DeleteFollowing(ctx context.Context, actorID string) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM following WHERE actor_id = $1`, actorID); err != nil {
		return fmt.Errorf("delete following: %w", err)
	}
	return nil
}

// RecordInboxActivity stores an activity once per sender and id; it reports
// false when that sender sent the id before (a redelivery, which must change
// nothing). The bytes it takes are charged beforehand (ReserveInboxBytes).
func (tx *Tx) RecordInboxActivity(ctx context.Context, id, typ, actor, host, body string, at time.Time) (bool, error) {
	res, err := tx.x.ExecContext(ctx, `INSERT INTO inbox_activities (id, type, actor, host, body, received_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (actor, id) DO NOTHING`, id, typ, actor, host, body, at)
	if err != nil {
		return false, fmt.Errorf("record inbox activity: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record inbox activity: %w", err)
	}
	return n > 0, nil
}

// ReserveInboxBytes adds n bytes to host's use of the inbox in the hour
// starting at hour, if that keeps it within quota bytes; it reports whether
// it did. It is one statement, atomic on both databases: reservations made
// at once, by any process, cannot together pass the quota.
func (tx *Tx) ReserveInboxBytes(ctx context.Context, host string, hour time.Time, n, quota int64) (bool, error) {
	if n > quota {
		return false, nil
	}
	res, err := tx.x.ExecContext(ctx, `INSERT INTO inbox_usage (host, hour, bytes) VALUES ($1, $2, $3)
		ON CONFLICT (host, hour) DO UPDATE SET bytes = inbox_usage.bytes + excluded.bytes
		WHERE inbox_usage.bytes + excluded.bytes <= $4`, host, hour, n, quota)
	if err != nil {
		return false, fmt.Errorf("reserve inbox bytes: %w", err)
	}
	done, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("reserve inbox bytes: %w", err)
	}
	return done > 0, nil
}

// InboxUsage is how many bytes host stored in the inbox in the hour of at.
func (tx *Tx) InboxUsage(ctx context.Context, host string, at time.Time) (int64, error) {
	var n int64
	err := tx.x.GetContext(ctx, &n, `SELECT COALESCE(SUM(bytes), 0) FROM inbox_usage WHERE host = $1 AND hour = $2`, host, at.UTC().Truncate(time.Hour))
	if err != nil {
		return 0, fmt.Errorf("inbox usage: %w", err)
	}
	return n, nil
}

// InboxActivity is a received activity waiting to be processed.
type InboxActivity struct {
	ID    string `db:"id"`
	Type  string `db:"type"`
	Actor string `db:"actor"`
	Body  string `db:"body"`
	// Attempts is how many times handling it failed for a passing reason.
	Attempts   int       `db:"attempts"`
	ReceivedAt time.Time `db:"received_at"`
}

// DueInbox lists the activities not handled yet that are due at now, oldest
// first: what is left to do, for the tests that wait for the inbox to drain.
// Workers claim their work with ClaimInbox.
func (tx *Tx) DueInbox(ctx context.Context, now time.Time) ([]InboxActivity, error) {
	var as []InboxActivity
	err := tx.x.SelectContext(ctx, &as, `SELECT id, type, actor, body, attempts, received_at FROM inbox_activities
		WHERE processed_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
		ORDER BY received_at, actor, id`, now)
	if err != nil {
		return nil, fmt.Errorf("due inbox: %w", err)
	}
	return as, nil
}

// InboxClaim is what a worker asks of the inbox: the due activities of at
// most Hosts hosts (the hosts whose oldest due activity is oldest first), at
// most PerHost of each, none of the hosts in Skip, leased until Until.
type InboxClaim struct {
	Now, Until time.Time
	Hosts      int
	PerHost    int
	// Skip names hosts the worker has no room for now (its lanes for them
	// are busy): claimed, their activities would only be given back.
	Skip []string
}

// ClaimInbox leases the activities it returns until c.Until, so that
// another process does not handle them too, and returns none of a sender who
// has activities leased already (in hand here or in another process), so
// that a sender's activities are handled in order even across processes.
// Claims are taken one at a time, so two processes cannot both decide that a
// sender is free: SQLite has one writer, and on PostgreSQL the function
// claim_inbox (migration 0018, where its SQL is) takes an advisory lock
// before it reads. Either way the claim is one statement, one round trip.
func (db *DB) ClaimInbox(ctx context.Context, c InboxClaim) ([]InboxActivity, error) {
	if c.Hosts < 1 || c.PerHost < 1 {
		return nil, nil
	}
	query := claimInboxByWindow
	var skip any
	if db.dialect == Postgres {
		query = `SELECT id, type, actor, body, attempts, received_at FROM claim_inbox($1, $2, $3, $4, $5)`
		skip = pq.Array(append([]string{}, c.Skip...))
	} else {
		names, err := json.Marshal(append([]string{}, c.Skip...))
		if err != nil {
			return nil, fmt.Errorf("claim inbox: %w", err)
		}
		skip = string(names)
	}
	var as []InboxActivity
	err := db.Single(ctx, func(tx *Tx) error {
		return tx.x.SelectContext(ctx, &as, query, c.Now, c.Hosts, c.PerHost, c.Until, skip)
	})
	if err != nil {
		return nil, fmt.Errorf("claim inbox: %w", err)
	}
	slices.SortFunc(as, func(a, b InboxActivity) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), strings.Compare(a.Actor, b.Actor), strings.Compare(a.ID, b.ID))
	})
	return as, nil
}

// claimInboxByWindow is the claim on SQLite, which has no LATERAL (the
// PostgreSQL claim walks the hosts through an index instead): it numbers
// every due activity by host. In the process, with no round trip,
// that is quick enough. Skip ($5) comes as a JSON array.
const claimInboxByWindow = `WITH due AS (
			SELECT host, actor, id, received_at FROM (
				SELECT a.host, a.actor, a.id, a.received_at,
					ROW_NUMBER() OVER (PARTITION BY a.host ORDER BY a.received_at, a.actor, a.id) AS nth
				FROM inbox_activities a
				WHERE a.processed_at IS NULL AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= $1)
					AND a.host NOT IN (SELECT value FROM json_each($5))
					AND NOT EXISTS (SELECT 1 FROM inbox_activities b
						WHERE b.actor = a.actor AND b.processed_at IS NULL AND b.leased_until > $1)) d
			WHERE nth <= $3),
		picked AS (
			SELECT host FROM due GROUP BY host ORDER BY min(received_at), host LIMIT $2)
		UPDATE inbox_activities SET leased_until = $4
		WHERE (actor, id) IN (SELECT actor, id FROM due WHERE host IN (SELECT host FROM picked))
		RETURNING id, type, actor, body, attempts, received_at`

// ReleaseInbox gives back claimed activities this process will not handle
// now, for any process to claim again at once.
func (tx *Tx) ReleaseInbox(ctx context.Context, keys []InboxKey) error {
	if len(keys) == 0 {
		return nil
	}
	in, args := tx.inboxKeysIn(keys, nil)
	if _, err := tx.x.ExecContext(ctx, `UPDATE inbox_activities SET leased_until = NULL WHERE `+in, args...); err != nil {
		return fmt.Errorf("give back inbox activities: %w", err)
	}
	return nil
}

// inboxKeysIn is the condition "(actor, id) is one of keys", its
// placeholders numbered after args, which it returns with the keys appended.
// On PostgreSQL the keys go as two arrays, so the statement is the same
// whatever their number (and prepared once); SQLite reads a VALUES list.
func (tx *Tx) inboxKeysIn(keys []InboxKey, args []any) (string, []any) {
	if tx.dialect == Postgres {
		actors, ids := make([]string, len(keys)), make([]string, len(keys))
		for n, k := range keys {
			actors[n], ids[n] = k.Actor, k.ID
		}
		args = append(args, pq.Array(actors), pq.Array(ids))
		return fmt.Sprintf("(actor, id) IN (SELECT * FROM unnest($%d::text[], $%d::text[]))", len(args)-1, len(args)), args
	}
	var rows strings.Builder
	for i, k := range keys {
		if i > 0 {
			rows.WriteString(", ")
		}
		fmt.Fprintf(&rows, "($%d, $%d)", len(args)+1, len(args)+2)
		args = append(args, k.Actor, k.ID)
	}
	return "(actor, id) IN (VALUES " + rows.String() + ")", args
}

// MarkInboxProcessed records that actor's activity id was handled (errMsg if
// it failed for good: it is not retried, but kept for an admin to read until
// it is purged).
func (tx *Tx) MarkInboxProcessed(ctx context.Context, actor, id, errMsg string, at time.Time) error {
	return tx.updateOne(ctx, "inbox activity", `UPDATE inbox_activities SET processed_at = $1, error = $2 WHERE actor = $3 AND id = $4`,
		at, errMsg, actor, id)
}

// InboxKey names a stored activity: its sender and its id.
type InboxKey struct{ Actor, ID string }

// MarkInboxHandled records that the activities named were handled, in one
// statement: a worker records its batch at once.
func (tx *Tx) MarkInboxHandled(ctx context.Context, keys []InboxKey, at time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	in, args := tx.inboxKeysIn(keys, []any{at})
	_, err := tx.x.ExecContext(ctx, `UPDATE inbox_activities SET processed_at = $1, error = '' WHERE `+in, args...)
	if err != nil {
		return fmt.Errorf("mark inbox activities handled: %w", err)
	}
	return nil
}

// RetryInbox records that handling actor's activity id failed for a passing
// reason (errMsg), to be tried again from next.
func (tx *Tx) RetryInbox(ctx context.Context, actor, id, errMsg string, next time.Time) error {
	return tx.updateOne(ctx, "inbox activity", `UPDATE inbox_activities SET attempts = attempts + 1, error = $1, next_attempt_at = $2, leased_until = NULL
		WHERE actor = $3 AND id = $4`, errMsg, next, actor, id)
}

// Purged counts what PurgeFinished deleted.
type Purged struct {
	Inbox, Deliveries, Usage int64
}

// PurgeFinished deletes what is done with and older than before: inbox
// activities processed (their bodies with them), deliveries delivered or
// given up, and the inbox usage of past hours. Pending work is never purged.
func (tx *Tx) PurgeFinished(ctx context.Context, before time.Time) (Purged, error) {
	var p Purged
	for _, step := range []struct {
		n     *int64
		query string
		arg   time.Time
	}{
		{&p.Inbox, `DELETE FROM inbox_activities WHERE processed_at < $1`, before},
		{&p.Deliveries, `DELETE FROM deliveries WHERE status <> 'pending' AND done_at < $1`, before},
		{&p.Usage, `DELETE FROM inbox_usage WHERE hour < $1`, before},
	} {
		res, err := tx.x.ExecContext(ctx, step.query, step.arg)
		if err != nil {
			return p, fmt.Errorf("purge finished federation work: %w", err)
		}
		*step.n, _ = res.RowsAffected()
	}
	return p, nil
}

// Delivery is one activity on its way to one inbox.
type Delivery struct {
	ID            int64        `db:"id"`
	ActivityID    string       `db:"activity_id"`
	Inbox         string       `db:"inbox"`
	Host          string       `db:"host"`
	Body          string       `db:"body"`
	Status        string       `db:"status"`
	Attempts      int          `db:"attempts"`
	NextAttemptAt time.Time    `db:"next_attempt_at"`
	LastError     string       `db:"last_error"`
	CreatedAt     time.Time    `db:"created_at"`
	DoneAt        sql.NullTime `db:"done_at"`
}

// EnqueueDelivery queues an activity for an inbox, once: the same activity is
// never queued twice for the same inbox.
func (tx *Tx) EnqueueDelivery(ctx context.Context, activityID, inbox, host, body string, at time.Time) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO deliveries (activity_id, inbox, host, body, status, attempts, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) ON CONFLICT (activity_id, inbox) DO NOTHING`, activityID, inbox, host, body, at)
	if err != nil {
		return fmt.Errorf("enqueue delivery: %w", err)
	}
	return nil
}

// Destination is an inbox a delivery goes to, and its host.
type Destination struct{ Inbox, Host string }

// EnqueueDeliveries queues an activity for many inboxes, each once. On
// PostgreSQL that is one statement, not one round trip per inbox: a version
// adopted goes to every follower's inbox at once.
func (tx *Tx) EnqueueDeliveries(ctx context.Context, activityID, body string, to []Destination, at time.Time) error {
	if tx.dialect != Postgres {
		for _, d := range to {
			if err := tx.EnqueueDelivery(ctx, activityID, d.Inbox, d.Host, body, at); err != nil {
				return err
			}
		}
		return nil
	}
	inboxes, hosts := make([]string, len(to)), make([]string, len(to))
	for i, d := range to {
		inboxes[i], hosts[i] = d.Inbox, d.Host
	}
	_, err := tx.x.ExecContext(ctx, `INSERT INTO deliveries (activity_id, inbox, host, body, status, attempts, next_attempt_at, created_at)
		SELECT $1, t.inbox, t.host, $4, 'pending', 0, $5, $5 FROM unnest($2::text[], $3::text[]) AS t(inbox, host)
		ON CONFLICT (activity_id, inbox) DO NOTHING`, activityID, pq.Array(inboxes), pq.Array(hosts), body, at)
	if err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	return nil
}

const deliveryColumns = `id, activity_id, inbox, host, body, status, attempts, next_attempt_at, last_error, created_at, done_at`

// ClaimDeliveries takes up to limit due deliveries to hosts that are not
// paused, and leases them until leaseUntil: another worker, in this process or
// another one on the same PostgreSQL, skips them (FOR UPDATE SKIP LOCKED) and
// will not see them as due until the lease ends, which is also how the work of
// a worker that crashed comes back. It is one statement, atomic on its own
// (run it with DB.Atomic): one round trip on PostgreSQL instead of four. The
// deliveries come oldest first; their NextAttemptAt is the lease.
func (tx *Tx) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Delivery, error) {
	var ds []Delivery
	err := tx.x.SelectContext(ctx, &ds, `UPDATE deliveries SET next_attempt_at = $3
		WHERE id IN (SELECT d.id FROM deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= $1
			AND NOT EXISTS (SELECT 1 FROM host_health h WHERE h.host = d.host AND h.paused_until > $1)
			ORDER BY d.next_attempt_at, d.id LIMIT $2`+tx.lockClause(" FOR UPDATE OF d SKIP LOCKED")+`)
		RETURNING `+deliveryColumns, now, limit, leaseUntil)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	slices.SortFunc(ds, func(a, b Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return ds, nil
}

// DeliveriesSucceeded marks deliveries done and their hosts healthy: on
// PostgreSQL in one statement, on SQLite in two (run it with DB.Atomic). A
// fan-out records hundreds of these, a worker's batch at a time.
func (tx *Tx) DeliveriesSucceeded(ctx context.Context, ds []Delivery, at time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	ids, hosts := make([]int64, len(ds)), make([]string, 0, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
		if !slices.Contains(hosts, d.Host) {
			hosts = append(hosts, d.Host)
		}
	}
	const done = `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, done_at = $1, last_error = '' WHERE `
	delivered, args := inList(tx, "id", ids, []any{at})
	if tx.dialect == Postgres {
		healthy, args := inList(tx, "host", hosts, args)
		if _, err := tx.x.ExecContext(ctx, `WITH done AS (`+done+delivered+` RETURNING 1) DELETE FROM host_health WHERE `+healthy, args...); err != nil {
			return fmt.Errorf("deliveries succeeded: %w", err)
		}
		return nil
	}
	if _, err := tx.x.ExecContext(ctx, done+delivered, args...); err != nil {
		return fmt.Errorf("deliveries succeeded: %w", err)
	}
	healthy, args := inList(tx, "host", hosts, nil)
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM host_health WHERE `+healthy, args...); err != nil {
		return fmt.Errorf("deliveries succeeded: %w", err)
	}
	return nil
}

// DeliveryFailed records a failed attempt: the delivery is tried again at
// retryAt, or given up when retryAt is nil. The host's failure count grows and,
// past pauseAfter consecutive failures, the host is paused until pauseUntil.
func (tx *Tx) DeliveryFailed(ctx context.Context, d Delivery, errMsg string, retryAt *time.Time, at time.Time, pauseAfter int, pauseUntil time.Time) error {
	status, next := "pending", at
	if retryAt == nil {
		status = "failed"
	} else {
		next = *retryAt
	}
	var done sql.NullTime
	if retryAt == nil {
		done = sql.NullTime{Time: at, Valid: true}
	}
	if _, err := tx.x.ExecContext(ctx, `UPDATE deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3, done_at = $4 WHERE id = $5`,
		status, next, errMsg, done, d.ID); err != nil {
		return fmt.Errorf("delivery failed: %w", err)
	}
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO host_health (host, consecutive_failures) VALUES ($1, 1)
		ON CONFLICT (host) DO UPDATE SET consecutive_failures = host_health.consecutive_failures + 1`, d.Host); err != nil {
		return fmt.Errorf("host health: %w", err)
	}
	_, err := tx.x.ExecContext(ctx, `UPDATE host_health SET paused_until = $1 WHERE host = $2 AND consecutive_failures >= $3`, pauseUntil, d.Host, pauseAfter)
	return err
}

// QueueStats summarises the delivery queue for admins.
type QueueStats struct {
	Pending   int `db:"pending"`
	Delivered int `db:"delivered"`
	Failed    int `db:"failed"`
}

// DeliveryStats counts deliveries by status.
func (tx *Tx) DeliveryStats(ctx context.Context) (QueueStats, error) {
	var s QueueStats
	err := tx.x.GetContext(ctx, &s, `SELECT
		COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
		COALESCE(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), 0) AS delivered,
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed FROM deliveries`)
	if err != nil {
		return s, fmt.Errorf("delivery stats: %w", err)
	}
	return s, nil
}

// RecentDeliveries lists the newest deliveries that are not done, and failures.
func (tx *Tx) RecentDeliveries(ctx context.Context, limit int) ([]Delivery, error) {
	var ds []Delivery
	err := tx.x.SelectContext(ctx, &ds, `SELECT `+deliveryColumns+` FROM deliveries WHERE status <> 'delivered'
		ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent deliveries: %w", err)
	}
	return ds, nil
}

// HostHealth is a host's failure record.
type HostHealth struct {
	Host                string       `db:"host"`
	ConsecutiveFailures int          `db:"consecutive_failures"`
	PausedUntil         sql.NullTime `db:"paused_until"`
}

// FailingHosts lists hosts with failures, most failing first.
func (tx *Tx) FailingHosts(ctx context.Context) ([]HostHealth, error) {
	var hs []HostHealth
	if err := tx.x.SelectContext(ctx, &hs, `SELECT host, consecutive_failures, paused_until FROM host_health ORDER BY consecutive_failures DESC, host`); err != nil {
		return nil, fmt.Errorf("failing hosts: %w", err)
	}
	return hs, nil
}

// RecordEvent notes something federation must announce, in the caller's transaction.
func (tx *Tx) RecordEvent(ctx context.Context, kind string, ref int64, at time.Time) error {
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO outbox_events (kind, ref, created_at) VALUES ($1, $2, $3)`, kind, ref, at); err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

// OutboxEvent is a domain event waiting to be published.
type OutboxEvent struct {
	ID   int64  `db:"id"`
	Kind string `db:"kind"`
	Ref  int64  `db:"ref"`
}

// ClaimOutboxEvents returns unprocessed events, oldest first, locked on PostgreSQL
// so that two publishers do not announce one event twice.
func (tx *Tx) ClaimOutboxEvents(ctx context.Context, limit int) ([]OutboxEvent, error) {
	var es []OutboxEvent
	err := tx.x.SelectContext(ctx, &es, `SELECT id, kind, ref FROM outbox_events WHERE processed_at IS NULL ORDER BY id LIMIT $1`+
		tx.lockClause(" FOR UPDATE SKIP LOCKED"), limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbox events: %w", err)
	}
	return es, nil
}

// MarkEventProcessed records that an event was published.
func (tx *Tx) MarkEventProcessed(ctx context.Context, id int64, at time.Time) error {
	return tx.updateOne(ctx, "outbox event", `UPDATE outbox_events SET processed_at = $1 WHERE id = $2`, at, id)
}

// OutboxItem is an activity the movement published.
type OutboxItem struct {
	ActivityID  string    `db:"activity_id"`
	ObjectID    string    `db:"object_id"`
	Body        string    `db:"body"`
	PublishedAt time.Time `db:"published_at"`
}

// SaveOutboxItem stores a published activity (once).
func (tx *Tx) SaveOutboxItem(ctx context.Context, it OutboxItem) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO outbox_items (activity_id, object_id, body, published_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (activity_id) DO NOTHING`, it.ActivityID, it.ObjectID, it.Body, it.PublishedAt)
	if err != nil {
		return fmt.Errorf("save outbox item: %w", err)
	}
	return nil
}

// OutboxItems lists published activities that were not withdrawn, newest first.
func (tx *Tx) OutboxItems(ctx context.Context, limit int) ([]OutboxItem, error) {
	var its []OutboxItem
	err := tx.x.SelectContext(ctx, &its, `SELECT activity_id, object_id, body, published_at FROM outbox_items
		WHERE deleted_at IS NULL ORDER BY published_at DESC, activity_id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox items: %w", err)
	}
	return its, nil
}

// CountOutboxItems counts published activities.
func (tx *Tx) CountOutboxItems(ctx context.Context) (int, error) {
	var n int
	if err := tx.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM outbox_items WHERE deleted_at IS NULL`); err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}

// MarkOutboxItemDeleted records that a publication was withdrawn.
func (tx *Tx) MarkOutboxItemDeleted(ctx context.Context, objectID string, at time.Time) error {
	return tx.updateOne(ctx, "outbox item", `UPDATE outbox_items SET deleted_at = $1 WHERE object_id = $2 AND deleted_at IS NULL`, at, objectID)
}

// Withdrawal returns when the publication of objectID was withdrawn, or
// proposals.ErrNotFound when it was not (or never published).
func (tx *Tx) Withdrawal(ctx context.Context, objectID string) (time.Time, error) {
	var at time.Time
	err := tx.x.GetContext(ctx, &at, `SELECT deleted_at FROM outbox_items WHERE object_id = $1 AND deleted_at IS NOT NULL
		ORDER BY deleted_at LIMIT 1`, objectID)
	if err != nil {
		return at, notFound(err, "withdrawal")
	}
	return at, nil
}

// RemoteStatement is a statement version received from a followed movement.
type RemoteStatement struct {
	ActorID    string    `db:"actor_id"`
	Version    int       `db:"version"`
	NoteID     string    `db:"note_id"`
	Content    string    `db:"content"` // JSON of the statement document
	ReceivedAt time.Time `db:"received_at"`
}

// SaveRemoteStatement keeps a received version (a redelivery changes nothing).
func (tx *Tx) SaveRemoteStatement(ctx context.Context, s RemoteStatement) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO remote_statements (actor_id, version, note_id, content, received_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (actor_id, version) DO NOTHING`, s.ActorID, s.Version, s.NoteID, s.Content, s.ReceivedAt)
	if err != nil {
		return fmt.Errorf("save remote statement: %w", err)
	}
	return nil
}

// LatestRemoteStatements returns the newest version received from each actor.
func (tx *Tx) LatestRemoteStatements(ctx context.Context) ([]RemoteStatement, error) {
	var ss []RemoteStatement
	err := tx.x.SelectContext(ctx, &ss, `SELECT s.actor_id, s.version, s.note_id, s.content, s.received_at FROM remote_statements s
		WHERE s.version = (SELECT MAX(version) FROM remote_statements r WHERE r.actor_id = s.actor_id) ORDER BY s.actor_id`)
	if err != nil {
		return nil, fmt.Errorf("latest remote statements: %w", err)
	}
	return ss, nil
}

// ManuallyApprovesFollowers reports the movement's follower setting.
func (tx *Tx) ManuallyApprovesFollowers(ctx context.Context) (bool, error) {
	var b bool
	if err := tx.x.GetContext(ctx, &b, `SELECT manually_approves_followers FROM movement WHERE id = 1`); err != nil {
		return false, notFound(err, "movement")
	}
	return b, nil
}

// SetManuallyApprovesFollowers changes the movement's follower setting.
func (tx *Tx) SetManuallyApprovesFollowers(ctx context.Context, manual bool) error {
	return tx.updateOne(ctx, "movement", `UPDATE movement SET manually_approves_followers = $1 WHERE id = 1`, manual)
}
