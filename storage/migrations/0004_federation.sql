-- Remote actors this instance knows: followers, followed allies, key owners.
CREATE TABLE remote_actors (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL DEFAULT '',
    handle          TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    summary         TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    inbox           TEXT NOT NULL,
    shared_inbox    TEXT NOT NULL DEFAULT '',
    featured        TEXT NOT NULL DEFAULT '',
    key_id          TEXT NOT NULL DEFAULT '',
    public_key_pem  TEXT NOT NULL DEFAULT '',
    fetched_at      {{timestamp}} NOT NULL
);
CREATE INDEX remote_actors_key ON remote_actors (key_id);

-- Who follows the movement. follow_json is the Follow as received: the Accept
-- must carry it unchanged.
CREATE TABLE followers (
    actor_id     TEXT PRIMARY KEY REFERENCES remote_actors (id),
    follow_id    TEXT NOT NULL,
    follow_json  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted')),
    created_at   {{timestamp}} NOT NULL
);

-- Whom the movement follows.
CREATE TABLE following (
    actor_id     TEXT PRIMARY KEY REFERENCES remote_actors (id),
    follow_id    TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at   {{timestamp}} NOT NULL,
    updated_at   {{timestamp}} NOT NULL
);

-- Every activity received, once: a redelivery with the same id changes nothing.
CREATE TABLE inbox_activities (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    body          TEXT NOT NULL,
    received_at   {{timestamp}} NOT NULL,
    processed_at  {{timestamp}},
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbox_unprocessed ON inbox_activities (processed_at, received_at);

-- The delivery queue: one row per activity and target inbox. A worker claims a
-- row by moving next_attempt_at forward (a lease), so a crashed worker's claim
-- expires and the row is tried again.
CREATE TABLE deliveries (
    id               {{serial}},
    activity_id      TEXT NOT NULL,
    inbox            TEXT NOT NULL,
    host             TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  {{timestamp}} NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       {{timestamp}} NOT NULL,
    done_at          {{timestamp}},
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

-- Hosts that keep failing are paused instead of retried in a tight loop.
CREATE TABLE host_health (
    host                  TEXT PRIMARY KEY,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    paused_until          {{timestamp}}
);

-- Things the domain did that federation must announce (a new statement version,
-- a profile change), recorded in the same transaction as the decision itself.
CREATE TABLE outbox_events (
    id            {{serial}},
    kind          TEXT NOT NULL,
    ref           BIGINT NOT NULL DEFAULT 0,
    created_at    {{timestamp}} NOT NULL,
    processed_at  {{timestamp}}
);

-- What the movement published (the outbox collection).
CREATE TABLE outbox_items (
    activity_id   TEXT PRIMARY KEY,
    object_id     TEXT NOT NULL,
    body          TEXT NOT NULL,
    published_at  {{timestamp}} NOT NULL,
    deleted_at    {{timestamp}}
);

-- Statement versions received from followed movements.
CREATE TABLE remote_statements (
    actor_id     TEXT NOT NULL REFERENCES remote_actors (id),
    version      INTEGER NOT NULL,
    note_id      TEXT NOT NULL,
    content      TEXT NOT NULL,
    received_at  {{timestamp}} NOT NULL,
    PRIMARY KEY (actor_id, version)
);

ALTER TABLE movement ADD COLUMN manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE;
