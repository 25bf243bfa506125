-- Reaching members: an optional email address, when they last looked at the
-- home page (what was decided since their previous visit is shown there),
-- their notification choices, a fediverse account they proved is theirs,
-- and the queue of notifications to send.
ALTER TABLE members ADD COLUMN email TEXT NOT NULL DEFAULT '';
-- Set when the member opened the link sent to the address: only a
-- confirmed address receives notifications.
ALTER TABLE members ADD COLUMN email_verified_at {{timestamp}};
-- last_seen_at moves at every view of the home page; previous_visit_at is
-- last_seen_at as it was when a new visit began (an hour or more apart).
ALTER TABLE members ADD COLUMN last_seen_at {{timestamp}};
ALTER TABLE members ADD COLUMN previous_visit_at {{timestamp}};

-- A member's choice for one kind of notification on one channel; a kind
-- without a row takes its default (notify.DefaultMode).
CREATE TABLE notify_prefs (
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('email', 'fediverse')),
    mode       TEXT NOT NULL CHECK (mode IN ('off', 'immediate', 'digest')),
    PRIMARY KEY (member_id, kind, channel)
);

-- The fediverse account a member links to receive direct messages. It is
-- used only once verified: the member typed back the code sent to it.
CREATE TABLE member_fediverse (
    member_id        BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    handle           TEXT NOT NULL,
    actor_id         TEXT NOT NULL,
    inbox            TEXT NOT NULL,
    code_hash        TEXT NOT NULL DEFAULT '',
    code_expires_at  {{timestamp}},
    code_attempts    INTEGER NOT NULL DEFAULT 0,
    verified_at      {{timestamp}},
    created_at       {{timestamp}} NOT NULL
);

-- Things that happened and whose notifications were planned, once each: a
-- planner (in any process) takes an event only if it is not here yet, and
-- records it in the transaction that queues its notifications.
CREATE TABLE notify_planned (
    kind        TEXT NOT NULL,
    ref         TEXT NOT NULL,
    planned_at  {{timestamp}} NOT NULL,
    PRIMARY KEY (kind, ref)
);

-- When notifications began on this instance: what happened before is not
-- announced (a new feature must not send a year of old news).
CREATE TABLE notify_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    since  {{timestamp}} NOT NULL
);

-- The notification queue: one row per member, kind, event and channel (the
-- key makes a second enqueue a no-op). A sender claims a row by moving
-- next_attempt_at forward (a lease): a crash mid-send returns it after the
-- lease; sent_at is set as soon as the mail server or the delivery queue took
-- it, so it is not sent again.
CREATE TABLE notifications (
    id               {{serial}},
    member_id        BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    ref              TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'fediverse')),
    mode             TEXT NOT NULL CHECK (mode IN ('immediate', 'digest')),
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    link             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'dropped')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  {{timestamp}} NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       {{timestamp}} NOT NULL,
    sent_at          {{timestamp}},
    UNIQUE (member_id, kind, ref, channel)
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
