-- Immutable snapshots of the core statement; content is the JSON of
-- proposals.Statement (preamble and items with their stable ids).
CREATE TABLE statement_versions (
    number       INTEGER PRIMARY KEY,
    content      TEXT NOT NULL,
    adopted_at   {{timestamp}} NOT NULL,
    proposal_id  BIGINT
);

-- The decision rule a movement chose for each part of its statement.
CREATE TABLE decision_rules (
    kind                  TEXT PRIMARY KEY CHECK (kind IN ('preamble', 'objectives', 'values', 'red_lines')),
    preset                TEXT NOT NULL,
    quorum                TEXT NOT NULL,
    voting_period_seconds BIGINT NOT NULL
);

ALTER TABLE movement ADD COLUMN results_before_voting BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE proposals (
    id              {{serial}},
    title           TEXT NOT NULL,
    rationale       TEXT NOT NULL,
    author_id       BIGINT NOT NULL REFERENCES members (id),
    base_version    INTEGER NOT NULL REFERENCES statement_versions (number),
    changes         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'adopted', 'rejected', 'conflicted', 'withdrawn')),
    rule_kind       TEXT NOT NULL DEFAULT '',
    rule            TEXT,
    round           INTEGER NOT NULL DEFAULT 0,
    eligible        INTEGER NOT NULL DEFAULT 0,
    opened_at       {{timestamp}},
    closes_at       {{timestamp}},
    decided_at      {{timestamp}},
    outcome         TEXT,
    result_version  INTEGER,
    conflict        TEXT NOT NULL DEFAULT '',
    created_at      {{timestamp}} NOT NULL,
    updated_at      {{timestamp}} NOT NULL
);
CREATE INDEX proposals_due ON proposals (status, closes_at);

-- Who may vote on a proposal: the active members when voting opened.
CREATE TABLE proposal_voters (
    proposal_id  BIGINT NOT NULL REFERENCES proposals (id),
    member_id    BIGINT NOT NULL REFERENCES members (id),
    PRIMARY KEY (proposal_id, member_id)
);

-- One current vote per member and round; the key makes a second vote replace the first.
CREATE TABLE votes (
    proposal_id  BIGINT NOT NULL REFERENCES proposals (id),
    round        INTEGER NOT NULL,
    member_id    BIGINT NOT NULL REFERENCES members (id),
    position     TEXT NOT NULL CHECK (position IN ('agree', 'stand_aside', 'disagree', 'block')),
    reason       TEXT NOT NULL DEFAULT '',
    updated_at   {{timestamp}} NOT NULL,
    PRIMARY KEY (proposal_id, round, member_id)
);

-- Every position ever taken: the audit trail members can read.
CREATE TABLE vote_events (
    id           {{serial}},
    proposal_id  BIGINT NOT NULL REFERENCES proposals (id),
    round        INTEGER NOT NULL,
    member_id    BIGINT NOT NULL REFERENCES members (id),
    position     TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    at           {{timestamp}} NOT NULL
);
CREATE INDEX vote_events_proposal ON vote_events (proposal_id, id);

CREATE TABLE comments (
    id             {{serial}},
    proposal_id    BIGINT NOT NULL REFERENCES proposals (id),
    parent_id      BIGINT REFERENCES comments (id),
    author_id      BIGINT NOT NULL REFERENCES members (id),
    body           TEXT NOT NULL,
    created_at     {{timestamp}} NOT NULL,
    edited_at      {{timestamp}},
    hidden_at      {{timestamp}},
    hidden_by      BIGINT REFERENCES members (id),
    hidden_reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX comments_proposal ON comments (proposal_id, id);
