-- The inbox claim in one round trip. A claim must read the leases after it
-- holds the claim lock (7429003), or two processes could both find a sender
-- free; a statement reads from the moment it starts, so the lock and the
-- claim were two statements in a transaction: BEGIN, lock, claim, COMMIT,
-- four round trips on every claim. A function's statements each read anew
-- (it is VOLATILE), so this one takes the lock, then claims, and one SELECT
-- runs both (storage.ClaimInbox). The lock was 7429002 before, which is
-- also the lock of a new statement version: claims waited on those.
--
-- The claim walks the hosts with due work through inbox_due_by_host (one
-- probe a host) and reads each host's oldest $3 due activities, in index
-- order, from senders with no activity leased (read once, as one array: an
-- anti-join here makes the planner read the whole backlog), then keeps the
-- $2 hosts whose first is oldest, none of those named in $5, and leases
-- them until $4. Its cost does not grow with the backlog.
CREATE FUNCTION claim_inbox(TIMESTAMPTZ, INTEGER, INTEGER, TIMESTAMPTZ, TEXT[])
RETURNS SETOF inbox_activities LANGUAGE plpgsql VOLATILE AS $claim$
BEGIN
	PERFORM pg_advisory_xact_lock(7429003);
	RETURN QUERY WITH RECURSIVE hosts AS (
		(SELECT host FROM inbox_activities WHERE processed_at IS NULL ORDER BY host LIMIT 1)
		UNION ALL
		SELECT (SELECT a.host FROM inbox_activities a WHERE a.processed_at IS NULL AND a.host > hosts.host ORDER BY a.host LIMIT 1)
		FROM hosts WHERE hosts.host IS NOT NULL),
	leased AS (
		SELECT COALESCE(array_agg(DISTINCT actor), '{}') AS actors FROM inbox_activities
		WHERE processed_at IS NULL AND leased_until IS NOT NULL AND leased_until > $1),
	due AS (
		SELECT h.host, d.actor, d.id, d.received_at FROM hosts h CROSS JOIN LATERAL (
			SELECT a.actor, a.id, a.received_at FROM inbox_activities a
			WHERE a.host = h.host AND a.processed_at IS NULL AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= $1)
				AND a.actor <> ALL ((SELECT actors FROM leased)::text[])
			ORDER BY a.received_at, a.actor, a.id LIMIT $3) d
		WHERE h.host IS NOT NULL AND h.host <> ALL ($5)),
	picked AS (
		SELECT host FROM due GROUP BY host ORDER BY min(received_at), host LIMIT $2)
	UPDATE inbox_activities SET leased_until = $4
	WHERE (actor, id) IN (SELECT actor, id FROM due WHERE host IN (SELECT host FROM picked))
	RETURNING inbox_activities.*;
END
$claim$;
