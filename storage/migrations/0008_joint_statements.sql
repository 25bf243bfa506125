-- Joint statements: a text allies write together, each movement signing it by
-- its own vote under its own rule.

-- Signing is decided under a rule of its own, at first the rule the movement
-- has for its values. The table is rebuilt because its CHECK names the parts,
-- and SQLite cannot change a CHECK in place.
CREATE TABLE decision_rules_new (
    kind                  TEXT PRIMARY KEY CHECK (kind IN ('preamble', 'objectives', 'values', 'red_lines', 'joint_statements')),
    preset                TEXT NOT NULL,
    quorum                TEXT NOT NULL,
    voting_period_seconds BIGINT NOT NULL
);
INSERT INTO decision_rules_new (kind, preset, quorum, voting_period_seconds)
    SELECT kind, preset, quorum, voting_period_seconds FROM decision_rules;
INSERT INTO decision_rules_new (kind, preset, quorum, voting_period_seconds)
    SELECT 'joint_statements', preset, quorum, voting_period_seconds FROM decision_rules WHERE kind = 'values';
DROP TABLE decision_rules;
ALTER TABLE decision_rules_new RENAME TO decision_rules;

-- A joint statement, started here (initiator 'self', iri NULL: federation
-- names it from its id) or received from its initiator (iri: the id the
-- initiator gave it). draft is the text being prepared for the next version
-- (ours only); invited and participants are JSON.
CREATE TABLE joint_statements (
    id            {{serial}},
    iri           TEXT UNIQUE,
    initiator     TEXT NOT NULL,
    title         TEXT NOT NULL,
    draft         TEXT NOT NULL DEFAULT '',
    invited       TEXT NOT NULL DEFAULT '[]',
    participants  TEXT NOT NULL DEFAULT '[]',
    created_by    BIGINT REFERENCES members (id),
    created_at    {{timestamp}} NOT NULL,
    updated_at    {{timestamp}} NOT NULL
);

-- Every version, immutable; content is the JSON of the text, hash its digest.
CREATE TABLE joint_versions (
    joint_id    BIGINT NOT NULL REFERENCES joint_statements (id),
    number      INTEGER NOT NULL,
    content     TEXT NOT NULL,
    hash        TEXT NOT NULL,
    offer_id    TEXT NOT NULL DEFAULT '',
    created_at  {{timestamp}} NOT NULL,
    PRIMARY KEY (joint_id, number)
);

-- Every verdict of every movement on each version: signed, declined or
-- withdrawn, with the outcome of the vote that decided it (JSON, so anyone
-- can recompute it). The newest decision on a version stands; the earlier
-- ones stay as its history. movement is 'self' or the movement's actor id;
-- activity_id is the activity that carried the verdict; proposal_id, for
-- ours, the vote that decided it.
CREATE TABLE joint_verdicts (
    joint_id     BIGINT NOT NULL REFERENCES joint_statements (id),
    movement     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    verdict      TEXT NOT NULL CHECK (verdict IN ('signed', 'declined', 'withdrawn')),
    outcome      TEXT NOT NULL,
    decided_at   {{timestamp}} NOT NULL,
    activity_id  TEXT NOT NULL DEFAULT '',
    proposal_id  BIGINT,
    PRIMARY KEY (joint_id, movement, version, decided_at)
);

-- A proposal may decide on a joint statement instead of changing ours.
ALTER TABLE proposals ADD COLUMN kind TEXT NOT NULL DEFAULT 'statement';
ALTER TABLE proposals ADD COLUMN joint_id BIGINT REFERENCES joint_statements (id);
ALTER TABLE proposals ADD COLUMN joint_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX proposals_joint ON proposals (joint_id);
