package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/commonground/commonground/notify"
	"github.com/commonground/commonground/proposals"
)

// Notify returns the DB as the notify domain sees it.
func (db *DB) Notify() notify.Store { return notifyStore{db} }

type notifyStore struct{ db *DB }

func (s notifyStore) InTx(ctx context.Context, fn func(notify.Tx) error) error {
	return s.db.InTx(ctx, func(tx *Tx) error { return fn(tx) })
}

func (s notifyStore) ReadTx(ctx context.Context, fn func(notify.Tx) error) error {
	return s.db.ReadTx(ctx, func(tx *Tx) error { return fn(tx) })
}

func (s notifyStore) Single(ctx context.Context, fn func(notify.Tx) error) error {
	return s.db.Single(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ notify.Tx = (*Tx)(nil)

// NotifySince is when notifications began, recorded the first time.
func (tx *Tx) NotifySince(ctx context.Context, now time.Time) (time.Time, error) {
	if _, err := tx.x.ExecContext(ctx, `INSERT INTO notify_state (id, since) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, now); err != nil {
		return now, fmt.Errorf("notify since: %w", err)
	}
	var since time.Time
	if err := tx.x.GetContext(ctx, &since, `SELECT since FROM notify_state WHERE id = 1`); err != nil {
		return now, notFound(err, "notify since")
	}
	return since, nil
}

// eventRow is a candidate event as the queries below return it. Times are
// read from plain columns (not through functions or unions), so that SQLite
// returns them as times.
type eventRow struct {
	ProposalID int64      `db:"proposal_id"`
	Kind       string     `db:"kind"`
	Round      int        `db:"round"`
	Title      string     `db:"title"`
	OpenedAt   *time.Time `db:"opened_at"`
	ClosesAt   *time.Time `db:"closes_at"`
	DecidedAt  *time.Time `db:"decided_at"`
	Status     string     `db:"status"`
	Version    int        `db:"version"`
	CommentID  int64      `db:"comment_id"`
	To         int64      `db:"to_member"`
	Author     string     `db:"author"`
	Body       string     `db:"body"`
	At         time.Time  `db:"at"`
}

// notPlanned is the condition that an event (kind, ref) was not planned yet.
const notPlanned = ` AND NOT EXISTS (SELECT 1 FROM notify_planned np WHERE np.kind = %s AND np.ref = %s)`

// proposalRef is a proposal round's ref in SQL, as notify names it: p12r1.
const proposalRef = `'p' || CAST(p.id AS TEXT) || 'r' || CAST(p.round AS TEXT)`

// UnplannedEvents finds what happened since since and was not planned: votes
// opened (to sign a joint statement, or on our statement), reminders due,
// outcomes, new versions and replies. One query a kind.
func (tx *Tx) UnplannedEvents(ctx context.Context, since, now time.Time, reminderBefore time.Duration, limit int) ([]notify.Event, error) {
	var events []notify.Event
	queries := []struct {
		kind  func(r eventRow) notify.Kind
		ref   func(r eventRow) string
		query string
		args  []any
	}{
		{ // voting opened
			kind: func(r eventRow) notify.Kind {
				if proposals.ProposalKind(r.Kind).AboutJoint() {
					return notify.JointToSign
				}
				return notify.VoteOpened
			},
			query: `SELECT p.id AS proposal_id, p.kind, p.round, p.title, p.opened_at, p.closes_at, p.opened_at AS at FROM proposals p
				WHERE p.status = 'open' AND p.opened_at >= $1 AND p.closes_at > $2` +
				fmt.Sprintf(notPlanned, `CASE WHEN p.kind = 'statement' THEN 'vote_opened' ELSE 'joint_to_sign' END`, proposalRef) +
				` ORDER BY p.opened_at, p.id LIMIT $3`,
			args: []any{since, now, limit},
		},
		{ // a reminder, due reminderBefore the vote closes: one that fell due
			// since since, however long ago the vote opened (a vote may last
			// far longer than the planner looks back)
			kind: func(eventRow) notify.Kind { return notify.VoteReminder },
			query: `SELECT p.id AS proposal_id, p.kind, p.round, p.title, p.opened_at, p.closes_at, p.closes_at AS at FROM proposals p
				WHERE p.status = 'open' AND p.closes_at >= $1 AND p.closes_at > $2 AND p.closes_at <= $3` +
				fmt.Sprintf(notPlanned, `'vote_reminder'`, proposalRef) + ` ORDER BY p.closes_at, p.id LIMIT $4`,
			args: []any{since.Add(reminderBefore), now, now.Add(reminderBefore), limit},
		},
		{ // outcomes
			kind: func(eventRow) notify.Kind { return notify.Outcome },
			query: `SELECT p.id AS proposal_id, p.kind, p.round, p.title, p.status, p.decided_at AS at FROM proposals p
				WHERE p.status IN ('adopted', 'rejected', 'conflicted') AND p.decided_at >= $1` +
				fmt.Sprintf(notPlanned, `'outcome'`, proposalRef) + ` ORDER BY p.decided_at, p.id LIMIT $2`,
			args: []any{since, limit},
		},
		{ // new versions
			kind: func(eventRow) notify.Kind { return notify.NewVersion },
			ref:  func(r eventRow) string { return "v" + strconv.Itoa(r.Version) },
			query: `SELECT COALESCE(v.proposal_id, 0) AS proposal_id, v.number AS version, COALESCE(p.title, '') AS title, v.adopted_at AS at
				FROM statement_versions v LEFT JOIN proposals p ON p.id = v.proposal_id
				WHERE v.number > 1 AND v.adopted_at >= $1` +
				fmt.Sprintf(notPlanned, `'new_version'`, `'v' || CAST(v.number AS TEXT)`) + ` ORDER BY v.number LIMIT $2`,
			args: []any{since, limit},
		},
		{ // replies to a comment, to its author
			kind: func(eventRow) notify.Kind { return notify.CommentReply },
			query: `SELECT p.id AS proposal_id, c.id AS comment_id, p.title, parent.author_id AS to_member,
					CASE WHEN m.display_name <> '' THEN m.display_name ELSE m.username END AS author, c.body, c.created_at AS at
				FROM comments c JOIN comments parent ON parent.id = c.parent_id JOIN proposals p ON p.id = c.proposal_id JOIN members m ON m.id = c.author_id
				WHERE c.created_at >= $1 AND c.hidden_at IS NULL AND c.author_id <> parent.author_id` +
				fmt.Sprintf(notPlanned, `'comment_reply'`, `'c' || CAST(c.id AS TEXT)`) + ` ORDER BY c.id LIMIT $2`,
			args: []any{since, limit},
		},
	}
	for _, q := range queries {
		var rows []eventRow
		if err := tx.x.SelectContext(ctx, &rows, q.query, q.args...); err != nil {
			return nil, fmt.Errorf("unplanned %s events: %w", q.kind(eventRow{}), err)
		}
		for _, r := range rows {
			e := notify.Event{Kind: q.kind(r), ProposalID: r.ProposalID, Round: r.Round, Title: r.Title, Verdict: r.Status,
				Version: r.Version, To: r.To, Author: r.Author, Excerpt: excerpt(r.Body, 600), At: r.At}
			if r.OpenedAt != nil {
				e.OpenedAt = *r.OpenedAt
			}
			if r.ClosesAt != nil {
				e.ClosesAt = *r.ClosesAt
			}
			switch {
			case q.ref != nil:
				e.Ref = q.ref(r)
			case e.Kind == notify.CommentReply:
				e.Ref = "c" + strconv.FormatInt(r.CommentID, 10)
			default:
				e.Ref = "p" + strconv.FormatInt(r.ProposalID, 10) + "r" + strconv.Itoa(r.Round)
			}
			events = append(events, e)
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	if len(events) > limit {
		events = events[:limit]
	}
	return events, nil
}

// excerpt cuts a text at about n bytes, on a word, for a message.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " …"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// PurgeNotifications deletes notifications done with (sent, failed, dropped)
// and records of planned events, older than before. Pending ones stay.
func (tx *Tx) PurgeNotifications(ctx context.Context, before time.Time) (int64, error) {
	res, err := tx.x.ExecContext(ctx, `DELETE FROM notifications WHERE status <> 'pending' AND next_attempt_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purge notifications: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM notify_planned WHERE planned_at < $1`, before); err != nil {
		return n, fmt.Errorf("purge planned events: %w", err)
	}
	return n, nil
}

// ClaimEvent records that an event was planned; false if it was before.
func (tx *Tx) ClaimEvent(ctx context.Context, kind notify.Kind, ref string, at time.Time) (bool, error) {
	res, err := tx.x.ExecContext(ctx, `INSERT INTO notify_planned (kind, ref, planned_at) VALUES ($1, $2, $3) ON CONFLICT (kind, ref) DO NOTHING`, kind, ref, at)
	if err != nil {
		return false, fmt.Errorf("claim notify event: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// addressRow is where a member can be reached, read with addressColumns
// (members m, LEFT JOIN member_fediverse f).
type addressRow struct {
	Status   string     `db:"status"`
	Email    string     `db:"email"`
	Verified bool       `db:"verified"`
	Handle   *string    `db:"fedi_handle"`
	Actor    *string    `db:"fedi_actor"`
	Inbox    *string    `db:"fedi_inbox"`
	FediAt   *time.Time `db:"fedi_verified_at"`
}

const addressColumns = `m.status, m.email, CASE WHEN m.email_verified_at IS NOT NULL THEN 1 ELSE 0 END AS verified,
	f.handle AS fedi_handle, f.actor_id AS fedi_actor, f.inbox AS fedi_inbox, f.verified_at AS fedi_verified_at`

// address is member memberID's address; a fediverse account counts once proved.
func (r addressRow) address(memberID int64) notify.Address {
	a := notify.Address{Active: r.Status == string(proposals.StatusActive), Email: r.Email, EmailVerified: r.Verified}
	if r.FediAt != nil && r.Handle != nil && r.Actor != nil && r.Inbox != nil {
		a.Fediverse = &notify.FediverseAccount{MemberID: memberID, Handle: *r.Handle, ActorID: *r.Actor, Inbox: *r.Inbox, VerifiedAt: r.FediAt}
	}
	return a
}

type recipientRow struct {
	ID int64 `db:"id"`
	addressRow
	EmailMode string `db:"email_mode"`
	FediMode  string `db:"fedi_mode"`
	TimeZone  string `db:"time_zone"`
}

// Recipients lists the active members an event concerns, with their
// addresses and choices for its kind, in one query.
func (tx *Tx) Recipients(ctx context.Context, e notify.Event) ([]notify.Recipient, error) {
	var who string
	args := []any{string(e.Kind)}
	switch e.Kind {
	case notify.VoteOpened, notify.JointToSign, notify.Outcome:
		who, args = `EXISTS (SELECT 1 FROM proposal_voters v WHERE v.proposal_id = $2 AND v.member_id = m.id)`, append(args, e.ProposalID)
	case notify.VoteReminder:
		who = `EXISTS (SELECT 1 FROM proposal_voters v WHERE v.proposal_id = $2 AND v.member_id = m.id)
			AND NOT EXISTS (SELECT 1 FROM votes x WHERE x.proposal_id = $2 AND x.round = $3 AND x.member_id = m.id)`
		args = append(args, e.ProposalID, e.Round)
	case notify.CommentReply:
		who, args = `m.id = $2`, append(args, e.To)
	default:
		who = `1 = 1` // every member
	}
	var rows []recipientRow
	err := tx.x.SelectContext(ctx, &rows, `SELECT m.id, `+addressColumns+`, COALESCE(pe.mode, '') AS email_mode, COALESCE(pf.mode, '') AS fedi_mode, m.time_zone
		FROM members m
		LEFT JOIN member_fediverse f ON f.member_id = m.id
		LEFT JOIN notify_prefs pe ON pe.member_id = m.id AND pe.kind = $1 AND pe.channel = 'email'
		LEFT JOIN notify_prefs pf ON pf.member_id = m.id AND pf.kind = $1 AND pf.channel = 'fediverse'
		WHERE m.status = 'active' AND `+who+` ORDER BY m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("notification recipients: %w", err)
	}
	rs := make([]notify.Recipient, len(rows))
	for i, r := range rows {
		rs[i] = notify.Recipient{MemberID: r.ID, Address: r.address(r.ID),
			Modes: map[notify.Channel]notify.Mode{notify.Email: notify.Mode(r.EmailMode), notify.Fediverse: notify.Mode(r.FediMode)}, TimeZone: r.TimeZone}
	}
	return rs, nil
}

// enqueueRows is how many notifications one INSERT carries on SQLite (10
// parameters each). More is slower, not faster: the SQLite driver binds parameters by
// name, in time that grows with the square of their number (1,000 members
// took 4.1 s to queue at 500 a statement, 0.24 s at 50).
const enqueueRows = 50

// EnqueueNotifications queues notifications, many to a statement; one
// already queued (same member, kind, event and channel) is left as it is. On
// PostgreSQL that is one statement whatever their number (columns as arrays,
// unnest), prepared once.
func (tx *Tx) EnqueueNotifications(ctx context.Context, ns []notify.Notification, at time.Time) error {
	if len(ns) == 0 {
		return nil
	}
	if tx.dialect == Postgres {
		n := len(ns)
		members, dues := make([]int64, n), make([]time.Time, n)
		kinds, refs, channels, modes, subjects, bodies, links := make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, x := range ns {
			members[i], kinds[i], refs[i], channels[i], modes[i] = x.MemberID, string(x.Kind), x.Ref, string(x.Channel), string(x.Mode)
			subjects[i], bodies[i], links[i], dues[i] = x.Subject, x.Body, x.Link, x.Due
		}
		_, err := tx.x.ExecContext(ctx, `INSERT INTO notifications (member_id, kind, ref, channel, mode, subject, body, link, status, attempts, next_attempt_at, created_at)
			SELECT t.member_id, t.kind, t.ref, t.channel, t.mode, t.subject, t.body, t.link, 'pending', 0, t.due, $10
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
				AS t(member_id, kind, ref, channel, mode, subject, body, link, due)
			ON CONFLICT (member_id, kind, ref, channel) DO NOTHING`,
			pq.Array(members), pq.Array(kinds), pq.Array(refs), pq.Array(channels), pq.Array(modes), pq.Array(subjects), pq.Array(bodies),
			pq.Array(links), pq.Array(dues), at)
		if err != nil {
			return fmt.Errorf("enqueue notifications: %w", err)
		}
		return nil
	}
	for start := 0; start < len(ns); start += enqueueRows {
		chunk := ns[start:min(start+enqueueRows, len(ns))]
		var q strings.Builder
		q.WriteString(`INSERT INTO notifications (member_id, kind, ref, channel, mode, subject, body, link, status, attempts, next_attempt_at, created_at) VALUES `)
		args := make([]any, 0, len(chunk)*10)
		for i, n := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			b := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, 'pending', 0, $%d, $%d)", b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8, b+9, b+10)
			args = append(args, n.MemberID, string(n.Kind), n.Ref, string(n.Channel), string(n.Mode), n.Subject, n.Body, n.Link, n.Due, at)
		}
		q.WriteString(` ON CONFLICT (member_id, kind, ref, channel) DO NOTHING`)
		if _, err := tx.x.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("enqueue notifications: %w", err)
		}
	}
	return nil
}

// QueueAgain queues n, or queues it again (pending, attempts counted from
// nothing) when it is done with (sent, failed, dropped) and was last tried
// before again. One still pending is left as it is: it goes anyway.
func (tx *Tx) QueueAgain(ctx context.Context, n notify.Notification, again, at time.Time) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO notifications (member_id, kind, ref, channel, mode, subject, body, link, status, attempts, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10)
		ON CONFLICT (member_id, kind, ref, channel) DO UPDATE SET mode = excluded.mode, subject = excluded.subject, body = excluded.body,
			link = excluded.link, status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = '', sent_at = NULL
		WHERE notifications.status <> 'pending' AND notifications.next_attempt_at < $11`,
		n.MemberID, string(n.Kind), n.Ref, string(n.Channel), string(n.Mode), n.Subject, n.Body, n.Link, n.Due, at, again)
	if err != nil {
		return fmt.Errorf("queue notification again: %w", err)
	}
	return nil
}

type notificationRow struct {
	ID       int64     `db:"id"`
	MemberID int64     `db:"member_id"`
	Kind     string    `db:"kind"`
	Ref      string    `db:"ref"`
	Channel  string    `db:"channel"`
	Mode     string    `db:"mode"`
	Subject  string    `db:"subject"`
	Body     string    `db:"body"`
	Link     string    `db:"link"`
	Due      time.Time `db:"next_attempt_at"`
	Attempts int       `db:"attempts"`
	// Where the member can be reached, read with the row.
	addressRow
}

func (r notificationRow) domain() notify.Notification {
	return notify.Notification{ID: r.ID, MemberID: r.MemberID, Kind: notify.Kind(r.Kind), Ref: r.Ref, Channel: notify.Channel(r.Channel),
		Mode: notify.Mode(r.Mode), Message: notify.Message{Subject: r.Subject, Body: r.Body, Link: r.Link}, Due: r.Due, Attempts: r.Attempts + 1, To: r.address(r.MemberID)}
}

// claimColumns are a notification's columns and its member's address.
const claimColumns = `SELECT n.id, n.member_id, n.kind, n.ref, n.channel, n.mode, n.subject, n.body, n.link, n.next_attempt_at, n.attempts,
		` + addressColumns + `
	FROM notifications n JOIN members m ON m.id = n.member_id LEFT JOIN member_fediverse f ON f.member_id = n.member_id
	WHERE n.status = 'pending' AND n.next_attempt_at <= $1`

// ClaimNotifications leases up to limit due notifications until leaseUntil,
// with their members' addresses, and counts the attempt; the rest of the due
// digest notifications of a member and channel it takes come too, so that a
// digest is never cut in two. On PostgreSQL, rows another process is
// claiming are skipped (FOR UPDATE SKIP LOCKED); a lease that ends (its
// sender crashed) makes the row due again.
func (tx *Tx) ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, limit int) ([]notify.Notification, error) {
	lock := tx.lockClause(" FOR UPDATE OF n SKIP LOCKED")
	var rows []notificationRow
	err := tx.x.SelectContext(ctx, &rows, claimColumns+` ORDER BY n.next_attempt_at, n.member_id, n.channel, n.id LIMIT $2`+lock, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	type group struct {
		member  int64
		channel string
	}
	digests := map[group]bool{}
	var members, ids []int64
	for _, r := range rows {
		ids = append(ids, r.ID)
		if g := (group{r.MemberID, r.Channel}); r.Mode == string(notify.Digest) && !digests[g] {
			digests[g] = true
			members = append(members, r.MemberID)
		}
	}
	if len(rows) == limit && len(members) > 0 { // the limit may have cut a digest
		args := []any{now}
		inMembers, args := inList(tx, "n.member_id", members, args)
		inIDs, args := inList(tx, "n.id", ids, args)
		var more []notificationRow
		err := tx.x.SelectContext(ctx, &more, claimColumns+` AND n.mode = 'digest' AND `+inMembers+` AND NOT `+inIDs+lock, args...)
		if err != nil {
			return nil, fmt.Errorf("claim the rest of digests: %w", err)
		}
		for _, r := range more {
			if digests[group{r.MemberID, r.Channel}] {
				rows = append(rows, r)
				ids = append(ids, r.ID)
			}
		}
	}
	ns := make([]notify.Notification, len(rows))
	for i, r := range rows {
		ns[i] = r.domain()
	}
	in, args := inList(tx, "id", ids, []any{leaseUntil})
	if _, err := tx.x.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = $1, attempts = attempts + 1 WHERE `+in, args...); err != nil {
		return nil, fmt.Errorf("lease notifications: %w", err)
	}
	return ns, nil
}

// FinishNotifications records how sending ids ended: sent (now, never
// again), failed or dropped for good, or pending again from retryAt.
func (tx *Tx) FinishNotifications(ctx context.Context, ids []int64, status, errMsg string, retryAt *time.Time, at time.Time) error {
	next := at
	if retryAt != nil {
		next = *retryAt
	}
	var sentAt *time.Time
	if status == "sent" {
		sentAt = &at
	}
	in, args := inList(tx, "id", ids, []any{status, errMsg, next, sentAt})
	_, err := tx.x.ExecContext(ctx, `UPDATE notifications SET status = $1, last_error = $2, next_attempt_at = $3, sent_at = $4 WHERE `+in, args...)
	if err != nil {
		return fmt.Errorf("finish notifications: %w", err)
	}
	return nil
}

// NotificationCounts counts queued notifications by status, for tests and admins.
func (tx *Tx) NotificationCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := tx.x.SelectContext(ctx, &rows, `SELECT status, COUNT(*) AS n FROM notifications GROUP BY status`); err != nil {
		return nil, fmt.Errorf("count notifications: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

type fediverseRow struct {
	MemberID      int64      `db:"member_id"`
	Handle        string     `db:"handle"`
	ActorID       string     `db:"actor_id"`
	Inbox         string     `db:"inbox"`
	CodeHash      string     `db:"code_hash"`
	CodeExpiresAt *time.Time `db:"code_expires_at"`
	CodeAttempts  int        `db:"code_attempts"`
	VerifiedAt    *time.Time `db:"verified_at"`
	CreatedAt     time.Time  `db:"created_at"`
}

func (r fediverseRow) domain() notify.FediverseAccount {
	return notify.FediverseAccount{MemberID: r.MemberID, Handle: r.Handle, ActorID: r.ActorID, Inbox: r.Inbox, CodeHash: r.CodeHash,
		CodeExpiresAt: r.CodeExpiresAt, CodeAttempts: r.CodeAttempts, VerifiedAt: r.VerifiedAt, CreatedAt: r.CreatedAt}
}

const fediverseColumns = `member_id, handle, actor_id, inbox, code_hash, code_expires_at, code_attempts, verified_at, created_at`

// Address is where a member can be reached: their email and, when proved,
// their fediverse account.
func (tx *Tx) Address(ctx context.Context, memberID int64) (notify.Address, error) {
	var r addressRow
	err := tx.x.GetContext(ctx, &r, `SELECT `+addressColumns+`
		FROM members m LEFT JOIN member_fediverse f ON f.member_id = m.id WHERE m.id = $1`, memberID)
	if err != nil {
		return notify.Address{}, notFound(err, "member")
	}
	return r.address(memberID), nil
}

// FediverseAccount returns the account a member linked.
func (tx *Tx) FediverseAccount(ctx context.Context, memberID int64) (notify.FediverseAccount, error) {
	var r fediverseRow
	if err := tx.x.GetContext(ctx, &r, `SELECT `+fediverseColumns+` FROM member_fediverse WHERE member_id = $1`, memberID); err != nil {
		return notify.FediverseAccount{}, notFound(err, "fediverse account")
	}
	return r.domain(), nil
}

// SaveFediverseAccount stores a member's account, replacing the one before.
func (tx *Tx) SaveFediverseAccount(ctx context.Context, a notify.FediverseAccount) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO member_fediverse (`+fediverseColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (member_id) DO UPDATE SET handle = excluded.handle, actor_id = excluded.actor_id, inbox = excluded.inbox,
			code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at, code_attempts = excluded.code_attempts,
			verified_at = excluded.verified_at, created_at = excluded.created_at`,
		a.MemberID, a.Handle, a.ActorID, a.Inbox, a.CodeHash, a.CodeExpiresAt, a.CodeAttempts, a.VerifiedAt, a.CreatedAt)
	if err != nil {
		return fmt.Errorf("save fediverse account: %w", err)
	}
	return nil
}

// SaveFediverseAccountIfOlder stores a member's account, replacing the one
// before only if that was created before notBefore: false when it was not.
// One statement: two processes saving at once cannot both succeed.
func (tx *Tx) SaveFediverseAccountIfOlder(ctx context.Context, a notify.FediverseAccount, notBefore time.Time) (bool, error) {
	res, err := tx.x.ExecContext(ctx, `INSERT INTO member_fediverse (`+fediverseColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (member_id) DO UPDATE SET handle = excluded.handle, actor_id = excluded.actor_id, inbox = excluded.inbox,
			code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at, code_attempts = excluded.code_attempts,
			verified_at = excluded.verified_at, created_at = excluded.created_at
		WHERE member_fediverse.created_at < $10`,
		a.MemberID, a.Handle, a.ActorID, a.Inbox, a.CodeHash, a.CodeExpiresAt, a.CodeAttempts, a.VerifiedAt, a.CreatedAt, notBefore)
	if err != nil {
		return false, fmt.Errorf("save fediverse account: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("save fediverse account: %w", err)
	}
	return n == 1, nil
}

// DeleteFediverseAccount forgets a member's account and drops what was
// queued for it.
func (tx *Tx) DeleteFediverseAccount(ctx context.Context, memberID int64) error {
	if _, err := tx.x.ExecContext(ctx, `DELETE FROM member_fediverse WHERE member_id = $1`, memberID); err != nil {
		return fmt.Errorf("delete fediverse account: %w", err)
	}
	_, err := tx.x.ExecContext(ctx, `UPDATE notifications SET status = 'dropped', last_error = 'the account was unlinked'
		WHERE member_id = $1 AND channel = 'fediverse' AND status = 'pending'`, memberID)
	if err != nil {
		return fmt.Errorf("drop fediverse notifications: %w", err)
	}
	return nil
}

// NotifyModes are a member's choices.
func (tx *Tx) NotifyModes(ctx context.Context, memberID int64) (map[notify.Kind]map[notify.Channel]notify.Mode, error) {
	var rows []struct {
		Kind    string `db:"kind"`
		Channel string `db:"channel"`
		Mode    string `db:"mode"`
	}
	if err := tx.x.SelectContext(ctx, &rows, `SELECT kind, channel, mode FROM notify_prefs WHERE member_id = $1`, memberID); err != nil {
		return nil, fmt.Errorf("notify modes: %w", err)
	}
	out := map[notify.Kind]map[notify.Channel]notify.Mode{}
	for _, r := range rows {
		k := notify.Kind(r.Kind)
		if out[k] == nil {
			out[k] = map[notify.Channel]notify.Mode{}
		}
		out[k][notify.Channel(r.Channel)] = notify.Mode(r.Mode)
	}
	return out, nil
}

// SetNotifyMode records a member's choice; turned off, what is queued of
// that kind on that channel is dropped.
func (tx *Tx) SetNotifyMode(ctx context.Context, memberID int64, kind notify.Kind, ch notify.Channel, mode notify.Mode, at time.Time) error {
	_, err := tx.x.ExecContext(ctx, `INSERT INTO notify_prefs (member_id, kind, channel, mode) VALUES ($1, $2, $3, $4)
		ON CONFLICT (member_id, kind, channel) DO UPDATE SET mode = excluded.mode`, memberID, string(kind), string(ch), string(mode))
	if isForeignKeyViolation(err) {
		return fmt.Errorf("set notify mode: %w", proposals.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set notify mode: %w", err)
	}
	if mode != notify.Off {
		return nil
	}
	_, err = tx.x.ExecContext(ctx, `UPDATE notifications SET status = 'dropped', last_error = 'turned off', next_attempt_at = $1
		WHERE member_id = $2 AND kind = $3 AND channel = $4 AND status = 'pending'`, at, memberID, string(kind), string(ch))
	if err != nil {
		return fmt.Errorf("drop notifications turned off: %w", err)
	}
	return nil
}

func isForeignKeyViolation(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "FOREIGN KEY constraint failed") || strings.Contains(err.Error(), "violates foreign key constraint"))
}

// SetEmail sets a member's email address ("" for none); a different
// address than before is not confirmed.
func (tx *Tx) SetEmail(ctx context.Context, memberID int64, email string, at time.Time) error {
	return tx.updateOne(ctx, "member", `UPDATE members SET
		email_verified_at = CASE WHEN email = $1 THEN email_verified_at ELSE NULL END, email = $1, updated_at = $2
		WHERE id = $3`, email, at, memberID)
}

// ConfirmEmail marks a member's address confirmed, and drops the
// confirmation messages still queued for them.
func (tx *Tx) ConfirmEmail(ctx context.Context, memberID int64, at time.Time) error {
	if err := tx.updateOne(ctx, "member", `UPDATE members SET email_verified_at = $1 WHERE id = $2`, at, memberID); err != nil {
		return err
	}
	_, err := tx.x.ExecContext(ctx, `UPDATE notifications SET status = 'dropped', last_error = 'confirmed already', next_attempt_at = $1
		WHERE member_id = $2 AND kind = 'verify_email' AND status = 'pending'`, at, memberID)
	if err != nil {
		return fmt.Errorf("drop confirmations: %w", err)
	}
	return nil
}

// RecordVisit notes a view of the home page, in one statement. A view more
// than gap after the last one begins a new visit: the last one becomes the
// previous visit.
func (tx *Tx) RecordVisit(ctx context.Context, memberID int64, now time.Time, gap time.Duration) error {
	return tx.updateOne(ctx, "member", `UPDATE members SET
		previous_visit_at = CASE WHEN last_seen_at < $1 THEN last_seen_at ELSE previous_visit_at END, last_seen_at = $2
		WHERE id = $3`, now.Add(-gap), now, memberID)
}

// PreviousVisit is when the member's previous visit was (nil before any).
func (tx *Tx) PreviousVisit(ctx context.Context, memberID int64) (*time.Time, error) {
	var prev *time.Time
	if err := tx.x.GetContext(ctx, &prev, `SELECT previous_visit_at FROM members WHERE id = $1`, memberID); err != nil {
		return nil, notFound(err, "member")
	}
	return prev, nil
}

// Agenda limits: a home page lists the first few of each.
const (
	agendaVotes  = 50
	agendaOthers = 10
)

// Agenda gathers the home page of a member: one query a section.
func (tx *Tx) Agenda(ctx context.Context, memberID int64, since, now time.Time) (notify.Agenda, error) {
	var a notify.Agenda
	var votes []struct {
		ID       int64     `db:"id"`
		Title    string    `db:"title"`
		Kind     string    `db:"kind"`
		ClosesAt time.Time `db:"closes_at"`
	}
	err := tx.x.SelectContext(ctx, &votes, `SELECT p.id, p.title, p.kind, p.closes_at FROM proposals p
		JOIN proposal_voters v ON v.proposal_id = p.id AND v.member_id = $1
		WHERE p.status = 'open' AND p.closes_at > $2
		AND NOT EXISTS (SELECT 1 FROM votes x WHERE x.proposal_id = p.id AND x.round = p.round AND x.member_id = $1)
		ORDER BY p.closes_at, p.id LIMIT $3`, memberID, now, agendaVotes)
	if err != nil {
		return a, fmt.Errorf("agenda votes: %w", err)
	}
	for _, v := range votes {
		a.OpenVotes = append(a.OpenVotes, notify.OpenVote{ProposalID: v.ID, Title: v.Title, Joint: proposals.ProposalKind(v.Kind).AboutJoint(), ClosesAt: v.ClosesAt})
	}
	var drafts []struct {
		ID        int64     `db:"id"`
		Title     string    `db:"title"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	err = tx.x.SelectContext(ctx, &drafts, `SELECT id, title, updated_at FROM proposals p WHERE status = 'draft'
		AND (author_id = $1 OR EXISTS (SELECT 1 FROM proposal_coauthors c WHERE c.proposal_id = p.id AND c.member_id = $1))
		ORDER BY updated_at DESC, id DESC LIMIT $2`, memberID, agendaOthers)
	if err != nil {
		return a, fmt.Errorf("agenda drafts: %w", err)
	}
	for _, d := range drafts {
		a.Drafts = append(a.Drafts, notify.Draft{ProposalID: d.ID, Title: d.Title, UpdatedAt: d.UpdatedAt})
	}
	var decided []struct {
		ID        int64     `db:"id"`
		Title     string    `db:"title"`
		Status    string    `db:"status"`
		DecidedAt time.Time `db:"decided_at"`
	}
	err = tx.x.SelectContext(ctx, &decided, `SELECT id, title, status, decided_at FROM proposals
		WHERE status IN ('adopted', 'rejected', 'conflicted') AND decided_at > $1 ORDER BY decided_at DESC, id DESC LIMIT $2`, since, agendaOthers)
	if err != nil {
		return a, fmt.Errorf("agenda decided: %w", err)
	}
	for _, d := range decided {
		a.Decided = append(a.Decided, notify.Decided{ProposalID: d.ID, Title: d.Title, Status: proposals.ProposalStatus(d.Status), DecidedAt: d.DecidedAt})
	}
	var versions []struct {
		Number    int       `db:"number"`
		AdoptedAt time.Time `db:"adopted_at"`
	}
	err = tx.x.SelectContext(ctx, &versions, `SELECT number, adopted_at FROM statement_versions WHERE number > 1 AND adopted_at > $1
		ORDER BY number DESC LIMIT $2`, since, agendaOthers)
	if err != nil {
		return a, fmt.Errorf("agenda versions: %w", err)
	}
	for _, v := range versions {
		a.Versions = append(a.Versions, notify.VersionNote{Number: v.Number, AdoptedAt: v.AdoptedAt})
	}
	if a.Joints, err = tx.jointsWaiting(ctx); err != nil {
		return a, err
	}
	err = tx.x.GetContext(ctx, &a.PairsWaiting, `SELECT COUNT(*) FROM pair_decisions t WHERE t.side = 'theirs' AND t.decision = 'confirmed'
		AND NOT EXISTS (SELECT 1 FROM pair_decisions o WHERE o.side = 'ours' AND o.ally = t.ally AND o.our_item = t.our_item AND o.their_item = t.their_item)`)
	if err != nil {
		return a, fmt.Errorf("agenda common ground: %w", err)
	}
	var news []struct {
		Name       string    `db:"name"`
		Handle     string    `db:"handle"`
		Version    int       `db:"version"`
		ReceivedAt time.Time `db:"received_at"`
	}
	err = tx.x.SelectContext(ctx, &news, `SELECT a.name, a.handle, s.version, s.received_at FROM remote_statements s
		JOIN remote_actors a ON a.id = s.actor_id WHERE s.received_at > $1 ORDER BY s.received_at DESC LIMIT $2`, since, agendaOthers)
	if err != nil {
		return a, fmt.Errorf("agenda ally news: %w", err)
	}
	for _, n := range news {
		a.AllyNews = append(a.AllyNews, notify.AllyNews{Name: n.Name, Handle: n.Handle, Version: n.Version, ReceivedAt: n.ReceivedAt})
	}
	return a, nil
}

// jointsWaiting lists allies' joint statements whose newest version our
// members have neither decided on nor are voting on.
func (tx *Tx) jointsWaiting(ctx context.Context) ([]notify.JointWaiting, error) {
	var rows []struct {
		ID      int64  `db:"id"`
		Name    string `db:"name"`
		Number  int    `db:"number"`
		Content string `db:"content"`
	}
	err := tx.x.SelectContext(ctx, &rows, `SELECT j.id, COALESCE(a.name, j.initiator) AS name, v.number, v.content
		FROM joint_statements j
		JOIN joint_versions v ON v.joint_id = j.id AND v.number = (SELECT MAX(number) FROM joint_versions w WHERE w.joint_id = j.id)
		LEFT JOIN remote_actors a ON a.id = j.initiator
		WHERE j.initiator <> 'self'
		AND NOT EXISTS (SELECT 1 FROM joint_verdicts d WHERE d.joint_id = j.id AND d.movement = 'self' AND d.version = v.number)
		AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.joint_id = j.id AND p.status = 'open')
		ORDER BY v.created_at DESC, j.id DESC LIMIT $1`, agendaOthers)
	if err != nil {
		return nil, fmt.Errorf("agenda joint statements: %w", err)
	}
	out := make([]notify.JointWaiting, len(rows))
	for i, r := range rows {
		var text jointText
		if err := json.Unmarshal([]byte(r.Content), &text); err != nil {
			return nil, fmt.Errorf("joint statement %d: %w", r.ID, err)
		}
		out[i] = notify.JointWaiting{JointID: r.ID, Title: text.Title, Initiator: r.Name, Version: r.Number}
	}
	return out, nil
}
