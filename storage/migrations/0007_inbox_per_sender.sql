-- An activity is kept once per sender, not once per id: an id only means
-- something within what one actor sent, and keyed by id alone any actor could
-- pre-claim another's predictable ids and make its real activities look like
-- redeliveries. SQLite cannot change a primary key in place, so the table is
-- made again, on both databases alike. host is the actor's: work is shared
-- out fairly between hosts, so that one with many actors cannot crowd out
-- the others.
CREATE TABLE inbox_activities_by_sender (
    actor            TEXT NOT NULL,
    id               TEXT NOT NULL,
    host             TEXT NOT NULL DEFAULT '',
    type             TEXT NOT NULL,
    body             TEXT NOT NULL,
    received_at      {{timestamp}} NOT NULL,
    processed_at     {{timestamp}},
    error            TEXT NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  {{timestamp}},
    PRIMARY KEY (actor, id)
);
INSERT INTO inbox_activities_by_sender (actor, id, type, body, received_at, processed_at, error, attempts, next_attempt_at)
    SELECT actor, id, type, body, received_at, processed_at, error, attempts, next_attempt_at FROM inbox_activities;
DROP TABLE inbox_activities;
ALTER TABLE inbox_activities_by_sender RENAME TO inbox_activities;
-- Due work, oldest first; and, for the purge, what was processed when.
CREATE INDEX inbox_due ON inbox_activities (processed_at, received_at);

-- What each sending host stored in the inbox, by the hour: one host may
-- store only so much an hour (the inbox answers 429 beyond it).
CREATE TABLE inbox_usage (
    host   TEXT NOT NULL,
    hour   {{timestamp}} NOT NULL,
    bytes  BIGINT NOT NULL,
    PRIMARY KEY (host, hour)
);

-- Finished deliveries are purged after the retention period.
CREATE INDEX deliveries_done ON deliveries (done_at);
